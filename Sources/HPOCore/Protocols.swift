import Foundation

/// Proposes the parameters of a new trial.
///
/// Implementations are pure functions of (space, history, generator): the same seed and history give the same
/// answer. They may keep caches of what they derived from earlier histories, guarded by a lock, as long as the
/// answer stays the same.
public protocol Sampler: Sendable {
    func suggest(
        trialNumber: Int, in space: SearchSpace, history: TrialHistory, using generator: inout SeededGenerator
    ) throws -> Assignment
}

public enum SchedulerDecision: String, Sendable, Hashable {
    case `continue`
    case prune
}

/// What a scheduler decided after a report, and the system attributes it wants stored on the trial
/// (for example ASHA's `completed_rung_<i>`), so that a restarted process decides as before.
public struct SchedulerOutcome: Sendable, Hashable {
    public var decision: SchedulerDecision
    public var systemAttributes: [String: JSONValue]

    public init(decision: SchedulerDecision, systemAttributes: [String: JSONValue] = [:]) {
        self.decision = decision
        self.systemAttributes = systemAttributes
    }
}

/// Decides after each report whether a trial goes on.
public protocol TrialScheduler: Sendable {
    /// `trial` already holds the new intermediate value; `history` holds every trial of the study
    /// (including `trial`, in its state before this report's attributes are written).
    func decide(for trial: Trial, studyName: String, history: TrialHistory) -> SchedulerOutcome
}

/// The handle a trainer uses while it trains one trial.
public protocol TrialReporter: Sendable {
    var trialNumber: Int { get }
    /// A seed for the trainer's own randomness, derived from the study seed and the trial number.
    var seed: UInt64 { get }
    /// Records the value of `step` and returns whether the trial should go on.
    func report(step: Int, value: Double) -> SchedulerDecision
    /// Records a user attribute of the trial (for example the test-set metric).
    func setUserAttribute(_ key: String, _ value: JSONValue)
    /// True once the runner wants the trial to stop (shutdown, timeout); checked between minibatches.
    var isCancelled: Bool { get }
}

/// Trains one trial and returns its objective value (on a `.prune` decision, its last reported value).
/// Throwing makes the trial FAIL with the error's message; the study goes on.
public protocol Trainer: Sendable {
    func train(_ assignment: Assignment, reporter: TrialReporter) throws -> Double
}
