import Foundation
import HPOCore
import Testing

@testable import HPOConfig

/// Every file of the repository's `studies/` and `configs/` is read and validated, so the examples cannot drift.
@Suite("Example studies and configs")
struct ExampleFilesTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var studyFiles: [String] { files(in: "studies") }
    static var configFiles: [String] { files(in: "configs") }

    /// Repository-relative paths of the YAML files below `folder`, sorted.
    static func files(in folder: String) -> [String] {
        let base = repositoryRoot.appendingPathComponent(folder).resolvingSymlinksInPath()
        let enumerator = FileManager.default.enumerator(atPath: base.path)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".yaml") || path.hasSuffix(".yml") { found.append("\(folder)/\(path)") }
        }
        return found.sorted()
    }

    var composer: StudyComposer {
        StudyComposer(
            configDirectory: Self.repositoryRoot.appendingPathComponent("configs"),
            workingDirectory: Self.repositoryRoot)
    }

    func url(_ path: String) -> URL { Self.repositoryRoot.appendingPathComponent(path) }

    @Test func findsTheExampleFiles() {
        #expect(Self.studyFiles.contains("studies/conditional.yaml"))
        #expect(Self.configFiles.contains("configs/sampler/tpe.yaml"))
        #expect(Self.configFiles.count >= 18)
    }

    @Test(arguments: studyFiles)
    func composesAndValidatesEveryStudy(path: String) throws {
        let composed = try composer.compose(studyFile: url(path))
        #expect(composed.warnings.isEmpty, "\(composed.warnings)")
        #expect(try StudySpec(definitionJSON: composed.spec.definitionJSON) == composed.spec)
        #expect(try StudyLoader().load(yaml: composed.yaml, file: path).spec == composed.spec)
        if let trainer = composed.spec.trainer, trainer.type == "function" {
            let objective = trainer.options["objective"]?.stringValue ?? ""
            #expect(["sphere", "branin", "hartmann6", "rosenbrock", "curve"].contains(objective))
        }
    }

    @Test(arguments: studyFiles)
    func composesEveryStudyWithEveryOptionOfEveryGroupItUses(path: String) throws {
        let base = try composer.compose(studyFile: url(path))
        let groups = try composer.configGroups(forStudyAt: url(path))
        for (group, chosen) in base.choices.sorted(by: { $0.key < $1.key }) {
            for option in groups[group] ?? [] where option != chosen {
                let composed = try composer.compose(studyFile: url(path), overrides: ["\(group)=\(option)"])
                #expect(composed.choices[group] == option)
                #expect(composed.spec.name == base.spec.name)
            }
        }
    }

    @Test(arguments: configFiles)
    func readsEveryConfigOptionAsAMap(path: String) throws {
        let text = try String(contentsOf: url(path), encoding: .utf8)
        let node = try YAMLReader(source: path).read(text)
        #expect(node?.map != nil, "\(path) must hold a map of keys")
    }

    /// A study that picks an option of every group; each option of each group is swapped in by an override.
    @Test func composesEveryOptionOfEveryGroupIntoAValidStudy() throws {
        let groups = try composer.configGroups(forStudyAt: url("studies/x.yaml"))
        #expect(Set(groups.keys).isSuperset(of: ["sampler", "scheduler", "budget", "trainer", "dataset"]))
        let defaults = groups.keys.sorted().map { "  - \($0): \(groups[$0]?.first ?? "")" }.joined(separator: "\n")
        let study =
            "defaults:\n\(defaults)\nname: every\ndirection: maximize\nspace: {x: {type: float, low: 0, high: 1}}"
        for (group, options) in groups {
            for option in options {
                let composed = try composer.compose(
                    yaml: study, studyFile: url("studies/every.yaml"), overrides: ["\(group)=\(option)"])
                #expect(composed.provenance.values.contains("configs/\(group)/\(option).yaml"))
            }
        }
    }

    @Test func runsTheDigitsStudyWithIssueSevensOverrides() throws {
        let composed = try composer.compose(
            studyFile: url("studies/digits-mlp.yaml"),
            overrides: ["sampler=random", "budget=smoke", "scheduler.reduction_factor=2"])
        #expect(composed.spec.sampler.kind == .random)
        #expect(composed.spec.budget.nTrials == 5)
        guard case .asha(let options) = composed.spec.scheduler else {
            Issue.record("expected ASHA, got \(composed.spec.scheduler)")
            return
        }
        #expect(options.reductionFactor == 2)
        #expect(composed.provenance["scheduler.reduction_factor"] == "override 'scheduler.reduction_factor=2'")
        #expect(composed.choices["budget"] == "smoke")
    }

    @Test func placesDatasetOptionsInTheTrainerSection() throws {
        let study = """
            defaults: [trainer: mlp, dataset: diabetes]
            name: d
            direction: minimize
            space: {lr: {type: float, low: 1.0e-4, high: 1.0, log: true}}
            """
        let composed = try composer.compose(yaml: study, studyFile: url("studies/d.yaml"))
        let options = composed.spec.trainer?.options ?? [:]
        #expect(composed.spec.trainer?.type == "mlp")
        #expect(options["dataset"] == .string("diabetes"))
        #expect(options["target"] == .string("target"))
        #expect(options["metric"] == .string("rmse"))
        #expect(options["epochs"] == .integer(30))
        #expect(options["select"] == .string("final"))
    }
}
