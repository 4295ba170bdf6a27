import Foundation
import HPOCore

/// How the Parzen estimator sees one parameter: a numerical axis in its working space, or a set of choices.
enum ParzenDomain: Sendable, Hashable {
    case numeric(NumericAxis)
    case categorical(count: Int)

    init(_ distribution: Distribution) {
        switch distribution {
        case .float(let domain):
            self = .numeric(
                NumericAxis(low: domain.low, high: domain.high, log: domain.log, step: domain.log ? nil : domain.step))
        case .int(let domain):
            self = .numeric(
                NumericAxis(
                    low: Double(domain.low), high: Double(domain.high), log: domain.log,
                    step: Double(Swift.max(domain.step, 1))))
        case .categorical(let domain):
            self = .categorical(count: domain.choices.count)
        }
    }
}

/// A float or int parameter in the estimator's working space: the bounds widened by half a step for stepped
/// and int parameters, then taken to logs for log parameters.
struct NumericAxis: Sendable, Hashable {
    /// The parameter's own bounds (grid points are `low + k·step`).
    let low: Double
    let high: Double
    let log: Bool
    /// Nil for a continuous parameter.
    let step: Double?
    /// The working bounds L and H.
    let lower: Double
    let upper: Double

    init(low: Double, high: Double, log: Bool, step: Double?) {
        self.low = low
        self.high = high
        self.log = log
        self.step = step
        let half = (step ?? 0) / 2
        if log {
            lower = Foundation.log(low - half)
            upper = Foundation.log(high + half)
        } else {
            lower = low - half
            upper = high + half
        }
    }

    var isDiscrete: Bool { step != nil }

    /// An internal value in the working space.
    func transform(_ value: Double) -> Double {
        log ? Foundation.log(value) : value
    }

    /// The working-space bounds of the grid cell around an internal value.
    func cell(around value: Double) -> (lower: Double, upper: Double) {
        let half = (step ?? 0) / 2
        if log {
            return (Foundation.log(value - half), Foundation.log(value + half))
        }
        return (value - half, value + half)
    }

    /// A working-space point mapped back to an internal value: exp for log axes, then snapped to the grid
    /// (ties to even) and clipped to the parameter's bounds.
    func internalValue(of working: Double) -> Double {
        let value = log ? exp(working) : working
        guard let step else { return Swift.min(Swift.max(value, low), high) }
        let index = ((value - low) / step).rounded(.toNearestOrEven)
        return Swift.min(Swift.max(low + index * step, low), high)
    }
}
