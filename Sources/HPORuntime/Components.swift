import HPOAlgorithms
import HPOCore

/// Builds the sampler and scheduler a study names.
enum Components {
    static func sampler(for spec: SamplerSpec) -> any Sampler {
        switch spec.kind {
        case .random: return RandomSampler()
        case .tpe(let options): return TPESampler(options: options)
        }
    }

    static func scheduler(for spec: SchedulerSpec) -> any TrialScheduler {
        makeScheduler(spec)
    }
}
