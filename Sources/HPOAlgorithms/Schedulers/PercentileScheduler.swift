import HPOCore

/// Stops a trial whose best value so far is worse than a percentile of the COMPLETE trials' values at the same
/// step: Optuna 5.0's `PercentilePruner` (and `MedianPruner` at the 50th percentile).
///
/// Nothing is pruned while fewer than `n_startup_trials` trials are COMPLETE (or none is), before step
/// `n_warmup_steps`, or when fewer than `n_min_trials` COMPLETE trials reported exactly this step. Only the first
/// report at or after each checkpoint `n_warmup_steps + k * interval_steps` is judged. A trial whose values are all
/// NaN is pruned. The comparison is strict: a value equal to the percentile goes on.
public struct PercentileScheduler: TrialScheduler {
    public var options: PercentileOptions

    public init(options: PercentileOptions = PercentileOptions()) {
        self.options = options
    }

    public func decide(for trial: Trial, studyName: String, history: TrialHistory) -> SchedulerOutcome {
        SchedulerOutcome(decision: shouldPrune(trial, history: history) ? .prune : .continue)
    }

    private func shouldPrune(_ trial: Trial, history: TrialHistory) -> Bool {
        let completed = history.trials(in: [.complete])
        guard !completed.isEmpty, completed.count >= options.nStartupTrials else { return false }
        guard let step = trial.lastStep, step >= options.nWarmupSteps,
            isFirstReportOfInterval(step: step, steps: trial.intermediateValues.keys)
        else { return false }

        let reported = trial.intermediateValues.values.filter { !$0.isNaN }
        guard
            let best = history.direction == .minimize ? reported.min() : reported.max()
        else { return true }

        let atStep = completed.compactMap { $0.intermediateValues[step] }
        guard atStep.count >= options.nMinTrials else { return false }
        let percentile = history.direction == .minimize ? options.percentile : 100 - options.percentile
        guard let threshold = Self.nanPercentile(atStep, percentile: percentile), !threshold.isNaN else {
            return false
        }
        return history.direction == .minimize ? best > threshold : best < threshold
    }

    /// True when `step` is the first report at or after its checkpoint: the trial's previous step (the largest
    /// other one, -1 if none) lies before `n_warmup_steps + floor((step - n_warmup_steps) / interval) * interval`.
    private func isFirstReportOfInterval(step: Int, steps: some Sequence<Int>) -> Bool {
        let interval = max(options.intervalSteps, 1)
        let checkpoint = (step - options.nWarmupSteps) / interval * interval + options.nWarmupSteps
        let previous = steps.filter { $0 != step }.max() ?? -1
        return previous < checkpoint
    }

    /// The `percentile`-th percentile (0...100) of the non-NaN values, interpolated linearly between the two
    /// nearest ranks the way NumPy's `nanpercentile` does (`a + (b - a) * t` below t = 0.5, `b - (b - a) * (1 -
    /// t)` from 0.5 on); nil when every value is NaN.
    public static func nanPercentile(_ values: [Double], percentile: Double) -> Double? {
        let sorted = values.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return nil }
        let position = Double(sorted.count - 1) * (percentile / 100)
        let lowerIndex = min(max(Int(position.rounded(.down)), 0), sorted.count - 1)
        let upperIndex = min(lowerIndex + 1, sorted.count - 1)
        let t = position - position.rounded(.down)
        let lower = sorted[lowerIndex]
        let upper = sorted[upperIndex]
        let difference = upper - lower
        return t < 0.5 ? lower + difference * t : upper - difference * (1 - t)
    }
}
