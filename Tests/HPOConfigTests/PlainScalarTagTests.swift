import Foundation
import Testing
import Yams

@testable import HPOConfig

@Suite struct PlainScalarTagTests {
    /// The schema's rules as the regular expressions the reader's resolver used to hold, first match wins.
    static let rules: [(Yams.Tag.Name, NSRegularExpression)] = [
        (.null, "^(?:~|null|Null|NULL|)$"),
        (.bool, "^(?:true|True|TRUE|false|False|FALSE)$"),
        (.int, "^[-+]?(?:0|[1-9][0-9]*)$"),
        (
            .float,
            "^(?:[-+]?(?:\\.[0-9]+|(?:0|[1-9][0-9]*)(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"
        ),
    ].compactMap { tag, pattern in (try? NSRegularExpression(pattern: pattern)).map { (tag, $0) } }

    static func tagByRules(_ text: String) -> Yams.Tag.Name {
        let range = NSRange(location: 0, length: text.utf16.count)
        return rules.first { $0.1.firstMatch(in: text, range: range) != nil }?.0 ?? .str
    }

    @Test func plainScalarsAreTypedAsTheRegularExpressionsTypedThem() {
        #expect(Self.rules.count == 4)
        // Every string of up to four characters from an alphabet of the rules' characters, then words.
        let alphabet: [String] = ["0", "1", "9", ".", "e", "E", "+", "-", "i", "n", "f", "a", "N", "I", "F", "~", "x"]
        var texts: [String] = [""]
        var layer: [String] = [""]
        for _ in 0..<4 {
            layer = layer.flatMap { prefix in alphabet.map { prefix + $0 } }
            texts += layer
        }
        texts += [
            "null", "Null", "NULL", "nuLL", "true", "True", "TRUE", "tRue", "false", "False", "FALSE", ".inf", "-.Inf",
            "+.INF", ".nan", ".NaN", ".NAN", "+.nan", "-.nan", "1.5e-10", "12345678901234567890", "007", "1_000",
            "0x1F", "1:30", "0.", "-0.0e+0", "١٢", "1e", "1e+", ".e5", "yes", "1 2", "3.14159",
        ]
        var mismatches: [String] = []
        for text in texts where YAMLReader.plainScalarTag(text) != Self.tagByRules(text) { mismatches.append(text) }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }
}
