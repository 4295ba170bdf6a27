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
        case .null: return Node("null", Tag(.null))
        case .bool(let flag): return Node(flag ? "true" : "false", Tag(.bool))
        case .integer(let number): return Node(String(number), Tag(.int))
        case .number(let number): return Node(Self.yamlFloat(number), Tag(.float))
        case .string(let text): return Self.stringNode(text)
        case .list(let items):
            return Node(
                items.map { $0.yamlNode(depth: depth + 1) }, Tag(.seq), items.allSatisfy(\.isScalar) ? .flow : .block)
        case .map(let map):
            return Node(
                map.entries.map { (Self.stringNode($0.key), $0.value.yamlNode(depth: depth + 1)) }, Tag(.map),
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
        let plainIsSafe =
            !yaml11Booleans.contains(text) && (try? YAMLReader(source: "").read(text))?.value == .string(text)
            && !text.contains("\n") && text.trimmingCharacters(in: .whitespaces) == text
        return Node(text, Tag(.str), plainIsSafe ? .plain : .doubleQuoted)
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
