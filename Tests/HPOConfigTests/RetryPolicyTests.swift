import Foundation
import HPOCore
import Testing

@testable import HPOConfig

@Suite("Study files: retry policy and timeout scope")
struct RetryPolicyTests {
    let loader = StudyLoader()

    func load(_ extra: String) throws -> StudySpec {
        let yaml = """
            name: r
            direction: minimize
            \(extra)
            space:
              x: {type: float, low: 0.0, high: 1.0}
            """
        return try loader.load(yaml: yaml, file: "studies/r.yaml").spec
    }

    @Test func studyWithoutRetrySectionGetsTheDefaults() throws {
        let spec = try load("")
        #expect(
            spec.retry == RetryPolicy(maxRetries: 2, retryTrainerFailures: false, heartbeatInterval: 5, gracePeriod: 30)
        )
        #expect(spec.budget.timeoutScope == .run)
    }

    @Test func readsEveryRetryKeyWithDurations() throws {
        let spec = try load(
            """
            budget: {timeout: 2h, timeout_scope: study}
            retry: {max_retries: 5, retry_trainer_failures: true, heartbeat_interval: 1.5s, grace_period: 1m}
            """)
        #expect(
            spec.retry
                == RetryPolicy(maxRetries: 5, retryTrainerFailures: true, heartbeatInterval: 1.5, gracePeriod: 60))
        #expect(spec.budget.timeout == 7200)
        #expect(spec.budget.timeoutScope == .study)
    }

    @Test func gracePeriodDefaultsToTwiceALongIntervalAsInOptuna() throws {
        let spec = try load("retry: {heartbeat_interval: 20}")
        #expect(spec.retry.heartbeatInterval == 20)
        #expect(spec.retry.gracePeriod == 40)
    }

    @Test(arguments: [
        ("retry: {heartbeat_interval: 10s, grace_period: 10s}", "retry.grace_period"),
        ("retry: {max_retries: -1}", "retry.max_retries"),
        ("retry: {heartbeat_interval: 0}", "retry.heartbeat_interval"),
        ("retry: {retries: 3}", "retry.retries"),
        ("budget: {timeout_scope: forever}", "budget.timeout_scope"),
    ])
    func refusesABadRetrySettingNamingItsKey(text: String, keyPath: String) {
        do {
            _ = try load(text)
            Issue.record("\(text) was accepted")
        } catch let error as StudyDefinitionError {
            #expect(error.keyPath == keyPath, "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func canonicalDefinitionCarriesTheRetryPolicyAndRebuildsTheSameSpec() throws {
        let spec = try load(
            """
            budget: {n_trials: 10, timeout: 30m, timeout_scope: study}
            retry: {max_retries: 0, heartbeat_interval: 2s, grace_period: 7s}
            """)
        guard case .object(let root) = spec.definitionJSON, case .object(let retry)? = root["retry"] else {
            Issue.record("no retry object in \(spec.definitionText)")
            return
        }
        #expect(retry["max_retries"] == .integer(0))
        #expect(retry["grace_period"] == .number(7))
        #expect(try StudySpec(definitionJSON: spec.definitionJSON) == spec)
    }

    @Test func changingOnlyTheRetryPolicyIsACompatibleChange() throws {
        let before = try load("")
        let after = try load("retry: {max_retries: 9}")
        let diff = DefinitionDiff(from: before, to: after)
        #expect(diff.compatibility == .compatible)
        #expect(diff.changes.map(\.path) == ["retry.max_retries"])
    }
}
