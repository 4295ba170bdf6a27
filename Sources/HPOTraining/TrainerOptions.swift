import Foundation
import HPOCore

/// Reads a trainer's options with validation: every error names the key path (`trainer.epochs`) and what was
/// expected, and keys the trainer does not know are errors.
struct TrainerOptions {
    let values: [String: JSONValue]
    let prefix: String

    init(_ values: [String: JSONValue], prefix: String = "trainer") {
        self.values = values
        self.prefix = prefix
    }

    func path(_ key: String) -> String { "\(prefix).\(key)" }

    func fail(_ key: String, _ message: String) -> TrainingError {
        .invalidOption(path: path(key), message: message)
    }

    /// Rejects keys outside `known`, listing the allowed ones.
    func requireOnly(_ known: [String], for type: String) throws {
        for key in values.keys.sorted() where !known.contains(key) {
            throw fail(
                key, "unknown option of the \(type) trainer (allowed: \(known.sorted().joined(separator: ", ")))")
        }
    }

    func has(_ key: String) -> Bool { values[key] != nil }

    func int(_ key: String, minimum: Int = Int.min, maximum: Int = Int.max) throws -> Int? {
        guard let value = values[key] else { return nil }
        let bounds = Self.describeBounds(minimum, maximum)
        let integer: Int?
        switch value {
        case .integer(let number): integer = number
        case .number(let number) where number == number.rounded() && abs(number) < 1e15: integer = Int(number)
        default: integer = nil
        }
        guard let integer, integer >= minimum, integer <= maximum else {
            throw fail(key, "must be an integer\(bounds)")
        }
        return integer
    }

    func double(
        _ key: String, minimum: Double = -.infinity, maximum: Double = .infinity, minimumExclusive: Bool = false
    ) throws -> Double? {
        guard let value = values[key] else { return nil }
        let lowText = minimumExclusive ? " > \(Self.format(minimum))" : " >= \(Self.format(minimum))"
        var bounds = minimum.isFinite ? lowText : ""
        if maximum.isFinite { bounds += (bounds.isEmpty ? " <= " : " and <= ") + Self.format(maximum) }
        guard let number = value.doubleValue, number.isFinite,
            minimumExclusive ? number > minimum : number >= minimum, number <= maximum
        else { throw fail(key, "must be a number\(bounds)") }
        return number
    }

    func string(_ key: String, allowed: [String]? = nil) throws -> String? {
        guard let value = values[key] else { return nil }
        guard let text = value.stringValue else {
            if let allowed { throw fail(key, "must be one of \(allowed.joined(separator: ", "))") }
            throw fail(key, "must be a string")
        }
        if let allowed, !allowed.contains(text) {
            throw fail(key, "must be one of \(allowed.joined(separator: ", ")) (got \(text))")
        }
        return text
    }

    func stringList(_ key: String) throws -> [String]? {
        guard let value = values[key] else { return nil }
        guard case .array(let items) = value else { throw fail(key, "must be a list of names") }
        return try items.enumerated().map { index, item in
            guard let text = item.stringValue else { throw fail("\(key)[\(index)]", "must be a string") }
            return text
        }
    }

    /// A duration in seconds: a number, or a string such as `50ms`, `2s`, `1.5m`, `1h`.
    func duration(_ key: String) throws -> Double? {
        guard let value = values[key] else { return nil }
        let message = "must be a duration: seconds as a number, or a string such as 50ms, 2s, 1m"
        if let number = value.doubleValue {
            guard number.isFinite, number >= 0 else { throw fail(key, message) }
            return number
        }
        guard let text = value.stringValue, let seconds = Self.parseDuration(text) else { throw fail(key, message) }
        return seconds
    }

    static func parseDuration(_ text: String) -> Double? {
        DurationParser.seconds(in: text)
    }

    private static func describeBounds(_ minimum: Int, _ maximum: Int) -> String {
        switch (minimum != Int.min, maximum != Int.max) {
        case (true, true): return " between \(minimum) and \(maximum)"
        case (true, false): return " >= \(minimum)"
        case (false, true): return " <= \(maximum)"
        case (false, false): return ""
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
