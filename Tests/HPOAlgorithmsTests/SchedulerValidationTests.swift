import HPOAlgorithms
import HPOCore
import Testing

@Suite struct SchedulerValidationTests {
    private func problems(_ spec: SchedulerSpec) -> [String] {
        spec.validationProblems().map { "\($0.keyPath): \($0.message)" }
    }

    @Test func defaultsAreValid() {
        var asha = ASHAOptions()
        asha.minResource = .value(1)
        for spec: SchedulerSpec in [
            .none, .asha(ASHAOptions()), .asha(asha), .hyperband(HyperbandOptions()), .percentile(PercentileOptions()),
            .median(),
        ] {
            #expect(problems(spec).isEmpty)
        }
    }

    @Test func ashaOptionsOutOfRangeSayWhatIsAllowed() {
        var options = ASHAOptions()
        options.minResource = .value(0)
        options.reductionFactor = 1
        options.minEarlyStoppingRate = -1
        options.bootstrapCount = -2
        #expect(
            problems(.asha(options)) == [
                "scheduler.min_resource: min_resource must be 'auto' or an integer >= 1 (got 0)",
                "scheduler.reduction_factor: reduction_factor must be an integer >= 2 (got 1)",
                "scheduler.min_early_stopping_rate: min_early_stopping_rate must be an integer >= 0 (got -1)",
                "scheduler.bootstrap_count: bootstrap_count must be an integer >= 0 (got -2)",
            ])
    }

    @Test func bootstrapCountNeedsAFixedResource() {
        var asha = ASHAOptions()
        asha.bootstrapCount = 2
        #expect(
            problems(.asha(asha)) == [
                "scheduler.bootstrap_count: bootstrap_count must be 0 when min_resource is 'auto' (got 2); "
                    + "set min_resource to an integer to use it"
            ])
        asha.minResource = .value(2)
        #expect(problems(.asha(asha)).isEmpty)
        var hyperband = HyperbandOptions()
        hyperband.bootstrapCount = 1
        #expect(problems(.hyperband(hyperband)).first?.hasPrefix("scheduler.bootstrap_count: ") == true)
        hyperband.maxResource = .value(81)
        #expect(problems(.hyperband(hyperband)).isEmpty)
    }

    @Test func hyperbandNeedsMaxResourceAtLeastMinResource() {
        var options = HyperbandOptions()
        options.minResource = 10
        options.maxResource = .value(9)
        options.reductionFactor = 0
        #expect(
            problems(.hyperband(options)) == [
                "scheduler.max_resource: max_resource must be 'auto' or an integer >= min_resource (10) (got 9)",
                "scheduler.reduction_factor: reduction_factor must be an integer >= 2 (got 0)",
            ])
        options.minResource = 0
        options.maxResource = .auto
        options.reductionFactor = 2
        #expect(
            problems(.hyperband(options)) == ["scheduler.min_resource: min_resource must be an integer >= 1 (got 0)"])
    }

    @Test func percentileOptionsOutOfRangeSayWhatIsAllowed() {
        var options = PercentileOptions()
        options.percentile = 120
        options.nStartupTrials = -1
        options.nWarmupSteps = -1
        options.intervalSteps = 0
        options.nMinTrials = 0
        #expect(
            problems(.percentile(options)) == [
                "scheduler.percentile: percentile must be a number between 0 and 100 (got 120.0)",
                "scheduler.n_startup_trials: n_startup_trials must be an integer >= 0 (got -1)",
                "scheduler.n_warmup_steps: n_warmup_steps must be an integer >= 0 (got -1)",
                "scheduler.interval_steps: interval_steps must be an integer >= 1 (got 0)",
                "scheduler.n_min_trials: n_min_trials must be an integer >= 1 (got 0)",
            ])
        options = PercentileOptions()
        options.percentile = .nan
        #expect(problems(.percentile(options)).count == 1)
    }

    @Test func factoryBuildsTheSchedulerOfEachType() {
        #expect(makeScheduler(.none) is FIFOScheduler)
        #expect(makeScheduler(.asha(ASHAOptions())) is ASHAScheduler)
        #expect(makeScheduler(.hyperband(HyperbandOptions())) is HyperbandScheduler)
        #expect(makeScheduler(.percentile(PercentileOptions())) is PercentileScheduler)
        let fifo = makeScheduler(.none).decide(schedulerTrial(0, reports: [5: .nan]), among: [])
        #expect(fifo == SchedulerOutcome(decision: .continue))
    }
}
