import Foundation
import HPOCore
import Testing

@testable import HPOConfig

@Suite("Study files")
struct StudyLoaderTests {
    let loader = StudyLoader()

    func load(_ yaml: String) throws -> LoadedStudy {
        try loader.load(yaml: yaml, file: "studies/x.yaml")
    }

    @Test func readsTheFlowStyleFileTheBenchAdapterWrites() throws {
        let yaml = """
            # study file written by hpo_adapter.py
            name: "branches-hpo_tpe-s3"
            direction: minimize
            sampler: {type: tpe, seed: 3}
            space:
              model: {type: categorical, choices: ["a", "b", "c"]}
              a_x: {type: float, low: -5.0, high: 5.0, log: false, when: {model: "a"}}
              b_x: {type: float, low: -1.0, high: 1.0, log: false, when: {model: "b"}}
              b_lr: {type: float, low: 1.0e-05, high: 1.0, log: true, when: {model: "b"}}
              c_x0: {type: float, low: -3.0, high: 3.0, log: false, when: {model: "c"}}
              c_x1: {type: float, low: -3.0, high: 3.0, log: false, when: {model: "c"}}
              "n": {type: int, low: 1, high: 10, log: false}
            """
        let spec = try load(yaml).spec
        #expect(spec.name == "branches-hpo_tpe-s3")
        #expect(spec.direction == .minimize)
        #expect(spec.sampler == SamplerSpec(kind: .tpe(TPEOptions()), seed: 3))
        #expect(spec.scheduler == .none)
        #expect(spec.trainer == nil)
        #expect(spec.budget == Budget(nTrials: nil, timeout: nil, workers: 1))
        #expect(spec.space.names == ["model", "a_x", "b_x", "b_lr", "c_x0", "c_x1", "n"])
        #expect(spec.space["b_lr"]?.distribution == .float(FloatDistribution(low: 1e-5, high: 1, log: true)))
        #expect(spec.space["b_lr"]?.conditions == [ParameterCondition(parameter: "model", values: [.string("b")])])
        #expect(spec.space["n"]?.distribution == .int(IntDistribution(low: 1, high: 10)))
        #expect(
            spec.space["model"]?.distribution
                == .categorical(CategoricalDistribution(choices: [.string("a"), .string("b"), .string("c")])))
    }

    @Test(arguments: [
        "scheduler: {type: asha, min_resource: 2, reduction_factor: 4, min_early_stopping_rate: 1, bootstrap_count: 2}",
        "scheduler: {type: hyperband, min_resource: 1, max_resource: 81, reduction_factor: 3}",
        "scheduler: {type: median, n_startup_trials: 5, n_warmup_steps: 3, interval_steps: 2, n_min_trials: 2}",
    ])
    func readsTheSchedulerLinesOfThePrunerConformanceScript(line: String) throws {
        let yaml = """
            name: "trace-3"
            direction: maximize
            sampler: {type: random, seed: 0}
            \(line)
            space:
              x: {type: float, low: 0.0, high: 1.0, log: false}
            """
        let spec = try load(yaml).spec
        var expected: SchedulerSpec
        if line.contains("asha") {
            var options = ASHAOptions()
            options.minResource = .value(2)
            options.reductionFactor = 4
            options.minEarlyStoppingRate = 1
            options.bootstrapCount = 2
            expected = .asha(options)
        } else if line.contains("hyperband") {
            var options = HyperbandOptions()
            options.maxResource = .value(81)
            expected = .hyperband(options)
        } else {
            var options = PercentileOptions()
            options.nWarmupSteps = 3
            options.intervalSteps = 2
            options.nMinTrials = 2
            expected = .median(options)
        }
        #expect(spec.scheduler == expected)
        #expect(spec.sampler == SamplerSpec(kind: .random, seed: 0))
        #expect(spec.direction == .maximize)
    }

    @Test func readsEverySectionWithItsOptions() throws {
        let yaml = """
            version: 1
            name: full
            description: every key
            direction: maximize
            metric: accuracy
            sampler:
              type: tpe
              seed: 42
              n_startup_trials: 5
              n_ei_candidates: 48
              multivariate: true
              group: true
              constant_liar: false
              prior_weight: 2
              consider_endpoints: true
              consider_magic_clip: false
              adaptive: false
              pruned_trials: seen
            scheduler: {type: percentile, percentile: 25, n_startup_trials: 3}
            trainer: {type: mlp, dataset: digits, epochs: 20, layers: [64, 32], select: best}
            budget: {n_trials: 100, timeout: 1h30m, workers: 2}
            space:
              lr: {type: float, low: 1e-4, high: 1e-1, log: true}
            """
        let spec = try load(yaml).spec
        var tpe = TPEOptions()
        tpe.nStartupTrials = 5
        tpe.nEICandidates = 48
        tpe.group = true
        tpe.constantLiar = false
        tpe.priorWeight = 2
        tpe.considerEndpoints = true
        tpe.considerMagicClip = false
        tpe.adaptive = false
        tpe.prunedTrials = .seen
        #expect(spec.sampler == SamplerSpec(kind: .tpe(tpe), seed: 42))
        var percentile = PercentileOptions()
        percentile.percentile = 25
        percentile.nStartupTrials = 3
        #expect(spec.scheduler == .percentile(percentile))
        #expect(
            spec.trainer
                == TrainerSpec(
                    type: "mlp",
                    options: [
                        "dataset": .string("digits"), "epochs": .integer(20),
                        "layers": .array([.integer(64), .integer(32)]), "select": .string("best"),
                    ]))
        #expect(spec.budget == Budget(nTrials: 100, timeout: 5400, workers: 2))
        #expect(spec.description == "every key")
        #expect(spec.metric == "accuracy")
        #expect(spec.space["lr"]?.distribution == .float(FloatDistribution(low: 1e-4, high: 0.1, log: true)))
    }

    @Test(arguments: [
        ("90s", 90.0), ("30m", 1800), ("2h", 7200), ("1h30m", 5400), ("1d", 86400), ("1.5h", 5400), ("2m30s", 150),
        ("45", 45), ("500ms", 0.5), ("1s500ms", 1.5), ("1M30S", 90),
    ])
    func readsTimeoutDurations(text: String, seconds: Double) throws {
        let yaml =
            "name: t\ndirection: minimize\nbudget: {timeout: \(text)}\nspace: {x: {type: float, low: 0, high: 1}}"
        #expect(try load(yaml).spec.budget.timeout == seconds)
    }

    @Test(arguments: ["30s1m", "1h1h", "m", "1x", "-5s", "1ms1s", "5mss", "ms5"])
    func rejectsMalformedDurations(text: String) {
        #expect(DurationParser.seconds(in: text) == nil)
    }

    @Test func readsATimeoutGivenAsANumberOfSeconds() throws {
        let yaml = "name: t\ndirection: minimize\nbudget: {timeout: 12.5}\nspace: {x: {type: float, low: 0, high: 1}}"
        #expect(try load(yaml).spec.budget.timeout == 12.5)
    }

    @Test func cutsAnIntHighDownToTheStepGridWithAWarning() throws {
        let yaml = "name: t\ndirection: minimize\nspace:\n  k: {type: int, low: 2, high: 15, step: 2}"
        let loaded = try load(yaml)
        #expect(loaded.spec.space["k"]?.distribution == .int(IntDistribution(low: 2, high: 14, step: 2)))
        #expect(
            loaded.warnings.map(\.description) == [
                "studies/x.yaml: space.k.high: 15 is not on the grid low + k * step (step 2); using 14 instead"
            ])
    }

    @Test func cutsAFloatHighDownToTheStepGridInDecimalArithmetic() throws {
        let yaml = """
            name: t
            direction: minimize
            space:
              on_grid: {type: float, low: 0.0, high: 0.3, step: 0.1}
              off_grid: {type: float, low: 0.0, high: 1.0, step: 0.3}
            """
        let loaded = try load(yaml)
        guard case .float(let onGrid)? = loaded.spec.space["on_grid"]?.distribution,
            case .float(let offGrid)? = loaded.spec.space["off_grid"]?.distribution
        else {
            Issue.record("expected float parameters")
            return
        }
        #expect(onGrid.high == 0.3)
        #expect(offGrid.high == 0.9)
        #expect(
            loaded.warnings.map(\.description) == [
                "studies/x.yaml: space.off_grid.high: 1.0 is not on the grid low + k * step (step 0.3); using 0.9 instead"
            ])
    }

    @Test func readsConditionsWithSeveralValuesAndSeveralParents() throws {
        let yaml = """
            name: t
            direction: minimize
            space:
              layers: {type: int, low: 1, high: 4}
              kind: {type: categorical, choices: [a, b]}
              flag: {type: categorical, choices: [true, false]}
              width: {type: int, low: 1, high: 9, when: {layers: [2, 3], kind: a}}
              deep: {type: float, low: 0, high: 1, when: {width: 4, flag: false}}
            """
        let space = try load(yaml).spec.space
        #expect(
            space["width"]?.conditions == [
                ParameterCondition(parameter: "layers", values: [.int(2), .int(3)]),
                ParameterCondition(parameter: "kind", values: [.string("a")]),
            ])
        #expect(
            space["deep"]?.conditions == [
                ParameterCondition(parameter: "width", values: [.int(4)]),
                ParameterCondition(parameter: "flag", values: [.bool(false)]),
            ])
        #expect(space["deep"]?.isActive(given: ["width": .int(4), "flag": .bool(false)]) == true)
        #expect(space["width"]?.isActive(given: ["layers": .int(4), "kind": .string("a")]) == false)
    }

    @Test func placesParentsBeforeTheirChildrenWhateverTheWrittenOrder() throws {
        let yaml = """
            name: t
            direction: minimize
            space:
              child: {type: float, low: 0, high: 1, when: {parent: b}}
              parent: {type: categorical, choices: [a, b]}
            """
        #expect(try load(yaml).spec.space.names == ["parent", "child"])
    }

    @Test func keepsQuotedYesAndNoAsStrings() throws {
        let yaml = """
            name: t
            direction: minimize
            space:
              answer: {type: categorical, choices: ["yes", 'no', "on"]}
            """
        #expect(
            try load(yaml).spec.space["answer"]?.distribution
                == .categorical(CategoricalDistribution(choices: [.string("yes"), .string("no"), .string("on")])))
    }

    @Test func readsYesAndNoAsPlainNamesWhenTheyAreKeys() throws {
        let yaml =
            "name: t\ndirection: minimize\nspace:\n  on: {type: float, low: 0, high: 1}\n  y: {type: int, low: 0, high: 1}"
        #expect(try load(yaml).spec.space.names == ["on", "y"])
    }

    @Test func readsIntegersWithLeadingZerosAndClockTimesAsStringsNotOctalOrSexagesimal() throws {
        let yaml = "name: t\ndirection: minimize\nspace:\n  m: {type: categorical, choices: [017, 1:30, 0x1F]}"
        #expect(
            try load(yaml).spec.space["m"]?.distribution
                == .categorical(CategoricalDistribution(choices: [.string("017"), .string("1:30"), .string("0x1F")])))
    }

    /// Malformed study files and the exact message each one gets.
    static let malformed: [(yaml: String, message: String)] = [
        (
            "name: t\ndirection: minimize\nspace:\n  lr: {type: float, low: 0, high: 1, log: true}",
            "studies/x.yaml: space.lr.low: must be > 0 when log is true (got 0.0)"
        ),
        (
            "direction: minimize\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: name: is required: the study's name, a string"
        ),
        (
            "name: t\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: direction: is required: minimize or maximize"
        ),
        (
            "name: t\ndirection: minimise\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: direction: must be one of minimize, maximize (got minimise); did you mean minimize?"
        ),
        (
            "name: t\ndirection: minimize",
            "studies/x.yaml: space: is required: a map from parameter name to its domain"
        ),
        (
            "name: t\ndirection: minimize\nspace: {}",
            "studies/x.yaml: space: must define at least one parameter"
        ),
        (
            "name: t\ndirection: minimize\nsampler: {type: tpe, n_startup_trial: 5}\n"
                + "space: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: sampler.n_startup_trial: unknown key (did you mean n_startup_trials?); allowed: type, seed, "
                + "n_startup_trials, n_ei_candidates, multivariate, group, constant_liar, prior_weight, "
                + "consider_endpoints, consider_magic_clip, adaptive, pruned_trials"
        ),
        (
            "name: t\ndirection: minimize\nsampler: {type: tpe, pruned_trials: bohb}\n"
                + "space: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: sampler.pruned_trials: must be one of optuna, seen (got bohb)"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  x: {type: float, low: 0, hihg: 1}",
            "studies/x.yaml: space.x.hihg: unknown key for a float parameter (did you mean high?); allowed: type, low, "
                + "high, log, step, when"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  x: {type: float, low: 5, high: 1}",
            "studies/x.yaml: space.x.low: must be <= high (got low 5.0, high 1.0)"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  x: {type: float, low: 0.1, high: 1, log: true, step: 0.1}",
            "studies/x.yaml: space.x.step: cannot be combined with log: true (use one or the other)"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  k: {type: int, low: 1, high: 100, log: true, step: 2}",
            "studies/x.yaml: space.k.step: must be 1 when log is true (got 2)"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  k: {type: int, low: 1.5, high: 10}",
            "studies/x.yaml: space.k.low: must be an integer (got the number 1.5)"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  k: {type: int, low: 0, high: 10, log: true}",
            "studies/x.yaml: space.k.low: must be >= 1 when log is true (got 0)"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  m: {type: categorical, choices: []}",
            "studies/x.yaml: space.m.choices: must be a non-empty list of values (got a list)"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  m: {type: categorical, choices: [a, b, a]}",
            "studies/x.yaml: space.m.choices[2]: repeats the choice a; choices must differ"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  m: {type: categorical, choices: [a, [b]]}",
            "studies/x.yaml: space.m.choices[1]: must be a string, number, boolean or null (got a list)"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  m: {type: categorical, choices: [yes, no]}",
            "studies/x.yaml: space.m.choices[0]: yes is a boolean in YAML 1.1 but a string in YAML 1.2; write true for a "
                + "boolean or \"yes\" (quoted) for a string"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  x: {type: float, low: 0, high: 1, log: off}",
            "studies/x.yaml: space.x.log: off is a boolean in YAML 1.1 but a string in YAML 1.2; write false for a "
                + "boolean or \"off\" (quoted) for a string"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  x: {type: floot, low: 0, high: 1}",
            "studies/x.yaml: space.x.type: must be one of float, int, categorical (got floot); did you mean float?"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  x: {low: 0, high: 1}",
            "studies/x.yaml: space.x.type: is required: float, int or categorical"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  x: {type: float, low: 0, high: 1, when: {modle: a}}\n"
                + "  model: {type: categorical, choices: [a, b]}",
            "studies/x.yaml: space.x.when.modle: names no parameter of the space (did you mean model?); "
                + "parameters: x, model"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  model: {type: categorical, choices: [a, b]}\n"
                + "  x: {type: float, low: 0, high: 1, when: {model: c}}",
            "studies/x.yaml: space.x.when.model: \"c\" is not a value model can take (choices: \"a\", \"b\")"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  n: {type: int, low: 1, high: 3}\n"
                + "  x: {type: float, low: 0, high: 1, when: {n: [2, 7]}}",
            "studies/x.yaml: space.x.when.n[1]: 7 is not a value n can take (integers from 1 to 3)"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  lr: {type: float, low: 0, high: 1}\n"
                + "  x: {type: float, low: 0, high: 1, when: {lr: 0.5}}",
            "studies/x.yaml: space.x.when.lr: lr is a float parameter; a condition needs a categorical or int parent"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  a: {type: categorical, choices: [x, y], when: {b: x}}\n"
                + "  b: {type: categorical, choices: [x, y], when: {a: x}}",
            "studies/x.yaml: space.a.when: conditions form a cycle: a -> b -> a"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  a: {type: categorical, choices: [x, y], when: {a: x}}",
            "studies/x.yaml: space.a.when.a: a parameter cannot depend on itself"
        ),
        (
            "name: t\ndirection: minimize\nbudget: {n_trials: 0}\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: budget.n_trials: must be an integer >= 1 (got 0)"
        ),
        (
            "name: t\ndirection: minimize\nbudget: {timeout: 10 minutes}\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: budget.timeout: must be a duration such as 90s, 30m, 2h, 1h30m or 500ms, or a number of seconds, "
                + "greater than 0 (got the string \"10 minutes\")"
        ),
        (
            "name: t\ndirection: minimize\nbudget: {workers: two}\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: budget.workers: must be an integer >= 1 (got the string \"two\")"
        ),
        (
            "name: t\ndirection: minimize\nscheduler: {type: asha, reduction_factor: 1}\n"
                + "space: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: scheduler.reduction_factor: must be an integer >= 2 (got 1)"
        ),
        (
            "name: t\ndirection: minimize\nscheduler: {type: asha, bootstrap_count: 2}\n"
                + "space: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: scheduler.bootstrap_count: must be 0 when min_resource is 'auto' (got 2); set min_resource "
                + "to an integer to use it"
        ),
        (
            "name: t\ndirection: minimize\nscheduler: {type: median, reduction_factor: 3}\n"
                + "space: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: scheduler.reduction_factor: does not apply to the median scheduler; allowed: type, "
                + "n_startup_trials, n_warmup_steps, interval_steps, n_min_trials"
        ),
        (
            "name: t\ndirection: minimize\nscheduler: {type: percentile}\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: scheduler.percentile: is required for the percentile scheduler: a number from 0 to 100"
        ),
        (
            "name: t\ndirection: minimize\nscheduler: {type: percentile, percentile: 150}\n"
                + "space: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: scheduler.percentile: must be a number between 0 and 100 (got 150.0)"
        ),
        (
            "name: t\ndirection: minimize\nscheduler: {type: asha, min_resource: some}\n"
                + "space: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: scheduler.min_resource: must be auto or an integer >= 1 (got the string \"some\")"
        ),
        (
            "name: t\ndirection: minimize\nsampler: {type: random, n_startup_trials: 5}\n"
                + "space: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: sampler.n_startup_trials: applies only to the tpe sampler (the random sampler takes type "
                + "and seed)"
        ),
        (
            "name: t\ndirection: minimize\nsampler: {seed: -1}\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: sampler.seed: must be an integer >= 0 (got the integer -1)"
        ),
        (
            "name: t\ndirection: minimize\nsampler: {multivariate: false, group: true}\n"
                + "space: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: sampler.group: group: true requires multivariate: true"
        ),
        (
            "name: t\ndirection: minimize\ntrainer: {epochs: 3}\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: trainer.type: is required: the trainer's type (function, mlp, logistic_regression, ...)"
        ),
        (
            "name: t\ndirection: minimize\ntrainer: {type: \"\"}\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: trainer.type: must not be empty"
        ),
        (
            "name: t\ndirection: minimize\nsapmler: {type: tpe}\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: sapmler: unknown key (did you mean sampler?); allowed: version, name, description, "
                + "direction, metric, sampler, scheduler, trainer, budget, retry, space"
        ),
        (
            "version: 2\nname: t\ndirection: minimize\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: version: must be 1, the study-file format this hpo reads (got the integer 2)"
        ),
        (
            "name: t\nname: u\ndirection: minimize\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: invalid YAML: key name appears twice (first at line 1, column 1)"
        ),
        (
            "name: 12\ndirection: minimize\nspace: {x: {type: float, low: 0, high: 1}}",
            "studies/x.yaml: name: must be a string (got the integer 12)"
        ),
        (
            "name: t\ndirection: minimize\nspace:\n  a.b: {type: float, low: 0, high: 1}",
            "studies/x.yaml: space.a.b: parameter names may not contain '.', '=', '[', ']', ',' or spaces, nor start "
                + "with '+' or '~' (overrides use them)"
        ),
        (
            "- just\n- a list",
            "studies/x.yaml: a study file must be a map of keys (got a list)"
        ),
        (
            "",
            "studies/x.yaml: the study file is empty"
        ),
        (
            "name: t\ndirection: minimize\nspace: {x: {type: float, low: 0, high: 1}\n",
            "studies/x.yaml: invalid YAML: while parsing a flow mapping did not find expected ',' or '}' at line 4, "
                + "column 1"
        ),
    ]

    @Test(arguments: malformed)
    func rejectsAMalformedStudyFileWithAMessageNamingFileKeyAndExpectation(yaml: String, message: String) {
        #expect(throws: StudyDefinitionError.self) { try load(yaml) }
        do {
            _ = try load(yaml)
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func readsAStudyFileFromDiskAndNamesAMissingOne() throws {
        let url = URL(fileURLWithPath: "/nonexistent/study.yaml")
        #expect(throws: StudyDefinitionError(file: "/nonexistent/study.yaml", keyPath: "", message: "no such file")) {
            try loader.load(contentsOf: url)
        }
    }

    @Test func refusesADefaultsListOutsideComposition() {
        let yaml = "defaults: [sampler: tpe]\nname: t\ndirection: minimize\nspace: {x: {type: float, low: 0, high: 1}}"
        #expect(
            throws: StudyDefinitionError(
                file: "studies/x.yaml", keyPath: "defaults",
                message: "a defaults list picks options from a configs/ directory; load the study through StudyComposer"
            )
        ) { try load(yaml) }
    }
}

@Suite struct ComposedYAMLTests {
    /// Every name the example studies and config groups use, and words each schema reads differently.
    static func names() throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var names: Set<String> = [
            "null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRUE", "false", "FALSE", "yes", "Yes", "YES",
            "no", "NO", "on", "On", "off", "OFF", "y", "Y", "n", "N", "nan", "inf", "NaN", "e5", "E", "_", "_1",
            "x0", "a_b", "lr", "n_trials", "tpe", "minimize", "sphere", "Off", "oN", "yEs",
        ]
        for folder in ["studies", "configs"] {
            let base = root.appendingPathComponent(folder)
            let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
            while let file = files?.nextObject() as? URL {
                guard file.pathExtension == "yaml" else { continue }
                let text = try String(contentsOf: file, encoding: .utf8)
                for word in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }) {
                    names.insert(String(word))
                }
            }
        }
        return names
    }

    @Test func namesAreJudgedWithoutParsingAsParsingJudgesThem() throws {
        var judged = 0
        for name in try Self.names() {
            guard let plain = ConfigNode.nameIsPlain(name) else { continue }
            judged += 1
            #expect(plain == ConfigNode.plainReadsBack(name), "\(name)")
        }
        #expect(judged > 100)
        for text in ["", "1", "1e5", "-a", "a b", "a-b", "a.b", "é", ".inf", "~"] {
            #expect(ConfigNode.nameIsPlain(text) == nil, "\(text)")
        }
    }
}
