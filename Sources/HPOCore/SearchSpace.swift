/// One parameter of a search space: its name, domain and, for a conditional parameter,
/// the values of other parameters under which it exists.
public struct ParameterSpec: Sendable, Hashable {
    public var name: String
    public var distribution: Distribution
    /// All conditions must hold for the parameter to be active (an empty list: always active).
    public var conditions: [ParameterCondition]

    public init(name: String, distribution: Distribution, conditions: [ParameterCondition] = []) {
        self.name = name
        self.distribution = distribution
        self.conditions = conditions
    }

    /// Whether the parameter is active given the values chosen so far.
    public func isActive(given values: [String: ParamValue]) -> Bool {
        conditions.allSatisfy { condition in
            guard let parentValue = values[condition.parameter] else { return false }
            return condition.values.contains { $0.matches(parentValue) }
        }
    }
}

/// `when: {parent: value}`: the parameter exists when `parent` takes one of `values`.
public struct ParameterCondition: Sendable, Hashable {
    public var parameter: String
    public var values: [ParamValue]

    public init(parameter: String, values: [ParamValue]) {
        self.parameter = parameter
        self.values = values
    }
}

/// The search space of a study, with parameters ordered so that every parent comes before its children.
public struct SearchSpace: Sendable, Hashable {
    public private(set) var parameters: [ParameterSpec]

    /// Orders the parameters parents-first (keeping the given order otherwise).
    /// Conditions naming unknown parameters or forming a cycle are rejected by the study loader; here they
    /// simply leave the parameter at the end.
    public init(_ parameters: [ParameterSpec]) {
        var ordered: [ParameterSpec] = []
        var placed = Set<String>()
        var pending = parameters
        while !pending.isEmpty {
            let before = pending.count
            pending.removeAll { spec in
                if spec.conditions.allSatisfy({ placed.contains($0.parameter) }) {
                    ordered.append(spec)
                    placed.insert(spec.name)
                    return true
                }
                return false
            }
            if pending.count == before {
                ordered.append(contentsOf: pending)
                break
            }
        }
        self.parameters = ordered
    }

    public var names: [String] { parameters.map(\.name) }

    public subscript(name: String) -> ParameterSpec? {
        parameters.first { $0.name == name }
    }

    /// True when some parameter has a `when:` condition.
    public var isConditional: Bool { parameters.contains { !$0.conditions.isEmpty } }

    /// Whether an assignment has exactly the active parameters, each within its domain.
    public func validate(_ assignment: Assignment) -> Bool {
        var seen: [String: ParamValue] = [:]
        for spec in parameters {
            let active = spec.isActive(given: seen)
            let value = assignment.values[spec.name]
            if active != (value != nil) { return false }
            if let value {
                guard spec.distribution.internalValue(of: value) != nil else { return false }
                seen[spec.name] = value
            }
        }
        return Set(assignment.values.keys).isSubset(of: Set(names))
    }
}

/// The parameters proposed for one trial, by name (only active parameters are present).
public struct Assignment: Sendable, Hashable {
    public var values: [String: ParamValue]

    public init(_ values: [String: ParamValue] = [:]) {
        self.values = values
    }

    public subscript(name: String) -> ParamValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// A numeric parameter as a double (ints widened), nil when absent or not numeric.
    public func double(_ name: String) -> Double? { values[name]?.numericValue }
}
