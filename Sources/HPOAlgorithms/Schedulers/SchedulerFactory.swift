import HPOCore

/// The scheduler a study's `scheduler:` section asks for. The options are expected to have passed
/// `SchedulerSpec.validationProblems()`.
public func makeScheduler(_ spec: SchedulerSpec) -> any TrialScheduler {
    switch spec {
    case .none: return FIFOScheduler()
    case .asha(let options): return ASHAScheduler(options: options)
    case .hyperband(let options): return HyperbandScheduler(options: options)
    case .percentile(let options): return PercentileScheduler(options: options)
    }
}
