import Foundation

/// One command-line override, in the grammar Hydra users know (the parts that fit a study):
/// `a.b.c=value` changes an existing key, `+a.b=value` adds a key that does not exist, `++a.b=value` sets a key
/// whether it exists or not, `~a.b` (or `~a.b=value`, only when the value matches) removes a key, and
/// `group=option` / `+group=option` / `~group` change the options picked from `configs/`. Values are typed as YAML
/// types them: `1e-3` is a number, `true` a boolean, `[a, b]` a list, `'1'` a string; `key=` is the empty string.
struct ConfigOverride: Sendable, Hashable {
    enum Operation: Sendable, Hashable {
        case change
        case add
        case force
        case delete
    }

    let text: String
    let operation: Operation
    let key: String
    let path: [String]
    /// Nil for `~key` without a value.
    let value: ConfigNode?

    /// The name errors and provenance give the override: `override 'a.b=1'`.
    var source: String { "override '\(text)'" }

    static let forbiddenKeyCharacters: Set<Character> = ["[", "]", ",", "=", " ", "\t", "\n", "'", "\"", "$", "@"]

    init(parsing text: String) throws(StudyDefinitionError) {
        self.text = text
        let source = "override '\(text)'"
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        if body.hasPrefix("++") {
            operation = .force
            body = body.dropFirst(2)
        } else if body.hasPrefix("+") {
            operation = .add
            body = body.dropFirst()
        } else if body.hasPrefix("~") {
            operation = .delete
            body = body.dropFirst()
        } else {
            operation = .change
        }
        let parts = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(parts[0]).trimmingCharacters(in: .whitespaces)
        let grammar = "expected key=value, +key=value, ++key=value, ~key or group=option"
        guard !key.isEmpty else {
            throw StudyDefinitionError(file: source, keyPath: "", message: "names no key; \(grammar)")
        }
        if key.contains("@") {
            throw StudyDefinitionError(
                file: source, keyPath: key,
                message: "package overrides (group@package=option) are not supported; \(grammar)")
        }
        let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if path.contains(where: { $0.isEmpty || $0.contains(where: Self.forbiddenKeyCharacters.contains) }) {
            throw StudyDefinitionError(
                file: source, keyPath: key,
                message: "is not a key path (names separated by dots, without spaces, quotes, brackets or commas)")
        }
        self.key = key
        self.path = path
        if parts.count < 2 {
            guard operation == .delete else {
                throw StudyDefinitionError(file: source, keyPath: key, message: "has no value; \(grammar)")
            }
            value = nil
            return
        }
        let valueText = String(parts[1]).trimmingCharacters(in: .whitespaces)
        if valueText.isEmpty {
            value = ConfigNode(.string(""), source: source)
            return
        }
        do {
            value = try YAMLReader(source: source).read(valueText) ?? ConfigNode(.string(""), source: source)
        } catch {
            throw StudyDefinitionError(
                file: source,
                keyPath: error.keyPath.isEmpty
                    ? key : "\(key)\(error.keyPath.hasPrefix("[") ? "" : ".")\(error.keyPath)",
                message: error.message)
        }
    }
}
