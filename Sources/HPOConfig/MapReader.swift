import HPOCore

/// Reads the keys of one map of a configuration document with validation. Every error names the file where the
/// offending value was written, its key path and what was expected. A key whose value is null counts as absent.
struct MapReader {
    let node: ConfigNode
    let map: ConfigMap
    let path: String

    /// `node` must be a map; `what` says what the map is, for the error otherwise ("the scheduler section").
    init(_ node: ConfigNode, path: String, what: String) throws(StudyDefinitionError) {
        guard case .map(let map) = node.value else {
            throw StudyDefinitionError(
                file: node.source, keyPath: path, message: "\(what) must be a map of keys (got \(node.kindDescription))"
            )
        }
        self.node = node
        self.map = map
        self.path = path
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error about `key`, located in the file of its value (or of the map when the key is absent).
    func error(_ key: String, _ message: String) -> StudyDefinitionError {
        StudyDefinitionError(file: map[key]?.source ?? node.source, keyPath: keyPath(key), message: message)
    }

    /// Fails on the first key not in `allowed`, suggesting the nearest allowed key.
    func requireOnly(_ allowed: [String], what: String = "key") throws(StudyDefinitionError) {
        for key in map.keys where !allowed.contains(key) {
            throw error(key, KeySuggestion.unknownKeyMessage(key, allowed: allowed, what: what))
        }
    }

    /// The value of `key`, nil when absent or null.
    func value(_ key: String) -> ConfigNode? {
        guard let node = map[key] else { return nil }
        if case .null = node.value { return nil }
        return node
    }

    func string(_ key: String) throws(StudyDefinitionError) -> String? {
        guard let node = value(key) else { return nil }
        guard case .string(let text) = node.value else {
            throw error(key, "must be a string (got \(node.kindDescription))")
        }
        return text
    }

    /// A string from a fixed set of words.
    func word(_ key: String, allowed: [String]) throws(StudyDefinitionError) -> String? {
        guard let node = value(key) else { return nil }
        let list = allowed.joined(separator: ", ")
        guard case .string(let text) = node.value else {
            throw error(key, "must be one of \(list) (got \(node.kindDescription))")
        }
        guard allowed.contains(text) else {
            var message = "must be one of \(list) (got \(text))"
            if let near = KeySuggestion.closest(to: text, among: allowed) { message += "; did you mean \(near)?" }
            throw error(key, message)
        }
        return text
    }

    func int(_ key: String, minimum: Int? = nil) throws(StudyDefinitionError) -> Int? {
        guard let node = value(key) else { return nil }
        let expected = minimum.map { "an integer >= \($0)" } ?? "an integer"
        guard case .integer(let number) = node.value else {
            throw error(key, "must be \(expected) (got \(node.kindDescription))")
        }
        if let minimum, number < minimum { throw error(key, "must be \(expected) (got \(number))") }
        return number
    }

    /// A finite number; integers are widened.
    func double(_ key: String) throws(StudyDefinitionError) -> Double? {
        guard let node = value(key) else { return nil }
        switch node.value {
        case .integer(let number): return Double(number)
        case .number(let number) where number.isFinite: return number
        default: throw error(key, "must be a finite number (got \(node.kindDescription))")
        }
    }

    func bool(_ key: String) throws(StudyDefinitionError) -> Bool? {
        guard let node = value(key) else { return nil }
        guard case .bool(let flag) = node.value else {
            throw error(key, "must be true or false (got \(node.kindDescription))")
        }
        return flag
    }

    /// `auto` or an integer >= 1.
    func resource(_ key: String) throws(StudyDefinitionError) -> ResourceSetting? {
        guard let node = value(key) else { return nil }
        switch node.value {
        case .string("auto"): return .auto
        case .integer(let number) where number >= 1: return .value(number)
        default: throw error(key, "must be auto or an integer >= 1 (got \(node.kindDescription))")
        }
    }

    /// A sub-map, nil when absent or null.
    func section(_ key: String, what: String) throws(StudyDefinitionError) -> MapReader? {
        guard let node = value(key) else { return nil }
        return try MapReader(node, path: keyPath(key), what: what)
    }
}
