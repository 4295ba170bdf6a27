import HPOCore

/// What a finished trial keeps in a study's memory (`StudyCache`): what the study's sampler and scheduler read
/// from finished trials, and what the runtime itself reads, nothing else. Whole trials stay in storage.
///
/// Every finished trial keeps its id, number, state, value, start and completion times (budget counts, the next
/// trial's number, `timeout_scope: study`) and the `failed_trial` attribute of a retry (retry chains). Beyond that:
/// - parameters and their distributions, when the sampler models them (TPE; the random sampler reads no history);
///   the distributions of trials with the study's own domains share one copy;
/// - every intermediate value of a COMPLETE trial, for the percentile (median) scheduler, which compares a report
///   with the COMPLETE trials' values at the same step;
/// - the last intermediate value of a PRUNED trial for TPE (it ranks PRUNED trials by their last step and value),
///   and of a COMPLETE trial for ASHA and Hyperband (an `auto` resource is derived from the COMPLETE trials' last
///   steps);
/// - the scheduler's system attributes, for ASHA and Hyperband (`completed_rung_<i>`, resolved resources).
/// User attributes, the fail reason, the worker identity and the remote heartbeat mark are never kept.
///
/// A finished trial in a state nothing reads keeps no row at all, only its count (`rowStates`): with the random
/// sampler, which reads no history, the percentile (median) scheduler reads COMPLETE trials only, and no scheduler
/// reads none. TPE, ASHA and Hyperband read trials of every finished state, and `timeout_scope: study` reads every
/// trial's start and completion times, so their studies keep a row for each.
struct TrialRetention: Sendable, Hashable {
    /// The finished states whose trials keep a row in the study's history.
    var rowStates: Set<TrialState>
    var params: Bool
    var allIntermediateValuesOfComplete: Bool
    /// The states whose trials keep their last intermediate value.
    var lastIntermediateValue: Set<TrialState>
    var schedulerAttributes: Bool

    /// Keeps every field of every trial (no slimming).
    static let whole = TrialRetention(
        rowStates: [.complete, .pruned, .fail], params: true, allIntermediateValuesOfComplete: true,
        lastIntermediateValue: [.complete, .pruned, .fail],
        schedulerAttributes: true, keepsWhole: true)

    /// True for `whole`: finished trials are kept as they are.
    let keepsWhole: Bool

    init(
        rowStates: Set<TrialState>, params: Bool, allIntermediateValuesOfComplete: Bool,
        lastIntermediateValue: Set<TrialState>, schedulerAttributes: Bool, keepsWhole: Bool = false
    ) {
        self.rowStates = rowStates
        self.params = params
        self.allIntermediateValuesOfComplete = allIntermediateValuesOfComplete
        self.lastIntermediateValue = lastIntermediateValue
        self.schedulerAttributes = schedulerAttributes
        self.keepsWhole = keepsWhole
    }

    /// Whether a finished trial in `state` keeps a row.
    func keepsRow(_ state: TrialState) -> Bool { rowStates.contains(state) }

    /// Whether every trial keeps a row.
    var keepsEveryRow: Bool { rowStates.isSuperset(of: [.complete, .pruned, .fail]) }

    /// What the components of a study read (and, with `timeout_scope: study`, the runtime: every trial's times).
    init(sampler: SamplerSpec, scheduler: SchedulerSpec, timeoutScope: TimeoutScope = .run) {
        let modelsParameters: Bool
        switch sampler.kind {
        case .random: modelsParameters = false
        case .tpe: modelsParameters = true
        }
        var allOfComplete = false
        var ladder = false
        switch scheduler {
        case .none: break
        case .percentile: allOfComplete = true
        case .asha, .hyperband: ladder = true
        }
        var last: Set<TrialState> = []
        if modelsParameters { last.insert(.pruned) }
        if ladder { last.insert(.complete) }
        var rows: Set<TrialState> = allOfComplete ? [.complete] : []
        if modelsParameters || ladder || timeoutScope == .study { rows = [.complete, .pruned, .fail] }
        self.init(
            rowStates: rows, params: modelsParameters, allIntermediateValuesOfComplete: allOfComplete,
            lastIntermediateValue: last,
            schedulerAttributes: ladder)
    }

    /// System attributes that never stay with a finished trial (they are read from storage when shown).
    static let droppedAttributes: Set<String> = [
        StudySession.Key.failReason, StudySession.RunKey.worker, StudySession.RemoteKey.heartbeat,
    ]

    /// The part of the finished `trial` to keep. `distributions` is the shared copy of the study's distributions
    /// (set from the first trial that has some); a trial with the same ones refers to it instead of its own copy.
    func kept(_ trial: Trial, distributions: inout [String: Distribution]?) -> Trial {
        if keepsWhole { return trial }
        var kept = Trial(
            id: trial.id, number: trial.number, state: trial.state, value: trial.value,
            datetimeStart: trial.datetimeStart, datetimeComplete: trial.datetimeComplete)
        if params, !trial.params.isEmpty {
            kept.params = trial.params
            if let shared = distributions, shared == trial.distributions {
                kept.distributions = shared
            } else {
                if distributions == nil { distributions = trial.distributions }
                kept.distributions = trial.distributions
            }
        }
        if allIntermediateValuesOfComplete, trial.state == .complete {
            kept.intermediateValues = trial.intermediateValues
        } else if lastIntermediateValue.contains(trial.state), let step = trial.lastStep,
            let value = trial.intermediateValues[step]
        {
            kept.intermediateValues = [step: value]
        }
        if schedulerAttributes {
            if trial.systemAttributes.keys.contains(where: Self.droppedAttributes.contains) {
                kept.systemAttributes = trial.systemAttributes.filter { !Self.droppedAttributes.contains($0.key) }
            } else {
                kept.systemAttributes = trial.systemAttributes
            }
        } else if let origin = trial.systemAttributes[RetryAttribute.failedTrial] {
            kept.systemAttributes = [RetryAttribute.failedTrial: origin]
        }
        return kept
    }
}
