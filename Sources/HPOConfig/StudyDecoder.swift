import Foundation
import HPOCore

/// Turns a (composed) study document into a validated `StudySpec`. Stops at the first problem, in the order of the
/// keys below, and within a section in the order the keys are checked.
struct StudyDecoder {
    static let topLevelKeys = [
        "version", "name", "description", "direction", "metric", "sampler", "scheduler", "trainer", "budget", "retry",
        "space",
    ]
    static let tpeKeys = [
        "n_startup_trials", "n_ei_candidates", "multivariate", "group", "constant_liar", "prior_weight",
        "consider_endpoints", "consider_magic_clip", "adaptive", "pruned_trials",
    ]
    static let samplerTypes = ["tpe", "random"]
    static let schedulerTypes = ["none", "asha", "hyperband", "median", "percentile"]
    static let percentileKeys = ["n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"]

    /// The file named by errors about missing top-level keys.
    let studyFile: String
    private(set) var warnings: [StudyDefinitionWarning] = []

    init(studyFile: String) {
        self.studyFile = studyFile
    }

    mutating func decode(_ root: ConfigNode) throws(StudyDefinitionError) -> StudySpec {
        guard case .map = root.value else {
            throw StudyDefinitionError(
                file: studyFile, keyPath: "",
                message: "a study file must be a map of keys (got \(root.kindDescription))")
        }
        let top = try MapReader(ConfigNode(root.value, source: studyFile), path: "", what: "a study file")
        if top.map["defaults"] != nil {
            throw top.error(
                "defaults",
                "a defaults list picks options from a configs/ directory; load the study through StudyComposer")
        }
        try top.requireOnly(Self.topLevelKeys)
        if let version = top.value("version"), version.value != .integer(1) {
            throw top.error(
                "version", "must be 1, the study-file format this hpo reads (got \(version.kindDescription))")
        }
        guard let name = try top.string("name") else {
            throw top.error("name", "is required: the study's name, a string")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw top.error("name", "must not be empty") }
        guard let directionWord = try top.word("direction", allowed: ["minimize", "maximize"]) else {
            throw top.error("direction", "is required: minimize or maximize")
        }
        let description = try top.string("description")
        let metric = try top.string("metric")
        let sampler = try decodeSampler(top.section("sampler", what: "sampler"))
        let scheduler = try decodeScheduler(top.section("scheduler", what: "scheduler"))
        let trainer = try decodeTrainer(top.section("trainer", what: "trainer"))
        let budget = try decodeBudget(top.section("budget", what: "budget"))
        let retry = try decodeRetry(top.section("retry", what: "retry"))
        guard let spaceNode = top.value("space") else {
            throw top.error("space", "is required: a map from parameter name to its domain")
        }
        var spaceDecoder = SpaceDecoder()
        let space = try spaceDecoder.decode(spaceNode, path: "space")
        warnings += spaceDecoder.warnings
        var spec = StudySpec(
            name: name, description: description, direction: directionWord == "maximize" ? .maximize : .minimize,
            metric: metric,
            sampler: sampler, scheduler: scheduler, trainer: trainer, budget: budget, space: space)
        spec.retry = retry
        return spec
    }

    private func decodeSampler(_ section: MapReader?) throws(StudyDefinitionError) -> SamplerSpec {
        guard let section else { return SamplerSpec() }
        let type = try section.word("type", allowed: Self.samplerTypes) ?? "tpe"
        let seedNode = section.value("seed")
        var seed: UInt64?
        if let seedNode {
            guard case .integer(let number) = seedNode.value, number >= 0 else {
                throw section.error("seed", "must be an integer >= 0 (got \(seedNode.kindDescription))")
            }
            seed = UInt64(number)
        }
        if type == "random" {
            for key in section.map.keys where Self.tpeKeys.contains(key) {
                throw section.error(key, "applies only to the tpe sampler (the random sampler takes type and seed)")
            }
            try section.requireOnly(["type", "seed"])
            return SamplerSpec(kind: .random, seed: seed)
        }
        try section.requireOnly(["type", "seed"] + Self.tpeKeys)
        var options = TPEOptions()
        options.nStartupTrials = try section.int("n_startup_trials", minimum: 0) ?? options.nStartupTrials
        options.nEICandidates = try section.int("n_ei_candidates", minimum: 1) ?? options.nEICandidates
        options.multivariate = try section.bool("multivariate") ?? options.multivariate
        options.group = try section.bool("group") ?? options.group
        options.constantLiar = try section.bool("constant_liar") ?? options.constantLiar
        if let weight = try section.double("prior_weight") {
            guard weight >= 0 else { throw section.error("prior_weight", "must be a number >= 0 (got \(weight))") }
            options.priorWeight = weight
        }
        options.considerEndpoints = try section.bool("consider_endpoints") ?? options.considerEndpoints
        options.considerMagicClip = try section.bool("consider_magic_clip") ?? options.considerMagicClip
        options.adaptive = try section.bool("adaptive") ?? options.adaptive
        options.prunedTrials = try section.word(
            "pruned_trials", allowed: TPEPrunedTrials.allCases.map(\.rawValue)
        ).flatMap(TPEPrunedTrials.init(rawValue:))
        if options.group, !options.multivariate {
            throw section.error("group", "group: true requires multivariate: true")
        }
        return SamplerSpec(kind: .tpe(options), seed: seed)
    }

    private func decodeScheduler(_ section: MapReader?) throws(StudyDefinitionError) -> SchedulerSpec {
        guard let section else { return .none }
        let type = try section.word("type", allowed: Self.schedulerTypes) ?? "none"
        let spec: SchedulerSpec
        switch type {
        case "asha":
            try requireSchedulerKeys(
                section, type, ["min_resource", "reduction_factor", "min_early_stopping_rate", "bootstrap_count"])
            var options = ASHAOptions()
            options.minResource = try section.resource("min_resource") ?? options.minResource
            options.reductionFactor = try section.int("reduction_factor") ?? options.reductionFactor
            options.minEarlyStoppingRate = try section.int("min_early_stopping_rate") ?? options.minEarlyStoppingRate
            options.bootstrapCount = try section.int("bootstrap_count") ?? options.bootstrapCount
            spec = .asha(options)
        case "hyperband":
            try requireSchedulerKeys(
                section, type, ["min_resource", "max_resource", "reduction_factor", "bootstrap_count"])
            var options = HyperbandOptions()
            options.minResource = try section.int("min_resource") ?? options.minResource
            options.maxResource = try section.resource("max_resource") ?? options.maxResource
            options.reductionFactor = try section.int("reduction_factor") ?? options.reductionFactor
            options.bootstrapCount = try section.int("bootstrap_count") ?? options.bootstrapCount
            spec = .hyperband(options)
        case "median", "percentile":
            try requireSchedulerKeys(section, type, (type == "percentile" ? ["percentile"] : []) + Self.percentileKeys)
            var options = PercentileOptions()
            if type == "percentile" {
                guard let percentile = try section.double("percentile") else {
                    throw section.error(
                        "percentile", "is required for the percentile scheduler: a number from 0 to 100")
                }
                options.percentile = percentile
            }
            options.nStartupTrials = try section.int("n_startup_trials") ?? options.nStartupTrials
            options.nWarmupSteps = try section.int("n_warmup_steps") ?? options.nWarmupSteps
            options.intervalSteps = try section.int("interval_steps") ?? options.intervalSteps
            options.nMinTrials = try section.int("n_min_trials") ?? options.nMinTrials
            spec = type == "median" ? .median(options) : .percentile(options)
        default:
            try requireSchedulerKeys(section, type, [])
            spec = .none
        }
        if let problem = spec.validationProblems().first {
            let key = problem.keyPath.split(separator: ".").last.map(String.init) ?? ""
            let prefix = "\(key) "
            let message =
                problem.message.hasPrefix(prefix) ? String(problem.message.dropFirst(prefix.count)) : problem.message
            throw section.error(key, message)
        }
        return spec
    }

    private func requireSchedulerKeys(
        _ section: MapReader, _ type: String, _ keys: [String]
    ) throws(StudyDefinitionError) {
        let allowed = ["type"] + keys
        for key in section.map.keys where !allowed.contains(key) {
            let known = Set(
                ["percentile"] + Self.percentileKeys + ["min_resource", "max_resource", "reduction_factor"]
            )
            .union(["min_early_stopping_rate", "bootstrap_count"])
            if known.contains(key) {
                throw section.error(
                    key, "does not apply to the \(type) scheduler; allowed: \(allowed.joined(separator: ", "))")
            }
            throw section.error(key, KeySuggestion.unknownKeyMessage(key, allowed: allowed))
        }
    }

    private func decodeTrainer(_ section: MapReader?) throws(StudyDefinitionError) -> TrainerSpec? {
        guard let section else { return nil }
        guard let type = try section.string("type") else {
            throw section.error("type", "is required: the trainer's type (function, mlp, logistic_regression, ...)")
        }
        guard !type.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw section.error("type", "must not be empty")
        }
        var options: [String: JSONValue] = [:]
        for (key, node) in section.map.entries where key != "type" {
            options[key] = node.json
        }
        return TrainerSpec(type: type, options: options)
    }

    private func decodeBudget(_ section: MapReader?) throws(StudyDefinitionError) -> Budget {
        guard let section else { return Budget() }
        try section.requireOnly(["n_trials", "timeout", "timeout_scope", "workers"])
        var budget = Budget()
        budget.nTrials = try section.int("n_trials", minimum: 1)
        budget.timeout = try duration(section, "timeout")
        if let scope = try section.word("timeout_scope", allowed: TimeoutScope.allCases.map(\.rawValue)) {
            budget.timeoutScope = TimeoutScope(rawValue: scope) ?? .run
        }
        budget.workers = try section.int("workers", minimum: 1) ?? 1
        return budget
    }

    private func decodeRetry(_ section: MapReader?) throws(StudyDefinitionError) -> RetryPolicy {
        guard let section else { return RetryPolicy() }
        try section.requireOnly(["max_retries", "retry_trainer_failures", "heartbeat_interval", "grace_period"])
        var policy = RetryPolicy()
        policy.maxRetries = try section.int("max_retries", minimum: 0) ?? policy.maxRetries
        policy.retryTrainerFailures = try section.bool("retry_trainer_failures") ?? policy.retryTrainerFailures
        policy.heartbeatInterval = try duration(section, "heartbeat_interval") ?? policy.heartbeatInterval
        policy.gracePeriod = try duration(section, "grace_period") ?? policy.gracePeriod
        if section.value("grace_period") == nil, section.value("heartbeat_interval") != nil {
            // Optuna's default: twice the interval, when only the interval is given.
            policy.gracePeriod = max(policy.gracePeriod, 2 * policy.heartbeatInterval)
        }
        guard policy.gracePeriod > policy.heartbeatInterval else {
            throw section.error(
                "grace_period",
                "must be longer than heartbeat_interval (\(policy.heartbeatInterval)s), or live trials would be failed")
        }
        return policy
    }

    /// A positive number of seconds, or a duration such as `90s`, `30m`, `2h`.
    private func duration(_ section: MapReader, _ key: String) throws(StudyDefinitionError) -> Double? {
        guard let node = section.value(key) else { return nil }
        let seconds: Double?
        switch node.value {
        case .integer(let number): seconds = Double(number)
        case .number(let number): seconds = number.isFinite ? number : nil
        case .string(let text): seconds = DurationParser.seconds(in: text)
        default: seconds = nil
        }
        guard let seconds, seconds > 0 else {
            throw section.error(
                key, "must be \(DurationParser.expectation), greater than 0 (got \(node.kindDescription))")
        }
        return seconds
    }
}
