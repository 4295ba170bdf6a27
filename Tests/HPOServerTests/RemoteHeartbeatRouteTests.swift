import Foundation
import HPOCore
import HPORuntime
import HPOServer
import HPOStorage
import HPOTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct RemoteHeartbeatRouteTests {
    static let study = """
        version: 1
        name: watched
        direction: minimize
        sampler: {type: random, seed: 8}
        budget: {n_trials: 10}
        retry: {max_retries: 1, heartbeat_interval: 5s, grace_period: 30s}
        space:
          x: {type: float, low: -5.0, high: 5.0}
        """

    @Test func askWithHeartbeatsAnswersTheIntervalsAndAcceptsHeartbeats() async throws {
        try await TestDaemon().test { client in
            #expect(try await client.call(.post, "/studies", text: Self.study).status == .created)
            let asked = try await client.call(.post, "/studies/watched/ask", json: .object(["heartbeat": .bool(true)]))
            #expect(asked.status == .created)
            #expect(asked.json["heartbeat"]?["interval"]?.doubleValue == 5)
            #expect(asked.json["heartbeat"]?["grace_period"]?.doubleValue == 30)
            let beat = try await client.call(.post, "/studies/watched/trials/0/heartbeat")
            #expect(beat.status == .ok)
            #expect(beat.json["state"]?.stringValue == "RUNNING")

            let plain = try await client.call(.post, "/studies/watched/ask")
            #expect(plain.status == .created)
            #expect(plain.json["heartbeat"] == nil)
            let refused = try await client.call(.post, "/studies/watched/trials/1/heartbeat")
            #expect(refused.status == .conflict)
            #expect(refused.error?.contains("asked without heartbeats") == true)

            let malformed = try await client.call(
                .post, "/studies/watched/ask", json: .object(["heartbeat": .string("yes")]))
            #expect(malformed.status == .badRequest)
            #expect(try await client.call(.post, "/studies/watched/trials/7/heartbeat").status == .notFound)
            #expect(try await client.call(.post, "/studies/nowhere/trials/0/heartbeat").status == .notFound)
            #expect(
                try await client.call(.post, "/studies/watched/trials/0/tell", json: .object(["value": .number(1)]))
                    .status == .ok)
            #expect(try await client.call(.post, "/studies/watched/trials/0/heartbeat").status == .conflict)
        }
    }

    @Test func aSilentTrialAskedWithHeartbeatsIsFailedAndItsRetryGoesToTheNextAsk() async throws {
        let clock = ManualClock()
        let storage = InMemoryStorage(now: { clock.now })
        try await TestDaemon(storage: storage, heartbeatInterval: 0.05, now: { clock.now }).test { client in
            #expect(try await client.call(.post, "/studies", text: Self.study).status == .created)
            let watched = try await client.call(
                .post, "/studies/watched/ask", json: .object(["heartbeat": .bool(true)]))
            let x = try #require(watched.json["params"]?["x"]?.doubleValue)
            #expect(try await client.call(.post, "/studies/watched/ask").status == .created)
            clock.advance(by: 20)
            let report = try await client.call(
                .post, "/studies/watched/trials/0/report", json: .object(["step": .integer(0), "value": .number(2)]))
            #expect(report.status == .ok)
            // 29 s after the report: within the grace period.
            clock.advance(by: 29)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await client.call(.get, "/studies/watched/trials/0").json["state"]?.stringValue == "RUNNING")

            clock.advance(by: 2)
            var state: String?
            for _ in 0..<200 where state != "FAIL" {
                try await Task.sleep(for: .milliseconds(50))
                state = try await client.call(.get, "/studies/watched/trials/0").json["state"]?.stringValue
            }
            #expect(state == "FAIL")
            let failed = try await client.call(.get, "/studies/watched/trials/0").json
            #expect(failed["system_attrs"]?["fail_reason"]?.stringValue?.hasPrefix("remote worker lost") == true)
            // The trial asked without heartbeats is never failed for silence.
            #expect(try await client.call(.get, "/studies/watched/trials/1").json["state"]?.stringValue == "RUNNING")

            let retry = try await client.call(.post, "/studies/watched/ask")
            #expect(retry.status == .created)
            #expect(retry.json["trial"]?.intValue == 2)
            #expect(retry.json["params"]?["x"]?.doubleValue == x)
            let stored = try await client.call(.get, "/studies/watched/trials/2").json
            #expect(stored["system_attrs"]?["failed_trial"]?.intValue == 0)
            #expect(stored["intermediate_values"] != nil)
        }
    }
}
