import Foundation
import Yams

extension ConfigNode {
    /// The node as YAML that reads back to the same values, in block style with the innermost maps (a parameter's
    /// domain) in flow style. Strings and keys are quoted where a plain scalar would read as something else in
    /// YAML 1.2 or 1.1 (`"yes"`, `"n"`, `"12"`); floats carry a `.` or an exponent with a sign (`1.0e-05`), so YAML
    /// 1.1 readers agree.
    var yamlText: String {
        (try? Yams.serialize(node: yamlNode(depth: 0), indent: 2, width: -1, allowUnicode: true, sortKeys: false)) ?? ""
    }

    /// Plain scalars that YAML 1.1 readers take for booleans although this reader does not.
    private static let yaml11Booleans: Set<String> = ["y", "Y", "n", "N"]

    private func yamlNode(depth: Int) -> Node {
        switch value {
        case .null: return Node("null", Tag(.null, YAMLReader.resolver))
        case .bool(let flag): return Node(flag ? "true" : "false", Tag(.bool, YAMLReader.resolver))
        case .integer(let number): return Node(String(number), Tag(.int, YAMLReader.resolver))
        case .number(let number): return Node(Self.yamlFloat(number), Tag(.float, YAMLReader.resolver))
        case .string(let text): return Self.stringNode(text)
        case .list(let items):
            return Node(
                items.map { $0.yamlNode(depth: depth + 1) }, Tag(.seq, YAMLReader.resolver),
                items.allSatisfy(\.isScalar) ? .flow : .block)
        case .map(let map):
            return Node(
                map.entries.map { (Self.stringNode($0.key), $0.value.yamlNode(depth: depth + 1)) },
                Tag(.map, YAMLReader.resolver),
                depth >= 2 && !map.isEmpty && fitsOnALine(nesting: 3) ? .flow : .block)
        }
    }

    /// Whether the node is a scalar, or a list or map of such nodes at most `nesting` levels deep.
    private func fitsOnALine(nesting: Int) -> Bool {
        switch value {
        case .list(let items): return nesting > 0 && items.allSatisfy { $0.fitsOnALine(nesting: nesting - 1) }
        case .map(let map): return nesting > 0 && map.entries.allSatisfy { $0.value.fitsOnALine(nesting: nesting - 1) }
        default: return true
        }
    }

    private static func stringNode(_ text: String) -> Node {
        Node(text, Tag(.str, YAMLReader.resolver), plainIsSafe(text) ? .plain : .doubleQuoted)
    }

    /// Whether `text` written as a plain scalar reads back as the same string, here and in YAML 1.1 readers.
    static func plainIsSafe(_ text: String) -> Bool {
        nameIsPlain(text) ?? plainReadsBack(text)
    }

    /// The answer of `plainReadsBack` for a name (a letter or `_`, then letters, digits and `_`), without parsing:
    /// such a name can only read as a null, a boolean or a refused YAML 1.1 word, never as a number. Nil for other
    /// text. A study's keys and most of its strings are names, and parsing each one was most of the time taken to
    /// write a composed study.
    static func nameIsPlain(_ text: String) -> Bool? {
        guard let first = text.utf8.first, first == UInt8(ascii: "_") || isASCIILetter(first),
            text.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || isASCIILetter($0) || (0x30...0x39).contains($0) })
        else { return nil }
        return !wordsReadAsOtherThanStrings.contains(text)
    }

    /// Whether `text` written plainly reads back as the same string (by reading it).
    static func plainReadsBack(_ text: String) -> Bool {
        !yaml11Booleans.contains(text) && (try? YAMLReader(source: "").read(text))?.value == .string(text)
            && !text.contains("\n") && text.trimmingCharacters(in: .whitespaces) == text
    }

    /// The names that do not read as themselves: nulls and booleans of the reader's schema, the YAML 1.1 words it
    /// refuses, and the YAML 1.1 booleans it reads as strings.
    private static let wordsReadAsOtherThanStrings: Set<String> = yaml11Booleans.union(YAMLReader.ambiguousWords)
        .union(["null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"])

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    static func yamlFloat(_ number: Double) -> String {
        if number.isNaN { return ".nan" }
        if number.isInfinite { return number > 0 ? ".inf" : "-.inf" }
        var text = String(number)
        if let exponent = text.firstIndex(of: "e") {
            var mantissa = String(text[..<exponent])
            var power = String(text[text.index(after: exponent)...])
            if !mantissa.contains(".") { mantissa += ".0" }
            if !power.hasPrefix("-"), !power.hasPrefix("+") { power = "+" + power }
            text = mantissa + "e" + power
        } else if !text.contains(".") {
            text += ".0"
        }
        return text
    }
}
