import Foundation
import HPOCore
import Testing

@testable import HPOStorage

@Suite("Optuna encodings")
struct EncodingTests {
    @Test func writesDistributionJSONExactlyAsOptuna() {
        let cases: [(Distribution, String)] = [
            (
                .float(FloatDistribution(low: -5, high: 5)),
                #"{"name": "FloatDistribution", "attributes": {"step": null, "low": -5.0, "high": 5.0, "log": false}}"#
            ),
            (
                .float(FloatDistribution(low: 1e-4, high: 0.1, log: true)),
                #"{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0001, "high": 0.1, "log": true}}"#
            ),
            (
                .float(FloatDistribution(low: 0, high: 1, step: 0.25)),
                #"{"name": "FloatDistribution", "attributes": {"step": 0.25, "low": 0.0, "high": 1.0, "log": false}}"#
            ),
            (
                .int(IntDistribution(low: 2, high: 16, step: 2)),
                #"{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 2, "high": 16}}"#
            ),
            (
                .int(IntDistribution(low: 1, high: 1000, log: true)),
                #"{"name": "IntDistribution", "attributes": {"log": true, "step": 1, "low": 1, "high": 1000}}"#
            ),
            (
                .categorical(CategoricalDistribution(choices: [.string("adam"), .string("sgd"), .null])),
                #"{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null]}}"#
            ),
            (
                .categorical(CategoricalDistribution(choices: [.int(1), .double(2.5), .bool(true)])),
                #"{"name": "CategoricalDistribution", "attributes": {"choices": [1, 2.5, true]}}"#
            ),
        ]
        for (distribution, json) in cases {
            #expect(distribution.optunaJSON == json)
            #expect((try? Distribution(optunaJSON: json)) == distribution)
        }
    }

    @Test func readsDistributionsLenientlyIncludingLegacyNamesAndTheShortForm() throws {
        let cases: [(String, Distribution)] = [
            (
                #"{"attributes": {"log": false, "high": 5, "low": -5, "step": null}, "name": "FloatDistribution"}"#,
                .float(FloatDistribution(low: -5, high: 5))
            ),
            (
                #"{"name": "UniformDistribution", "attributes": {"low": 0, "high": 1}}"#,
                .float(FloatDistribution(low: 0, high: 1))
            ),
            (
                #"{"name": "LogUniformDistribution", "attributes": {"low": 0.001, "high": 1.0}}"#,
                .float(FloatDistribution(low: 0.001, high: 1, log: true))
            ),
            (
                #"{"name": "DiscreteUniformDistribution", "attributes": {"low": 0.0, "high": 1.0, "q": 0.5}}"#,
                .float(FloatDistribution(low: 0, high: 1, step: 0.5))
            ),
            (
                #"{"name": "IntUniformDistribution", "attributes": {"low": 1, "high": 9, "step": 2}}"#,
                .int(IntDistribution(low: 1, high: 9, step: 2))
            ),
            (
                #"{"name": "IntLogUniformDistribution", "attributes": {"low": 1, "high": 64}}"#,
                .int(IntDistribution(low: 1, high: 64, log: true))
            ),
            (#"{"type": "int", "low": 1.0, "high": 4.0}"#, .int(IntDistribution(low: 1, high: 4))),
            (
                #"{"type": "float", "low": 0, "high": 2, "step": 0.5}"#,
                .float(FloatDistribution(low: 0, high: 2, step: 0.5))
            ),
            (
                #"{"type": "categorical", "choices": ["a", 1]}"#,
                .categorical(CategoricalDistribution(choices: [.string("a"), .int(1)]))
            ),
        ]
        for (json, distribution) in cases {
            #expect(try Distribution(optunaJSON: json) == distribution, "\(json)")
        }
        for bad in ["", "[]", #"{"name": "Nope"}"#, #"{"name": "FloatDistribution", "attributes": {"low": 0}}"#] {
            #expect(throws: StorageError.self) { try Distribution(optunaJSON: bad) }
        }
    }

    @Test func keepsAStoredStepGridBoundExactly() throws {
        // 0.7 is not low + k * step in binary floating point; the stored bound must survive a read unchanged.
        let json = #"{"name": "FloatDistribution", "attributes": {"step": 0.1, "low": 0.1, "high": 0.7, "log": false}}"#
        let distribution = try Distribution(optunaJSON: json)
        #expect(distribution.optunaJSON == json)
    }

    @Test func spellsJSONAsPythonsJsonDumps() {
        #expect(JSONValue.number(0.1).jsonText == "0.1")
        #expect(JSONValue.number(1e-05).jsonText == "1e-05")
        #expect(JSONValue.number(3).jsonText == "3.0")
        #expect(JSONValue.number(1e16).jsonText == "1e+16")
        #expect(JSONValue.number(123_456_789_012_345.6).jsonText == "123456789012345.6")
        #expect(JSONValue.number(.infinity).jsonText == "Infinity")
        #expect(JSONValue.number(-.infinity).jsonText == "-Infinity")
        #expect(JSONValue.number(.nan).jsonText == "NaN")
        #expect(JSONValue.string("team").jsonText == #""team""#)
        #expect(JSONValue.string("é\u{1F600}\"\\\n\u{01}/").jsonText == #""\u00e9\ud83d\ude00\"\\\n\u0001/""#)
        #expect(
            JSONValue.object(["b": .array([.integer(1), .null, .bool(false)]), "a": .integer(1)]).jsonText
                == #"{"a": 1, "b": [1, null, false]}"#)
    }

    @Test func readsJSONWithPythonsNonFiniteWordsAndIntegersApart() throws {
        let text =
            #"{"i": 3, "f": 3.0, "e": 1e-05, "n": NaN, "p": Infinity, "m": -Infinity, "s": "\u00e9\ud83d\ude00\/", "l": [true, null]}"#
        let value = try JSONValue(parsing: text)
        #expect(value["i"] == .integer(3))
        #expect(value["f"] == .number(3))
        #expect(value["e"] == .number(1e-05))
        #expect(value["n"]?.doubleValue?.isNaN == true)
        #expect(value["p"] == .number(.infinity))
        #expect(value["m"] == .number(-.infinity))
        #expect(value["s"] == .string("é\u{1F600}/"))
        #expect(value["l"] == .array([.bool(true), .null]))
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "01x", "-"] {
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: bad) }
        }
        let roundTrip: JSONValue = .object(["x": .array([.number(0.1), .integer(-7), .string("a\tb")])])
        #expect(try JSONValue(parsing: roundTrip.jsonText) == roundTrip)
    }

    @Test func roundedDatesAreTheDatesTheirStoredTextReadsBackAs() throws {
        var generator = SeededGenerator(seed: 7)
        var dates = [0, -0.000_000_4, -1.5, 951_782_399.999_999_6, -62_135_596_800.5]
            .map(Date.init(timeIntervalSince1970:))
        for _ in 0..<2_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: -4e9...4e9, using: &generator)))
        }
        for date in dates {
            let text = OptunaDateTime.format(date)
            #expect(text.utf8.count == 26, "\(date.timeIntervalSince1970)")
            #expect(OptunaDateTime.rounded(date) == OptunaDateTime.parse(text), "\(text)")
        }
        // Beyond year 9999 the text has more digits and no stored form: the date is kept as it is.
        let far = Date(timeIntervalSince1970: 253_402_300_800)
        #expect(OptunaDateTime.format(far) == "10000-01-01 00:00:00.000000")
        #expect(OptunaDateTime.rounded(far) == far)
    }

    @Test func formatsAndParsesOptunaDatetimes() throws {
        let date = Date(timeIntervalSince1970: 1_795_818_424.794_659)
        #expect(OptunaDateTime.format(date) == "2026-11-27 22:27:04.794659")
        #expect(OptunaDateTime.parse("2026-11-27 22:27:04.794659") == OptunaDateTime.rounded(date))
        #expect(OptunaDateTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00.000000")
        #expect(OptunaDateTime.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29 00:00:00.000000")
        let whole = try #require(OptunaDateTime.parse("2026-11-27 22:30:01"))
        #expect(OptunaDateTime.parse("2026-11-27T22:30:01") == whole)
        #expect(OptunaDateTime.parse("2026-11-27T22:30:01Z") == whole)
        #expect(OptunaDateTime.parse("2026-11-27T23:30:01+01:00") == whole)
        #expect(OptunaDateTime.parse("2026-11-27 22:30:01.5")?.timeIntervalSince(whole) == 0.5)
        for bad in [
            "", "2026-11-27", "2026-13-01 00:00:00", "2026/11/27 22:30:01", "2026-11-27 22:30:01.", "x" + "2026",
        ] {
            #expect(OptunaDateTime.parse(bad) == nil, "\(bad)")
        }
    }
}
