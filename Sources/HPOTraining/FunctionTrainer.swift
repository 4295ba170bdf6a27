import Foundation
import HPOCore

/// `trainer: {type: function, objective: NAME}`: evaluates a named test objective on the study's numeric
/// parameters, in the order of the space (or of the `params` option).
///
/// The plain objectives return their value without reporting. `curve` reports a synthetic learning curve at steps
/// 1...`steps`, stops on a `.prune` decision (returning the last reported value) and on cancellation (throwing
/// `TrainingError.cancelled`). `step_delay` sleeps that long per step (once for the plain objectives), so trials
/// take wall time.
public struct FunctionTrainer: Trainer {
    /// One coordinate of the objective: a float or int parameter of the space.
    public struct Coordinate: Sendable, Hashable {
        public var name: String
        public var low: Double
        public var high: Double
        public var log: Bool
    }

    public let objective: TestObjective
    public let coordinates: [Coordinate]
    /// Seconds slept per step (per trial for the plain objectives).
    public let stepDelay: Double
    /// Number of reports of the `curve` objective.
    public let steps: Int
    /// Standard deviation of the noise added to each `curve` report.
    public let noise: Double

    public static let optionKeys = ["objective", "step_delay", "steps", "noise", "params"]

    /// Validates the options against the space; errors name the key path.
    public init(options: [String: JSONValue], space: SearchSpace) throws {
        let reader = TrainerOptions(options)
        try reader.requireOnly(Self.optionKeys, for: "function")
        let names = TestObjective.allCases.map(\.rawValue)
        guard let objectiveName = try reader.string("objective", allowed: names) else {
            throw reader.fail("objective", "is required (one of \(names.joined(separator: ", ")))")
        }
        guard let objective = TestObjective(rawValue: objectiveName) else {
            throw reader.fail("objective", "must be one of \(names.joined(separator: ", "))")
        }
        self.objective = objective
        stepDelay = try reader.duration("step_delay") ?? 0
        if objective != .curve {
            for key in ["steps", "noise"] where reader.has(key) {
                throw reader.fail(key, "applies only to objective curve")
            }
        }
        steps = try reader.int("steps", minimum: 1) ?? 50
        noise = try reader.double("noise", minimum: 0) ?? 0.01
        coordinates = try Self.coordinates(reader: reader, space: space)
        try Self.checkDimension(objective, count: coordinates.count)
    }

    private static func coordinates(reader: TrainerOptions, space: SearchSpace) throws -> [Coordinate] {
        func coordinate(_ spec: ParameterSpec) -> Coordinate? {
            switch spec.distribution {
            case .float(let domain):
                return Coordinate(name: spec.name, low: domain.low, high: domain.high, log: domain.log)
            case .int(let domain):
                return Coordinate(name: spec.name, low: Double(domain.low), high: Double(domain.high), log: domain.log)
            case .categorical: return nil
            }
        }
        guard let names = try reader.stringList("params") else {
            return space.parameters.compactMap(coordinate)
        }
        return try names.enumerated().map { index, name in
            guard let spec = space[name] else {
                throw reader.fail("params[\(index)]", "\(name) is not a parameter of the space")
            }
            guard let result = coordinate(spec) else {
                throw reader.fail("params[\(index)]", "\(name) is categorical; objectives take float or int parameters")
            }
            return result
        }
    }

    private static func checkDimension(_ objective: TestObjective, count: Int) throws {
        let path = "trainer.objective"
        if let required = objective.requiredDimension, count != required {
            throw TrainingError.invalidOption(
                path: path,
                message:
                    "\(objective.rawValue) takes exactly \(required) float or int parameters, the space has \(count)"
            )
        }
        if count < objective.minimumDimension {
            throw TrainingError.invalidOption(
                path: path,
                message:
                    "\(objective.rawValue) takes at least \(objective.minimumDimension) float or int parameters, the space has \(count)"
            )
        }
    }

    public func train(_ assignment: Assignment, reporter: TrialReporter) throws -> Double {
        var point: [Double] = []
        var units: [Double] = []
        for coordinate in coordinates {
            guard let value = assignment.double(coordinate.name) else { continue }  // an inactive parameter
            point.append(value)
            units.append(Self.unit(value, in: coordinate))
        }
        if point.count < objective.minimumDimension || (objective.requiredDimension.map { $0 != point.count } ?? false)
        {
            throw TrainingError.invalidParameter(
                name: coordinates.map(\.name).joined(separator: ", "),
                message: "\(objective.rawValue) got \(point.count) active numeric parameters")
        }
        guard objective == .curve else {
            try sleep(stepDelay, reporter: reporter)
            return objective.evaluate(point)
        }
        let curve = LearningCurve(unitCoordinates: units, steps: steps)
        var generator = SeededGenerator(seed: reporter.seed)
        var last = Double.nan
        for step in 1...steps {
            try sleep(stepDelay, reporter: reporter)
            last = curve.value(atStep: step) + noise * generator.nextGaussian()
            if reporter.report(step: step, value: last) == .prune { return last }
        }
        return last
    }

    /// The coordinate scaled to [0, 1] by its domain (log scale for log parameters).
    static func unit(_ value: Double, in coordinate: Coordinate) -> Double {
        let low = coordinate.log ? Foundation.log(coordinate.low) : coordinate.low
        let high = coordinate.log ? Foundation.log(coordinate.high) : coordinate.high
        let x = coordinate.log ? Foundation.log(max(value, coordinate.low)) : value
        guard high > low else { return 0.5 }
        return min(max((x - low) / (high - low), 0), 1)
    }

    /// Sleeps `seconds` in slices of at most 20 ms, throwing `TrainingError.cancelled` when the trial is cancelled.
    private func sleep(_ seconds: Double, reporter: TrialReporter) throws {
        if reporter.isCancelled { throw TrainingError.cancelled }
        var remaining = seconds
        while remaining > 0 {
            let slice = min(remaining, 0.02)
            Thread.sleep(forTimeInterval: slice)
            remaining -= slice
            if reporter.isCancelled { throw TrainingError.cancelled }
        }
    }
}
