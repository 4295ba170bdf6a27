/// A storage that starts a trial only if the trials a caller last read are still as it read them, checked inside
/// the start transaction: a runner proposes from its cache without reading the study first, so an ask is one
/// transaction, and a proposal made from a history that changed meanwhile is never written.
public protocol CheckedStarting: StudyStorage {
    /// `startTrial(in:_:budget:)` in one transaction, preceded by the read a cache of the study would refresh with:
    /// the study's trials with an id above `newestKnown`, and the trials listed in `unfinished` (the caller's copies
    /// of its unfinished trials). When that read finds a trial the caller does not have as it is, nothing is written
    /// and those trials are returned (`changed`), for the caller to update its cache and propose again.
    func startTrial(
        in study: StudyID, _ proposal: NewTrial, budget: Int?, newestKnown: TrialID, unfinished: [Trial]
    ) throws -> CheckedStart
}

/// What `CheckedStarting.startTrial` did.
public enum CheckedStart: Sendable, Hashable {
    /// The trial started (a WAITING one claimed, or the proposal created).
    case started(Trial)
    /// No trial may start: the budget is used.
    case budgetUsed
    /// The caller's view of the study was out of date: these trials are new or changed. Nothing was written.
    case changed([Trial])
}
