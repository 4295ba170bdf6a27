import HPOCore

extension Distribution {
    /// The distribution as Optuna 5.0 writes it in `trial_params.distribution_json`, byte for byte:
    /// `{"name": "FloatDistribution", "attributes": {"step": null, "low": -5.0, "high": 5.0, "log": false}}`,
    /// `{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 2, "high": 16}}`,
    /// `{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null]}}`.
    public var optunaJSON: String {
        switch self {
        case .float(let domain):
            let step = domain.step.map { JSONValue.pythonFloatText($0) } ?? "null"
            return "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": \(step), \"low\": "
                + JSONValue.pythonFloatText(domain.low) + ", \"high\": " + JSONValue.pythonFloatText(domain.high)
                + ", \"log\": \(domain.log)}}"
        case .int(let domain):
            return "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": \(domain.log), \"step\": \(domain.step), "
                + "\"low\": \(domain.low), \"high\": \(domain.high)}}"
        case .categorical(let domain):
            return "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": "
                + JSONValue.array(domain.choices.map(\.json)).jsonText + "}}"
        }
    }

    /// Reads a `distribution_json` leniently, as Optuna does: any key order, ints for float bounds, the short
    /// form `{"type": "float"|"int"|"categorical", ...}`, and the legacy class names (`UniformDistribution`,
    /// `LogUniformDistribution`, `DiscreteUniformDistribution`, `IntUniformDistribution`,
    /// `IntLogUniformDistribution`). Stored bounds are kept exactly as written.
    public init(optunaJSON text: String) throws(StorageError) {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: text)
        } catch {
            throw StorageError.database("unreadable distribution_json \(text): \(error)")
        }
        func invalid(_ reason: String) -> StorageError {
            StorageError.database("unreadable distribution_json \(text): \(reason)")
        }
        let kind: String
        let attributes: JSONValue
        if let name = document["name"]?.stringValue {
            kind = name
            attributes = document["attributes"] ?? .object([:])
        } else if let type = document["type"]?.stringValue {
            kind = type
            attributes = document
        } else {
            throw invalid("neither a \"name\" nor a \"type\" key")
        }
        func number(_ key: String) throws(StorageError) -> Double {
            guard let value = attributes[key]?.doubleValue else { throw invalid("missing number \"\(key)\"") }
            return value
        }
        func integer(_ key: String) throws(StorageError) -> Int {
            let value = try number(key)
            guard value == value.rounded(), abs(value) < 9.0e18 else { throw invalid("\"\(key)\" is not an integer") }
            return Int(value)
        }
        func flag(_ key: String) -> Bool {
            if case .bool(let value)? = attributes[key] { return value }
            return false
        }
        func optionalNumber(_ key: String) -> Double? { attributes[key]?.doubleValue }

        switch kind {
        case "FloatDistribution", "float":
            self = .float(Self.exactFloat(try number("low"), try number("high"), flag("log"), optionalNumber("step")))
        case "UniformDistribution":
            self = .float(Self.exactFloat(try number("low"), try number("high"), false, nil))
        case "LogUniformDistribution":
            self = .float(Self.exactFloat(try number("low"), try number("high"), true, nil))
        case "DiscreteUniformDistribution":
            self = .float(Self.exactFloat(try number("low"), try number("high"), false, optionalNumber("q")))
        case "IntDistribution", "int", "IntUniformDistribution", "IntLogUniformDistribution":
            let step = attributes["step"]?.doubleValue.map { Int($0) } ?? 1
            let log = kind == "IntLogUniformDistribution" || flag("log")
            var domain = IntDistribution(low: try integer("low"), high: try integer("high"), log: log, step: step)
            domain.high = try integer("high")
            self = .int(domain)
        case "CategoricalDistribution", "categorical":
            guard case .array(let items)? = attributes["choices"] else { throw invalid("missing \"choices\" list") }
            var choices: [ParamValue] = []
            for item in items {
                switch item {
                case .null: choices.append(.null)
                case .bool(let value): choices.append(.bool(value))
                case .integer(let value): choices.append(.int(value))
                case .number(let value): choices.append(.double(value))
                case .string(let value): choices.append(.string(value))
                case .array, .object: throw invalid("a choice is a list or an object")
                }
            }
            self = .categorical(CategoricalDistribution(choices: choices))
        default:
            throw invalid("unknown distribution \"\(kind)\"")
        }
    }

    /// A float domain with the bounds exactly as stored (no re-adjustment of `high` to the step grid).
    private static func exactFloat(_ low: Double, _ high: Double, _ log: Bool, _ step: Double?) -> FloatDistribution {
        var domain = FloatDistribution(low: low, high: high, log: log, step: step)
        domain.high = high
        return domain
    }
}
