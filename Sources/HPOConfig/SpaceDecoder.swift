import Foundation
import HPOCore

/// Decodes the `space:` section: one entry per parameter (float, int or categorical), each optionally conditional
/// on other parameters through `when:`.
struct SpaceDecoder {
    private(set) var warnings: [StudyDefinitionWarning] = []

    static let numericKeys = ["type", "low", "high", "log", "step", "when"]
    static let categoricalKeys = ["type", "choices", "when"]
    static let forbiddenNameCharacters: Set<Character> = [".", "=", "[", "]", ",", " ", "\t", "\n"]

    mutating func decode(_ node: ConfigNode, path: String) throws(StudyDefinitionError) -> SearchSpace {
        let space = try MapReader(node, path: path, what: "space")
        guard !space.map.isEmpty else {
            throw StudyDefinitionError(
                file: node.source, keyPath: path, message: "must define at least one parameter")
        }
        var parameters: [ParameterSpec] = []
        var conditionNodes: [String: (reader: MapReader, node: ConfigNode)] = [:]
        for (name, paramNode) in space.map.entries {
            let keyPath = space.keyPath(name)
            if name.contains(where: { Self.forbiddenNameCharacters.contains($0) }) || name.hasPrefix("+")
                || name.hasPrefix("~")
            {
                throw StudyDefinitionError(
                    file: paramNode.source, keyPath: keyPath,
                    message:
                        "parameter names may not contain '.', '=', '[', ']', ',' or spaces, nor start with '+' or '~' "
                        + "(overrides use them)")
            }
            let reader = try MapReader(paramNode, path: keyPath, what: "a parameter")
            parameters.append(ParameterSpec(name: name, distribution: try distribution(reader)))
            if let when = reader.map["when"] { conditionNodes[name] = (reader, when) }
        }
        for index in parameters.indices {
            guard let (reader, when) = conditionNodes[parameters[index].name] else { continue }
            parameters[index].conditions = try conditions(when, of: parameters[index].name, in: parameters, reader)
        }
        try checkCycles(parameters, space)
        return SearchSpace(parameters)
    }

    private mutating func distribution(_ reader: MapReader) throws(StudyDefinitionError) -> Distribution {
        guard let type = try reader.word("type", allowed: ["float", "int", "categorical"]) else {
            throw reader.error("type", "is required: float, int or categorical")
        }
        switch type {
        case "categorical":
            try reader.requireOnly(Self.categoricalKeys, what: "key for a categorical parameter")
            return .categorical(try choices(reader))
        case "int":
            try reader.requireOnly(Self.numericKeys, what: "key for an int parameter")
            return .int(try intDomain(reader))
        default:
            try reader.requireOnly(Self.numericKeys, what: "key for a float parameter")
            return .float(try floatDomain(reader))
        }
    }

    private mutating func floatDomain(_ reader: MapReader) throws(StudyDefinitionError) -> FloatDistribution {
        guard let low = try reader.double("low") else { throw reader.error("low", "is required: a number") }
        guard let high = try reader.double("high") else { throw reader.error("high", "is required: a number") }
        let log = try reader.bool("log") ?? false
        guard low <= high else {
            throw reader.error("low", "must be <= high (got low \(format(low)), high \(format(high)))")
        }
        if log, low <= 0 { throw reader.error("low", "must be > 0 when log is true (got \(format(low)))") }
        let step = try reader.double("step")
        if let step {
            guard step > 0 else { throw reader.error("step", "must be > 0 (got \(format(step)))") }
            if log { throw reader.error("step", "cannot be combined with log: true (use one or the other)") }
        }
        var domain = FloatDistribution(low: low, high: high, log: log, step: step)
        domain.high = high
        if let step, let gridHigh = Self.gridHigh(low: low, high: high, step: step) {
            domain.high = gridHigh
            warnings.append(
                StudyDefinitionWarning(
                    file: reader.value("high")?.source ?? reader.node.source, keyPath: reader.keyPath("high"),
                    message:
                        "\(format(high)) is not on the grid low + k * step (step \(format(step))); "
                        + "using \(format(gridHigh)) instead"))
        }
        return domain
    }

    private mutating func intDomain(_ reader: MapReader) throws(StudyDefinitionError) -> IntDistribution {
        guard let low = try reader.int("low") else { throw reader.error("low", "is required: an integer") }
        guard let high = try reader.int("high") else { throw reader.error("high", "is required: an integer") }
        let log = try reader.bool("log") ?? false
        guard low <= high else { throw reader.error("low", "must be <= high (got low \(low), high \(high))") }
        if log, low < 1 { throw reader.error("low", "must be >= 1 when log is true (got \(low))") }
        let step = try reader.int("step", minimum: 1) ?? 1
        if log, step != 1 { throw reader.error("step", "must be 1 when log is true (got \(step))") }
        let domain = IntDistribution(low: low, high: high, log: log, step: step)
        if domain.high != high {
            warnings.append(
                StudyDefinitionWarning(
                    file: reader.value("high")?.source ?? reader.node.source, keyPath: reader.keyPath("high"),
                    message: "\(high) is not on the grid low + k * step (step \(step)); using \(domain.high) instead"))
        }
        return domain
    }

    private func choices(_ reader: MapReader) throws(StudyDefinitionError) -> CategoricalDistribution {
        guard let node = reader.value("choices") else {
            throw reader.error("choices", "is required for a categorical parameter: a list of values")
        }
        guard case .list(let items) = node.value, !items.isEmpty else {
            throw reader.error("choices", "must be a non-empty list of values (got \(node.kindDescription))")
        }
        var values: [ParamValue] = []
        for (index, item) in items.enumerated() {
            let keyPath = reader.keyPath("choices") + "[\(index)]"
            guard let value = item.paramValue else {
                throw StudyDefinitionError(
                    file: item.source, keyPath: keyPath,
                    message: "must be a string, number, boolean or null (got \(item.kindDescription))")
            }
            if case .double(let number) = value, !number.isFinite {
                throw StudyDefinitionError(file: item.source, keyPath: keyPath, message: "must be a finite number")
            }
            if let earlier = values.first(where: { $0.matches(value) }) {
                throw StudyDefinitionError(
                    file: item.source, keyPath: keyPath, message: "repeats the choice \(earlier); choices must differ")
            }
            values.append(value)
        }
        return CategoricalDistribution(choices: values)
    }

    private func conditions(
        _ when: ConfigNode, of name: String, in parameters: [ParameterSpec], _ reader: MapReader
    ) throws(StudyDefinitionError) -> [ParameterCondition] {
        let map = try MapReader(when, path: reader.keyPath("when"), what: "when")
        guard !map.map.isEmpty else {
            throw reader.error("when", "must name at least one parent parameter and its value(s)")
        }
        var result: [ParameterCondition] = []
        for (parent, valueNode) in map.map.entries {
            let keyPath = map.keyPath(parent)
            func failure(_ message: String, at path: String? = nil, in file: String? = nil) -> StudyDefinitionError {
                StudyDefinitionError(file: file ?? valueNode.source, keyPath: path ?? keyPath, message: message)
            }
            if parent == name { throw failure("a parameter cannot depend on itself") }
            guard let parentSpec = parameters.first(where: { $0.name == parent }) else {
                var message = "names no parameter of the space"
                if let near = KeySuggestion.closest(to: parent, among: parameters.map(\.name)) {
                    message += " (did you mean \(near)?)"
                }
                throw failure(message + "; parameters: " + parameters.map(\.name).joined(separator: ", "))
            }
            if case .float = parentSpec.distribution {
                throw failure("\(parent) is a float parameter; a condition needs a categorical or int parent")
            }
            let items: [(node: ConfigNode, path: String)]
            if case .list(let list) = valueNode.value {
                guard !list.isEmpty else { throw failure("must list at least one value of \(parent)") }
                items = list.enumerated().map { ($1, "\(keyPath)[\($0)]") }
            } else {
                items = [(valueNode, keyPath)]
            }
            var values: [ParamValue] = []
            for item in items {
                guard let value = item.node.paramValue else {
                    throw failure(
                        "must be a value of \(parent) or a list of them (got \(item.node.kindDescription))",
                        at: item.path, in: item.node.source)
                }
                guard parentSpec.distribution.internalValue(of: value) != nil else {
                    throw failure(
                        "\(Self.describe(value)) is not a value \(parent) can take (\(Self.describe(parentSpec.distribution)))",
                        at: item.path, in: item.node.source)
                }
                values.append(value)
            }
            result.append(ParameterCondition(parameter: parent, values: values))
        }
        return result
    }

    private func checkCycles(_ parameters: [ParameterSpec], _ space: MapReader) throws(StudyDefinitionError) {
        let parents = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.conditions.map(\.parameter)) })
        for start in parameters where !start.conditions.isEmpty {
            // Depth-first search from `start` along parent links; reaching `start` again is a cycle.
            var stack: [[String]] = start.conditions.map { [start.name, $0.parameter] }
            var seen = Set<String>()
            while let trail = stack.popLast() {
                guard let last = trail.last else { continue }
                if last == start.name {
                    throw StudyDefinitionError(
                        file: space.map[start.name]?.source ?? space.node.source,
                        keyPath: space.keyPath(start.name) + ".when",
                        message: "conditions form a cycle: " + trail.joined(separator: " -> "))
                }
                guard seen.insert(last).inserted else { continue }
                for parent in parents[last] ?? [] { stack.append(trail + [parent]) }
            }
        }
    }

    /// The `high` Optuna uses for a stepped float range: the largest `low + k * step` not above `high`, computed in
    /// decimal arithmetic so that `0.3` with step `0.1` stays on the grid; nil when `high` is already on it.
    static func gridHigh(low: Double, high: Double, step: Double) -> Double? {
        guard let lowDecimal = Decimal(string: "\(low)"), let highDecimal = Decimal(string: "\(high)"),
            let stepDecimal = Decimal(string: "\(step)")
        else { return nil }
        var quotient = (highDecimal - lowDecimal) / stepDecimal
        var whole = Decimal()
        NSDecimalRound(&whole, &quotient, 0, .down)
        let adjusted = whole * stepDecimal + lowDecimal
        if adjusted == highDecimal { return nil }
        return NSDecimalNumber(decimal: adjusted).doubleValue
    }

    static func describe(_ value: ParamValue) -> String {
        if case .string(let text) = value { return "\"\(text)\"" }
        return value.description
    }

    static func describe(_ distribution: Distribution) -> String {
        switch distribution {
        case .categorical(let domain): return "choices: " + domain.choices.map { describe($0) }.joined(separator: ", ")
        case .int(let domain):
            return "integers from \(domain.low) to \(domain.high)"
                + (domain.step == 1 ? "" : " in steps of \(domain.step)")
        case .float(let domain): return "numbers from \(domain.low) to \(domain.high)"
        }
    }

    private func format(_ value: Double) -> String { ConfigNode.format(value) }
}
