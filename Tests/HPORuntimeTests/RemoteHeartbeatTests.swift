import Foundation
import HPOCore
import HPORuntime
import HPOStorage
import HPOTestSupport
import Testing

@Suite("Heartbeats of trials asked from outside the process")
struct RemoteHeartbeatTests {
    func spec(maxRetries: Int) -> StudySpec {
        var spec = StudySpec(
            name: "remote", direction: .minimize, sampler: SamplerSpec(kind: .random, seed: 2),
            space: SearchSpace([ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: 0, high: 1)))]))
        spec.retry = RetryPolicy(maxRetries: maxRetries, heartbeatInterval: 5, gracePeriod: 30)
        return spec
    }

    let watch: [String: JSONValue] = [StudySession.RemoteKey.heartbeat: .bool(true)]

    @Test func aWatchedTrialSilentPastTheGracePeriodIsFailedAndRequeuedWithItsReports() throws {
        let clock = ManualClock()
        let storage = InMemoryStorage(now: { clock.now })
        let session = try StudySession(spec: spec(maxRetries: 2), storage: storage)
        let watched = try session.ask(within: nil, systemAttributes: watch)
        let unwatched = try session.ask()
        _ = try session.report(trial: watched.id, step: 0, value: 0.5)
        clock.advance(by: 20)
        try storage.recordHeartbeat(of: watched.id)
        clock.advance(by: 29)
        #expect(try session.failSilentRemoteTrials(now: clock.now).isEmpty)
        clock.advance(by: 2)
        let failed = try session.failSilentRemoteTrials(now: clock.now)
        #expect(failed.map(\.id) == [watched.id])
        let stored = try #require(try storage.trial(watched.id))
        #expect(stored.state == .fail)
        #expect(stored.systemAttributes["fail_reason"]?.stringValue?.hasPrefix("remote worker lost") == true)
        #expect(try storage.trial(unwatched.id)?.state == .running)
        let retry = try session.ask()
        #expect(retry.params == watched.params)
        #expect(retry.retriedTrialNumber == watched.number)
        #expect(retry.intermediateValues == [0: 0.5])
        #expect(!StudySession.sendsHeartbeats(retry), "the retry is watched only if its own ask asks for it")
        // A failed trial and its retry count once.
        #expect(session.trialsCounted == 2)
    }

    @Test func aWatchedTrialIsRetriedAtMostMaxRetriesTimes() throws {
        let clock = ManualClock()
        let storage = InMemoryStorage(now: { clock.now })
        let session = try StudySession(spec: spec(maxRetries: 1), storage: storage)
        let first = try session.ask(within: nil, systemAttributes: watch)
        clock.advance(by: 31)
        #expect(try session.failSilentRemoteTrials(now: clock.now).map(\.id) == [first.id])
        let second = try session.ask(within: nil, systemAttributes: watch)
        #expect(second.retriedTrialNumber == first.number)
        #expect(StudySession.sendsHeartbeats(second))
        clock.advance(by: 31)
        #expect(try session.failSilentRemoteTrials(now: clock.now).map(\.id) == [second.id])
        #expect(try storage.trials(in: session.study.id, states: [.waiting]).isEmpty)
        let fresh = try session.ask()
        #expect(fresh.retriedTrialNumber == nil)
    }
}
