import Foundation
import HPOCore

/// A test function to minimise over a search space, with its known minimum.
struct QualityProblem: Sendable {
    let name: String
    let space: SearchSpace
    let optimum: Double
    let evaluate: @Sendable (Assignment) -> Double
}

private func floats(_ prefix: String, _ count: Int, _ low: Double, _ high: Double) -> [ParameterSpec] {
    (0..<count).map {
        ParameterSpec(name: "\(prefix)\($0)", distribution: .float(FloatDistribution(low: low, high: high)))
    }
}

private func vector(_ assignment: Assignment, _ prefix: String, _ count: Int) -> [Double] {
    (0..<count).map { assignment.double("\(prefix)\($0)") ?? .nan }
}

private func choice(_ assignment: Assignment, _ name: String) -> String {
    assignment[name]?.description ?? ""
}

private func categorical(_ name: String, _ choices: [String], when conditions: [ParameterCondition] = [])
    -> ParameterSpec
{
    ParameterSpec(
        name: name, distribution: .categorical(CategoricalDistribution(choices: choices.map { .string($0) })),
        conditions: conditions)
}

private func float(
    _ name: String, _ low: Double, _ high: Double, log: Bool = false, when conditions: [ParameterCondition] = []
) -> ParameterSpec {
    ParameterSpec(
        name: name, distribution: .float(FloatDistribution(low: low, high: high, log: log)), conditions: conditions)
}

private func when(_ parent: String, _ value: String) -> [ParameterCondition] {
    [ParameterCondition(parameter: parent, values: [.string(value)])]
}

/// The functions of the bench harness's public suite (`suite_public.py`), written from their formulas.
enum PublicSuite {
    static let problems: [QualityProblem] = [
        QualityProblem(
            name: "branin",
            space: SearchSpace([float("x0", -5, 10), float("x1", 0, 15)]), optimum: 0.39788735772973816
        ) { p in
            let x1 = p.double("x0") ?? .nan
            let x2 = p.double("x1") ?? .nan
            let b = 5.1 / (4 * Double.pi * Double.pi)
            let c = 5 / Double.pi
            let t = 1 / (8 * Double.pi)
            let inner = x2 - b * x1 * x1 + c * x1 - 6
            return inner * inner + 10 * (1 - t) * cos(x1) + 10
        },
        QualityProblem(
            name: "hartmann6", space: SearchSpace(floats("x", 6, 0, 1)), optimum: -3.322368011415515
        ) { p in
            hartmann6(vector(p, "x", 6))
        },
        QualityProblem(name: "rosenbrock4", space: SearchSpace(floats("x", 4, -5, 10)), optimum: 0) { p in
            let x = vector(p, "x", 4)
            var sum = 0.0
            for i in 0..<3 {
                let valley = x[i + 1] - x[i] * x[i]
                let offset = 1 - x[i]
                sum += 100 * valley * valley + offset * offset
            }
            return sum
        },
        QualityProblem(name: "ackley5", space: SearchSpace(floats("x", 5, -32.768, 32.768)), optimum: 0) { p in
            ackley(vector(p, "x", 5))
        },
        QualityProblem(
            name: "styblinski_tang4", space: SearchSpace(floats("x", 4, -5, 5)),
            optimum: 4 * styblinskiTang1D(-2.903534027771177)
        ) { p in
            vector(p, "x", 4).reduce(0) { $0 + styblinskiTang1D($1) }
        },
        QualityProblem(
            name: "mixed",
            space: SearchSpace([
                float("lr", 1e-4, 1, log: true), float("x", -5, 5),
                ParameterSpec(name: "n", distribution: .int(IntDistribution(low: 1, high: 20))),
                categorical("kind", ["a", "b", "c"]),
            ]), optimum: 0
        ) { p in
            let targets: [String: (Double, Double, Double, Double)] = [
                "a": (-3, 1.5, 4, 0.3), "b": (-2, -1, 12, 0), "c": (-1, 3, 17, 0.15),
            ]
            guard let (tl, tx, tn, offset) = targets[choice(p, "kind")] else { return .nan }
            let u = log10(p.double("lr") ?? .nan) - tl
            let v = (p.double("x") ?? .nan) - tx
            let w = ((p.double("n") ?? .nan) - tn) / 4
            return u * u + 0.5 * (v - 0.5 * u) * (v - 0.5 * u) + w * w + offset
        },
        QualityProblem(
            name: "branches",
            space: SearchSpace([
                categorical("model", ["a", "b", "c"]),
                float("a_x", -5, 5, when: when("model", "a")),
                float("b_x", -1, 1, when: when("model", "b")),
                float("b_lr", 1e-5, 1, log: true, when: when("model", "b")),
                float("c_x0", -3, 3, when: when("model", "c")),
                float("c_x1", -3, 3, when: when("model", "c")),
            ]), optimum: 0
        ) { p in
            switch choice(p, "model") {
            case "a":
                let x = (p.double("a_x") ?? .nan) - 2
                return 0.6 + 0.15 * x * x
            case "b":
                let u = (p.double("b_x") ?? .nan) - 0.3
                let t = log10(p.double("b_lr") ?? .nan) + 2
                return 3 * u * u + (t - 1.5 * u) * (t - 1.5 * u)
            default:
                let u = (p.double("c_x0") ?? .nan) + 1
                let v = (p.double("c_x1") ?? .nan) - 0.25
                return 0.3 + 0.5 * (u * u + v * v) + 0.15 * (2 - cos(5 * u) - cos(5 * v))
            }
        },
    ]

    static func hartmann6(_ x: [Double]) -> Double {
        let alpha = [1.0, 1.2, 3.0, 3.2]
        let a: [[Double]] = [
            [10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8],
            [17, 8, 0.05, 10, 0.1, 14],
        ]
        let p: [[Double]] = [
            [1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
            [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381],
        ]
        var sum = 0.0
        for i in 0..<4 {
            var inner = 0.0
            for j in 0..<6 {
                let d = x[j] - 1e-4 * p[i][j]
                inner += a[i][j] * d * d
            }
            sum += alpha[i] * exp(-inner)
        }
        return -sum
    }

    static func ackley(_ x: [Double]) -> Double {
        let n = Double(x.count)
        let squares = x.reduce(0) { $0 + $1 * $1 } / n
        let cosines = x.reduce(0) { $0 + cos(2 * Double.pi * $1) } / n
        return -20 * exp(-0.2 * squares.squareRoot()) - exp(cosines) + 20 + M_E
    }

    static func styblinskiTang1D(_ x: Double) -> Double {
        0.5 * (x * x * x * x - 16 * x * x + 5 * x)
    }
}

/// Functions of other shapes, used to check that a change helps beyond the public suite: irrelevant
/// parameters, rotated and ill-conditioned valleys, deceptive and rippled landscapes, log-scale and integer
/// hyperparameters, a deeper conditional space.
enum HoldoutSuite {
    static let problems: [QualityProblem] = [
        QualityProblem(name: "sphere3_of_10", space: SearchSpace(floats("x", 10, -5, 5)), optimum: 0) { p in
            // Only three of ten parameters matter.
            let x = vector(p, "x", 10)
            return pow(x[1] - 1.3, 2) + pow(x[4] + 2.1, 2) + pow(x[8] - 0.4, 2)
        },
        QualityProblem(name: "rotated_ellipsoid5", space: SearchSpace(floats("x", 5, -3, 3)), optimum: 0) { p in
            let x = vector(p, "x", 5)
            var sum = 0.0
            var partial = 0.0
            for i in 0..<5 {
                partial += x[i] - 0.5
                sum += partial * partial
            }
            return sum
        },
        QualityProblem(name: "levy6", space: SearchSpace(floats("x", 6, -10, 10)), optimum: 0) { p in
            let w = vector(p, "x", 6).map { 1 + ($0 - 1) / 4 }
            var sum = pow(sin(Double.pi * w[0]), 2)
            for i in 0..<5 {
                sum += pow(w[i] - 1, 2) * (1 + 10 * pow(sin(Double.pi * w[i] + 1), 2))
            }
            return sum + pow(w[5] - 1, 2) * (1 + pow(sin(2 * Double.pi * w[5]), 2))
        },
        QualityProblem(name: "rastrigin3", space: SearchSpace(floats("x", 3, -5.12, 5.12)), optimum: 0) { p in
            vector(p, "x", 3).reduce(0) { sum, x in
                let y = x - 0.7
                return sum + y * y - 10 * cos(2 * Double.pi * y) + 10
            }
        },
        QualityProblem(
            name: "six_hump_camel", space: SearchSpace([float("x", -3, 3), float("y", -2, 2)]),
            optimum: -1.031628453489877
        ) { p in
            let x = p.double("x") ?? .nan
            let y = p.double("y") ?? .nan
            return (4 - 2.1 * x * x + x * x * x * x / 3) * x * x + x * y + (-4 + 4 * y * y) * y * y
        },
        QualityProblem(
            name: "training_like",
            space: SearchSpace([
                float("lr", 1e-5, 1, log: true), float("weight_decay", 1e-6, 1e-1, log: true),
                ParameterSpec(name: "units", distribution: .int(IntDistribution(low: 8, high: 512, log: true))),
                ParameterSpec(name: "layers", distribution: .int(IntDistribution(low: 1, high: 6))),
                float("dropout", 0, 0.6), categorical("optimizer", ["sgd", "adam", "rmsprop"]),
            ]), optimum: 0
        ) { p in
            // A validation-loss surface: the best learning rate depends on the optimiser, lr and weight decay
            // interact, width and depth trade off, dropout matters little.
            let shift: [String: Double] = ["sgd": -1.2, "adam": -3.2, "rmsprop": -2.8]
            let penalty: [String: Double] = ["sgd": 0.08, "adam": 0, "rmsprop": 0.04]
            let optimizer = choice(p, "optimizer")
            let lr = log10(p.double("lr") ?? .nan) - (shift[optimizer] ?? 0)
            let decay = log10(p.double("weight_decay") ?? .nan) + 4 + 0.3 * lr
            let capacity = log2(p.double("units") ?? .nan) + 1.2 * (p.double("layers") ?? .nan) - 10.5
            let dropout = (p.double("dropout") ?? .nan) - 0.2
            return 0.5 * lr * lr + 0.1 * decay * decay + 0.03 * capacity * capacity + 0.2 * dropout * dropout
                + (penalty[optimizer] ?? 0)
        },
        QualityProblem(
            name: "nested_branches",
            space: SearchSpace([
                categorical("family", ["tree", "linear"]),
                ParameterSpec(
                    name: "depth", distribution: .int(IntDistribution(low: 1, high: 12)),
                    conditions: when("family", "tree")),
                float("tree_lr", 1e-3, 1, log: true, when: when("family", "tree")),
                categorical("penalty", ["l1", "l2"], when: when("family", "linear")),
                float("alpha", 1e-6, 10, log: true, when: when("family", "linear")),
                float("l1_ratio", 0, 1, when: when("penalty", "l1")),
            ]), optimum: 0
        ) { p in
            if choice(p, "family") == "tree" {
                let d = ((p.double("depth") ?? .nan) - 7) / 3
                let lr = log10(p.double("tree_lr") ?? .nan) + 1.3 + 0.1 * d
                return 0.1 + d * d + 2 * lr * lr
            }
            let a = log10(p.double("alpha") ?? .nan) + 2.5
            if choice(p, "penalty") == "l1" {
                let r = (p.double("l1_ratio") ?? .nan) - 0.35
                return 0.5 * a * a + 4 * r * r
            }
            return 0.25 + 0.5 * a * a
        },
        QualityProblem(name: "schwefel3", space: SearchSpace(floats("x", 3, -500, 500)), optimum: 0) { p in
            let x = vector(p, "x", 3)
            return 418.9828872724338 * 3 - x.reduce(0) { $0 + $1 * sin(abs($1).squareRoot()) }
        },
    ]
}
