import Foundation

/// The named benchmark functions of the `function` trainer, all minimised.
public enum TestObjective: String, CaseIterable, Sendable {
    /// Sum of squares, any dimension >= 1; minimum 0 at the origin.
    case sphere
    /// Branin-Hoo, 2-D (x1 in [-5, 10], x2 in [0, 15] usually); minimum 0.397887 at three points.
    case branin
    /// Hartmann 6-D on [0, 1]^6; minimum -3.32237.
    case hartmann6
    /// Rosenbrock's valley, any dimension >= 2; minimum 0 at (1, ..., 1).
    case rosenbrock
    /// A synthetic learning curve reported step by step (see `LearningCurve`).
    case curve

    /// The number of coordinates the objective needs, when it is fixed.
    public var requiredDimension: Int? {
        switch self {
        case .branin: return 2
        case .hartmann6: return 6
        default: return nil
        }
    }

    /// The least number of coordinates the objective accepts.
    public var minimumDimension: Int {
        switch self {
        case .rosenbrock: return 2
        case .branin: return 2
        case .hartmann6: return 6
        default: return 1
        }
    }

    /// The value at `x` (for `curve`, the asymptote of its learning curve is given by `LearningCurve`).
    public func evaluate(_ x: [Double]) -> Double {
        switch self {
        case .sphere, .curve: return x.reduce(0) { $0 + $1 * $1 }
        case .branin: return Self.branin(x[0], x[1])
        case .hartmann6: return Self.hartmann6(x)
        case .rosenbrock: return Self.rosenbrock(x)
        }
    }

    static func branin(_ x1: Double, _ x2: Double) -> Double {
        let a = 1.0
        let b = 5.1 / (4 * Double.pi * Double.pi)
        let c = 5 / Double.pi
        let r = 6.0
        let s = 10.0
        let t = 1 / (8 * Double.pi)
        let inner = x2 - b * x1 * x1 + c * x1 - r
        return a * inner * inner + s * (1 - t) * cos(x1) + s
    }

    private static let hartmannAlpha: [Double] = [1.0, 1.2, 3.0, 3.2]
    private static let hartmannA: [[Double]] = [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
    private static let hartmannP: [[Double]] = [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]

    static func hartmann6(_ x: [Double]) -> Double {
        var total = 0.0
        for i in 0..<4 {
            var exponent = 0.0
            for j in 0..<6 {
                let difference = x[j] - hartmannP[i][j] * 1e-4
                exponent += hartmannA[i][j] * difference * difference
            }
            total += hartmannAlpha[i] * exp(-exponent)
        }
        return -total
    }

    static func rosenbrock(_ x: [Double]) -> Double {
        var total = 0.0
        for i in 0..<(x.count - 1) {
            let valley = x[i + 1] - x[i] * x[i]
            total += 100 * valley * valley + (1 - x[i]) * (1 - x[i])
        }
        return total
    }
}

/// The synthetic learning curve of the `curve` objective, a loss that falls with the step:
///
///     value(step) = asymptote + exp(-rate * step) + noise * N(0, 1)
///
/// Each coordinate is first scaled to u in [0, 1] by its domain (on a log scale for log parameters).
/// `asymptote = mean((u_i - c_i)^2)` with fixed centres `c_i` in [0.25, 0.75], so the best final value is 0 at the
/// centres; `rate = 0.02 + 0.2 * mean(u_i)`, so parameters near the top of their range learn fast but do not
/// necessarily end best: curves cross, as real ones do, which is what early-stopping schedulers must cope with.
public struct LearningCurve: Sendable, Hashable {
    public var asymptote: Double
    public var rate: Double

    public init(unitCoordinates u: [Double]) {
        guard !u.isEmpty else {
            asymptote = 0
            rate = 0.1
            return
        }
        var squares = 0.0
        for (index, value) in u.enumerated() {
            let difference = value - Self.centre(index)
            squares += difference * difference
        }
        asymptote = squares / Double(u.count)
        rate = 0.02 + 0.2 * u.reduce(0, +) / Double(u.count)
    }

    /// The centre of coordinate `index`: spread over [0.25, 0.75] by the golden ratio.
    public static func centre(_ index: Int) -> Double {
        let golden = 0.618_033_988_749_894_9
        let fraction = (Double(index + 1) * golden).truncatingRemainder(dividingBy: 1)
        return 0.25 + 0.5 * fraction
    }

    /// The noiseless value at `step` (steps start at 1).
    public func value(atStep step: Int) -> Double {
        asymptote + exp(-rate * Double(step))
    }
}
