import Foundation
import HPOCore

/// The model trainers, as written in `trainer.type`.
public enum ModelKind: String, Sendable, Hashable, CaseIterable {
    case mlp
    case logisticRegression = "logistic_regression"
    case linearRegression = "linear_regression"
}

/// The tunable values of one model trial, resolved from the trial's assignment, then the trainer's options, then
/// the defaults.
public struct Hyperparameters: Sendable, Hashable {
    public var learningRate = 0.001
    public var optimizer = OptimizerKind.adam
    public var momentum = 0.9
    public var batchSize = 32
    public var weightDecay = 0.0
    public var schedule = LearningRateSchedule.constant
    /// Epochs between learning-rate drops of the `step` schedule; nil: a third of the epochs.
    public var stepSize: Int?
    public var gamma = 0.1
    /// Nil: the trial's seed.
    public var initSeed: UInt64?
    public var hiddenLayers = 1
    public var hiddenUnits = 64
    public var activation = Activation.relu
    public var dropout = 0.0

    public init() {}
}

/// What a tunable name accepts, and which trainers read it.
struct HyperparameterRule: Sendable {
    enum Kind: Sendable {
        /// A number in [low, high] (`lowOpen`/`highOpen` exclude the bound).
        case real(low: Double, high: Double, lowOpen: Bool, highOpen: Bool)
        case integer(low: Int)
        case choice([String])
    }

    let name: String
    let kind: Kind
    /// Nil: every model trainer.
    let only: ModelKind?

    static let all: [HyperparameterRule] = [
        HyperparameterRule(name: "lr", kind: .real(low: 0, high: 10, lowOpen: true, highOpen: false), only: nil),
        HyperparameterRule(name: "optimizer", kind: .choice(OptimizerKind.allCases.map(\.rawValue)), only: nil),
        HyperparameterRule(name: "momentum", kind: .real(low: 0, high: 1, lowOpen: false, highOpen: true), only: nil),
        HyperparameterRule(name: "batch_size", kind: .integer(low: 1), only: nil),
        HyperparameterRule(
            name: "weight_decay", kind: .real(low: 0, high: .infinity, lowOpen: false, highOpen: false), only: nil),
        HyperparameterRule(
            name: "lr_schedule", kind: .choice(LearningRateSchedule.allCases.map(\.rawValue)), only: nil),
        HyperparameterRule(name: "lr_step_size", kind: .integer(low: 1), only: nil),
        HyperparameterRule(name: "lr_gamma", kind: .real(low: 0, high: 1, lowOpen: true, highOpen: false), only: nil),
        HyperparameterRule(name: "init_seed", kind: .integer(low: 0), only: nil),
        HyperparameterRule(name: "hidden_layers", kind: .integer(low: 0), only: .mlp),
        HyperparameterRule(name: "hidden_units", kind: .integer(low: 1), only: .mlp),
        HyperparameterRule(name: "activation", kind: .choice(Activation.allCases.map(\.rawValue)), only: .mlp),
        HyperparameterRule(name: "dropout", kind: .real(low: 0, high: 1, lowOpen: false, highOpen: true), only: .mlp),
    ]

    static func rules(for model: ModelKind) -> [HyperparameterRule] {
        all.filter { $0.only == nil || $0.only == model }
    }

    var expectation: String {
        switch kind {
        case .real(let low, let high, let lowOpen, let highOpen):
            let lower = "\(lowOpen ? ">" : ">=") \(Self.format(low))"
            return high.isFinite
                ? "a number \(lower) and \(highOpen ? "<" : "<=") \(Self.format(high))" : "a number \(lower)"
        case .integer(let low): return "an integer >= \(low)"
        case .choice(let names): return "one of \(names.joined(separator: ", "))"
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Whether `value` is acceptable.
    func accepts(_ value: ParamValue) -> Bool {
        switch kind {
        case .real(let low, let high, let lowOpen, let highOpen):
            guard let number = value.numericValue, number.isFinite else { return false }
            return (lowOpen ? number > low : number >= low) && (highOpen ? number < high : number <= high)
        case .integer(let low):
            guard let number = value.numericValue, number == number.rounded(), abs(number) < 1e15 else { return false }
            return Int(number) >= low
        case .choice(let names):
            guard case .string(let text) = value else { return false }
            return names.contains(text)
        }
    }

    /// Checks that every value a space parameter can take is acceptable; the error names the key path.
    func check(_ spec: ParameterSpec) throws {
        let path = "space.\(name)"
        let fail = { (detail: String) in
            TrainingError.invalidOption(path: path, message: "must be \(expectation)\(detail)")
        }
        switch spec.distribution {
        case .float(let domain):
            if case .integer = kind { throw fail(" (declare it with type: int)") }
            if case .choice = kind { throw fail(" (declare it with type: categorical)") }
            guard accepts(.double(domain.low)), accepts(.double(domain.high)) else {
                throw fail(" for every value of [low, high]")
            }
        case .int(let domain):
            if case .choice = kind { throw fail(" (declare it with type: categorical)") }
            guard accepts(.int(domain.low)), accepts(.int(domain.high)) else {
                throw fail(" for every value of [low, high]")
            }
        case .categorical(let domain):
            for (index, choice) in domain.choices.enumerated() where !accepts(choice) {
                throw TrainingError.invalidOption(
                    path: "\(path).choices[\(index)]", message: "must be \(expectation) (got \(choice))")
            }
        }
    }

    /// Applies an accepted value to `hyperparameters`.
    func apply(_ value: ParamValue, to h: inout Hyperparameters) {
        let number = value.numericValue ?? 0
        let text = value.description
        switch name {
        case "lr": h.learningRate = number
        case "optimizer": h.optimizer = OptimizerKind(rawValue: text) ?? h.optimizer
        case "momentum": h.momentum = number
        case "batch_size": h.batchSize = Int(number)
        case "weight_decay": h.weightDecay = number
        case "lr_schedule": h.schedule = LearningRateSchedule(rawValue: text) ?? h.schedule
        case "lr_step_size": h.stepSize = Int(number)
        case "lr_gamma": h.gamma = number
        case "init_seed": h.initSeed = UInt64(number)
        case "hidden_layers": h.hiddenLayers = Int(number)
        case "hidden_units": h.hiddenUnits = Int(number)
        case "activation": h.activation = Activation(rawValue: text) ?? h.activation
        case "dropout": h.dropout = number
        default: break
        }
    }
}

extension JSONValue {
    /// The option as a parameter value (numbers, strings, booleans).
    var paramValue: ParamValue? {
        switch self {
        case .integer(let value): return .int(value)
        case .number(let value): return .double(value)
        case .string(let value): return .string(value)
        case .bool(let value): return .bool(value)
        default: return nil
        }
    }
}
