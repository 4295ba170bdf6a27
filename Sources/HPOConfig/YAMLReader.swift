import Foundation
import Yams

/// Reads YAML text into `ConfigNode`s.
///
/// Scalars are typed by a YAML 1.2 core schema: `true`/`false` are booleans, `null`/`~`/empty is null, decimal
/// integers and floats (`1e-3`, `.inf`, `.nan`) are numbers, anything else is a string. Numbers with a leading zero
/// (`017`, octal in YAML 1.1), sexagesimal (`1:30`) and hexadecimal forms stay strings, so they are never misread. The YAML 1.1 words that
/// older readers (PyYAML, Hydra's OmegaConf) take for booleans (`yes`, `no`, `on`, `off` and their capitalised
/// forms) are refused as plain values, since the two schemas disagree on them: the message asks for `true`/`false`
/// or a quoted string. As keys they are plain names. Duplicate keys (reported by Yams), merge keys (`<<`) and custom tags are errors.
struct YAMLReader {
    /// Where the text came from, as errors and provenance show it.
    let source: String

    static let ambiguousWords: Set<String> = [
        "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
    ]

    /// Reads a document; nil for an empty one.
    func read(_ text: String) throws(StudyDefinitionError) -> ConfigNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, Self.resolver)
        } catch let error as YamlError {
            throw StudyDefinitionError(file: source, keyPath: "", message: "invalid YAML: \(Self.describe(error))")
        } catch {
            throw StudyDefinitionError(file: source, keyPath: "", message: "invalid YAML: \(error)")
        }
        guard let root else { return nil }
        return try convert(root, path: "")
    }

    private func convert(_ node: Node, path: String) throws(StudyDefinitionError) -> ConfigNode {
        switch node {
        case .scalar(let scalar):
            return ConfigNode(try scalarValue(scalar, path: path), source: source)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            for (index, item) in sequence.enumerated() {
                items.append(try convert(item, path: "\(path)[\(index)]"))
            }
            return ConfigNode(.list(items), source: source)
        case .mapping(let mapping):
            var map = ConfigMap()
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let keyScalar) = keyNode, !keyScalar.string.isEmpty else {
                    throw StudyDefinitionError(
                        file: source, keyPath: path, message: "keys must be plain names, not lists, maps or empty")
                }
                let key = keyScalar.string
                let keyPath = path.isEmpty ? key : "\(path).\(key)"
                if key == "<<", keyScalar.style == .plain {
                    throw StudyDefinitionError(
                        file: source, keyPath: keyPath, message: "merge keys (<<) are not supported; write the keys out"
                    )
                }
                map[key] = try convert(valueNode, path: keyPath)
            }
            return ConfigNode(.map(map), source: source)
        case .alias:
            throw StudyDefinitionError(file: source, keyPath: path, message: "YAML aliases are not supported")
        }
    }

    private func scalarValue(_ scalar: Node.Scalar, path: String) throws(StudyDefinitionError) -> ConfigNode.Value {
        let text = scalar.string
        // A plain scalar without a tag still has Yams' implicit tag here (nothing has resolved it: Yams resolves a
        // scalar's tag when it is hashed, which only mapping keys are), and is typed by the schema; a quoted one
        // has `str`, a tagged one its tag.
        let tag = scalar.tag.description
        switch tag == Tag.Name.implicit.rawValue ? Self.plainScalarTag(text) : Tag.Name(rawValue: tag) {
        case .null:
            return .null
        case .bool:
            return .bool(text.lowercased() == "true")
        case .int:
            guard let value = Int(text) else {
                throw StudyDefinitionError(file: source, keyPath: path, message: "integer \(text) is out of range")
            }
            return .integer(value)
        case .float:
            guard let value = Self.parseFloat(text) else {
                throw StudyDefinitionError(file: source, keyPath: path, message: "\(text) is not a number")
            }
            return .number(value)
        case .str:
            if scalar.style == .plain, Self.ambiguousWords.contains(text) {
                let meaning = ["yes", "on"].contains(text.lowercased()) ? "true" : "false"
                throw StudyDefinitionError(
                    file: source, keyPath: path,
                    message:
                        "\(text) is a boolean in YAML 1.1 but a string in YAML 1.2; write \(meaning) for a boolean "
                        + "or \"\(text)\" (quoted) for a string")
            }
            return .string(text)
        default:
            throw StudyDefinitionError(
                file: source, keyPath: path, message: "unsupported YAML tag \(Node.scalar(scalar).tag.description)")
        }
    }

    /// Reads a YAML 1.2 float (`1.5`, `1e-3`, `.5`, `.inf`, `-.inf`, `.nan`).
    static func parseFloat(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default:
            var cleaned = text
            // `1.` and `1.e5` are YAML floats; Swift's parser wants a digit after the point.
            if let point = cleaned.firstIndex(of: "."),
                cleaned.index(after: point) == cleaned.endIndex || !cleaned[cleaned.index(after: point)].isNumber
            {
                cleaned.insert("0", at: cleaned.index(after: point))
            }
            if cleaned.hasPrefix(".") || cleaned.hasPrefix("-.") || cleaned.hasPrefix("+.") {
                cleaned.insert("0", at: cleaned.firstIndex(of: ".") ?? cleaned.startIndex)
            }
            return Double(cleaned)
        }
    }

    /// Yams' resolver without rules: a plain scalar's type is decided by `plainScalarTag(_:)`, in code, instead
    /// of by regular expressions (compiling the first one initialised ICU's regular expression tables, a few
    /// milliseconds of every `hpo` process that reads a study).
    static let resolver = Resolver.basic

    /// The tag of a plain, untagged scalar under the reader's YAML 1.2 core schema, first match wins:
    /// null `~|null|Null|NULL|` (empty), bool `true|True|TRUE|false|False|FALSE`, int `[-+]?(0|[1-9][0-9]*)`,
    /// float `[-+]?(\.[0-9]+|(0|[1-9][0-9]*)(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)`,
    /// else str.
    static func plainScalarTag(_ text: String) -> Tag.Name {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE", "false", "False", "FALSE": return .bool
        case ".nan", ".NaN", ".NAN": return .float
        default: break
        }
        var rest = Substring(text).utf8[...]
        if let first = rest.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { rest = rest.dropFirst() }
        if ["inf", "Inf", "INF"].contains(where: { rest.elementsEqual(".\($0)".utf8) }) { return .float }
        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        // The integer part: 0, or a digit from 1 to 9 and more digits; then an optional fraction.
        let integerDigits = rest.prefix(while: isDigit)
        var hasMantissa = false
        if let first = integerDigits.first {
            guard first != UInt8(ascii: "0") || integerDigits.count == 1 else { return .str }
            rest = rest.dropFirst(integerDigits.count)
            if rest.isEmpty { return .int }
            hasMantissa = true
        }
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            let fraction = rest.prefix(while: isDigit)
            // Without an integer part the fraction needs a digit (`.5`); with one it may be empty (`1.`).
            guard hasMantissa || !fraction.isEmpty else { return .str }
            rest = rest.dropFirst(fraction.count)
            hasMantissa = true
        }
        guard hasMantissa else { return .str }
        if let first = rest.first, first == UInt8(ascii: "e") || first == UInt8(ascii: "E") {
            rest = rest.dropFirst()
            if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { rest = rest.dropFirst() }
            let exponent = rest.prefix(while: isDigit)
            guard !exponent.isEmpty else { return .str }
            rest = rest.dropFirst(exponent.count)
        }
        return rest.isEmpty ? .float : .str
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return "\(prefix)\(problem) at line \(mark.line), column \(mark.column)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = Set(duplicates).sorted().joined(separator: ", ")
            return "key \(keys) appears twice (first at line \(context.mark.line), column \(context.mark.column))"
        default:
            return "\(error)"
        }
    }
}
