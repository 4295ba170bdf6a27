import HPOAlgorithms
import HPOCore

/// Builds the sampler and scheduler a study names.
enum Components {
    /// The sampler of a study whose seed is `seed` (the study file's, or the one stored with the study).
    static func sampler(for spec: SamplerSpec, seed: UInt64) -> any Sampler {
        switch spec.kind {
        case .random: return RandomSampler()
        case .tpe(let options): return TPESampler(options: options, studySeed: seed)
        }
    }

    static func scheduler(for spec: SchedulerSpec) -> any TrialScheduler {
        makeScheduler(spec)
    }
}
