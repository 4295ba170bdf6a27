import HPOCore

/// Samples every active parameter independently and uniformly (log-uniformly for log parameters).
///
/// Parameters are visited parents-first, so a conditional parameter is drawn only when its conditions hold
/// for the values already drawn; inactive parameters are absent from the assignment. The answer depends only
/// on the space and the generator.
public struct RandomSampler: Sampler {
    public init() {}

    public func suggest(
        trialNumber: Int, in space: SearchSpace, history: TrialHistory, using generator: inout SeededGenerator
    ) throws -> Assignment {
        var values: [String: ParamValue] = [:]
        for spec in space.parameters where spec.isActive(given: values) {
            let internalValue = spec.distribution.drawUniform(using: &generator)
            values[spec.name] = spec.distribution.externalValue(of: internalValue)
        }
        return Assignment(values)
    }
}
