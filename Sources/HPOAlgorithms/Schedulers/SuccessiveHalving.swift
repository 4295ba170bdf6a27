import HPOCore

/// The system-attribute keys that schedulers store on trials.
public enum SchedulerAttributeKey {
    /// `completed_rung_<i>`: the value a trial carried when it reached rung `i` (Optuna's key, JSON number).
    public static func completedRung(_ rung: Int) -> String { "completed_rung_\(rung)" }

    /// hpo's own key: the `min_resource` that ASHA derived for `min_resource: auto`, stored once so that every
    /// later decision (in this process or after a restart) uses the same value.
    public static let ashaMinResource = "hpo:asha_min_resource"

    /// hpo's own key: the `max_resource` that Hyperband derived for `max_resource: auto`, stored once like
    /// `ashaMinResource`.
    public static let hyperbandMaxResource = "hpo:hyperband_max_resource"
}

/// One successive-halving ladder with fixed parameters: the rule of Optuna's `SuccessiveHalvingPruner` once its
/// `min_resource` is known. ASHA uses one; Hyperband uses one per bracket.
struct SuccessiveHalving: Sendable, Hashable {
    var minResource: Int
    var reductionFactor: Int
    var minEarlyStoppingRate: Int
    var bootstrapCount: Int

    /// The step at which rung `rung` is reached: `min_resource * reduction_factor ^ (min_early_stopping_rate +
    /// rung)`, or nil when that number does not fit in an `Int` (no step can reach it).
    func promotionStep(ofRung rung: Int) -> Int? {
        var step = minResource
        for _ in 0..<(minEarlyStoppingRate + rung) {
            let (product, overflow) = step.multipliedReportingOverflow(by: reductionFactor)
            if overflow { return nil }
            step = product
        }
        return step
    }

    /// Decides for `trial` (which holds its new report) against `competitors`: the other trials whose
    /// `completed_rung_<i>` values it competes with (every state counts; the trial itself is excluded).
    ///
    /// Walks up the rungs from the first one the trial has not recorded, as far as its last step reaches: at
    /// each it records the trial's latest value and prunes unless the value is within the best
    /// `1 / reduction_factor` of that rung's values. A NaN value is pruned at the first rung reached.
    func decide(for trial: Trial, competitors: [Trial], direction: StudyDirection) -> SchedulerOutcome {
        guard let step = trial.lastStep, let value = trial.intermediateValues[step] else {
            return SchedulerOutcome(decision: .continue)
        }
        var rung = Self.completedRungCount(of: trial)
        var recorded: [String: JSONValue] = [:]
        while true {
            guard let threshold = promotionStep(ofRung: rung), step >= threshold else {
                return SchedulerOutcome(decision: .continue, systemAttributes: recorded)
            }
            if value.isNaN {
                return SchedulerOutcome(decision: .prune, systemAttributes: recorded)
            }
            let key = SchedulerAttributeKey.completedRung(rung)
            recorded[key] = .number(value)
            var values = competitors.compactMap { $0.systemAttributes[key]?.doubleValue }
            values.append(value)
            if values.count <= bootstrapCount || !isPromoted(value, among: values, direction: direction) {
                return SchedulerOutcome(decision: .prune, systemAttributes: recorded)
            }
            rung += 1
        }
    }

    /// Whether `value` is within the best `floor(n / reduction_factor)` of `values` (at least the best one);
    /// ties are promoted.
    func isPromoted(_ value: Double, among values: [Double], direction: StudyDirection) -> Bool {
        let sorted = values.sorted()
        let k = max(sorted.count / reductionFactor - 1, 0)
        switch direction {
        case .minimize: return value <= sorted[k]
        case .maximize: return value >= sorted[sorted.count - 1 - k]
        }
    }

    /// How many consecutive `completed_rung_0`, `completed_rung_1`, ... keys the trial carries.
    static func completedRungCount(of trial: Trial) -> Int {
        var rung = 0
        while trial.systemAttributes[SchedulerAttributeKey.completedRung(rung)] != nil {
            rung += 1
        }
        return rung
    }
}

extension TrialHistory {
    /// The largest last step among COMPLETE trials that reported at least once, or nil when there is none.
    func largestCompletedLastStep() -> Int? {
        trials.lazy.filter { $0.state == .complete }.compactMap(\.lastStep).max()
    }

    /// The value of a resource setting that may be `auto`: a fixed value as it is; for `auto`, the value stored
    /// under `key` on some trial, or else `derive(M)` with M the largest last step among COMPLETE trials, returned
    /// with the attribute that stores it. Nil while `auto` cannot be resolved yet (no COMPLETE trial has reported).
    func resolve(
        _ setting: ResourceSetting, storedAs key: String, for trial: Trial, derive: (Int) -> Int
    ) -> (value: Int, toStore: [String: JSONValue])? {
        switch setting {
        case .value(let value):
            return (value, [:])
        case .auto:
            if let stored = storedInteger(key, orOn: trial) { return (stored, [:]) }
            guard let largest = largestCompletedLastStep() else { return nil }
            let value = derive(largest)
            return (value, [key: .integer(value)])
        }
    }

    /// An integer system attribute stored by a scheduler: the one on the lowest-numbered trial that carries it,
    /// so that two processes that raced to store it still agree afterwards.
    private func storedInteger(_ key: String, orOn trial: Trial) -> Int? {
        let first = (trials + [trial]).filter { $0.systemAttributes[key] != nil }.min { $0.number < $1.number }
        guard let number = first?.systemAttributes[key]?.doubleValue, number.isFinite,
            number == number.rounded(), abs(number) < 1e15
        else { return nil }
        return Int(number)
    }
}
