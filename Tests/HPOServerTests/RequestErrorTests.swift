import Foundation
import HPOCore
import HPOServer
import HPOStorage
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct RequestErrorTests {
    @Test func unknownStudyIsNotFoundOnEveryEndpoint() async throws {
        try await TestDaemon().test { client in
            let requests: [(HTTPRequest.Method, String)] = [
                (.get, "/studies/nope"), (.get, "/studies/nope/trials"), (.get, "/studies/nope/trials/0"),
                (.get, "/studies/nope/best"), (.post, "/studies/nope/ask"), (.post, "/studies/nope/pause"),
                (.post, "/studies/nope/resume"), (.post, "/studies/nope/stop"),
            ]
            for (method, uri) in requests {
                let answer = try await client.call(method, uri)
                #expect(answer.status == .notFound, "\(method) \(uri)")
                #expect(answer.error?.contains("nope") == true, "\(method) \(uri): \(answer.text)")
            }
            let report = try await client.call(
                .post, "/studies/nope/trials/0/report", json: .object(["step": .integer(0), "value": .number(1)]))
            #expect(report.status == .notFound)
            let tell = try await client.call(.post, "/studies/nope/trials/0/tell", json: .object(["value": .number(1)]))
            #expect(tell.status == .notFound)
        }
    }

    @Test func unknownTrialAndUnknownRouteAreNotFoundWithAJSONError() async throws {
        try await TestDaemon().test { client in
            _ = try await client.call(.post, "/studies", text: Studies.external("known"))
            let trial = try await client.call(.get, "/studies/known/trials/7")
            #expect(trial.status == .notFound)
            #expect(trial.error == "study 'known' has no trial 7")
            let route = try await client.call(.get, "/no/such/endpoint")
            #expect(route.status == .notFound)
            #expect(route.error != nil)
        }
    }

    @Test func malformedStudyBodiesSayWhatIsWrong() async throws {
        try await TestDaemon().test { client in
            let empty = try await client.call(.post, "/studies", text: "  \n")
            #expect(empty.status == .badRequest)
            #expect(empty.error?.contains("empty") == true)

            let invalid = try await client.call(
                .post, "/studies", text: Studies.external("bad").replacingOccurrences(of: "minimize", with: "sideways"))
            #expect(invalid.status == .unprocessableContent)
            #expect(invalid.error?.contains("direction") == true)

            let notJSON = try await client.call(
                .post, "/studies", text: "{\"study\": ", contentType: "application/json")
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.error?.contains("not valid JSON") == true)

            let badOverrides = try await client.call(
                .post, "/studies",
                json: .object(["study": .string(Studies.external("o")), "overrides": .string("budget.n_trials=3")]))
            #expect(badOverrides.status == .badRequest)
            #expect(badOverrides.error?.contains("overrides") == true)

            let badOverride = try await client.call(
                .post, "/studies",
                json: .object([
                    "study": .string(Studies.external("o")), "overrides": .array([.string("budget.n_trails=3")]),
                ]))
            #expect(badOverride.status == .unprocessableContent)
            #expect(badOverride.error?.contains("n_trails") == true)
        }
    }

    @Test func malformedReportAndTellBodiesAreBadRequests() async throws {
        try await TestDaemon().test { client in
            _ = try await client.call(.post, "/studies", text: Studies.external("m"))
            _ = try await client.call(.post, "/studies/m/ask")
            let cases: [(String, String, String)] = [
                ("/studies/m/trials/0/report", "{\"step\": 1", "not valid JSON"),
                ("/studies/m/trials/0/report", "[1, 2]", "JSON object"),
                ("/studies/m/trials/0/report", "{\"value\": 1}", "step"),
                ("/studies/m/trials/0/report", "{\"step\": -1, \"value\": 1}", "step"),
                ("/studies/m/trials/0/report", "{\"step\": 1, \"value\": \"high\"}", "value"),
                ("/studies/m/trials/0/tell", "{}", "needs \"value\""),
                ("/studies/m/trials/0/tell", "{\"value\": 1, \"state\": \"running\"}", "not a final state"),
                ("/studies/m/trials/0/tell", "{\"value\": 1, \"user_attrs\": 3}", "user_attrs"),
                ("/studies/m/trials/zero/tell", "{\"value\": 1}", "trial number"),
            ]
            for (uri, body, expected) in cases {
                let answer = try await client.call(.post, uri, text: body, contentType: "application/json")
                #expect(answer.status == .badRequest, "\(uri) \(body)")
                #expect(answer.error?.contains(expected) == true, "\(uri) \(body): \(answer.text)")
            }
            let trial = try await client.call(.get, "/studies/m/trials/0")
            #expect(trial.json["state"]?.stringValue == "RUNNING")
        }
    }

    @Test func badPagingParametersAreBadRequests() async throws {
        try await TestDaemon().test { client in
            _ = try await client.call(.post, "/studies", text: Studies.external("p"))
            for query in ["state=done", "limit=0", "limit=5000", "offset=-1", "limit=ten"] {
                let answer = try await client.call(.get, "/studies/p/trials?\(query)")
                #expect(answer.status == .badRequest, "\(query)")
            }
        }
    }

    @Test func bodiesOverTheLimitAreRefused() async throws {
        try await TestDaemon(maxBodyBytes: 2048).test { client in
            let padding = String(repeating: "# padding\n", count: 400)
            let answer = try await client.call(.post, "/studies", text: Studies.external("big") + "\n" + padding)
            #expect(answer.status == .contentTooLarge)
            #expect(answer.error?.contains("2048") == true)
            let list = try await client.call(.get, "/studies")
            #expect(list.json["studies"] == .array([]))
        }
    }

    @Test func changingRequestsNeedTheToken() async throws {
        try await TestDaemon(token: "s3cret").test { client in
            let missing = try await client.call(.post, "/studies", text: Studies.external("t"))
            #expect(missing.status == .unauthorized)
            #expect(missing.error?.contains("Bearer") == true)
            let wrong = try await client.call(.post, "/studies", text: Studies.external("t"), token: "guess")
            #expect(wrong.status == .unauthorized)
            let list = try await client.call(.get, "/studies")
            #expect(list.status == .ok)
            #expect(list.json["studies"] == .array([]))
            let right = try await client.call(.post, "/studies", text: Studies.external("t"), token: "s3cret")
            #expect(right.status == .created)
            let ask = try await client.call(.post, "/studies/t/ask")
            #expect(ask.status == .unauthorized)
            let read = try await client.call(.get, "/studies/t")
            #expect(read.status == .ok)
        }
    }

    @Test func bindingBeyondLoopbackWithoutATokenIsRefused() throws {
        #expect(throws: ServerError.self) { try HPOAPI.Settings(host: "0.0.0.0").validate() }
        try HPOAPI.Settings(host: "0.0.0.0", token: "t").validate()
        try HPOAPI.Settings(host: "127.0.0.1").validate()
        try HPOAPI.Settings(host: "::1").validate()
    }

    @Test func aConflictingDefinitionIsRefusedAndTheSameOneIsAccepted() async throws {
        try await TestDaemon().test { client in
            let text = Studies.external("same")
            #expect(try await client.call(.post, "/studies", text: text).status == .created)
            let again = try await client.call(.post, "/studies", text: text)
            #expect(again.status == .ok)
            #expect(again.json["outcome"]?.stringValue == "already_running")
            let changed = try await client.call(
                .post, "/studies", text: text.replacingOccurrences(of: "high: 5.0", with: "high: 50.0"))
            #expect(changed.status == .conflict)
            #expect(changed.error?.contains("space.x") == true)
            let allowed = try await client.call(
                .post, "/studies?allow_change=true",
                text: text.replacingOccurrences(of: "high: 5.0", with: "high: 50.0"))
            #expect(allowed.status == .ok)
            #expect(allowed.json["outcome"]?.stringValue == "continued")
            let study = try await client.call(.get, "/studies/same")
            #expect(study.json["definition"]?["space"] != nil)
            let flipped = try await client.call(
                .post, "/studies?allow_change=true", text: text.replacingOccurrences(of: "minimize", with: "maximize"))
            #expect(flipped.status == .conflict)
            #expect(flipped.error?.contains("direction") == true)
        }
    }
}
