import Foundation
import HPOCore
import Synchronization

/// The reporter handed to a trainer for one trial: stores each report through the session and remembers
/// whether the scheduler stopped the trial.
final class SessionReporter: TrialReporter {
    private struct State {
        var pruned = false
        var lastValue: Double?
        var userAttributes: [String: JSONValue] = [:]
        var reportError: String?
    }

    let session: StudySession
    let trial: Trial
    let seed: UInt64
    private let cancellation: RunFlag
    private let state = Mutex(State())

    init(session: StudySession, trial: Trial, cancellation: RunFlag) {
        self.session = session
        self.trial = trial
        // A retry trains with its chain's first seed, so it repeats (or continues) the attempt it replaces.
        self.seed = session.trainerSeed(forTrial: trial.retriedTrialNumber ?? trial.number)
        self.cancellation = cancellation
    }

    var trialNumber: Int { trial.number }
    var isCancelled: Bool { cancellation.isSet }

    func report(step: Int, value: Double) -> SchedulerDecision {
        do {
            let decision = try session.report(trial: trial.id, step: step, value: value)
            state.withLock { state in
                state.lastValue = value
                if decision == .prune { state.pruned = true }
            }
            return decision
        } catch {
            state.withLock { $0.reportError = "\(error)" }
            return .prune
        }
    }

    func setUserAttribute(_ key: String, _ value: JSONValue) {
        state.withLock { $0.userAttributes[key] = value }
    }

    var wasPruned: Bool { state.withLock { $0.pruned } }
    var reportError: String? { state.withLock { $0.reportError } }
    var userAttributes: [String: JSONValue] { state.withLock { $0.userAttributes } }
}

/// A flag set once and read from any thread (stop requests, cancellation).
public final class RunFlag: Sendable {
    private let value = Atomic<Bool>(false)
    public init() {}
    public var isSet: Bool { value.load(ordering: .relaxed) }
    public func set() { value.store(true, ordering: .relaxed) }
}

extension StudySession {
    /// Trains one trial on the calling thread (a pool thread) and finishes it in storage.
    /// A trainer that throws or returns a non-finite value makes a FAIL trial (re-queued when the study's retry
    /// policy retries trainer failures); the study goes on. A trial stopped by `cancellation` (shutdown) is failed
    /// and re-queued to run again. `exclusively` runs the finishing step (the storage write and the cache update);
    /// a run passes the lock its workers start trials under, so that a trial never finishes into the cache while
    /// another worker's proposal holds the history (which would copy every trial of it).
    ///
    /// With `deferring`, a trial finished as held is not written here (see `finish`): `deferring` receives its
    /// finishing transaction, and the returned trial is its finished form, as the transaction stores it.
    func execute(
        _ trial: Trial, trainer: any Trainer, cancellation: RunFlag, exclusively: (() -> Void) -> Void = { $0() },
        deferring: ((PreparedFinish) -> Void)? = nil
    ) -> Trial {
        let reporter = SessionReporter(session: self, trial: trial, cancellation: cancellation)
        var state = TrialState.complete
        var value: Double?
        var reason: String?
        do {
            let result = try trainer.train(trial.assignment, reporter: reporter)
            if let error = reporter.reportError {
                state = .fail
                reason = "could not record a report: \(error)"
            } else if reporter.wasPruned {
                state = .pruned
                value = result.isNaN ? nil : result
            } else if result.isFinite {
                value = result
            } else {
                state = .fail
                reason = "the trainer returned \(result), not a finite number"
            }
        } catch {
            state = .fail
            reason = "\(error)"
        }
        var finished: Trial?
        exclusively {
            do {
                if state == .fail, cancellation.isSet {
                    try requeueInterrupted(trial, userAttributes: reporter.userAttributes)
                } else {
                    finished = try finish(
                        trial: trial.id, state: state, value: value, failReason: reason,
                        userAttributes: reporter.userAttributes, retryFailure: spec.retry.retryTrainerFailures,
                        runningHere: true, deferring: deferring)
                }
            } catch {
                // The trial could not be finished (storage gone, or finished elsewhere): it stays as stored,
                // and a later run recovers it through its heartbeat.
            }
        }
        return finished ?? cache.trial(trial.id) ?? (try? storage.trial(trial.id)) ?? trial
    }
}
