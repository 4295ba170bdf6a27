import Foundation
import HPOCore

/// `trainer: {type: mlp | logistic_regression | linear_regression, dataset, ...}`: trains a model on a CSV data set
/// by minibatches, reporting the validation metric after every epoch (steps 1...epochs).
///
/// The data set is loaded, split and standardised once, when the trainer is built; every trial of the study shares
/// it. Tunable values come from the trial's assignment by name (`lr`, `hidden_units`, ...), falling back to the
/// trainer option of the same name, then to the defaults of `Hyperparameters`.
public struct ModelTrainer: Trainer {
    public enum Selection: String, Sendable, Hashable, CaseIterable {
        /// The trial's value is the metric of its last epoch.
        case final
        /// The trial's value is the best metric over its epochs (the test metric is taken at that epoch).
        case best
    }

    public let kind: ModelKind
    public let data: PreparedData
    public let metric: Metric
    public let epochs: Int
    public let selection: Selection
    /// Hyperparameter values given as trainer options (fallbacks for the assignment).
    public let defaults: Hyperparameters
    let checkpoints: (any CheckpointStore)?

    static let dataKeys = [
        "dataset", "target", "task", "epochs", "metric", "select", "validation_fraction", "test_fraction", "scaling",
    ]

    public static func optionKeys(for kind: ModelKind) -> [String] {
        dataKeys + HyperparameterRule.rules(for: kind).map(\.name)
    }

    /// Validates the options and the space, loads and splits the data set.
    public init(
        kind: ModelKind, options: [String: JSONValue], space: SearchSpace, direction: StudyDirection,
        studyMetric: String?, dataRoot: URL?, dataSeed: UInt64, checkpoints: (any CheckpointStore)? = nil
    ) throws {
        let reader = TrainerOptions(options)
        try reader.requireOnly(Self.optionKeys(for: kind), for: kind.rawValue)
        self.kind = kind
        self.checkpoints = checkpoints
        guard let datasetName = try reader.string("dataset") else {
            throw reader.fail(
                "dataset",
                "is required: a bundled data set (\(Dataset.bundled.keys.sorted().joined(separator: ", "))) "
                    + "or the path of a CSV file")
        }
        let metricName = try reader.string("metric", allowed: Metric.allCases.map(\.rawValue))
        let task = try Self.task(kind: kind, reader: reader, metricName: metricName, dataset: datasetName)
        epochs = try reader.int("epochs", minimum: 1) ?? 20
        selection =
            try reader.string("select", allowed: Selection.allCases.map(\.rawValue)).flatMap(Selection.init) ?? .final
        let validationFraction =
            try reader.double("validation_fraction", minimum: 0, maximum: 0.9, minimumExclusive: true) ?? 0.2
        let testFraction = try reader.double("test_fraction", minimum: 0, maximum: 0.9) ?? 0.2
        if validationFraction + testFraction >= 0.95 {
            throw reader.fail("test_fraction", "validation_fraction + test_fraction must be < 0.95")
        }
        metric = try Self.metric(
            named: metricName, studyMetric: studyMetric, task: task, direction: direction, reader: reader)
        var defaults = Hyperparameters()
        let rules = HyperparameterRule.rules(for: kind)
        for rule in rules {
            guard let option = options[rule.name] else { continue }
            guard let value = option.paramValue, rule.accepts(value) else {
                throw reader.fail(rule.name, "must be \(rule.expectation)")
            }
            rule.apply(value, to: &defaults)
        }
        if kind == .logisticRegression || kind == .linearRegression { defaults.hiddenLayers = 0 }
        self.defaults = defaults
        for spec in space.parameters {
            guard let rule = rules.first(where: { $0.name == spec.name }) else {
                throw TrainingError.invalidOption(
                    path: "space.\(spec.name)",
                    message:
                        "the \(kind.rawValue) trainer has no tunable \(spec.name) "
                        + "(tunable: \(rules.map(\.name).joined(separator: ", ")))")
            }
            try rule.check(spec)
        }
        let dataset = try Dataset.load(datasetName, root: dataRoot, target: try reader.string("target"), task: task)
        let scaling =
            try reader.string("scaling", allowed: FeatureScaling.allCases.map(\.rawValue)).flatMap(FeatureScaling.init)
            ?? .standard
        data = try PreparedData(
            dataset, validationFraction: validationFraction, testFraction: testFraction, seed: dataSeed,
            scaling: scaling)
    }

    private static func task(
        kind: ModelKind, reader: TrainerOptions, metricName: String?, dataset: String
    ) throws -> LearningTask? {
        let given = try reader.string("task", allowed: LearningTask.allCases.map(\.rawValue)).flatMap(LearningTask.init)
        let required: LearningTask?
        switch kind {
        case .logisticRegression: required = .classification
        case .linearRegression: required = .regression
        case .mlp: required = nil
        }
        if let required, let given, given != required {
            throw reader.fail("task", "the \(kind.rawValue) trainer does \(required.rawValue)")
        }
        if let required { return required }
        if let given { return given }
        if let bundled = Dataset.bundled[dataset] { return bundled.task }
        return metricName.flatMap(Metric.init(rawValue:))?.task
    }

    private static func metric(
        named name: String?, studyMetric: String?, task: LearningTask?, direction: StudyDirection,
        reader: TrainerOptions
    ) throws -> Metric {
        var resolved: Metric
        var path = reader.path("metric")
        if let name, let metric = Metric(rawValue: name) {
            resolved = metric
            if let studyMetric, let other = Metric(rawValue: studyMetric), other != metric {
                throw TrainingError.invalidOption(
                    path: "metric", message: "is \(studyMetric), but trainer.metric is \(name); name the same metric")
            }
        } else if let studyMetric {
            guard let metric = Metric(rawValue: studyMetric) else {
                throw TrainingError.invalidOption(
                    path: "metric",
                    message:
                        "must be one of \(Metric.allCases.map(\.rawValue).joined(separator: ", ")) for a model trainer "
                        + "(or set trainer.metric)")
            }
            resolved = metric
            path = "metric"
        } else {
            resolved = direction == .maximize ? .accuracy : .logLoss
            if task == .regression { resolved = direction == .maximize ? .r2 : .rmse }
        }
        if let task, resolved.task != task {
            throw TrainingError.invalidOption(
                path: path,
                message: "\(resolved.rawValue) is a \(resolved.task.rawValue) metric; for \(task.rawValue) use one of "
                    + Metric.names(for: task).joined(separator: ", "))
        }
        if resolved.direction != direction {
            throw TrainingError.invalidOption(
                path: path,
                message: "\(resolved.rawValue) is to be \(resolved.direction.rawValue)d, "
                    + "but the study's direction is \(direction.rawValue)")
        }
        return resolved
    }

    /// The hyperparameters of a trial: its assignment over the trainer's options.
    public func hyperparameters(for assignment: Assignment) throws -> Hyperparameters {
        var result = defaults
        for rule in HyperparameterRule.rules(for: kind) {
            guard let value = assignment[rule.name] else { continue }
            guard rule.accepts(value) else {
                throw TrainingError.invalidParameter(
                    name: rule.name, message: "must be \(rule.expectation) (got \(value))")
            }
            rule.apply(value, to: &result)
        }
        if kind != .mlp { result.hiddenLayers = 0 }
        return result
    }
}
