/// The domain of one parameter, with Optuna's conventions for the internal representation:
/// floats and ints are stored as their own value, a categorical as the index of its choice.
public enum Distribution: Sendable, Hashable {
    case float(FloatDistribution)
    case int(IntDistribution)
    case categorical(CategoricalDistribution)

    /// The internal double stored for an external value, or nil when the value is not in the domain.
    public func internalValue(of value: ParamValue) -> Double? {
        switch self {
        case .float(let domain):
            guard let number = value.numericValue, domain.contains(number) else { return nil }
            return number
        case .int(let domain):
            guard let number = value.numericValue, number == number.rounded(), domain.contains(Int(number))
            else { return nil }
            return number
        case .categorical(let domain):
            guard let index = domain.choices.firstIndex(where: { $0.matches(value) }) else { return nil }
            return Double(index)
        }
    }

    /// The external value for an internal double.
    public func externalValue(of internalValue: Double) -> ParamValue {
        switch self {
        case .float:
            return .double(internalValue)
        case .int:
            return .int(Int(internalValue.rounded()))
        case .categorical(let domain):
            let index = min(max(Int(internalValue.rounded()), 0), domain.choices.count - 1)
            return domain.choices[index]
        }
    }

    /// Whether the internal value lies in the domain.
    public func containsInternal(_ value: Double) -> Bool {
        switch self {
        case .float(let domain): return domain.contains(value)
        case .int(let domain): return value == value.rounded() && domain.contains(Int(value))
        case .categorical(let domain):
            return value == value.rounded() && value >= 0 && Int(value) < domain.choices.count
        }
    }

    /// True when the domain holds exactly one value.
    public var isSingle: Bool {
        switch self {
        case .float(let domain): return domain.low == domain.high
        case .int(let domain): return domain.low == domain.high
        case .categorical(let domain): return domain.choices.count == 1
        }
    }
}

public struct FloatDistribution: Sendable, Hashable {
    public var low: Double
    public var high: Double
    public var log: Bool
    public var step: Double?

    /// `high` is cut down to the step grid (`low + k * step`), as Optuna stores it.
    public init(low: Double, high: Double, log: Bool = false, step: Double? = nil) {
        self.low = low
        self.log = log
        self.step = step
        if let step, step > 0, high > low {
            // A range that is a whole number of steps keeps `high` as written (no binary rounding);
            // otherwise `high` is cut down to the last grid point, as Optuna does.
            let steps = (high - low) / step
            let whole = steps.rounded()
            if abs(steps - whole) <= 1e-9 * max(1, whole) {
                self.high = high
            } else {
                self.high = low + steps.rounded(.down) * step
            }
        } else {
            self.high = high
        }
    }

    public func contains(_ value: Double) -> Bool {
        guard value.isFinite, value >= low, value <= high else { return false }
        if let step {
            let k = (value - low) / step
            return abs(k - k.rounded()) < 1e-8 * max(1, abs(k))
        }
        return true
    }
}

public struct IntDistribution: Sendable, Hashable {
    public var low: Int
    public var high: Int
    public var log: Bool
    public var step: Int

    /// `high` is cut down to the step grid, as Optuna stores it.
    public init(low: Int, high: Int, log: Bool = false, step: Int = 1) {
        self.low = low
        self.log = log
        self.step = step
        if step > 0, high > low {
            self.high = low + ((high - low) / step) * step
        } else {
            self.high = high
        }
    }

    public func contains(_ value: Int) -> Bool {
        value >= low && value <= high && (value - low) % max(step, 1) == 0
    }
}

public struct CategoricalDistribution: Sendable, Hashable {
    public var choices: [ParamValue]

    public init(choices: [ParamValue]) {
        self.choices = choices
    }
}
