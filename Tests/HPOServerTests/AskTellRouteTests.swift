import Foundation
import HPOCore
import HPORuntime
import HPOServer
import HPOStorage
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct AskTellRouteTests {
    @Test func healthzAnswersOk() async throws {
        try await TestDaemon().test { client in
            let answer = try await client.call(.get, "/healthz")
            #expect(answer.status == .ok)
            #expect(answer.json["status"]?.stringValue == "ok")
            #expect(answer.json["workers"]?.intValue == 2)
        }
    }

    @Test func submittedExternalStudyIsListedWithItsDefinition() async throws {
        try await TestDaemon().test { client in
            let created = try await client.call(.post, "/studies", text: Studies.external("remote"))
            #expect(created.status == .created)
            #expect(created.json["outcome"]?.stringValue == "created")
            #expect(created.json["status"]?.stringValue == "external")

            let list = try await client.call(.get, "/studies")
            guard case .array(let studies)? = list.json["studies"] else {
                Issue.record("no studies array in \(list.text)")
                return
            }
            #expect(studies.compactMap { $0["name"]?.stringValue } == ["remote"])

            let study = try await client.call(.get, "/studies/remote")
            #expect(study.status == .ok)
            #expect(study.json["definition"]?["name"]?.stringValue == "remote")
            #expect(study.json["counts"]?["complete"]?.intValue == 0)
            #expect(study.json["progress"]?["n_trials"]?.intValue == 10)
        }
    }

    @Test func aStudyPostedAsAJSONObjectIsCreated() async throws {
        try await TestDaemon().test { client in
            let study = JSONValue.object([
                "name": .string("json-study"), "direction": .string("maximize"),
                "space": .object([
                    "lr": .object([
                        "type": .string("float"), "low": .number(0.001), "high": .number(0.1), "log": .bool(true),
                    ])
                ]),
            ])
            let created = try await client.call(.post, "/studies", json: study)
            #expect(created.status == .created)
            let read = try await client.call(.get, "/studies/json-study")
            #expect(read.json["direction"]?.stringValue == "maximize")
            let asked = try await client.call(.post, "/studies/json-study/ask")
            let lr = try #require(asked.json["params"]?["lr"]?.doubleValue)
            #expect((0.001...0.1).contains(lr))
        }
    }

    @Test func askReportTellRecordsTheTrialAndTheBest() async throws {
        try await TestDaemon().test { client in
            _ = try await client.call(.post, "/studies", text: Studies.external("loop"))
            let asked = try await client.call(.post, "/studies/loop/ask")
            #expect(asked.status == .created)
            #expect(asked.json["trial"]?.intValue == 0)
            let x = try #require(asked.json["params"]?["x"]?.doubleValue)
            #expect((-5.0...5.0).contains(x))

            let report = try await client.call(
                .post, "/studies/loop/trials/0/report", json: .object(["step": .integer(1), "value": .number(2.5)]))
            #expect(report.status == .ok)
            #expect(report.json["decision"]?.stringValue == "continue")

            let told = try await client.call(
                .post, "/studies/loop/trials/0/tell",
                json: .object(["value": .number(1.25), "user_attrs": .object(["note": .string("remote")])]))
            #expect(told.status == .ok)
            #expect(told.json["state"]?.stringValue == "COMPLETE")
            #expect(told.json["value"]?.doubleValue == 1.25)

            let trial = try await client.call(.get, "/studies/loop/trials/0")
            #expect(trial.json["intermediate_values"]?["1"]?.doubleValue == 2.5)
            #expect(trial.json["user_attrs"]?["note"]?.stringValue == "remote")
            #expect(trial.json["params"]?["x"]?.doubleValue == x)

            let best = try await client.call(.get, "/studies/loop/best")
            #expect(best.status == .ok)
            #expect(best.json["number"]?.intValue == 0)
        }
    }

    @Test func tellOnAFinishedTrialIsAConflict() async throws {
        try await TestDaemon().test { client in
            _ = try await client.call(.post, "/studies", text: Studies.external("twice"))
            _ = try await client.call(.post, "/studies/twice/ask")
            let first = try await client.call(
                .post, "/studies/twice/trials/0/tell", json: .object(["value": .number(1)]))
            #expect(first.status == .ok)
            let second = try await client.call(
                .post, "/studies/twice/trials/0/tell", json: .object(["value": .number(2)]))
            #expect(second.status == .conflict)
            #expect(second.error?.contains("COMPLETE") == true)
            let report = try await client.call(
                .post, "/studies/twice/trials/0/report", json: .object(["step": .integer(0), "value": .number(1)]))
            #expect(report.status == .conflict)
            let stored = try await client.call(.get, "/studies/twice/trials/0")
            #expect(stored.json["value"]?.doubleValue == 1)
        }
    }

    @Test func prunedAndFailedTellsKeepTheirStates() async throws {
        try await TestDaemon().test { client in
            _ = try await client.call(.post, "/studies", text: Studies.external("states"))
            _ = try await client.call(.post, "/studies/states/ask")
            _ = try await client.call(.post, "/studies/states/ask")
            _ = try await client.call(
                .post, "/studies/states/trials/0/report", json: .object(["step": .integer(3), "value": .number(7)]))
            let pruned = try await client.call(
                .post, "/studies/states/trials/0/tell", json: .object(["state": .string("pruned")]))
            #expect(pruned.json["state"]?.stringValue == "PRUNED")
            #expect(pruned.json["value"]?.doubleValue == 7)
            let failed = try await client.call(
                .post, "/studies/states/trials/1/tell", json: .object(["state": .string("fail")]))
            #expect(failed.json["state"]?.stringValue == "FAIL")
            let best = try await client.call(.get, "/studies/states/best")
            #expect(best.status == .notFound)
        }
    }

    @Test func trialsArePagedAndFilteredByState() async throws {
        try await TestDaemon().test { client in
            _ = try await client.call(.post, "/studies", text: Studies.external("pages"))
            for number in 0..<5 {
                _ = try await client.call(.post, "/studies/pages/ask")
                let body: JSONValue =
                    number == 2 ? .object(["state": .string("fail")]) : .object(["value": .number(Double(number))])
                _ = try await client.call(.post, "/studies/pages/trials/\(number)/tell", json: body)
            }
            let page = try await client.call(.get, "/studies/pages/trials?state=complete&offset=1&limit=2")
            #expect(page.status == .ok)
            #expect(page.json["total"]?.intValue == 4)
            guard case .array(let trials)? = page.json["trials"] else {
                Issue.record("no trials in \(page.text)")
                return
            }
            #expect(trials.compactMap { $0["number"]?.intValue } == [1, 3])
            let failed = try await client.call(.get, "/studies/pages/trials?state=fail")
            #expect(failed.json["total"]?.intValue == 1)
            let all = try await client.call(.get, "/studies/pages/trials")
            #expect(all.json["total"]?.intValue == 5)
        }
    }
}
