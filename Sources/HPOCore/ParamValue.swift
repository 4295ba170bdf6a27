/// The external value of one parameter, or of one choice of a categorical parameter.
///
/// Floats and ints are kept apart so that an int parameter is written as a JSON integer.
public enum ParamValue: Sendable, Hashable, CustomStringConvertible {
    case double(Double)
    case int(Int)
    case string(String)
    case bool(Bool)
    case null

    public var description: String {
        switch self {
        case .double(let value): return "\(value)"
        case .int(let value): return "\(value)"
        case .string(let value): return value
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        }
    }

    /// The value as a number, when it is one (ints and floats).
    public var numericValue: Double? {
        switch self {
        case .double(let value): return value
        case .int(let value): return Double(value)
        default: return nil
        }
    }

    /// Whether two values denote the same choice: `1` and `1.0` are the same number.
    public func matches(_ other: ParamValue) -> Bool {
        if let left = numericValue, let right = other.numericValue { return left == right }
        return self == other
    }

    /// The value as a `JSONValue`.
    public var json: JSONValue {
        switch self {
        case .double(let value): return .number(value)
        case .int(let value): return .integer(value)
        case .string(let value): return .string(value)
        case .bool(let value): return .bool(value)
        case .null: return .null
        }
    }
}

/// A JSON document, used for attributes and for anything written out as JSON.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}
