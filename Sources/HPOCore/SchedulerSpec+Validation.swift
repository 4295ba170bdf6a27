extension SchedulerSpec {
    /// The problems of the scheduler's options, each with the key path under the study file's `scheduler:` section
    /// (e.g. `scheduler.reduction_factor`) and a message that says what is allowed. Empty when the options are
    /// usable. The rules are Optuna 5.0's argument checks, plus `max_resource >= min_resource` for Hyperband.
    public func validationProblems() -> [(keyPath: String, message: String)] {
        var problems = SchedulerOptionChecks()
        switch self {
        case .none:
            break
        case .asha(let options):
            if case .value(let minResource) = options.minResource {
                problems.require(
                    minResource >= 1, "min_resource", "must be 'auto' or an integer >= 1 (got \(minResource))")
            }
            problems.checkReductionFactor(options.reductionFactor)
            problems.require(
                options.minEarlyStoppingRate >= 0, "min_early_stopping_rate",
                "must be an integer >= 0 (got \(options.minEarlyStoppingRate))")
            problems.checkBootstrapCount(
                options.bootstrapCount, autoResource: options.minResource, named: "min_resource")
        case .hyperband(let options):
            problems.require(
                options.minResource >= 1, "min_resource", "must be an integer >= 1 (got \(options.minResource))")
            if case .value(let maxResource) = options.maxResource {
                problems.require(
                    maxResource >= max(options.minResource, 1), "max_resource",
                    "must be 'auto' or an integer >= min_resource (\(options.minResource)) (got \(maxResource))")
            }
            problems.checkReductionFactor(options.reductionFactor)
            problems.checkBootstrapCount(
                options.bootstrapCount, autoResource: options.maxResource, named: "max_resource")
        case .percentile(let options):
            problems.require(
                options.percentile.isFinite && options.percentile >= 0 && options.percentile <= 100, "percentile",
                "must be a number between 0 and 100 (got \(options.percentile))")
            problems.require(
                options.nStartupTrials >= 0, "n_startup_trials",
                "must be an integer >= 0 (got \(options.nStartupTrials))")
            problems.require(
                options.nWarmupSteps >= 0, "n_warmup_steps", "must be an integer >= 0 (got \(options.nWarmupSteps))")
            problems.require(
                options.intervalSteps >= 1, "interval_steps", "must be an integer >= 1 (got \(options.intervalSteps))")
            problems.require(
                options.nMinTrials >= 1, "n_min_trials", "must be an integer >= 1 (got \(options.nMinTrials))")
        }
        return problems.found
    }
}

/// Collects the problems found by `SchedulerSpec.validationProblems()`.
private struct SchedulerOptionChecks {
    var found: [(keyPath: String, message: String)] = []

    mutating func require(_ condition: Bool, _ key: String, _ message: String) {
        if !condition { found.append((keyPath: "scheduler.\(key)", message: "\(key) \(message)")) }
    }

    mutating func checkReductionFactor(_ factor: Int) {
        require(factor >= 2, "reduction_factor", "must be an integer >= 2 (got \(factor))")
    }

    mutating func checkBootstrapCount(_ count: Int, autoResource: ResourceSetting, named resourceKey: String) {
        require(count >= 0, "bootstrap_count", "must be an integer >= 0 (got \(count))")
        if autoResource == .auto, count > 0 {
            require(
                false, "bootstrap_count",
                "must be 0 when \(resourceKey) is 'auto' (got \(count)); set \(resourceKey) to an integer to use it")
        }
    }
}
