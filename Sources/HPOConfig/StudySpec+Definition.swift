import HPOCore

/// The keys under which the runtime stores a study's definition in the study's system attributes.
public enum StudyDefinitionKey {
    /// The canonical definition (`StudySpec.definitionJSON`).
    public static let definition = "hpo:definition"
    /// `StudySpec.definitionHash` of the stored definition.
    public static let definitionHash = "hpo:definition_hash"
    /// The composed study document (`ComposedStudy.document`).
    public static let composedConfig = "hpo:config"
    /// The command-line overrides the study was composed with (`ComposedStudy.overrides`).
    public static let overrides = "hpo:overrides"
    /// Where each value of the composed document came from (`ComposedStudy.provenance`).
    public static let provenance = "hpo:provenance"
    /// The option chosen in each config group (`ComposedStudy.choices`).
    public static let choices = "hpo:config_choices"
}

extension StudySpec {
    /// The definition as canonical JSON: every setting explicit (defaults filled in), shaped like a study file
    /// except that `space` is a list of parameters in the space's order (`{"name": ..., "type": ..., ...}`) and `when`
    /// a list of `{"parameter": ..., "values": [...]}` in the order written. `StudySpec(definitionJSON:)` rebuilds an
    /// equal spec from it, so a resumed study needs nothing but its storage.
    public var definitionJSON: JSONValue {
        var root: [String: JSONValue] = [
            "version": .integer(1),
            "name": .string(name),
            "description": description.map(JSONValue.string) ?? .null,
            "direction": .string(direction == .maximize ? "maximize" : "minimize"),
            "metric": metric.map(JSONValue.string) ?? .null,
            "sampler": sampler.definitionJSON,
            "scheduler": scheduler.definitionJSON,
            "budget": .object([
                "n_trials": budget.nTrials.map(JSONValue.integer) ?? .null,
                "timeout": budget.timeout.map(JSONValue.number) ?? .null,
                "workers": .integer(budget.workers),
                "timeout_scope": .string(budget.timeoutScope.rawValue),
            ]),
            "retry": .object([
                "max_retries": .integer(retry.maxRetries),
                "retry_trainer_failures": .bool(retry.retryTrainerFailures),
                "heartbeat_interval": .number(retry.heartbeatInterval),
                "grace_period": .number(retry.gracePeriod),
            ]),
            "space": .array(space.parameters.map(\.definitionJSON)),
        ]
        if let trainer {
            var members = trainer.options
            members["type"] = .string(trainer.type)
            root["trainer"] = .object(members)
        } else {
            root["trainer"] = .null
        }
        return .object(root)
    }

    /// The canonical text of `definitionJSON` (sorted keys, no whitespace).
    public var definitionText: String { CanonicalJSON.text(definitionJSON) }

    /// `sha256:` and the SHA-256 of `definitionText`: equal definitions have equal hashes.
    public var definitionHash: String { "sha256:" + SHA256.hex(of: Array(definitionText.utf8)) }

    /// Rebuilds a spec from `definitionJSON` (as stored; a float that storage gives back as an integer is accepted).
    /// Errors name `source` as the file.
    public init(definitionJSON: JSONValue, source: String = "stored definition") throws(StudyDefinitionError) {
        // A seed above Int.max is stored as a decimal string.
        var json = definitionJSON
        var largeSeed: UInt64?
        if case .object(var members) = json, case .object(var sampler) = members["sampler"] ?? .null,
            case .string(let text) = sampler["seed"] ?? .null
        {
            guard let seed = UInt64(text) else {
                throw StudyDefinitionError(file: source, keyPath: "sampler.seed", message: "must be an integer >= 0")
            }
            largeSeed = seed
            sampler["seed"] = nil
            members["sampler"] = .object(sampler)
            json = .object(members)
        }
        let document = try DefinitionDocument.studyDocument(from: json, source: source)
        var decoder = StudyDecoder(studyFile: source)
        self = try decoder.decode(document)
        if let largeSeed { sampler.seed = largeSeed }
    }
}

extension SamplerSpec {
    var definitionJSON: JSONValue {
        var members: [String: JSONValue] = [
            "seed": seed.map { $0 <= UInt64(Int.max) ? .integer(Int($0)) : .string(String($0)) } ?? .null
        ]
        switch kind {
        case .random:
            members["type"] = .string("random")
        case .tpe(let options):
            members["type"] = .string("tpe")
            members["n_startup_trials"] = .integer(options.nStartupTrials)
            members["n_ei_candidates"] = .integer(options.nEICandidates)
            members["multivariate"] = .bool(options.multivariate)
            members["group"] = .bool(options.group)
            members["constant_liar"] = .bool(options.constantLiar)
            members["prior_weight"] = .number(options.priorWeight)
            members["consider_endpoints"] = .bool(options.considerEndpoints)
            members["consider_magic_clip"] = .bool(options.considerMagicClip)
            members["adaptive"] = .bool(options.adaptive)
            // Written only when set, so that definitions stored before the key existed compare equal.
            if let rule = options.prunedTrials { members["pruned_trials"] = .string(rule.rawValue) }
        }
        return .object(members)
    }
}

extension SchedulerSpec {
    var definitionJSON: JSONValue {
        func resource(_ setting: ResourceSetting) -> JSONValue {
            switch setting {
            case .auto: return .string("auto")
            case .value(let value): return .integer(value)
            }
        }
        switch self {
        case .none:
            return .object(["type": .string("none")])
        case .asha(let options):
            return .object([
                "type": .string("asha"), "min_resource": resource(options.minResource),
                "reduction_factor": .integer(options.reductionFactor),
                "min_early_stopping_rate": .integer(options.minEarlyStoppingRate),
                "bootstrap_count": .integer(options.bootstrapCount),
            ])
        case .hyperband(let options):
            return .object([
                "type": .string("hyperband"), "min_resource": .integer(options.minResource),
                "max_resource": resource(options.maxResource), "reduction_factor": .integer(options.reductionFactor),
                "bootstrap_count": .integer(options.bootstrapCount),
            ])
        case .percentile(let options):
            return .object([
                "type": .string("percentile"), "percentile": .number(options.percentile),
                "n_startup_trials": .integer(options.nStartupTrials), "n_warmup_steps": .integer(options.nWarmupSteps),
                "interval_steps": .integer(options.intervalSteps), "n_min_trials": .integer(options.nMinTrials),
            ])
        }
    }
}

extension ParameterSpec {
    var definitionJSON: JSONValue {
        var members: [String: JSONValue] = ["name": .string(name)]
        switch distribution {
        case .float(let domain):
            members["type"] = .string("float")
            members["low"] = .number(domain.low)
            members["high"] = .number(domain.high)
            members["log"] = .bool(domain.log)
            members["step"] = domain.step.map(JSONValue.number) ?? .null
        case .int(let domain):
            members["type"] = .string("int")
            members["low"] = .integer(domain.low)
            members["high"] = .integer(domain.high)
            members["log"] = .bool(domain.log)
            members["step"] = .integer(domain.step)
        case .categorical(let domain):
            members["type"] = .string("categorical")
            members["choices"] = .array(domain.choices.map(\.json))
        }
        if !conditions.isEmpty {
            members["when"] = .array(
                conditions.map {
                    .object(["parameter": .string($0.parameter), "values": .array($0.values.map(\.json))])
                })
        }
        return .object(members)
    }
}

/// Turns a canonical definition back into a study document that `StudyDecoder` reads.
enum DefinitionDocument {
    static func studyDocument(from json: JSONValue, source: String) throws(StudyDefinitionError) -> ConfigNode {
        guard case .object(var members) = json else {
            throw StudyDefinitionError(file: source, keyPath: "", message: "must be a JSON object")
        }
        guard case .array(let parameters) = members["space"] ?? .null else {
            throw StudyDefinitionError(file: source, keyPath: "space", message: "must be a list of parameters")
        }
        var space = ConfigMap()
        for (index, parameter) in parameters.enumerated() {
            guard case .object(var fields) = parameter, case .string(let name) = fields["name"] ?? .null else {
                throw StudyDefinitionError(
                    file: source, keyPath: "space[\(index)]", message: "must be an object with a string name")
            }
            fields["name"] = nil
            var node = node(from: .object(fields), source: source)
            if case .array(let conditions) = fields["when"] ?? .null, case .map(var map) = node.value {
                var when = ConfigMap()
                for condition in conditions {
                    guard case .string(let parent) = condition["parameter"] ?? .null, let values = condition["values"]
                    else {
                        throw StudyDefinitionError(
                            file: source, keyPath: "space.\(name).when",
                            message: "must be a list of {parameter, values} objects")
                    }
                    when[parent] = self.node(from: values, source: source)
                }
                map["when"] = ConfigNode(.map(when), source: source)
                node.value = .map(map)
            }
            space[name] = node
        }
        members["space"] = nil
        guard case .map(var root) = node(from: .object(members), source: source).value else {
            throw StudyDefinitionError(file: source, keyPath: "", message: "must be a JSON object")
        }
        root["space"] = ConfigNode(.map(space), source: source)
        return ConfigNode(.map(root), source: source)
    }

    /// A JSON value as a document node, object keys in sorted order.
    static func node(from json: JSONValue, source: String) -> ConfigNode {
        switch json {
        case .null: return ConfigNode(.null, source: source)
        case .bool(let flag): return ConfigNode(.bool(flag), source: source)
        case .integer(let number): return ConfigNode(.integer(number), source: source)
        case .number(let number): return ConfigNode(.number(number), source: source)
        case .string(let text): return ConfigNode(.string(text), source: source)
        case .array(let items): return ConfigNode(.list(items.map { node(from: $0, source: source) }), source: source)
        case .object(let members):
            var map = ConfigMap()
            for key in members.keys.sorted() { map[key] = node(from: members[key] ?? .null, source: source) }
            return ConfigNode(.map(map), source: source)
        }
    }
}
