import HPOCore

/// One value of a configuration document (a study file, an option of a `configs/` group, an override), with the
/// place it was written. Maps keep the order of their keys, so a composed study prints and decodes in the order the
/// user wrote it.
struct ConfigNode: Sendable, Hashable {
    indirect enum Value: Sendable, Hashable {
        case null
        case bool(Bool)
        case integer(Int)
        case number(Double)
        case string(String)
        case list([ConfigNode])
        case map(ConfigMap)
    }

    var value: Value
    /// Where the value was written (a display name such as `studies/x.yaml` or `override 'a.b=1'`).
    var source: String

    init(_ value: Value, source: String) {
        self.value = value
        self.source = source
    }

    var map: ConfigMap? {
        if case .map(let map) = value { return map }
        return nil
    }

    var isScalar: Bool {
        switch value {
        case .list, .map: return false
        default: return true
        }
    }

    /// A short description of the value for messages: `the string "abc"`, `the integer 3`, `a list`, `a map`.
    var kindDescription: String {
        switch value {
        case .null: return "null"
        case .bool(let value): return "the boolean \(value)"
        case .integer(let value): return "the integer \(value)"
        case .number(let value): return "the number \(ConfigNode.format(value))"
        case .string(let value): return "the string \"\(value)\""
        case .list: return "a list"
        case .map: return "a map"
        }
    }

    /// The value as JSON (map order is lost).
    var json: JSONValue {
        switch value {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .integer(let value): return .integer(value)
        case .number(let value): return .number(value)
        case .string(let value): return .string(value)
        case .list(let items): return .array(items.map(\.json))
        case .map(let map):
            return .object(Dictionary(uniqueKeysWithValues: map.entries.map { ($0.key, $0.value.json) }))
        }
    }

    /// A scalar as a parameter value (choices and `when` values); nil for lists and maps.
    var paramValue: ParamValue? {
        switch value {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .integer(let value): return .int(value)
        case .number(let value): return .double(value)
        case .string(let value): return .string(value)
        case .list, .map: return nil
        }
    }

    /// A number as written in messages: integral values without a fraction.
    static func format(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) + ".0" }
        return String(value)
    }

    /// Replaces the source of this node and of everything under it.
    func withSource(_ source: String) -> ConfigNode {
        var copy = self
        copy.source = source
        switch value {
        case .list(let items): copy.value = .list(items.map { $0.withSource(source) })
        case .map(var map):
            for key in map.keys { map[key] = map[key]?.withSource(source) }
            copy.value = .map(map)
        default: break
        }
        return copy
    }

    /// Merges `overlay` over this node: maps merge key by key (recursively), anything else is replaced.
    func merged(with overlay: ConfigNode) -> ConfigNode {
        guard case .map(var base) = value, case .map(let top) = overlay.value else { return overlay }
        for (key, node) in top.entries {
            if let existing = base[key] {
                base[key] = existing.merged(with: node)
            } else {
                base[key] = node
            }
        }
        return ConfigNode(.map(base), source: overlay.source)
    }

    /// Every leaf (scalars, lists and empty maps) with its dotted path and source, in document order.
    func leaves(prefix: String = "") -> [(path: String, source: String)] {
        guard case .map(let map) = value, !map.isEmpty else { return [(prefix, source)] }
        return map.entries.flatMap { key, node in
            node.leaves(prefix: prefix.isEmpty ? key : "\(prefix).\(key)")
        }
    }
}

/// A map of a configuration document that keeps the order of its keys.
struct ConfigMap: Sendable, Hashable {
    private(set) var keys: [String] = []
    private var storage: [String: ConfigNode] = [:]

    init() {}

    var isEmpty: Bool { keys.isEmpty }

    var entries: [(key: String, value: ConfigNode)] {
        keys.compactMap { key in storage[key].map { (key, $0) } }
    }

    /// Setting a new key appends it; setting nil removes the key.
    subscript(key: String) -> ConfigNode? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
}
