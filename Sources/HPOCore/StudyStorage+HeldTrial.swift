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
}
