import Foundation

/// A study definition: what is searched, how, and with what budget. Built by HPOConfig from a study file.
public struct StudySpec: Sendable, Hashable {
    public var name: String
    public var description: String?
    public var direction: StudyDirection
    /// The name of the value the trainer reports (informational for function objectives).
    public var metric: String?
    public var sampler: SamplerSpec
    public var scheduler: SchedulerSpec
    /// Nil for a study driven from outside through ask/tell.
    public var trainer: TrainerSpec?
    public var budget: Budget
    public var space: SearchSpace
    /// `retry:` of a study: heartbeats and what happens to failed trials.
    public var retry = RetryPolicy()

    public init(
        name: String, description: String? = nil, direction: StudyDirection, metric: String? = nil,
        sampler: SamplerSpec = SamplerSpec(), scheduler: SchedulerSpec = .none, trainer: TrainerSpec? = nil,
        budget: Budget = Budget(), space: SearchSpace
    ) {
        self.name = name
        self.description = description
        self.direction = direction
        self.metric = metric
        self.sampler = sampler
        self.scheduler = scheduler
        self.trainer = trainer
        self.budget = budget
        self.space = space
    }
}

/// `sampler:` of a study.
public struct SamplerSpec: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case random
        case tpe(TPEOptions)
    }

    public var kind: Kind
    /// Nil: a seed is drawn when the study is created and stored with it.
    public var seed: UInt64?

    public init(kind: Kind = .tpe(TPEOptions()), seed: UInt64? = nil) {
        self.kind = kind
        self.seed = seed
    }
}

/// TPE options, named after Optuna's `TPESampler` arguments, with Optuna 5.0's defaults.
public struct TPEOptions: Sendable, Hashable {
    public var nStartupTrials: Int = 10
    public var nEICandidates: Int = 24
    /// Joint model of all parameters (Optuna 5.0's default for one objective).
    public var multivariate: Bool = true
    /// Model conditional spaces jointly within each group of parameters that occur together.
    public var group: Bool = false
    public var constantLiar: Bool = true
    public var priorWeight: Double = 1.0
    public var considerEndpoints: Bool = false
    public var considerMagicClip: Bool = true
    /// hpo's adaptive mode: the startup trials form a Latin hypercube drawn from the study's seed, and the bandwidth
    /// floor of l(x) follows the observations of the whole study. Off, the sampler follows Optuna 5.0 exactly.
    public var adaptive: Bool = true
    /// How the split uses PRUNED trials (`pruned_trials`); nil: Optuna's rule (see `resolvedPrunedTrials`).
    public var prunedTrials: TPEPrunedTrials?

    public init() {}
}

/// `scheduler:` of a study (early stopping).
public enum SchedulerSpec: Sendable, Hashable {
    case none
    case asha(ASHAOptions)
    case hyperband(HyperbandOptions)
    case percentile(PercentileOptions)

    /// `type: median` is the 50th percentile.
    public static func median(_ options: PercentileOptions = PercentileOptions()) -> SchedulerSpec {
        var options = options
        options.percentile = 50
        return .percentile(options)
    }
}

/// Either a fixed number, or derived from the study (`auto`).
public enum ResourceSetting: Sendable, Hashable {
    case auto
    case value(Int)
}

public struct ASHAOptions: Sendable, Hashable {
    public var minResource: ResourceSetting = .auto
    public var reductionFactor: Int = 4
    public var minEarlyStoppingRate: Int = 0
    public var bootstrapCount: Int = 0
    public init() {}
}

public struct HyperbandOptions: Sendable, Hashable {
    public var minResource: Int = 1
    public var maxResource: ResourceSetting = .auto
    public var reductionFactor: Int = 3
    public var bootstrapCount: Int = 0
    public init() {}
}

public struct PercentileOptions: Sendable, Hashable {
    public var percentile: Double = 50
    public var nStartupTrials: Int = 5
    public var nWarmupSteps: Int = 0
    public var intervalSteps: Int = 1
    public var nMinTrials: Int = 1
    public init() {}
}

/// `trainer:` of a study: its type and its options, validated by the study loader against the trainer's
/// known keys. Values keep the YAML types.
public struct TrainerSpec: Sendable, Hashable {
    public var type: String
    public var options: [String: JSONValue]

    public init(type: String, options: [String: JSONValue] = [:]) {
        self.type = type
        self.options = options
    }
}

/// `budget:` of a study.
public struct Budget: Sendable, Hashable {
    /// The study's total number of finished trials; nil: until the timeout (or forever).
    public var nTrials: Int?
    /// Seconds.
    public var timeout: Double?
    public var workers: Int
    /// What `timeout` limits: each run (`hpo run` / `hpo resume` invocation), or the study's whole running time.
    public var timeoutScope: TimeoutScope = .run

    public init(nTrials: Int? = nil, timeout: Double? = nil, workers: Int = 1) {
        self.nTrials = nTrials
        self.timeout = timeout
        self.workers = workers
    }
}
