/// A storage that finishes a trial its caller already holds whole, without reading the trial back: a runner that
/// keeps its running trials in memory spends one write transaction per tell and no read.
public protocol HeldTrialFinishing: StudyStorage {
    /// Finishes the RUNNING trial `held` (the caller's copy, as last stored) in one transaction, as
    /// `finishTrial(_:state:value:userAttributes:systemAttributes:)` does, and returns it finished: `held` with the
    /// new state, the value as stored (none for FAIL or NaN), the completion time as stored and the attributes
    /// merged. `StorageError.trialNotRunning` when the stored trial is not RUNNING.
    func finishTrial(
        held: Trial, state: TrialState, value: Double?, userAttributes: [String: JSONValue],
        systemAttributes: [String: JSONValue]
    ) throws -> Trial

    /// `finishTrial(held:...)` in two steps: the trial it returns, known at once, and the transaction that stores
    /// it, run later by `PreparedFinish.commit()` (at most once). Nothing is written until then.
    func prepareFinish(
        held: Trial, state: TrialState, value: Double?, userAttributes: [String: JSONValue],
        systemAttributes: [String: JSONValue]
    ) -> PreparedFinish
}

/// A finish of a held trial whose transaction has not run yet (see `HeldTrialFinishing.prepareFinish`).
public struct PreparedFinish: Sendable {
    /// The trial as the transaction stores it.
    public let trial: Trial
    private let write: @Sendable () throws -> Void

    public init(trial: Trial, write: @escaping @Sendable () throws -> Void) {
        self.trial = trial
        self.write = write
    }

    /// Runs the finishing transaction; throws as `finishTrial(held:...)` does (then nothing was written).
    public func commit() throws { try write() }
}
