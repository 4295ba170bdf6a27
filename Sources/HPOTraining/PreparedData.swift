import Foundation
import HPOCore

/// How features are scaled, always with statistics of the training part only.
public enum FeatureScaling: String, Sendable, Hashable, CaseIterable {
    /// Zero mean, unit standard deviation.
    case standard
    /// The training part's range mapped to [0, 1] (features that are mostly constant, such as pixel counts, keep
    /// rare values small instead of blowing them up).
    case minmax
    /// The features as they are.
    case none
}

/// One part of a split data set, with scaled features.
public struct Partition: Sendable, Hashable {
    /// Row-major, `rowCount × featureCount`, standardised with the training part's statistics.
    public var features: [Float]
    /// The rows of the original data set, in increasing order.
    public var indices: [Int]
    /// Class indices (classification); empty for regression.
    public var labels: [Int]
    /// Targets in their own units (regression); empty for classification.
    public var targets: [Double]

    public var rowCount: Int { indices.count }
}

/// A data set split into train / validation / test parts (stratified for classification, seeded), with features
/// standardised by the training part's mean and standard deviation only. Built once per study, so every trial sees
/// the same split.
public struct PreparedData: Sendable, Hashable {
    public var name: String
    public var task: LearningTask
    public var featureCount: Int
    /// Number of classes (1 for regression: one output).
    public var classCount: Int
    public var train: Partition
    public var validation: Partition
    public var test: Partition
    /// Features are scaled as `(x - featureMean) / featureScale` (for `minmax`, the mean is the training minimum).
    public var featureMean: [Float]
    public var featureScale: [Float]
    /// Regression targets are standardised for training with these (0 and 1 for classification).
    public var targetMean: Double
    public var targetScale: Double

    public init(
        _ dataset: Dataset, validationFraction: Double, testFraction: Double, seed: UInt64,
        scaling: FeatureScaling = .standard
    ) throws {
        let fail = { (message: String) in TrainingError.invalidData(source: dataset.name, message: message) }
        var generator = SeededGenerator(seed: seed, trialNumber: 0, stream: 0x5EED_5B17)
        var groups: [[Int]]
        switch dataset.target {
        case .classes(let labels, let names):
            groups = Array(repeating: [], count: names.count)
            for (row, label) in labels.enumerated() { groups[label].append(row) }
        case .values(let values):
            groups = [Array(values.indices)]
        }
        var trainRows: [Int] = []
        var validationRows: [Int] = []
        var testRows: [Int] = []
        for group in groups {
            var rows = group
            Self.shuffle(&rows, using: &generator)
            let testCount = Int((Double(rows.count) * testFraction).rounded())
            let validationCount = Int((Double(rows.count) * validationFraction).rounded())
            testRows += rows.prefix(testCount)
            validationRows += rows.dropFirst(testCount).prefix(validationCount)
            trainRows += rows.dropFirst(testCount + validationCount)
        }
        guard trainRows.count >= 2, !validationRows.isEmpty, testFraction == 0 || !testRows.isEmpty else {
            throw fail(
                "\(dataset.rowCount) rows are too few for a split with validation_fraction \(validationFraction) "
                    + "and test_fraction \(testFraction)")
        }
        let columns = dataset.featureCount
        var mean = [Float](repeating: 0, count: columns)
        var scale = [Float](repeating: 1, count: columns)
        for column in 0..<columns where scaling != .none {
            if scaling == .minmax {
                let values = trainRows.map { dataset.features[$0 * columns + column] }
                let low = values.min() ?? 0
                let high = values.max() ?? 1
                mean[column] = low
                scale[column] = high > low ? high - low : 1
                continue
            }
            var sum = 0.0
            for row in trainRows { sum += Double(dataset.features[row * columns + column]) }
            let average = sum / Double(trainRows.count)
            var squares = 0.0
            for row in trainRows {
                let difference = Double(dataset.features[row * columns + column]) - average
                squares += difference * difference
            }
            let deviation = (squares / Double(trainRows.count)).squareRoot()
            mean[column] = Float(average)
            scale[column] = deviation > 1e-12 ? Float(deviation) : 1
        }
        func partition(_ rows: [Int]) -> Partition {
            let sorted = rows.sorted()
            var features = [Float](repeating: 0, count: sorted.count * columns)
            for (position, row) in sorted.enumerated() {
                for column in 0..<columns {
                    features[position * columns + column] =
                        (dataset.features[row * columns + column] - mean[column]) / scale[column]
                }
            }
            switch dataset.target {
            case .classes(let labels, _):
                return Partition(features: features, indices: sorted, labels: sorted.map { labels[$0] }, targets: [])
            case .values(let values):
                return Partition(features: features, indices: sorted, labels: [], targets: sorted.map { values[$0] })
            }
        }
        name = dataset.name
        task = dataset.task
        featureCount = columns
        train = partition(trainRows)
        validation = partition(validationRows)
        test = partition(testRows)
        featureMean = mean
        featureScale = scale
        if case .classes(_, let names) = dataset.target {
            classCount = names.count
            targetMean = 0
            targetScale = 1
        } else {
            classCount = 1
            let targets = train.targets
            let average = targets.reduce(0, +) / Double(targets.count)
            let variance = targets.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(targets.count)
            targetMean = average
            targetScale = variance > 1e-24 ? variance.squareRoot() : 1
        }
    }

    /// Fisher-Yates with a generator-only draw, so the order depends on nothing but the seed.
    static func shuffle(_ values: inout [Int], using generator: inout SeededGenerator) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = Int(generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)
            values.swapAt(i, j)
        }
    }
}
