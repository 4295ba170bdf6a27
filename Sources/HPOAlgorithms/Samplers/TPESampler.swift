import HPOCore

/// Tree-structured Parzen Estimator sampling with Optuna 5.0's behaviour.
///
/// Until the estimator lands, every proposal is a uniform random one (the startup behaviour).
public final class TPESampler: Sampler {
    public let options: TPEOptions

    public init(options: TPEOptions = TPEOptions()) {
        self.options = options
    }

    public func suggest(
        trialNumber: Int, in space: SearchSpace, history: TrialHistory, using generator: inout SeededGenerator
    ) throws -> Assignment {
        try RandomSampler().suggest(trialNumber: trialNumber, in: space, history: history, using: &generator)
    }
}
