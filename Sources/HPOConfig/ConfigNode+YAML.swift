import Foundation
import Yams

extension ConfigNode {
    /// The node as block-style YAML that reads back to the same values (strings quoted where a plain scalar would
    /// read as something else; floats with a `.` or an exponent, so YAML 1.1 readers agree).
    var yamlText: String {
        (try? Yams.serialize(node: yamlNode, indent: 2, width: -1, allowUnicode: true, sortKeys: false)) ?? ""
    }

    private var yamlNode: Node {
        switch value {
        case .null: return Node("null", Tag(.null))
        case .bool(let flag): return Node(flag ? "true" : "false", Tag(.bool))
        case .integer(let number): return Node(String(number), Tag(.int))
        case .number(let number): return Node(Self.yamlFloat(number), Tag(.float))
        case .string(let text):
            let plainIsSafe =
                (try? YAMLReader(source: "").read(text))?.value == .string(text) && !text.contains("\n")
                && text.trimmingCharacters(in: .whitespaces) == text
            return Node(text, Tag(.str), plainIsSafe ? .plain : .doubleQuoted)
        case .list(let items):
            return Node(items.map(\.yamlNode), Tag(.seq), items.allSatisfy(\.isScalar) ? .flow : .block)
        case .map(let map):
            return Node(map.entries.map { (Node($0.key, Tag(.str), .plain), $0.value.yamlNode) }, Tag(.map), .block)
        }
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
