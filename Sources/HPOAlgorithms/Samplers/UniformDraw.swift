import Foundation
import HPOCore

extension Distribution {
    /// One value drawn uniformly from the domain, as an internal double (a categorical gives its index).
    ///
    /// Floats are uniform on [low, high), or on [ln low, ln high) for log floats; stepped floats and ints are
    /// drawn on the domain widened by half a step and snapped to the grid, so every grid point is equally
    /// likely; log ints are drawn on [ln(low − 0.5), ln(high + 0.5)) and rounded, so each integer gets the
    /// log-width of its cell.
    func drawUniform(using generator: inout SeededGenerator) -> Double {
        switch self {
        case .float(let domain):
            return domain.drawUniform(using: &generator)
        case .int(let domain):
            return domain.drawUniform(using: &generator)
        case .categorical(let domain):
            let count = domain.choices.count
            guard count > 1 else { return 0 }
            return value(atUnit: generator.nextUnit())
        }
    }

    /// The internal value a uniform draw gives for the unit `unit` in [0, 1): the value at that quantile of the
    /// uniform distribution `drawUniform` samples (on the log scale for log domains, over the grid for stepped ones).
    func value(atUnit unit: Double) -> Double {
        switch self {
        case .float(let domain):
            return domain.value(atUnit: unit)
        case .int(let domain):
            return domain.value(atUnit: unit)
        case .categorical(let domain):
            let count = domain.choices.count
            guard count > 1 else { return 0 }
            return Double(min(Int(unit * Double(count)), count - 1))
        }
    }
}

extension FloatDistribution {
    func drawUniform(using generator: inout SeededGenerator) -> Double {
        guard high > low else { return low }
        return value(atUnit: generator.nextUnit())
    }

    func value(atUnit unit: Double) -> Double {
        guard high > low else { return low }
        if let step, step > 0 {
            let value = (low - step / 2) + unit * ((high - low) + step)
            return snapped(value)
        }
        if log, low > 0 {
            let logLow = Foundation.log(low)
            let value = exp(logLow + unit * (Foundation.log(high) - logLow))
            return Swift.min(Swift.max(value, low), high.nextDown)
        }
        let value = low + unit * (high - low)
        return Swift.min(Swift.max(value, low), high.nextDown)
    }

    /// The nearest grid point `low + k·step` (ties to even), clipped to [low, high]; the value itself without
    /// a step.
    func snapped(_ value: Double) -> Double {
        guard let step, step > 0 else { return Swift.min(Swift.max(value, low), high) }
        let index = ((value - low) / step).rounded(.toNearestOrEven)
        return Swift.min(Swift.max(low + index * step, low), high)
    }
}

extension IntDistribution {
    func drawUniform(using generator: inout SeededGenerator) -> Double {
        guard high > low else { return Double(low) }
        return value(atUnit: generator.nextUnit())
    }

    func value(atUnit unit: Double) -> Double {
        guard high > low else { return Double(low) }
        if log, low > 0 {
            let lower = Foundation.log(Double(low) - 0.5)
            let upper = Foundation.log(Double(high) + 0.5)
            return snapped(exp(lower + unit * (upper - lower)))
        }
        let q = Double(Swift.max(step, 1))
        return snapped(Double(low) - q / 2 + unit * (Double(high - low) + q))
    }

    /// The nearest grid point `low + k·step` (ties to even), clipped to [low, high].
    func snapped(_ value: Double) -> Double {
        let q = Double(Swift.max(step, 1))
        let index = ((value - Double(low)) / q).rounded(.toNearestOrEven)
        return Swift.min(Swift.max(Double(low) + index * q, Double(low)), Double(high))
    }
}
