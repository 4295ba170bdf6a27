import Foundation
import HPOCore
import HPORuntime
import HPOServer
import HPOStorage
import HPOTestSupport
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// A finished study gives its memory back (`StudyManager.releasedStudies`), answers every endpoint as when it was
/// loaded, and is loaded again for anything that needs its session.
@Suite struct StudyReleaseRouteTests {
    /// Polls until the manager has released `name` (at most 30 s).
    func waitUntilReleased(_ manager: StudyManager, _ name: String) async throws -> Bool {
        for _ in 0..<600 {
            if manager.releasedStudies.contains(name) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func isLoaded(_ manager: StudyManager, _ name: String) -> Bool {
        manager.loadedStudies.contains { $0.name == name }
    }

    /// The answers of every reading endpoint for the study `name`.
    func readings(_ client: any TestClientProtocol, _ name: String) async throws -> [String: Answer] {
        var answers: [String: Answer] = [:]
        for path in [
            "/studies/\(name)", "/studies/\(name)/best", "/studies/\(name)/trials",
            "/studies/\(name)/trials?state=complete&offset=2&limit=3", "/studies/\(name)/trials/1", "/studies",
        ] {
            answers[path] = try await client.call(.get, path)
        }
        return answers
    }

    func expectSameAnswers(_ released: [String: Answer], _ loaded: [String: Answer]) {
        for (path, answer) in released {
            #expect(answer.status == .ok, "\(path): \(answer.text)")
            #expect(answer.status == loaded[path]?.status, "\(path)")
            #expect(answer.json == loaded[path]?.json, "\(path): \(answer.text) vs \(loaded[path]?.text ?? "-")")
        }
    }

    @Test func finishedStudyIsReleasedAndAnswersEveryEndpointAsWhenLoaded() async throws {
        let daemon = TestDaemon()
        let manager = daemon.manager
        try await daemon.test { client in
            let created = try await client.call(
                .post, "/studies", text: Studies.sphere("released", nTrials: 8, workers: 2))
            #expect(created.status == .created)
            #expect(try await waitUntilReleased(manager, "released"))
            #expect(!isLoaded(manager, "released"))
            let health = try await client.call(.get, "/healthz")
            #expect(health.json["studies_loaded"]?.intValue == 0)

            let whileReleased = try await readings(client, "released")
            #expect(whileReleased["/studies/released"]?.json["status"]?.stringValue == "finished")
            #expect(whileReleased["/studies/released"]?.json["stop_reason"]?.stringValue == "budget reached")
            #expect(whileReleased["/studies/released"]?.json["counts"]?["complete"]?.intValue == 8)
            // Reading a released study does not load it.
            #expect(!isLoaded(manager, "released"))

            // Loaded again, the study answers the same; reading it while idle releases it again.
            _ = try await manager.study(named: "released")
            #expect(isLoaded(manager, "released"))
            #expect(!manager.releasedStudies.contains("released"))
            let whileLoaded = try await readings(client, "released")
            expectSameAnswers(whileReleased, whileLoaded)
            #expect(manager.releasedStudies.contains("released"))
            #expect(!isLoaded(manager, "released"))
        }
    }

    @Test func releasedTrainerStudyContinuesWithALargerBudgetAsIfItHadStayedLoaded() async throws {
        // The same study run to 10 trials at once: the reference (one worker, so trials run in number order).
        let reference = TestDaemon()
        let referenceTrials = try await Self.completedTrials(of: reference, budgets: [10])
        let extended = TestDaemon()
        let extendedTrials = try await Self.completedTrials(of: extended, budgets: [6, 10])
        #expect(extendedTrials.count == 10)
        #expect(extendedTrials.map(\.number) == Array(0..<10))
        #expect(extendedTrials.map(\.params) == referenceTrials.map(\.params))
        #expect(extendedTrials.map(\.value) == referenceTrials.map(\.value))
    }

    /// Runs the study `grow` with each budget in turn (each time until it is released), then returns its trials,
    /// read before the daemon shuts down.
    static func completedTrials(of daemon: TestDaemon, budgets: [Int]) async throws -> [Trial] {
        let manager = daemon.manager
        let test = StudyReleaseRouteTests()
        let trials = Mutex<[Trial]>([])
        try await daemon.test { client in
            for (index, budget) in budgets.enumerated() {
                let submitted = try await client.call(
                    .post, "/studies",
                    json: .object([
                        "study": .string(Studies.sphere("grow", nTrials: 4, workers: 1)),
                        "overrides": .array([.string("budget.n_trials=\(budget)")]),
                    ]))
                #expect(submitted.json["outcome"]?.stringValue == (index == 0 ? "created" : "continued"))
                // Started: running, or already finished when its few quick trials ended before the answer.
                #expect(["running", "finished"].contains(submitted.json["status"]?.stringValue), "\(submitted.text)")
                #expect(try await test.waitUntilReleased(manager, "grow"))
                let study = try await client.call(.get, "/studies/grow")
                #expect(study.json["status"]?.stringValue == "finished")
                #expect(study.json["counts"]?["complete"]?.intValue == budget)
                #expect(study.json["progress"]?["n_trials"]?.intValue == budget)
            }
            let page = try await manager.trials(of: "grow", states: nil, offset: 0, limit: 100)
            trials.withLock { $0 = page.trials }
        }
        return trials.withLock { $0 }
    }

    /// Work asked of a daemon after its shutdown is refused: its I/O threads are gone, and work handed to them
    /// would never run (the caller waited forever; this test hung then instead of failing).
    @Test func requestsAfterShutdownAreRefusedInsteadOfWaitingForever() async throws {
        let daemon = TestDaemon()
        let manager = daemon.manager
        try await daemon.test { client in
            let created = try await client.call(.post, "/studies", text: Studies.external("late", nTrials: 3))
            #expect(created.status == .created)
        }
        // Whether or not the stopped threads have exited yet, the answer is the same.
        for attempt in 0..<20 {
            if attempt == 10 { try await Task.sleep(for: .milliseconds(200)) }
            await #expect(throws: ManagerError.shuttingDown) {
                _ = try await manager.trials(of: "late", states: nil, offset: 0, limit: 10)
            }
            await #expect(throws: ManagerError.shuttingDown) { _ = try await manager.ask("late") }
        }
    }

    @Test func releasedExternalStudyIsLoadedAgainForAskAndTellAndGrowsWithItsBudget() async throws {
        let daemon = TestDaemon()
        let manager = daemon.manager
        try await daemon.test { client in
            let created = try await client.call(.post, "/studies", text: Studies.external("remote", nTrials: 3))
            #expect(created.status == .created)
            for round in 0..<3 {
                let asked = try await client.call(.post, "/studies/remote/ask")
                #expect(asked.status == .created)
                let number = try #require(asked.json["trial"]?.intValue)
                #expect(number == round)
                let reported = try await client.call(
                    .post, "/studies/remote/trials/\(number)/report",
                    json: .object(["step": .integer(0), "value": .number(1)]))
                #expect(reported.status == .ok)
                // A trial is running (or the budget is not used): the study stays loaded.
                #expect(isLoaded(manager, "remote"))
                let told = try await client.call(
                    .post, "/studies/remote/trials/\(number)/tell", json: .object(["value": .number(Double(round))]))
                #expect(told.status == .ok)
            }
            // The last tell used the budget: released.
            #expect(manager.releasedStudies == ["remote"])
            let overview = try await client.call(.get, "/studies/remote")
            #expect(overview.json["status"]?.stringValue == "external")
            #expect(overview.json["best_value"]?.doubleValue == 0)
            #expect(overview.json["progress"]?["counted"]?.intValue == 3)

            // An ask is refused as before (budget used), and leaves the study released.
            let refused = try await client.call(.post, "/studies/remote/ask")
            #expect(refused.status == .conflict)
            #expect(refused.error?.contains("budget") == true)
            #expect(manager.releasedStudies == ["remote"])
            // A tell on a finished trial of the released study is refused as on a loaded one.
            let late = try await client.call(
                .post, "/studies/remote/trials/1/tell", json: .object(["value": .number(1)]))
            #expect(late.status == .conflict)

            // A larger budget: the study continues from its stored trials.
            let grown = try await client.call(
                .post, "/studies",
                json: .object([
                    "study": .string(Studies.external("remote", nTrials: 3)),
                    "overrides": .array([.string("budget.n_trials=5")]),
                ]))
            #expect(grown.json["outcome"]?.stringValue == "continued")
            #expect(grown.json["status"]?.stringValue == "external")
            #expect(manager.releasedStudies.isEmpty)
            for expected in 3..<5 {
                let asked = try await client.call(
                    .post, "/studies/remote/ask", json: .object(["heartbeat": .bool(true)]))
                #expect(asked.json["trial"]?.intValue == expected)
                #expect(asked.json["heartbeat"]?["grace_period"] != nil)
                let told = try await client.call(
                    .post, "/studies/remote/trials/\(expected)/tell", json: .object(["value": .number(5)]))
                #expect(told.json["state"]?.stringValue == "COMPLETE")
            }
            #expect(manager.releasedStudies == ["remote"])
            let final = try await client.call(.get, "/studies/remote")
            #expect(final.json["counts"]?["complete"]?.intValue == 5)
            #expect(final.json["best_trial"]?.intValue == 0)
        }
    }

    @Test func stoppedStudyIsReleasedAndResumesWhereItStopped() async throws {
        let daemon = TestDaemon()
        let manager = daemon.manager
        try await daemon.test { client in
            _ = try await client.call(
                .post, "/studies", text: Studies.sphere("halted", nTrials: 400, workers: 1, delay: "0.002"))
            _ = try await client.waitForStudy("halted") { ($0["counts"]?["complete"]?.intValue ?? 0) >= 2 }
            let stopped = try await client.call(.post, "/studies/halted/stop")
            #expect(stopped.status == .ok)
            #expect(try await waitUntilReleased(manager, "halted"))
            let released = try await client.call(.get, "/studies/halted")
            #expect(released.json["status"]?.stringValue == "stopped")
            #expect(released.json["stop_reason"]?.stringValue == "stopped")
            let done = try #require(released.json["counts"]?["complete"]?.intValue)
            #expect(done < 400)

            let resumed = try await client.call(.post, "/studies/halted/resume")
            #expect(resumed.json["status"]?.stringValue == "running")
            #expect(isLoaded(manager, "halted"))
            let more = try await client.waitForStudy("halted") {
                ($0["counts"]?["complete"]?.intValue ?? 0) >= done + 2
            }
            #expect((more["counts"]?["complete"]?.intValue ?? 0) >= done + 2)
            _ = try await client.call(.post, "/studies/halted/stop")
            #expect(try await waitUntilReleased(manager, "halted"))
            let page = try await manager.trials(of: "halted", states: nil, offset: 0, limit: 1000)
            #expect(page.trials.map(\.number) == Array(0..<page.total))
            #expect(page.trials.allSatisfy { $0.state == .complete })
        }
    }

    @Test func pausedStudyStaysLoaded() async throws {
        let daemon = TestDaemon()
        let manager = daemon.manager
        try await daemon.test { client in
            _ = try await client.call(
                .post, "/studies", text: Studies.sphere("resting", nTrials: 400, workers: 1, delay: "0.002"))
            _ = try await client.waitForStudy("resting") { ($0["counts"]?["complete"]?.intValue ?? 0) >= 1 }
            _ = try await client.call(.post, "/studies/resting/pause")
            let paused = try await client.waitForStudy("resting") { ($0["counts"]?["running"]?.intValue ?? 1) == 0 }
            #expect(paused["status"]?.stringValue == "paused")
            try await Task.sleep(for: .milliseconds(200))
            #expect(isLoaded(manager, "resting"))
            #expect(manager.releasedStudies.isEmpty)
        }
    }

    @Test func externalStudyWhoseLastTrialFellSilentIsReleasedWithoutAnotherRequest() async throws {
        let clock = ManualClock()
        let storage = InMemoryStorage(now: { clock.now })
        let daemon = TestDaemon(storage: storage, heartbeatInterval: 0.05, now: { clock.now })
        let manager = daemon.manager
        let study = """
            version: 1
            name: quiet
            direction: minimize
            sampler: {type: random, seed: 4}
            budget: {n_trials: 2}
            retry: {max_retries: 0, heartbeat_interval: 5s, grace_period: 30s}
            space:
              x: {type: float, low: -5.0, high: 5.0}
            """
        try await daemon.test { client in
            #expect(try await client.call(.post, "/studies", text: study).status == .created)
            _ = try await client.call(.post, "/studies/quiet/ask")
            #expect(
                try await client.call(.post, "/studies/quiet/trials/0/tell", json: .object(["value": .number(1)]))
                    .status == .ok)
            let watched = try await client.call(.post, "/studies/quiet/ask", json: .object(["heartbeat": .bool(true)]))
            #expect(watched.json["trial"]?.intValue == 1)
            // A running trial keeps the study loaded, however long it is silent within the grace period.
            clock.advance(by: 29)
            try await Task.sleep(for: .milliseconds(300))
            #expect(isLoaded(manager, "quiet"))
            // Past the grace period the trial fails without a retry, the budget is used: released, with no request.
            clock.advance(by: 2)
            #expect(try await waitUntilReleased(manager, "quiet"))
            #expect(!isLoaded(manager, "quiet"))
            let overview = try await client.call(.get, "/studies/quiet")
            #expect(overview.json["counts"]?["fail"]?.intValue == 1)
            #expect(overview.json["counts"]?["complete"]?.intValue == 1)
            #expect(overview.json["best_value"]?.doubleValue == 1)
        }
    }
}
