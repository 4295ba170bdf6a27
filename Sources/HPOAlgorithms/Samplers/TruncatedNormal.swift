import Foundation

/// The standard normal distribution in log space, stable far into the tails, and its truncation to an interval.
enum TruncatedNormal {
    static let logSqrtTwoPi = 0.5 * Foundation.log(2 * Double.pi)
    private static let inverseSqrtTwo = 1 / 2.0.squareRoot()

    /// Φ(x), the standard normal CDF.
    static func ndtr(_ x: Double) -> Double {
        0.5 * erfc(-x * inverseSqrtTwo)
    }

    /// log Φ(x), accurate for every finite x (an asymptotic series below −20, log1p near 1).
    static func logNdtr(_ x: Double) -> Double {
        if x > 6 {
            return log1p(-0.5 * erfc(x * inverseSqrtTwo))
        }
        if x > -20 {
            return Foundation.log(0.5 * erfc(-x * inverseSqrtTwo))
        }
        // log Φ(x) = −x²/2 − log(−x) − log √(2π) + log(1 − 1/x² + 3/x⁴ − 15/x⁶ + …).
        let inverseSquare = 1 / (x * x)
        var term = 1.0
        var series = 1.0
        for k in 1...8 {
            term *= -Double(2 * k - 1) * inverseSquare
            series += term
        }
        return -0.5 * x * x - Foundation.log(-x) - logSqrtTwoPi + Foundation.log(series)
    }

    /// log(Φ(b) − Φ(a)) for a ≤ b, without cancellation in either tail.
    static func logGaussMass(_ a: Double, _ b: Double) -> Double {
        if b <= 0 {
            return logDifference(logNdtr(b), logNdtr(a))
        }
        if a >= 0 {
            return logDifference(logNdtr(-a), logNdtr(-b))
        }
        return log1p(-ndtr(a) - ndtr(-b))
    }

    /// log(exp(larger) − exp(smaller)) for larger ≥ smaller.
    private static func logDifference(_ larger: Double, _ smaller: Double) -> Double {
        guard larger > -Double.infinity else { return -Double.infinity }
        return larger + log1p(-exp(smaller - larger))
    }

    /// Φ⁻¹(p) for p in (0, 1): a rational first guess refined by one Halley step on the exact CDF.
    static func inverseNdtr(_ p: Double) -> Double {
        guard p > 0 else { return -Double.infinity }
        guard p < 1 else { return Double.infinity }
        if p > 0.5 {
            return -inverseNdtr(1 - p)
        }
        var x = rationalInverse(p)
        // Halley refinement; near the lower end the CDF is taken in log space to keep its relative accuracy.
        if x > -37 {
            let error = ndtr(x) - p
            let u = error * (2 * Double.pi).squareRoot() * exp(0.5 * x * x)
            x -= u / (1 + 0.5 * x * u)
        } else {
            let target = Foundation.log(p)
            for _ in 0..<2 {
                let value = logNdtr(x)
                x -= (value - target) / exp(-0.5 * x * x - logSqrtTwoPi - value)
            }
        }
        return x
    }

    /// The lower-half rational approximation of Φ⁻¹ (relative error about 1e-9).
    private static func rationalInverse(_ p: Double) -> Double {
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
            6.680131188771972e+01, -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        if p < 0.02425 {
            let q = (-2 * Foundation.log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// The point of the standard normal truncated to [a, b] (a ≤ 0 ≤ b is the common case, any a < b works)
    /// whose truncated CDF is `u`.
    static func quantile(_ u: Double, lower a: Double, upper b: Double) -> Double {
        if a >= 0 {
            // Mirror into the left half, where Φ keeps its relative precision.
            return -quantile(1 - u, lower: -b, upper: -a)
        }
        let lowerMass = ndtr(a)
        let mass = ndtr(b) - lowerMass
        let x: Double
        if u > 0.5 {
            // 1 − Φ(x) = Φ(−b) + (1 − u)·mass: positive terms only, so no cancellation near the upper end.
            x = -inverseNdtr(ndtr(-b) + (1 - u) * mass)
        } else if mass > 0 {
            x = inverseNdtr(lowerMass + u * mass)
        } else {
            // The interval lies so far in the left tail that Φ underflows: invert in log space.
            x = logSpaceQuantile(u, lower: a, upper: b)
        }
        return Swift.min(Swift.max(x, a), b)
    }

    /// Newton iterations on log Φ for an interval deep in the left tail.
    private static func logSpaceQuantile(_ u: Double, lower a: Double, upper b: Double) -> Double {
        let logLower = logNdtr(a)
        let logMass = logGaussMass(a, b)
        let target = u > 0 ? logSum(logLower, Foundation.log(u) + logMass) : logLower
        var x = b
        for _ in 0..<60 {
            let value = logNdtr(x)
            // d/dx log Φ(x) = φ(x)/Φ(x), evaluated in log space.
            let slope = exp(-0.5 * x * x - logSqrtTwoPi - value)
            let next = x - (value - target) / slope
            if abs(next - x) < 1e-12 * Swift.max(1, abs(x)) {
                x = next
                break
            }
            x = Swift.min(Swift.max(next, a), b)
        }
        return x
    }

    private static func logSum(_ x: Double, _ y: Double) -> Double {
        let high = Swift.max(x, y)
        guard high > -Double.infinity else { return -Double.infinity }
        return high + Foundation.log(exp(x - high) + exp(y - high))
    }
}
