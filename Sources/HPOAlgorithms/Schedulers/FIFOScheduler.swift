import HPOCore

/// The scheduler of `scheduler: none`: every trial runs to its end.
public struct FIFOScheduler: TrialScheduler {
    public init() {}

    public func decide(for trial: Trial, studyName: String, history: TrialHistory) -> SchedulerOutcome {
        SchedulerOutcome(decision: .continue)
    }
}
