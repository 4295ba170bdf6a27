import Foundation
import HPOCore

/// Builds the trainer a study names, validating its options before anything runs.
public enum TrainerFactory {
    /// The trainer types, as written in `trainer.type`.
    public static let types = ["function", "mlp", "logistic_regression", "linear_regression"]

    /// The option keys each trainer type accepts (besides `type`).
    public static func optionKeys(for type: String) -> [String]? {
        switch type {
        case "function": return FunctionTrainer.optionKeys
        default: return ModelKind(rawValue: type).map(ModelTrainer.optionKeys(for:))
        }
    }

    /// Builds the trainer of `spec` for a study.
    ///
    /// - Parameters:
    ///   - spec: the study's `trainer:` section.
    ///   - space: the study's search space (a trainer checks the parameters it reads).
    ///   - direction: the study's direction (checked against the metric of the model trainers).
    ///   - metric: the study's `metric`, the fallback for `trainer.metric`.
    ///   - dataRoot: the directory against which a relative `trainer.dataset` path is resolved (the study file's
    ///     directory); nil: the current directory.
    ///   - dataSeed: the seed of the train / validation / test split, the same for every trial of a study (the
    ///     study's sampler seed).
    ///   - checkpoints: where model trainers keep per-epoch checkpoints; nil: none.
    /// - Throws: `TrainingError.invalidOption` naming the key path (`trainer.epochs: must be an integer >= 1`).
    public static func makeTrainer(
        _ spec: TrainerSpec, space: SearchSpace, direction: StudyDirection, metric: String? = nil,
        dataRoot: URL? = nil, dataSeed: UInt64 = 0, checkpoints: (any CheckpointStore)? = nil
    ) throws -> any Trainer {
        if let kind = ModelKind(rawValue: spec.type) {
            return try ModelTrainer(
                kind: kind, options: spec.options, space: space, direction: direction, studyMetric: metric,
                dataRoot: dataRoot, dataSeed: dataSeed, checkpoints: checkpoints)
        }
        switch spec.type {
        case "function":
            return try FunctionTrainer(options: spec.options, space: space)
        default:
            throw TrainingError.invalidOption(
                path: "trainer.type", message: "must be one of \(types.joined(separator: ", ")) (got \(spec.type))")
        }
    }
}
