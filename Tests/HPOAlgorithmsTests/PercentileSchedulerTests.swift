import HPOAlgorithms
import HPOCore
import Testing

private func percentile(
    _ value: Double = 50, startup: Int = 0, warmup: Int = 0, interval: Int = 1, minTrials: Int = 1
) -> PercentileScheduler {
    var options = PercentileOptions()
    options.percentile = value
    options.nStartupTrials = startup
    options.nWarmupSteps = warmup
    options.intervalSteps = interval
    options.nMinTrials = minTrials
    return PercentileScheduler(options: options)
}

/// COMPLETE trials 0, 1, 2 with values 1, 2, 3 at every step 0...9.
private let completed: [Trial] = (0..<3).map { number in
    schedulerTrial(
        number, .complete, reports: Dictionary(uniqueKeysWithValues: (0..<10).map { ($0, Double(number + 1)) }))
}

@Suite struct PercentileSchedulerTests {
    @Test func prunesAboveTheMedianAndKeepsAnEqualValue() {
        #expect(percentile().decide(schedulerTrial(5, reports: [2: 2.5]), among: completed).decision == .prune)
        #expect(percentile().decide(schedulerTrial(5, reports: [2: 2.0]), among: completed).decision == .continue)
        #expect(
            percentile().decide(schedulerTrial(5, reports: [2: 1.5]), among: completed, direction: .maximize).decision
                == .prune)
        #expect(
            percentile().decide(schedulerTrial(5, reports: [2: 2.0]), among: completed, direction: .maximize).decision
                == .continue)
    }

    @Test func comparesTheBestValueOverAllSteps() {
        let trial = schedulerTrial(5, reports: [0: 1.5, 1: 9.0])
        #expect(percentile().decide(trial, among: completed).decision == .continue)
        #expect(percentile().decide(trial, among: completed, direction: .maximize).decision == .continue)
    }

    @Test func maximizingUsesTheMirroredPercentile() {
        // 25th percentile when maximizing is the 75th of the values [1, 2, 3]: 2.5.
        #expect(
            percentile(25).decide(schedulerTrial(5, reports: [1: 2.4]), among: completed, direction: .maximize)
                .decision == .prune)
        #expect(
            percentile(25).decide(schedulerTrial(5, reports: [1: 2.6]), among: completed, direction: .maximize)
                .decision == .continue)
        #expect(percentile(25).decide(schedulerTrial(5, reports: [1: 1.6]), among: completed).decision == .prune)
    }

    @Test func onlyCompleteTrialsCountForStartupAndTheThreshold() {
        let pruned = (3..<8).map { schedulerTrial($0, .pruned, reports: [2: 100.0]) }
        let trial = schedulerTrial(9, reports: [2: 2.5])
        #expect(percentile(startup: 4).decide(trial, among: completed + pruned).decision == .continue)
        #expect(percentile(startup: 3).decide(trial, among: completed + pruned).decision == .prune)
        #expect(percentile().decide(trial, among: pruned).decision == .continue)
    }

    @Test func warmupStepsAreNeverJudged() {
        let trial = schedulerTrial(5, reports: [2: 9.0])
        #expect(percentile(warmup: 3).decide(trial, among: completed).decision == .continue)
        #expect(percentile(warmup: 2).decide(trial, among: completed).decision == .prune)
    }

    @Test func onlyTheFirstReportAtOrAfterEachCheckpointIsJudged() {
        // warmup 1, interval 3: checkpoints 1, 4, 7.
        let scheduler = percentile(warmup: 1, interval: 3)
        #expect(scheduler.decide(schedulerTrial(5, reports: [1: 9.0]), among: completed).decision == .prune)
        #expect(scheduler.decide(schedulerTrial(5, reports: [1: 9.0, 2: 9.0]), among: completed).decision == .continue)
        #expect(scheduler.decide(schedulerTrial(5, reports: [1: 9.0, 4: 9.0]), among: completed).decision == .prune)
        // Sparse steps: from 2 to 6 passes checkpoint 4, so step 6 is judged.
        #expect(scheduler.decide(schedulerTrial(5, reports: [2: 9.0, 6: 9.0]), among: completed).decision == .prune)
        #expect(scheduler.decide(schedulerTrial(5, reports: [4: 9.0, 6: 9.0]), among: completed).decision == .continue)
    }

    @Test func needsMinTrialsThatReportedExactlyThisStep() {
        let sparse = [
            schedulerTrial(0, .complete, reports: [2: 1.0, 4: 1.0]),
            schedulerTrial(1, .complete, reports: [2: 2.0, 9: 0.0]),
        ]
        #expect(
            percentile(minTrials: 2).decide(schedulerTrial(5, reports: [4: 9.0]), among: sparse).decision == .continue)
        #expect(percentile(minTrials: 1).decide(schedulerTrial(5, reports: [4: 9.0]), among: sparse).decision == .prune)
        #expect(percentile(minTrials: 2).decide(schedulerTrial(5, reports: [2: 9.0]), among: sparse).decision == .prune)
        #expect(percentile().decide(schedulerTrial(5, reports: [3: 9.0]), among: sparse).decision == .continue)
    }

    @Test func nanValuesArePrunedOnlyWhenEveryReportIsNaN() {
        #expect(percentile().decide(schedulerTrial(5, reports: [2: .nan]), among: completed).decision == .prune)
        #expect(
            percentile().decide(schedulerTrial(5, reports: [1: 1.0, 2: .nan]), among: completed).decision == .continue)
        // NaN values of complete trials count towards n_min_trials but not in the percentile.
        let withNaN = [
            schedulerTrial(0, .complete, reports: [2: .nan]), schedulerTrial(1, .complete, reports: [2: 1.0]),
        ]
        #expect(
            percentile(minTrials: 2).decide(schedulerTrial(5, reports: [2: 1.5]), among: withNaN).decision == .prune)
        let allNaN = [schedulerTrial(0, .complete, reports: [2: .nan])]
        #expect(percentile().decide(schedulerTrial(5, reports: [2: 1.5]), among: allNaN).decision == .continue)
    }

    @Test func percentileInterpolatesLikeNumPy() {
        #expect(PercentileScheduler.nanPercentile([4, 1, 3, 2], percentile: 50) == 2.5)
        #expect(PercentileScheduler.nanPercentile([4, 1, .nan, 3, 2], percentile: 25) == 1.75)
        #expect(PercentileScheduler.nanPercentile([0.1, 0.7, 0.2], percentile: 30) == 0.16)
        #expect(PercentileScheduler.nanPercentile([1, 2, 3, 4, 10], percentile: 75) == 4)
        #expect(PercentileScheduler.nanPercentile([.nan], percentile: 50) == nil)
        // NumPy's median of this pair is b - (b - a) / 2, one ulp away from (a + b) / 2.
        let a = -6.281874682105646
        let b = 8.53013247571732
        #expect(PercentileScheduler.nanPercentile([a, b], percentile: 50) == 1.1241288968058374)
        #expect((a + b) / 2 != 1.1241288968058374)
    }

    @Test func medianFactoryIsTheFiftiethPercentile() {
        var options = PercentileOptions()
        options.percentile = 10
        guard case .percentile(let median) = SchedulerSpec.median(options) else {
            Issue.record("median is not a percentile scheduler")
            return
        }
        #expect(median.percentile == 50)
        #expect(makeScheduler(.median(options)) is PercentileScheduler)
    }
}
