import Foundation
import HPOCore
import Testing

@testable import HPOConfig

@Suite("Canonical definitions, hashes and diffs")
struct StudyDefinitionTests {
    static let rich = """
        name: rich
        description: "every kind, quoted \\"text\\" and unicode é"
        direction: maximize
        metric: accuracy
        sampler: {type: tpe, seed: 12, n_startup_trials: 4, prior_weight: 0.5}
        scheduler: {type: hyperband, min_resource: 2, max_resource: auto, reduction_factor: 3}
        trainer: {type: mlp, dataset: digits, epochs: 12, layers: [64, 32], rate: 1.0, extra: {a: null}}
        budget: {n_trials: 40, timeout: 1h, workers: 2}
        space:
          kind: {type: categorical, choices: [a, 2.0, 3, true, null]}
          lr: {type: float, low: 1.0e-05, high: 1.0, log: true}
          frac: {type: float, low: 0.0, high: 1.0, step: 0.25}
          n: {type: int, low: 1, high: 1024, log: true}
          k: {type: int, low: 2, high: 16, step: 2}
          deep: {type: int, low: 1, high: 4, when: {kind: [a, 3]}}
          deeper: {type: float, low: -1.0, high: 1.0, when: {deep: [3, 4], kind: a}}
        """

    func spec(_ yaml: String = rich) throws -> StudySpec {
        try StudyLoader().load(yaml: yaml, file: "rich.yaml").spec
    }

    @Test func rebuildsAnEqualSpecFromItsCanonicalDefinition() throws {
        let original = try spec()
        #expect(try StudySpec(definitionJSON: original.definitionJSON) == original)
    }

    @Test(arguments: [SchedulerSpec.none, .median(), .asha(ASHAOptions()), .percentile(PercentileOptions())])
    func rebuildsEverySchedulerKind(scheduler: SchedulerSpec) throws {
        var original = try spec()
        original.scheduler = scheduler
        original.sampler = SamplerSpec(kind: .random, seed: nil)
        original.trainer = nil
        original.budget = Budget()
        #expect(try StudySpec(definitionJSON: original.definitionJSON) == original)
    }

    @Test func keepsASeedAboveTheLargestSignedInteger() throws {
        var original = try spec()
        original.sampler.seed = UInt64.max - 5
        let rebuilt = try StudySpec(definitionJSON: original.definitionJSON)
        #expect(rebuilt.sampler.seed == UInt64.max - 5)
        #expect(rebuilt == original)
    }

    @Test func writesFloatsSoThatAJSONReaderKeepsThemFloats() throws {
        let text = try spec().definitionText
        #expect(text.contains("\"high\":1.0,"))
        #expect(text.contains("\"low\":1e-05,"))
        #expect(text.contains("\"choices\":[\"a\",2.0,3,true,null]"))
        #expect(text.contains("\"description\":\"every kind, quoted \\\"text\\\" and unicode é\""))
    }

    @Test func writesObjectKeysInSortedOrderWithoutWhitespace() {
        let value = JSONValue.object([
            "b": .integer(1), "a": .array([.bool(true), .null, .string("x\ny\u{1}")]), "c": .number(-0.5),
        ])
        #expect(CanonicalJSON.text(value) == "{\"a\":[true,null,\"x\\ny\\u0001\"],\"b\":1,\"c\":-0.5}")
    }

    @Test func hashesEqualDefinitionsEquallyAndDifferentOnesDifferently() throws {
        let first = try spec()
        let second = try spec()
        #expect(first.definitionHash == second.definitionHash)
        #expect(first.definitionHash.hasPrefix("sha256:"))
        #expect(first.definitionHash.count == "sha256:".count + 64)
        var changed = first
        changed.budget.nTrials = 41
        #expect(changed.definitionHash != first.definitionHash)
        var reordered = try spec(Self.rich.replacingOccurrences(of: "choices: [a, 2.0, 3", with: "choices: [2.0, a, 3"))
        #expect(reordered.definitionHash != first.definitionHash)
        reordered = first
        #expect(reordered.definitionHash == first.definitionHash)
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func computesSHA256OfThePublishedTestVectors(message: String, digest: String) {
        #expect(SHA256.hex(of: Array(message.utf8)) == digest)
    }

    @Test func computesSHA256OfAMillionAs() {
        let digest = SHA256.hex(of: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(digest == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func namesTheStoredDefinitionInErrors() {
        #expect(
            throws: StudyDefinitionError(
                file: "stored definition", keyPath: "space", message: "must be a list of parameters")
        ) { try StudySpec(definitionJSON: .object(["name": .string("x")])) }
    }

    // MARK: diffs

    func diff(_ old: String, _ new: String) throws -> DefinitionDiff {
        DefinitionDiff(from: try spec(old), to: try spec(new))
    }

    @Test func findsNoChangeBetweenEqualDefinitions() throws {
        let diff = try diff(Self.rich, Self.rich)
        #expect(diff.isEmpty)
        #expect(diff.compatibility == .identical)
        #expect(diff.description == "no changes")
    }

    @Test func classifiesBudgetAndDescriptionChangesAsCompatible() throws {
        let diff = try diff(
            Self.rich,
            Self.rich.replacingOccurrences(of: "n_trials: 40", with: "n_trials: 80")
                .replacingOccurrences(of: "description: \"every kind", with: "description: \"all kinds"))
        #expect(diff.compatibility == .compatible)
        #expect(diff.changes.map(\.path) == ["budget.n_trials", "description"])
        #expect(diff.changes.first?.description == "~ budget.n_trials: 40 -> 80 (compatible)")
    }

    @Test func classifiesWiderRangesAndAppendedChoicesAsWidening() throws {
        let diff = try diff(
            Self.rich,
            Self.rich.replacingOccurrences(
                of: "low: 1.0e-05, high: 1.0, log: true", with: "low: 1.0e-06, high: 2.0, log: true"
            )
            .replacingOccurrences(of: "[a, 2.0, 3, true, null]", with: "[a, 2.0, 3, true, null, z]")
            .replacingOccurrences(of: "low: 2, high: 16, step: 2", with: "low: 0, high: 20, step: 2"))
        #expect(diff.compatibility == .widening)
        #expect(
            diff.description == """
                ~ space.kind.choices: ["a",2.0,3,true,null] -> ["a",2.0,3,true,null,"z"] (widening)
                ~ space.lr.high: 1.0 -> 2.0 (widening)
                ~ space.lr.low: 1e-05 -> 1e-06 (widening)
                ~ space.k.high: 16 -> 20 (widening)
                ~ space.k.low: 2 -> 0 (widening)
                """)
    }

    @Test(arguments: [
        ("low: 1.0e-05, high: 1.0, log: true", "low: 1.0e-04, high: 1.0, log: true", "space.lr.low"),
        ("low: 1.0e-05, high: 1.0, log: true", "low: 1.0e-05, high: 1.0, log: false", "space.lr.log"),
        ("[a, 2.0, 3, true, null]", "[2.0, a, 3, true, null]", "space.kind.choices"),
        ("low: 2, high: 16, step: 2", "low: 1, high: 16, step: 2", "space.k.low"),
        ("when: {kind: [a, 3]}", "when: {kind: a}", "space.deep.when"),
        ("type: hyperband, min_resource: 2", "type: hyperband, min_resource: 1", "scheduler.min_resource"),
        ("seed: 12", "seed: 13", "sampler.seed"),
    ])
    func classifiesOtherChangesAsIncompatible(before: String, after: String, path: String) throws {
        let diff = try diff(Self.rich, Self.rich.replacingOccurrences(of: before, with: after))
        #expect(diff.compatibility == .incompatible)
        #expect(diff.changes.map(\.path).contains(path))
    }

    @Test func reportsAddedAndRemovedParameters() throws {
        let diff = try diff(
            Self.rich,
            Self.rich.replacingOccurrences(of: "  frac: {type: float, low: 0.0, high: 1.0, step: 0.25}\n", with: "")
                + "\n  extra: {type: float, low: 0.0, high: 1.0}")
        #expect(diff.compatibility == .incompatible)
        #expect(
            diff.changes.map(\.description) == [
                "- space.frac: {\"high\":1.0,\"log\":false,\"low\":0.0,\"name\":\"frac\",\"step\":0.25,\"type\":\"float\"}",
                "+ space.extra: {\"high\":1.0,\"log\":false,\"low\":0.0,\"name\":\"extra\",\"step\":null,\"type\":\"float\"}",
            ])
    }
}
