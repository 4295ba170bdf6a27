import HPOCore

/// Asynchronous successive halving, with the decisions of Optuna 5.0's `SuccessiveHalvingPruner`.
///
/// Rung `i` is reached at step `min_resource * reduction_factor ^ (min_early_stopping_rate + i)`. The first report
/// at or past it records the trial's latest value as `completed_rung_<i>`, and the trial goes on only if that value
/// is within the best `1 / reduction_factor` of every trial's value at that rung (any state; while fewer than
/// `reduction_factor` trials are there, only the best so far goes on). One report can pass several rungs. A NaN
/// value is pruned at the first rung it reaches; with `bootstrap_count` b, the first b trials at each rung are
/// pruned.
///
/// Every decision is derived from the trial, the history and the attributes stored on trials, so a restarted
/// process decides as before. `min_resource: auto` is `max(floor(M / 100), 1)` with M the largest last step among
/// COMPLETE trials, computed at the first decision that has a COMPLETE trial; Optuna caches it in the pruner
/// object (per process), hpo stores it once on the deciding trial (`hpo:asha_min_resource`) and reuses the stored
/// value from then on, so a restart does not change it.
public struct ASHAScheduler: TrialScheduler {
    public var options: ASHAOptions

    public init(options: ASHAOptions = ASHAOptions()) {
        self.options = options
    }

    public func decide(for trial: Trial, studyName: String, history: TrialHistory) -> SchedulerOutcome {
        guard trial.lastStep != nil else { return SchedulerOutcome(decision: .continue) }
        guard
            let minResource = history.resolve(
                options.minResource, storedAs: SchedulerAttributeKey.ashaMinResource, for: trial,
                derive: { Self.automaticMinResource(largestCompletedStep: $0) })
        else { return SchedulerOutcome(decision: .continue) }
        let ladder = ladder(minResource: minResource.value)
        let competitors = history.trials.filter { $0.number != trial.number }
        var outcome = ladder.decide(for: trial, competitors: competitors, direction: history.direction)
        outcome.systemAttributes.merge(minResource.toStore) { current, _ in current }
        return outcome
    }

    /// `min_resource: auto`: one hundredth of the longest COMPLETE trial's last step, at least 1.
    public static func automaticMinResource(largestCompletedStep: Int) -> Int {
        max(largestCompletedStep / 100, 1)
    }

    /// The steps of the first `count` rungs (fewer if they overflow), for documentation and tests.
    public func rungSteps(minResource: Int, count: Int) -> [Int] {
        let ladder = ladder(minResource: minResource)
        return (0..<count).compactMap { ladder.promotionStep(ofRung: $0) }
    }

    private func ladder(minResource: Int) -> SuccessiveHalving {
        SuccessiveHalving(
            minResource: minResource, reductionFactor: options.reductionFactor,
            minEarlyStoppingRate: options.minEarlyStoppingRate, bootstrapCount: options.bootstrapCount)
    }
}
