import HPOAlgorithms
import HPOCore
import Testing

private func asha(
    minResource: ResourceSetting = .value(1), reductionFactor: Int = 4, minEarlyStoppingRate: Int = 0,
    bootstrapCount: Int = 0
) -> ASHAScheduler {
    var options = ASHAOptions()
    options.minResource = minResource
    options.reductionFactor = reductionFactor
    options.minEarlyStoppingRate = minEarlyStoppingRate
    options.bootstrapCount = bootstrapCount
    return ASHAScheduler(options: options)
}

@Suite struct ASHASchedulerTests {
    @Test func rungStepsGrowByTheReductionFactorFromTheEarlyStoppingRate() {
        #expect(asha(reductionFactor: 4).rungSteps(minResource: 1, count: 4) == [1, 4, 16, 64])
        #expect(asha(reductionFactor: 3, minEarlyStoppingRate: 1).rungSteps(minResource: 2, count: 3) == [6, 18, 54])
        #expect(asha(reductionFactor: 2).rungSteps(minResource: 3, count: 3) == [3, 6, 12])
    }

    @Test func rungStepsThatOverflowAreNeverReached() {
        let scheduler = asha(reductionFactor: 1 << 40)
        #expect(scheduler.rungSteps(minResource: 1, count: 4) == [1, 1 << 40])
        let trial = schedulerTrial(0, reports: [Int.max: 0.5], rungs: [0.5, 0.5])
        #expect(scheduler.decide(trial, among: []) == SchedulerOutcome(decision: .continue))
    }

    @Test func continuesWithoutRecordingBeforeTheFirstRung() {
        let trial = schedulerTrial(0, reports: [0: 5.0, 1: 9.0])
        let outcome = asha(minResource: .value(2)).decide(trial, among: rungZeroTrials([0.1, 0.2, 0.3], first: 1))
        #expect(outcome == SchedulerOutcome(decision: .continue))
    }

    @Test func firstArrivalAtARungIsPromotedAndRecorded() {
        let outcome = asha().decide(schedulerTrial(0, reports: [1: 3.5]), among: [])
        #expect(outcome.decision == .continue)
        #expect(outcome.systemAttributes == ["completed_rung_0": .number(3.5)])
    }

    @Test func earlyArrivalsArePromotedOnlyWhenBestSoFar() {
        let others = rungZeroTrials([1.0, 2.0])
        #expect(asha().decide(schedulerTrial(5, reports: [1: 1.5]), among: others).decision == .prune)
        #expect(asha().decide(schedulerTrial(5, reports: [1: 1.0]), among: others).decision == .continue)
        #expect(asha().decide(schedulerTrial(5, reports: [1: 0.5]), among: others).decision == .continue)
        let maximizing = asha().decide(schedulerTrial(5, reports: [1: 1.5]), among: others, direction: .maximize)
        #expect(maximizing.decision == .prune)
        #expect(
            asha().decide(schedulerTrial(5, reports: [1: 2.0]), among: others, direction: .maximize).decision
                == .continue)
    }

    @Test func promotesTheTopQuarterAtRungZeroWhenMinimizing() {
        // 7 others + the trial = 8 values; k = 8 / 4 - 1 = 1: the trial must be no worse than the 2nd best.
        let others = rungZeroTrials([1, 2, 3, 4, 5, 6, 7])
        #expect(asha().decide(schedulerTrial(10, reports: [3: 1.5]), among: others).decision == .continue)
        #expect(asha().decide(schedulerTrial(10, reports: [3: 2.0]), among: others).decision == .continue)
        #expect(asha().decide(schedulerTrial(10, reports: [3: 2.5]), among: others).decision == .prune)
    }

    @Test func promotesTheTopQuarterAtRungZeroWhenMaximizing() {
        let others = rungZeroTrials([1, 2, 3, 4, 5, 6, 7])
        func decision(_ value: Double) -> SchedulerDecision {
            asha().decide(schedulerTrial(10, reports: [3: value]), among: others, direction: .maximize).decision
        }
        #expect(decision(6.5) == .continue)
        #expect(decision(6.0) == .continue)
        #expect(decision(5.5) == .prune)
    }

    @Test func promotesAtAHigherRungAgainstThatRungsValuesOnly() {
        // Rung 1 sits at step 4. Rung-0 values of others are irrelevant there.
        let others = [
            schedulerTrial(0, reports: [4: 0.9], rungs: [0.1, 0.9]),
            schedulerTrial(1, reports: [4: 0.2], rungs: [0.3, 0.2]),
            schedulerTrial(2, reports: [1: 0.0], rungs: [0.0]),
        ]
        let worse = schedulerTrial(3, reports: [1: 0.5, 4: 0.4], rungs: [0.5])
        let outcome = asha().decide(worse, among: others)
        // values at rung 1: [0.9, 0.2, 0.4]; k = max(3 / 4 - 1, 0) = 0: only the best goes on.
        #expect(outcome == SchedulerOutcome(decision: .prune, systemAttributes: ["completed_rung_1": .number(0.4)]))
        let best = schedulerTrial(3, reports: [1: 0.5, 4: 0.15], rungs: [0.5])
        #expect(asha().decide(best, among: others).decision == .continue)
        let maxOutcome = asha().decide(worse, among: others, direction: .maximize)
        #expect(maxOutcome.decision == .prune)
        let top = schedulerTrial(3, reports: [1: 0.5, 4: 0.95], rungs: [0.5])
        #expect(asha().decide(top, among: others, direction: .maximize).decision == .continue)
    }

    @Test func comparesTheLatestValueNotTheValueAtTheRungStep() {
        let others = rungZeroTrials([1.0], first: 1)
        // Rung 0 is at step 2; the trial reported 5.0 at step 1 and jumps to step 3 with 0.5.
        let trial = schedulerTrial(0, reports: [1: 5.0, 3: 0.5])
        let outcome = asha(minResource: .value(2)).decide(trial, among: others)
        #expect(outcome == SchedulerOutcome(decision: .continue, systemAttributes: ["completed_rung_0": .number(0.5)]))
    }

    @Test func trialsInEveryStateCompete() {
        let others = [
            schedulerTrial(0, .pruned, reports: [1: 1.0], rungs: [1.0]),
            schedulerTrial(1, .fail, reports: [1: 2.0], rungs: [2.0]),
            schedulerTrial(2, .complete, reports: [1: 3.0], rungs: [3.0]),
        ]
        // With the three others the trial is 4th of 4 (k = 0): pruned. Alone it would be promoted.
        #expect(asha().decide(schedulerTrial(3, reports: [1: 3.5]), among: others).decision == .prune)
        #expect(asha().decide(schedulerTrial(3, reports: [1: 3.5]), among: []).decision == .continue)
    }

    @Test func nanIsPrunedAtTheFirstRungReachedWithoutRecording() {
        let outcome = asha().decide(schedulerTrial(0, reports: [1: .nan]), among: [])
        #expect(outcome == SchedulerOutcome(decision: .prune))
        let beforeRung = asha(minResource: .value(3)).decide(schedulerTrial(0, reports: [1: .nan]), among: [])
        #expect(beforeRung == SchedulerOutcome(decision: .continue))
    }

    @Test func bootstrapCountPrunesTheFirstArrivalsAtEachRung() {
        let scheduler = asha(bootstrapCount: 2)
        let first = scheduler.decide(schedulerTrial(0, reports: [1: 0.1]), among: [])
        #expect(first == SchedulerOutcome(decision: .prune, systemAttributes: ["completed_rung_0": .number(0.1)]))
        #expect(scheduler.decide(schedulerTrial(1, reports: [1: 0.1]), among: rungZeroTrials([0.5])).decision == .prune)
        let third = scheduler.decide(schedulerTrial(2, reports: [1: 0.1]), among: rungZeroTrials([0.5, 0.6]))
        #expect(third.decision == .continue)
    }

    @Test func passesSeveralRungsInOneReport() {
        // Rungs at 1, 4, 16, 64. The trial jumps straight to step 20 with the best value everywhere.
        let others = [
            schedulerTrial(0, reports: [20: 0.5], rungs: [0.9, 0.7, 0.5]),
            schedulerTrial(1, reports: [4: 0.8], rungs: [0.95, 0.8]),
        ]
        let jumper = schedulerTrial(2, reports: [20: 0.3])
        let outcome = asha().decide(jumper, among: others)
        #expect(outcome.decision == .continue)
        #expect(
            outcome.systemAttributes == [
                "completed_rung_0": .number(0.3), "completed_rung_1": .number(0.3), "completed_rung_2": .number(0.3),
            ])
        // With a value between, it is recorded at rungs 0 and 1 and stopped at rung 1 (η = 2: only the best of
        // the three there goes on).
        let stopped = asha(reductionFactor: 2).decide(schedulerTrial(2, reports: [20: 0.75]), among: others)
        #expect(stopped.decision == .prune)
        #expect(stopped.systemAttributes == ["completed_rung_0": .number(0.75), "completed_rung_1": .number(0.75)])
    }

    @Test func resumesFromTheRungsAlreadyRecorded() {
        // Rung 0 is recorded; a report at step 2 (below rung 1 at step 4) neither records nor competes again.
        let trial = schedulerTrial(0, reports: [1: 9.0, 2: 9.5], rungs: [9.0])
        let outcome = asha().decide(trial, among: rungZeroTrials([0.1, 0.2, 0.3], first: 1))
        #expect(outcome == SchedulerOutcome(decision: .continue))
    }

    @Test func automaticMinResourceWaitsForACompleteTrial() {
        let scheduler = asha(minResource: .auto)
        let running = [schedulerTrial(0, reports: [500: 0.1], rungs: [0.1])]
        let outcome = scheduler.decide(schedulerTrial(1, reports: [400: 5.0]), among: running)
        #expect(outcome == SchedulerOutcome(decision: .continue))
    }

    @Test func automaticMinResourceIsAHundredthOfTheLongestCompleteTrialAndIsStored() {
        let scheduler = asha(minResource: .auto)
        let complete = schedulerTrial(0, .complete, reports: [450: 0.1])
        // min_resource = 4: the trial at step 3 has not reached rung 0.
        let early = scheduler.decide(schedulerTrial(1, reports: [3: 5.0]), among: [complete])
        #expect(
            early == SchedulerOutcome(decision: .continue, systemAttributes: ["hpo:asha_min_resource": .integer(4)]))
        let atRung = scheduler.decide(schedulerTrial(1, reports: [4: 5.0]), among: [complete])
        #expect(atRung.decision == .continue)
        #expect(atRung.systemAttributes["completed_rung_0"] == .number(5.0))
        #expect(ASHAScheduler.automaticMinResource(largestCompletedStep: 50) == 1)
    }

    @Test func storedAutomaticMinResourceOutlivesNewerCompleteTrials() {
        // Trial 1 stored min_resource 4 earlier; a trial with 2000 steps completed since (a fresh computation would
        // give 20). The decision still uses 4, as the process that stored it did, and stores nothing new.
        let scheduler = asha(minResource: .auto)
        let others = [
            schedulerTrial(0, .complete, reports: [450: 0.1]),
            schedulerTrial(
                1, .complete, reports: [4: 0.2, 2000: 0.1], attributes: ["hpo:asha_min_resource": .integer(4)]),
        ]
        let outcome = scheduler.decide(schedulerTrial(2, reports: [4: 0.05]), among: others)
        #expect(outcome == SchedulerOutcome(decision: .continue, systemAttributes: ["completed_rung_0": .number(0.05)]))
    }

    @Test func decisionsAreTheSameForAFreshSchedulerOverTheSameHistory() {
        var trials = rungZeroTrials([0.4, 0.1, 0.7])
        trials.append(schedulerTrial(3, reports: [1: 0.3, 5: 0.2], rungs: [0.3]))
        let history = TrialHistory(direction: .minimize, trials: trials)
        let first = asha().decide(for: trials[3], studyName: "s", history: history)
        let again = makeScheduler(.asha(asha().options)).decide(for: trials[3], studyName: "s", history: history)
        #expect(first == again)
        #expect(first.systemAttributes == ["completed_rung_1": .number(0.2)])
    }
}
