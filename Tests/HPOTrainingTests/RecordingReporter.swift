import Foundation
import HPOCore
import Synchronization

/// A reporter that records every report and attribute, prunes from a given step on, and can be cancelled.
final class RecordingReporter: TrialReporter {
    struct State {
        var reports: [(step: Int, value: Double)] = []
        var attributes: [String: JSONValue] = [:]
        var cancelled = false
        var checks = 0
    }

    let trialNumber: Int
    let seed: UInt64
    let pruneAtStep: Int?
    /// Cancels itself after this many `isCancelled` checks.
    let cancelAfterChecks: Int?
    private let state = Mutex(State())

    init(trialNumber: Int = 0, seed: UInt64 = 1, pruneAtStep: Int? = nil, cancelAfterChecks: Int? = nil) {
        self.trialNumber = trialNumber
        self.seed = seed
        self.pruneAtStep = pruneAtStep
        self.cancelAfterChecks = cancelAfterChecks
    }

    func report(step: Int, value: Double) -> SchedulerDecision {
        state.withLock { $0.reports.append((step, value)) }
        if let pruneAtStep, step >= pruneAtStep { return .prune }
        return .continue
    }

    func setUserAttribute(_ key: String, _ value: JSONValue) {
        state.withLock { $0.attributes[key] = value }
    }

    var isCancelled: Bool {
        state.withLock { state in
            state.checks += 1
            if let cancelAfterChecks, state.checks > cancelAfterChecks { state.cancelled = true }
            return state.cancelled
        }
    }

    func cancel() { state.withLock { $0.cancelled = true } }

    var reports: [(step: Int, value: Double)] { state.withLock { $0.reports } }
    var attributes: [String: JSONValue] { state.withLock { $0.attributes } }
    var checks: Int { state.withLock { $0.checks } }
}
