import Foundation
import HPOCore
import HPORuntime
import HPOServer
import HPOStorage
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct RunRouteTests {
    @Test func aStudyWithATrainerRunsToItsBudget() async throws {
        try await TestDaemon().test { client in
            let created = try await client.call(
                .post, "/studies", text: Studies.sphere("sphere", nTrials: 6, workers: 2))
            #expect(created.status == .created)
            #expect(created.json["status"]?.stringValue == "running")
            let study = try await client.waitForStudy("sphere") { $0["status"]?.stringValue == "finished" }
            #expect(study["status"]?.stringValue == "finished")
            #expect(study["counts"]?["complete"]?.intValue == 6)
            #expect(study["counts"]?["running"]?.intValue == 0)
            #expect(study["progress"]?["fraction"]?.doubleValue == 1)
            #expect(study["stop_reason"]?.stringValue == "budget reached")
            #expect(study["best"]?["value"]?.doubleValue == study["best_value"]?.doubleValue)
        }
    }

    @Test func overridesFromTheQueryAndFromJSONApply() async throws {
        try await TestDaemon().test { client in
            let yaml = try await client.call(
                .post, "/studies?override=budget.n_trials=3", text: Studies.sphere("q", nTrials: 50, workers: 1))
            #expect(yaml.status == .created)
            let json = try await client.call(
                .post, "/studies",
                json: .object([
                    "study": .string(Studies.sphere("j", nTrials: 50, workers: 1)),
                    "overrides": .array([.string("budget.n_trials=2")]),
                ]))
            #expect(json.status == .created)
            let q = try await client.waitForStudy("q") { $0["status"]?.stringValue == "finished" }
            let j = try await client.waitForStudy("j") { $0["status"]?.stringValue == "finished" }
            #expect(q["counts"]?["complete"]?.intValue == 3)
            #expect(j["counts"]?["complete"]?.intValue == 2)
        }
    }

    @Test func pauseHoldsNewTrialsAndResumeFinishesTheStudy() async throws {
        try await TestDaemon().test { client in
            _ = try await client.call(
                .post, "/studies", text: Studies.sphere("held", nTrials: 12, workers: 2, delay: "0.02"))
            let paused = try await client.call(.post, "/studies/held/pause")
            #expect(paused.status == .ok)
            #expect(paused.json["status"]?.stringValue == "paused")
            let drained = try await client.waitForStudy("held") { $0["counts"]?["running"]?.intValue == 0 }
            let count = drained["trials"]?.intValue ?? -1
            try await Task.sleep(for: .milliseconds(200))
            let later = try await client.call(.get, "/studies/held")
            #expect(later.json["trials"]?.intValue == count)
            #expect(later.json["status"]?.stringValue == "paused")
            #expect(count < 12)

            let again = try await client.call(.post, "/studies/held/pause")
            #expect(again.status == .ok)
            let resumed = try await client.call(.post, "/studies/held/resume")
            #expect(resumed.json["status"]?.stringValue == "running")
            let done = try await client.waitForStudy("held") { $0["status"]?.stringValue == "finished" }
            #expect(done["counts"]?["complete"]?.intValue == 12)
        }
    }

    @Test func stopEndsTheRunAndIsRemembered() async throws {
        let storage = InMemoryStorage()
        try await TestDaemon(storage: storage).test { client in
            _ = try await client.call(
                .post, "/studies", text: Studies.sphere("halt", nTrials: 1000, workers: 2, delay: "0.01"))
            let stop = try await client.call(.post, "/studies/halt/stop")
            #expect(stop.status == .ok)
            let stopped = try await client.waitForStudy("halt") { $0["status"]?.stringValue == "stopped" }
            #expect(stopped["counts"]?["running"]?.intValue == 0)
            #expect((stopped["trials"]?.intValue ?? 1000) < 1000)
            let pause = try await client.call(.post, "/studies/halt/pause")
            #expect(pause.status == .conflict)
            let record = try #require(try storage.study(named: "halt"))
            #expect(record.systemAttributes[StudyManager.Key.daemonState] == .string("stopped"))
        }
    }

    @Test func controllingAStudyWithoutTrainerIsAConflict() async throws {
        try await TestDaemon().test { client in
            _ = try await client.call(.post, "/studies", text: Studies.external("ext"))
            for action in ["pause", "resume", "stop"] {
                let answer = try await client.call(.post, "/studies/ext/\(action)")
                #expect(answer.status == .conflict, "\(action)")
                #expect(answer.error?.contains("no trainer") == true)
            }
        }
    }

    @Test func metricsShowTrialsByStateAskLatencyAndThePool() async throws {
        try await TestDaemon().test { client in
            _ = try await client.call(.post, "/studies", text: Studies.sphere("m", nTrials: 4, workers: 2))
            _ = try await client.waitForStudy("m") { $0["status"]?.stringValue == "finished" }
            let answer = try await client.execute(uri: "/metrics", method: .get) { response in
                (response.status, response.headers[.contentType] ?? "", String(buffer: response.body))
            }
            #expect(answer.0 == .ok)
            #expect(answer.1.hasPrefix("text/plain"))
            let lines = answer.2.split(separator: "\n").map(String.init)
            #expect(lines.contains("hpo_trials{study=\"m\",state=\"COMPLETE\"} 4"))
            #expect(lines.contains("hpo_ask_duration_seconds_count 4"))
            #expect(lines.contains("hpo_ask_duration_seconds_bucket{le=\"+Inf\"} 4"))
            #expect(lines.contains("hpo_trials_finished_total{state=\"COMPLETE\"} 4"))
            #expect(lines.contains("hpo_pool_threads 2"))
            #expect(lines.contains { $0.hasPrefix("hpo_pool_utilisation ") })
            #expect(lines.contains { $0.hasPrefix("hpo_trials_per_second ") })
        }
    }

    @Test func aStudyNeverRunsMoreTrialsThanItsWorkers() async throws {
        let storage = InMemoryStorage()
        try await TestDaemon(storage: storage, workers: 3).test { client in
            _ = try await client.call(
                .post, "/studies", text: Studies.sphere("one", nTrials: 5, workers: 1, delay: "0.03"))
            _ = try await client.call(
                .post, "/studies", text: Studies.sphere("two", nTrials: 8, workers: 2, delay: "0.03"))
            for name in ["one", "two"] {
                let study = try await client.waitForStudy(name) { $0["status"]?.stringValue == "finished" }
                #expect(study["status"]?.stringValue == "finished")
            }
        }
        for (name, cap) in [("one", 1), ("two", 2)] {
            let record = try #require(try storage.study(named: name))
            let trials = try storage.trials(in: record.id, states: nil)
            var most = 0
            for probe in trials {
                guard let start = probe.datetimeStart else { continue }
                let running = trials.filter { trial in
                    guard let begin = trial.datetimeStart, let end = trial.datetimeComplete else { return false }
                    return begin <= start && start < end
                }
                most = max(most, running.count)
            }
            #expect(most == cap, "study \(name) used its workers")
        }
    }

    @Test func studiesShareThePoolAndRespectTheirWorkerCaps() async throws {
        let storage = InMemoryStorage()
        try await TestDaemon(storage: storage, workers: 2).test { client in
            for name in ["a", "b", "c"] {
                let answer = try await client.call(
                    .post, "/studies", text: Studies.sphere(name, nTrials: 6, workers: 2, delay: "0.03"))
                #expect(answer.status == .created)
            }
            for name in ["a", "b", "c"] {
                let study = try await client.waitForStudy(name) { $0["status"]?.stringValue == "finished" }
                #expect(study["counts"]?["complete"]?.intValue == 6)
            }
        }
        // At no moment did more trials run than the pool has threads, and every study had a trial running while
        // another study's trials ran (the pool was shared, not taken one study after the other).
        var intervals: [(study: String, start: Date, end: Date)] = []
        for name in ["a", "b", "c"] {
            let record = try #require(try storage.study(named: name))
            for trial in try storage.trials(in: record.id, states: nil) {
                intervals.append((name, try #require(trial.datetimeStart), try #require(trial.datetimeComplete)))
            }
        }
        for probe in intervals {
            let overlapping = intervals.filter { $0.start <= probe.start && probe.start < $0.end }
            #expect(overlapping.count <= 2)
        }
        for name in ["a", "b", "c"] {
            let mine = intervals.filter { $0.study == name }
            let firstEnd = try #require(mine.map(\.end).min())
            let othersStartedBefore = intervals.filter { $0.study != name && $0.start < firstEnd }
            let lastStart = try #require(mine.map(\.start).max())
            let othersFinishedAfter = intervals.filter { $0.study != name && $0.end > lastStart }
            #expect(!othersStartedBefore.isEmpty || !othersFinishedAfter.isEmpty, "study \(name) ran alone")
        }
    }
}
