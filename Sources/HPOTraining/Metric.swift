import Foundation
import HPOCore

/// A validation / test metric of the model trainers.
public enum Metric: String, Sendable, Hashable, CaseIterable {
    case accuracy
    case logLoss = "log_loss"
    case f1Macro = "f1_macro"
    case rmse
    case r2

    public var task: LearningTask {
        switch self {
        case .accuracy, .logLoss, .f1Macro: return .classification
        case .rmse, .r2: return .regression
        }
    }

    /// Whether larger values are better.
    public var direction: StudyDirection {
        switch self {
        case .accuracy, .f1Macro, .r2: return .maximize
        case .logLoss, .rmse: return .minimize
        }
    }

    public static func names(for task: LearningTask) -> [String] {
        allCases.filter { $0.task == task }.map(\.rawValue)
    }

    /// The metric of class scores (logits, `rows × classes`) against `labels`.
    public func classification(logits: [Float], labels: [Int], classes: Int) -> Double {
        let rows = labels.count
        guard rows > 0 else { return .nan }
        switch self {
        case .accuracy:
            var correct = 0
            for row in 0..<rows where Self.argmax(logits, row: row, classes: classes) == labels[row] { correct += 1 }
            return Double(correct) / Double(rows)
        case .logLoss:
            var total = 0.0
            for row in 0..<rows {
                total -= Self.logSoftmax(logits, row: row, classes: classes, of: labels[row])
            }
            return total / Double(rows)
        case .f1Macro:
            var truePositives = [Int](repeating: 0, count: classes)
            var predicted = [Int](repeating: 0, count: classes)
            var actual = [Int](repeating: 0, count: classes)
            for row in 0..<rows {
                let guess = Self.argmax(logits, row: row, classes: classes)
                predicted[guess] += 1
                actual[labels[row]] += 1
                if guess == labels[row] { truePositives[guess] += 1 }
            }
            var sum = 0.0
            var present = 0
            for c in 0..<classes where predicted[c] + actual[c] > 0 {
                present += 1
                sum += 2 * Double(truePositives[c]) / Double(predicted[c] + actual[c])
            }
            return present > 0 ? sum / Double(present) : 0
        case .rmse, .r2:
            return .nan
        }
    }

    /// The metric of predictions against targets (both in the targets' units).
    public func regression(predictions: [Double], targets: [Double]) -> Double {
        let count = Double(targets.count)
        guard !targets.isEmpty else { return .nan }
        var squares = 0.0
        for (prediction, target) in zip(predictions, targets) {
            squares += (prediction - target) * (prediction - target)
        }
        switch self {
        case .rmse:
            return (squares / count).squareRoot()
        case .r2:
            let mean = targets.reduce(0, +) / count
            let total = targets.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            return total > 0 ? 1 - squares / total : (squares == 0 ? 1 : 0)
        default:
            return .nan
        }
    }

    static func argmax(_ logits: [Float], row: Int, classes: Int) -> Int {
        var best = 0
        for j in 1..<classes where logits[row * classes + j] > logits[row * classes + best] { best = j }
        return best
    }

    /// log softmax(z)[label], computed in double with the largest logit subtracted, finite for finite logits.
    static func logSoftmax(_ logits: [Float], row: Int, classes: Int, of label: Int) -> Double {
        var largest = -Double.infinity
        for j in 0..<classes { largest = max(largest, Double(logits[row * classes + j])) }
        var sum = 0.0
        for j in 0..<classes { sum += exp(Double(logits[row * classes + j]) - largest) }
        return Double(logits[row * classes + label]) - largest - log(sum)
    }
}
