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

    /// The value at `x` (for `curve`, the sum of squares; its learning curve is `LearningCurve`).
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

/// The synthetic learning curve of the `curve` objective: a validation loss that falls with the step and levels off,
///
///     loss(t) = floor + gap(u) + amplitude * exp(-t / tau(u)) + noise * N(0, 1)       (t = 1, ..., steps)
///
/// the exponential decay towards a configuration-dependent asymptote that freeze-thaw Bayesian optimisation uses
/// as its model of training curves. Each coordinate is first scaled to u in [0, 1] by its domain (on a log scale for
/// log parameters).
///
/// - `floor = 0.1` is the irreducible loss (the Bayes error of the task), reached only by the best configuration.
///   A loss with a floor makes relative gaps meaningful: a configuration 2 % worse than the best is 0.002 above it.
/// - `gap(u) = mean((u_i - c_i)^2)`, with fixed centres `c_i` in [0.25, 0.75], is how much worse than the floor the
///   configuration ends. It is 0 at the centres and about 0.1 on average over the unit cube, so a random
///   configuration ends at about twice the best loss, as typical configurations do against tuned ones.
/// - `amplitude = 1`: the untrained loss is about ten times the best final loss (as a classifier's cross-entropy
///   falls from ln(classes) to a few tenths).
/// - `tau(u) = steps / (2 * 20^s)`: the time scale is a fraction of the run, set by the speed s in [0, 1], from half
///   of it (s = 0: 14 % of the amplitude is left at the last step, like a learning rate that is too small) to a
///   fortieth of it (s = 1: less than 1 % left after 12 % of the run), evenly spread on a log scale as learning rates
///   are. A configuration of middling speed (s = 0.5) has 1 % left at half the run and 0.01 % at its end, so the
///   curves have mostly converged by the last step, as tuned training runs do.
/// - `s = clamp(0.5 + mean(u_i) - mean(c_i) - 2 * gap(u), 0, 1)`: the best configuration has speed 0.5. Moving
///   every coordinate up (like a learning rate above the best one) makes a configuration faster and worse at the end,
///   moving them down slower and worse; and a configuration far from the centres is slower whichever way it lies
///   (a gap of 0.25, a final loss 3.5 times the best, costs 0.5 of speed), because a poor configuration is poor at
///   every budget. Early losses therefore rank configurations roughly as the final ones do (the premise of
///   successive halving), but not exactly: near the optimum, faster and slightly worse configurations lead early
///   and are overtaken later, so curves cross, which is what an early-stopping scheduler must cope with.
///
/// The noise is independent per report, seeded by the trial's seed; the curve itself (`value(atStep:)`) is
/// noiseless.
public struct LearningCurve: Sendable, Hashable {
    /// The irreducible loss, reached only at the centres.
    public static let floor = 0.1
    /// How far the untrained loss lies above the asymptote.
    public static let amplitude = 1.0

    /// The loss the curve levels off at: `floor + gap(u)`.
    public var asymptote: Double
    /// The time scale of the decay, in steps.
    public var timeScale: Double

    /// The curve of a configuration with unit coordinates `u`, for a run of `steps` reports.
    public init(unitCoordinates u: [Double], steps: Int) {
        let horizon = Double(max(steps, 1))
        guard !u.isEmpty else {
            asymptote = Self.floor
            timeScale = Self.timeScale(speed: 0.5, horizon: horizon)
            return
        }
        var squares = 0.0
        var shift = 0.0
        for (index, value) in u.enumerated() {
            let difference = value - Self.centre(index)
            squares += difference * difference
            shift += difference
        }
        let gap = squares / Double(u.count)
        asymptote = Self.floor + gap
        let speed = 0.5 + shift / Double(u.count) - 2 * gap
        timeScale = Self.timeScale(speed: min(max(speed, 0), 1), horizon: horizon)
    }

    /// From `horizon / 2` at speed 0 to `horizon / 40` at speed 1, geometrically.
    static func timeScale(speed: Double, horizon: Double) -> Double {
        horizon / (2 * pow(20, speed))
    }

    /// The centre of coordinate `index`: spread over [0.25, 0.75] by the golden ratio.
    public static func centre(_ index: Int) -> Double {
        let golden = 0.618_033_988_749_894_9
        let fraction = (Double(index + 1) * golden).truncatingRemainder(dividingBy: 1)
        return 0.25 + 0.5 * fraction
    }

    /// The noiseless loss at `step` (steps start at 1).
    public func value(atStep step: Int) -> Double {
        asymptote + Self.amplitude * exp(-Double(step) / timeScale)
    }
}
