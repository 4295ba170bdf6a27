import Foundation
import HPOCore
import Testing

@testable import HPOConfig

/// A temporary project folder with `configs/` groups and a `studies/` folder, removed with the fixture.
final class ConfigFixture: Sendable {
    let root: URL

    init(files: [String: String] = ConfigFixture.standardConfigs) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("hpo-config-\(UUID().uuidString)")
        for (path, text) in files { try write(path, text) }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    static let standardConfigs: [String: String] = [
        "configs/sampler/tpe.yaml": "type: tpe\nn_startup_trials: 10\n",
        "configs/sampler/random.yaml": "type: random\n",
        "configs/scheduler/asha.yaml": "type: asha\nmin_resource: 1\nreduction_factor: 3\n",
        "configs/scheduler/median.yaml": "type: median\nn_startup_trials: 5\n",
        "configs/budget/smoke.yaml": "n_trials: 5\ntimeout: 5m\nworkers: 1\n",
        "configs/budget/default.yaml": "n_trials: 50\nworkers: 2\n",
        "configs/trainer/mlp.yaml": "type: mlp\nepochs: 30\nlayers: [64, 64]\n",
        "configs/dataset/digits.yaml": "# @package trainer\n# handwritten digits\ndataset: digits\ntarget: label\n",
        "configs/misc/everything.yaml": "# @package _global_\nmetric: accuracy\ndescription: from a global option\n",
    ]

    func write(_ path: String, _ text: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    var composer: StudyComposer { StudyComposer(workingDirectory: root) }

    /// Writes `studies/s.yaml` and composes it.
    func compose(_ study: String, _ overrides: [String] = []) throws -> ComposedStudy {
        try write("studies/s.yaml", study)
        return try composer.compose(studyFile: root.appendingPathComponent("studies/s.yaml"), overrides: overrides)
    }

    /// The message of the error composing fails with, or nil when it succeeds.
    func failure(_ study: String, _ overrides: [String] = []) -> String? {
        do {
            _ = try compose(study, overrides)
            return nil
        } catch {
            return "\(error)"
        }
    }
}

@Suite("Composition and overrides")
struct StudyComposerTests {
    static let study = """
        defaults:
          - sampler: tpe
          - scheduler: asha
          - budget: smoke
          - trainer: mlp
          - dataset: digits
        name: composed
        direction: maximize
        sampler: {seed: 3}
        trainer: {epochs: 10}
        space:
          lr: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}
          depth: {type: int, low: 1, high: 4}
        """

    static let plain = """
        name: plain
        direction: minimize
        budget: {n_trials: 20, workers: 1}
        space:
          x: {type: float, low: -1.0, high: 1.0}
        """

    @Test func mergesTheStudysOwnKeysOverTheOptionsItPicks() throws {
        let composed = try ConfigFixture().compose(Self.study)
        var tpe = TPEOptions()
        tpe.nStartupTrials = 10
        #expect(composed.spec.sampler == SamplerSpec(kind: .tpe(tpe), seed: 3))
        var asha = ASHAOptions()
        asha.minResource = .value(1)
        asha.reductionFactor = 3
        #expect(composed.spec.scheduler == .asha(asha))
        #expect(composed.spec.budget == Budget(nTrials: 5, timeout: 300, workers: 1))
        #expect(
            composed.spec.trainer
                == TrainerSpec(
                    type: "mlp",
                    options: [
                        "epochs": .integer(10), "layers": .array([.integer(64), .integer(64)]),
                        "dataset": .string("digits"), "target": .string("label"),
                    ]))
        #expect(
            composed.choices == [
                "sampler": "tpe", "scheduler": "asha", "budget": "smoke", "trainer": "mlp", "dataset": "digits",
            ])
    }

    @Test func recordsWhereEveryValueCameFrom() throws {
        let composed = try ConfigFixture().compose(Self.study, ["budget.n_trials=8"])
        #expect(composed.provenance["sampler.type"] == "configs/sampler/tpe.yaml")
        #expect(composed.provenance["sampler.seed"] == "studies/s.yaml")
        #expect(composed.provenance["trainer.dataset"] == "configs/dataset/digits.yaml")
        #expect(composed.provenance["trainer.epochs"] == "studies/s.yaml")
        #expect(composed.provenance["budget.n_trials"] == "override 'budget.n_trials=8'")
        #expect(composed.provenance["space.lr.low"] == "studies/s.yaml")
        #expect(composed.provenanceJSON["budget.timeout"] == .string("configs/budget/smoke.yaml"))
        #expect(composed.overrides == ["budget.n_trials=8"])
    }

    @Test func replacesListsInsteadOfMergingThem() throws {
        let study = Self.study.replacingOccurrences(of: "trainer: {epochs: 10}", with: "trainer: {layers: [32]}")
        let composed = try ConfigFixture().compose(study)
        #expect(composed.spec.trainer?.options["layers"] == .array([.integer(32)]))
    }

    @Test func mergesOptionsOverTheStudyWhenSelfComesFirst() throws {
        let study = Self.study.replacingOccurrences(of: "defaults:\n", with: "defaults:\n  - _self_\n")
            .replacingOccurrences(of: "trainer: {epochs: 10}", with: "trainer: {epochs: 10}\nbudget: {n_trials: 99}")
        let composed = try ConfigFixture().compose(study)
        #expect(composed.spec.budget.nTrials == 5)
        #expect(composed.spec.trainer?.options["epochs"] == .integer(30))
    }

    @Test func placesAGlobalPackageOptionAtTheTopLevel() throws {
        let study = Self.study.replacingOccurrences(of: "  - dataset: digits\n", with: "  - misc: everything\n")
        let composed = try ConfigFixture().compose(study)
        #expect(composed.spec.metric == "accuracy")
        #expect(composed.spec.description == "from a global option")
    }

    @Test func picksAnotherOptionOfAGroup() throws {
        let composed = try ConfigFixture().compose(Self.study, ["sampler=random", "scheduler=median"])
        #expect(composed.spec.sampler == SamplerSpec(kind: .random, seed: 3))
        #expect(composed.spec.scheduler == .median(PercentileOptions()))
        #expect(composed.choices["sampler"] == "random")
    }

    @Test func runsIssueSevensExampleCommandLine() throws {
        let composed = try ConfigFixture().compose(
            Self.study, ["sampler=random", "budget=smoke", "scheduler.reduction_factor=2"])
        var asha = ASHAOptions()
        asha.minResource = .value(1)
        asha.reductionFactor = 2
        #expect(composed.spec.scheduler == .asha(asha))
        #expect(composed.spec.sampler.kind == .random)
        #expect(composed.spec.budget.nTrials == 5)
    }

    @Test func addsAGroupThatIsNotInTheDefaultsAfterTheStudysOwnKeys() throws {
        let study = Self.plain
        let composed = try ConfigFixture().compose(study, ["+scheduler=asha", "+budget=default"])
        #expect(composed.spec.scheduler != .none)
        // A group added on the command line wins over the study's own keys.
        #expect(composed.spec.budget == Budget(nTrials: 50, workers: 2))
        #expect(composed.choices == ["scheduler": "asha", "budget": "default"])
    }

    @Test func letsAnOptionChosenOnTheCommandLineWinOverTheStudysOwnKeys() throws {
        let study = Self.study.replacingOccurrences(of: "  - budget: smoke\n", with: "")
            .replacingOccurrences(of: "trainer: {epochs: 10}", with: "budget: {n_trials: 60, workers: 2, timeout: 30m}")
        let composed = try ConfigFixture().compose(study, ["budget=smoke", "scheduler=median"])
        #expect(composed.spec.budget == Budget(nTrials: 5, timeout: 300, workers: 1))
        #expect(composed.provenance["budget.n_trials"] == "configs/budget/smoke.yaml")
        #expect(composed.spec.scheduler == .median(PercentileOptions()))
        #expect(composed.choices["budget"] == "smoke")
        #expect(composed.provenance["scheduler.reduction_factor"] == nil)
    }

    @Test func removesAGroupFromTheDefaults() throws {
        let composed = try ConfigFixture().compose(Self.study, ["~scheduler"])
        #expect(composed.spec.scheduler == .none)
        #expect(composed.choices["scheduler"] == nil)
    }

    @Test func forcesAGroupChoiceAndDeselectsAGroupWithNull() throws {
        let composed = try ConfigFixture().compose(
            Self.plain, ["++sampler=random", "++scheduler=median", "scheduler=null"])
        #expect(composed.spec.sampler.kind == .random)
        #expect(composed.spec.scheduler == .none)
        #expect(composed.choices == ["sampler": "random"])
    }

    @Test func removesAStudySectionWhenTheGroupIsNotInTheDefaults() throws {
        let study = Self.plain + "\nscheduler: {type: median}\ntrainer: {type: function, objective: sphere}"
        let composed = try ConfigFixture().compose(study, ["~scheduler", "~trainer"])
        #expect(composed.spec.scheduler == .none)
        #expect(composed.spec.trainer == nil)
    }

    @Test func setsAddsForcesAndDeletesKeys() throws {
        let composed = try ConfigFixture().compose(
            Self.study,
            [
                "budget.n_trials=7", "+sampler.n_ei_candidates=48", "++budget.workers=3", "++trainer.dropout=0.5",
                "~budget.timeout", "~trainer.target=label", "+space.momentum={type: float, low: 0, high: 0.9}",
            ])
        #expect(composed.spec.budget == Budget(nTrials: 7, timeout: nil, workers: 3))
        guard case .tpe(let tpe) = composed.spec.sampler.kind else {
            Issue.record("expected tpe")
            return
        }
        #expect(tpe.nEICandidates == 48)
        #expect(composed.spec.trainer?.options["dropout"] == .number(0.5))
        #expect(composed.spec.trainer?.options["target"] == nil)
        #expect(composed.spec.space.names == ["lr", "depth", "momentum"])
    }

    @Test func typesOverrideValuesAsYAMLDoes() throws {
        let composed = try ConfigFixture().compose(
            Self.study,
            [
                "space.lr.high=1e-2", "++trainer.flag=true", "trainer.layers=[8, 16]", "name='123'", "+description=",
                "++trainer.note=\"a b\"", "++trainer.nothing=null",
            ])
        #expect(composed.spec.space["lr"]?.distribution == .float(FloatDistribution(low: 1e-4, high: 1e-2, log: true)))
        #expect(composed.spec.trainer?.options["flag"] == .bool(true))
        #expect(composed.spec.trainer?.options["layers"] == .array([.integer(8), .integer(16)]))
        #expect(composed.spec.trainer?.options["note"] == .string("a b"))
        #expect(composed.spec.trainer?.options["nothing"] == .null)
        #expect(composed.spec.name == "123")
        #expect(composed.spec.description == "")
    }

    @Test func appliesKeyOverridesToAStudyWithoutConfigs() throws {
        let fixture = try ConfigFixture(files: [:])
        let composed = try fixture.compose(Self.plain, ["budget.n_trials=3", "+sampler.seed=9"])
        #expect(composed.spec.budget.nTrials == 3)
        #expect(composed.spec.sampler.seed == 9)
        #expect(composed.configDirectory == nil)
    }

    @Test func printsTheComposedStudyAsYAMLThatReadsBackToTheSameDefinition() throws {
        let composed = try ConfigFixture().compose(
            Self.study, ["++trainer.note=yes it is", "++trainer.answer='no'", "++trainer.count='12'"])
        let reloaded = try StudyLoader().load(yaml: composed.yaml, file: "printed.yaml")
        #expect(reloaded.spec == composed.spec)
        #expect(composed.yaml.hasPrefix("name: composed\ndirection: maximize\nsampler:\n"))
        #expect(composed.yaml.contains("\n  lr: {type: float, low: 0.0001, high: 0.1, log: true}\n"))
        #expect(composed.yaml.contains("answer: \"no\""))
    }

    @Test func quotesKeysAndStringsThatAYAML11ReaderWouldTakeForBooleansOrNumbers() throws {
        let yaml = """
            name: t
            direction: minimize
            space:
              "n": {type: categorical, choices: ["y", "on", "12", "1.0e-3", "null", plain, 2.5e-7]}
            """
        let composed = try ConfigFixture(files: [:]).compose(yaml)
        #expect(
            composed.yaml.contains(
                "\n  \"n\": {type: categorical, choices: [\"y\", \"on\", \"12\", \"1.0e-3\", \"null\", plain, 2.5e-07]}\n"
            ))
        #expect(try StudyLoader().load(yaml: composed.yaml, file: "printed.yaml").spec == composed.spec)
    }

    @Test func storesWhatAResumedStudyNeedsInSystemAttributes() throws {
        let composed = try ConfigFixture().compose(Self.study, ["sampler=random"])
        let attributes = composed.systemAttributes
        #expect(
            Set(attributes.keys) == [
                "hpo:definition", "hpo:definition_hash", "hpo:config", "hpo:overrides", "hpo:provenance",
                "hpo:config_choices",
            ])
        let stored = try #require(attributes[StudyDefinitionKey.definition])
        #expect(try StudySpec(definitionJSON: stored) == composed.spec)
        #expect(attributes[StudyDefinitionKey.definitionHash] == .string(composed.spec.definitionHash))
        #expect(attributes[StudyDefinitionKey.overrides] == .array([.string("sampler=random")]))
        #expect(attributes[StudyDefinitionKey.choices]?["sampler"] == .string("random"))
        #expect(composed.document["sampler"]?["type"] == .string("random"))
    }

    @Test func findsConfigsBesideTheStudysFolderOrInTheWorkingDirectory() throws {
        let fixture = try ConfigFixture()
        try fixture.write("studies/deep/s.yaml", Self.study)
        try fixture.write("studies/s.yaml", Self.study)
        let studyURL = fixture.root.appendingPathComponent("studies/deep/s.yaml")
        // Neither studies/deep/configs nor studies/configs exists: the working directory's configs/ is used.
        let composed = try fixture.composer.compose(studyFile: studyURL)
        #expect(
            composed.configDirectory?.standardizedFileURL.path == fixture.root.appendingPathComponent("configs").path)
        #expect(
            fixture.composer.configSearchPaths(forStudyAt: studyURL).map { fixture.composer.displayPath($0) } == [
                "studies/deep/configs", "studies/configs", "configs",
            ])
        let elsewhere = StudyComposer(workingDirectory: FileManager.default.temporaryDirectory)
        #expect(
            try elsewhere.compose(studyFile: fixture.root.appendingPathComponent("studies/s.yaml")).spec.name
                == "composed")
    }

    @Test func usesAnExplicitConfigDirectory() throws {
        let fixture = try ConfigFixture(files: ["other/sampler/tpe.yaml": "type: tpe\nn_startup_trials: 3\n"])
        let composer = StudyComposer(
            configDirectory: fixture.root.appendingPathComponent("other"), workingDirectory: fixture.root)
        try fixture.write("studies/s.yaml", "defaults: [sampler: tpe]\n" + Self.plain)
        let composed = try composer.compose(studyFile: fixture.root.appendingPathComponent("studies/s.yaml"))
        guard case .tpe(let options) = composed.spec.sampler.kind else {
            Issue.record("expected tpe")
            return
        }
        #expect(options.nStartupTrials == 3)
        #expect(composed.provenance["sampler.n_startup_trials"] == "other/sampler/tpe.yaml")
        let missing = StudyComposer(
            configDirectory: fixture.root.appendingPathComponent("nowhere"), workingDirectory: fixture.root)
        #expect(
            throws: StudyDefinitionError(file: "nowhere", keyPath: "", message: "config directory not found")
        ) { try missing.compose(studyFile: fixture.root.appendingPathComponent("studies/s.yaml")) }
    }

    /// Compositions that fail, with the exact message.
    static let failures: [(study: String, overrides: [String], message: String)] = [
        (
            study, ["sampler=cmaes"],
            "override 'sampler=cmaes': sampler: no option cmaes in configs/sampler; options: random, tpe"
        ),
        (
            study, ["sampler=randon"],
            "override 'sampler=randon': sampler: no option randon in configs/sampler (did you mean random?); options: "
                + "random, tpe"
        ),
        (
            study, ["budget.n_trial=5"],
            "override 'budget.n_trial=5': budget.n_trial: no such key in the composed study (did you mean n_trials?); "
                + "keys of budget: n_trials, timeout, workers; add it with +budget.n_trial=5"
        ),
        (
            study, ["+budget.n_trials=5"],
            "override '+budget.n_trials=5': budget.n_trials: already exists (5 from configs/budget/smoke.yaml); change "
                + "it with budget.n_trials=... or use ++budget.n_trials=... to add or change"
        ),
        (
            study, ["+sampler=random"],
            "override '+sampler=random': sampler: is already in the defaults list of studies/s.yaml (sampler: tpe); "
                + "change it with sampler=random"
        ),
        (
            study, ["~budget.nope"],
            "override '~budget.nope': budget.nope: no such key in the composed study"
        ),
        (
            study, ["~budget.workers=3"],
            "override '~budget.workers=3': budget.workers: is 1, not 3; ~budget.workers alone removes it"
        ),
        (
            study, ["name.first=1"],
            "override 'name.first=1': name: name is the string \"composed\", not a map of keys"
        ),
        (
            study, ["misc.value=1"],
            "override 'misc.value=1': misc: no such key in the composed study; keys there: name, direction, sampler, "
                + "scheduler, trainer, budget, space; add it with +misc.value=1"
        ),
        (
            study, ["bad key=1"],
            "override 'bad key=1': bad key: is not a key path (names separated by dots, without spaces, quotes, "
                + "brackets or commas)"
        ),
        (
            study, ["=5"],
            "override '=5': names no key; expected key=value, +key=value, ++key=value, ~key or group=option"
        ),
        (
            study, ["budget.n_trials"],
            "override 'budget.n_trials': budget.n_trials: has no value; expected key=value, +key=value, ++key=value, "
                + "~key or group=option"
        ),
        (
            study, ["sampler@opt=tpe"],
            "override 'sampler@opt=tpe': sampler@opt: package overrides (group@package=option) are not supported; "
                + "expected key=value, +key=value, ++key=value, ~key or group=option"
        ),
        (
            study, ["a..b=1"],
            "override 'a..b=1': a..b: is not a key path (names separated by dots, without spaces, quotes, brackets or "
                + "commas)"
        ),
        (
            study, ["trainer.epochs=yes"],
            "override 'trainer.epochs=yes': trainer.epochs: yes is a boolean in YAML 1.1 but a string in YAML 1.2; "
                + "write true for a boolean or \"yes\" (quoted) for a string"
        ),
        (
            study, ["trainer.layers=[1, 2"],
            "override 'trainer.layers=[1, 2': trainer.layers: invalid YAML: while parsing a flow sequence did not find expected ',' or "
                + "']' at line 2, column 1"
        ),
        (
            study, ["scheduler.reduction_factor=1"],
            "override 'scheduler.reduction_factor=1': scheduler.reduction_factor: must be an integer >= 2 (got 1)"
        ),
        (
            study, ["space.lr.low=0"],
            "override 'space.lr.low=0': space.lr.low: must be > 0 when log is true (got 0.0)"
        ),
        (
            study, ["~scheduler=median"],
            "override '~scheduler=median': scheduler: the study picks asha, not median; ~scheduler alone removes it"
        ),
        (
            study, ["sampler=[tpe]"],
            "override 'sampler=[tpe]': sampler: must name an option of the sampler group (options: random, tpe)"
        ),
        (
            study, ["budget=3"],
            "override 'budget=3': budget: must name an option of the budget group (options: default, smoke)"
        ),
        (
            study.replacingOccurrences(of: "  - budget: smoke\n", with: "  - optimizer: adam\n"), [],
            "studies/s.yaml: defaults[2].optimizer: no config group optimizer in configs; groups: budget, dataset, "
                + "misc, sampler, scheduler, trainer"
        ),
        (
            study.replacingOccurrences(of: "  - budget: smoke\n", with: "  - budgte: smoke\n"), [],
            "studies/s.yaml: defaults[2].budgte: no config group budgte in configs (did you mean budget?); groups: "
                + "budget, dataset, misc, sampler, scheduler, trainer"
        ),
        (
            study.replacingOccurrences(of: "  - budget: smoke\n", with: "  - budget: huge\n"), [],
            "studies/s.yaml: defaults[2].budget: no option huge in configs/budget; options: default, smoke"
        ),
        (
            study.replacingOccurrences(of: "  - budget: smoke\n", with: "  - sampler: random\n"), [],
            "studies/s.yaml: defaults[2].sampler: the sampler group is already chosen by defaults[0].sampler"
        ),
        (
            study.replacingOccurrences(of: "  - budget: smoke\n", with: "  - budget: smoke\n    scheduler: asha\n"), [],
            "studies/s.yaml: defaults[2]: must be _self_ or one group: option pair (sampler: tpe)"
        ),
        (
            "defaults: sampler\n" + plain, [],
            "studies/s.yaml: defaults: must be a list of group: option entries, such as [sampler: tpe, scheduler: asha]"
        ),
        (
            study.replacingOccurrences(of: "trainer: {epochs: 10}", with: "scheduler: {percentile: 20}"), [],
            "studies/s.yaml: scheduler.percentile: does not apply to the asha scheduler; allowed: type, min_resource, "
                + "reduction_factor, min_early_stopping_rate, bootstrap_count"
        ),
        (
            study, ["sampler=random", "+sampler.n_startup_trials=4"],
            "override '+sampler.n_startup_trials=4': sampler.n_startup_trials: applies only to the tpe sampler (the "
                + "random sampler takes type and seed)"
        ),
    ]

    @Test(arguments: failures)
    func rejectsABadCompositionWithAMessageNamingTheOverrideOrFile(study: String, overrides: [String], message: String)
        throws
    {
        let actual = try ConfigFixture().failure(study, overrides)
        #expect(actual == message)
    }

    @Test func explainsThatAGroupNameNeedsAConfigsDirectoryWhenThereIsNone() throws {
        let fixture = try ConfigFixture(files: [:])
        #expect(
            fixture.failure("sampler: {type: tpe}\n" + Self.plain, ["sampler=random"])
                == "override 'sampler=random': sampler: is a map (keys: type); set one of its keys (sampler.type=...), "
                + "or pick an option of a config group (no configs/ directory was found)")
        #expect(
            fixture.failure("defaults: [sampler: tpe]\n" + Self.plain)
                == "studies/s.yaml: defaults[0].sampler: no configs/ directory found for the defaults list; pass "
                + "--config-dir")
    }

    @Test func refusesADefaultsListInsideAnOptionFile() throws {
        let fixture = try ConfigFixture(files: ["configs/sampler/odd.yaml": "defaults: [budget: smoke]\ntype: tpe\n"])
        #expect(
            fixture.failure("defaults: [sampler: odd]\n" + Self.plain)
                == "configs/sampler/odd.yaml: defaults: defaults lists are read only in study files")
    }

    @Test func namesTheOptionFileOfABadValue() throws {
        let fixture = try ConfigFixture(files: ["configs/scheduler/bad.yaml": "type: asha\nreduction_factor: 0\n"])
        #expect(
            fixture.failure("defaults: [scheduler: bad]\n" + Self.plain)
                == "configs/scheduler/bad.yaml: scheduler.reduction_factor: must be an integer >= 2 (got 0)")
    }

    @Test func readsThePackageDirectiveOnlyAmongLeadingComments() {
        #expect(StudyComposer.packageDirective(in: "# @package trainer\nx: 1\n") == "trainer")
        #expect(StudyComposer.packageDirective(in: "\n# note\n# @package _global_\nx: 1\n") == "_global_")
        #expect(StudyComposer.packageDirective(in: "x: 1\n# @package trainer\n") == nil)
    }
}
