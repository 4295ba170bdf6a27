import HPOAlgorithms
import HPOCore
import Testing

private func hyperband(
    minResource: Int = 1, maxResource: ResourceSetting = .value(27), reductionFactor: Int = 3
) -> HyperbandScheduler {
    var options = HyperbandOptions()
    options.minResource = minResource
    options.maxResource = maxResource
    options.reductionFactor = reductionFactor
    return HyperbandScheduler(options: options)
}

@Suite struct HyperbandSchedulerTests {
    @Test func bracketCountUsesFloatingPointLogarithms() {
        typealias Layout = HyperbandScheduler.Layout
        // log(243) / log(3) is 4.999999999999999 in floating point, log(1000) / log(10) is 2.9999999999999996.
        #expect(Layout.bracketCount(minResource: 1, maxResource: 243, reductionFactor: 3) == 5)
        #expect(Layout.bracketCount(minResource: 1, maxResource: 1000, reductionFactor: 10) == 3)
        #expect(Layout.bracketCount(minResource: 1, maxResource: 27, reductionFactor: 3) == 4)
        #expect(Layout.bracketCount(minResource: 1, maxResource: 81, reductionFactor: 3) == 5)
        #expect(Layout.bracketCount(minResource: 2, maxResource: 30, reductionFactor: 2) == 4)
        #expect(Layout.bracketCount(minResource: 5, maxResource: 5, reductionFactor: 3) == 1)
    }

    @Test func bracketBudgetsFollowTheHyperbandAllocation() {
        let layout = HyperbandScheduler.Layout(minResource: 1, maxResource: 27, reductionFactor: 3)
        #expect(layout.budgets == [27, 12, 6, 4])
        #expect(layout.totalBudget == 49)
        #expect(
            HyperbandScheduler.Layout(minResource: 1, maxResource: 243, reductionFactor: 3).budgets == [
                81, 34, 15, 8, 5,
            ])
        #expect(
            HyperbandScheduler.Layout(minResource: 1, maxResource: 30, reductionFactor: 2).budgets == [16, 10, 7, 5, 5])
        #expect(
            HyperbandScheduler.Layout(minResource: 1, maxResource: 1000, reductionFactor: 10).budgets == [100, 15, 3])
    }

    @Test func crc32MatchesZlib() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum(Array("trace-7000000_5".utf8)) == 974_043_247)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test func bracketsAreAssignedByTheHashOfStudyNameAndNumber() {
        let layout = HyperbandScheduler.Layout(minResource: 1, maxResource: 27, reductionFactor: 3)
        // Reference: zlib.crc32(f"mnist_{n}".encode()) % 49 walked through [27, 12, 6, 4], n = 0..<20.
        let expected = [0, 1, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 2, 2, 0]
        #expect((0..<20).map { layout.bracket(ofTrialNumber: $0, studyName: "mnist") } == expected)
        var counts = [0, 0, 0, 0]
        for number in 0..<1000 { counts[layout.bracket(ofTrialNumber: number, studyName: "mnist")] += 1 }
        #expect(counts == [546, 265, 105, 84])
    }

    @Test func bracketSetsTheFirstRungStep() {
        // In "mnist", trial 0 is in bracket 0 (rungs 1, 3, 9, ...) and trial 1 in bracket 1 (rungs 3, 9, ...).
        let scheduler = hyperband()
        let bracket0 = scheduler.decide(schedulerTrial(0, reports: [1: 0.5]), among: [], studyName: "mnist")
        #expect(bracket0.systemAttributes == ["completed_rung_0": .number(0.5)])
        let bracket1Early = scheduler.decide(schedulerTrial(1, reports: [2: 0.5]), among: [], studyName: "mnist")
        #expect(bracket1Early == SchedulerOutcome(decision: .continue))
        let bracket1 = scheduler.decide(schedulerTrial(1, reports: [3: 0.5]), among: [], studyName: "mnist")
        #expect(bracket1.systemAttributes == ["completed_rung_0": .number(0.5)])
    }

    @Test func trialsCompeteOnlyWithinTheirBracket() {
        let scheduler = hyperband()
        let otherBrackets = [
            schedulerTrial(1, reports: [3: 0.1], rungs: [0.1]),
            schedulerTrial(2, reports: [9: 0.2], rungs: [0.2]),
        ]
        let trial = schedulerTrial(3, reports: [1: 0.5])
        #expect(scheduler.decide(trial, among: otherBrackets, studyName: "mnist").decision == .continue)
        let sameBracket = otherBrackets + [schedulerTrial(0, reports: [1: 0.1], rungs: [0.1])]
        #expect(scheduler.decide(trial, among: sameBracket, studyName: "mnist").decision == .prune)
        #expect(
            scheduler.decide(trial, among: sameBracket, direction: .maximize, studyName: "mnist").decision == .continue)
    }

    @Test func automaticMaxResourceWaitsForACompleteTrialThenIsStored() {
        let scheduler = hyperband(maxResource: .auto)
        let waiting = scheduler.decide(schedulerTrial(3, reports: [1: 0.5]), among: [], studyName: "mnist")
        #expect(waiting == SchedulerOutcome(decision: .continue))
        let complete = schedulerTrial(0, .complete, reports: [26: 0.1])
        let outcome = scheduler.decide(schedulerTrial(3, reports: [1: 0.5]), among: [complete], studyName: "mnist")
        #expect(outcome.systemAttributes["hpo:hyperband_max_resource"] == .integer(27))
        #expect(outcome.systemAttributes["completed_rung_0"] == .number(0.5))
    }

    @Test func storedAutomaticMaxResourceKeepsTheBracketsAfterLongerTrialsComplete() {
        // Stored 27 (4 brackets); a fresh computation would give 1001 and other brackets.
        let scheduler = hyperband(maxResource: .auto)
        let others = [
            schedulerTrial(0, .complete, reports: [1000: 0.1], attributes: ["hpo:hyperband_max_resource": .integer(27)])
        ]
        let outcome = scheduler.decide(schedulerTrial(1, reports: [2: 0.5]), among: others, studyName: "mnist")
        #expect(outcome == SchedulerOutcome(decision: .continue))
        let atRung = scheduler.decide(schedulerTrial(1, reports: [3: 0.5]), among: others, studyName: "mnist")
        #expect(atRung == SchedulerOutcome(decision: .continue, systemAttributes: ["completed_rung_0": .number(0.5)]))
    }

    @Test func nanIsPrunedAtTheFirstRungOfItsBracket() {
        let outcome = hyperband().decide(schedulerTrial(0, reports: [1: .nan]), among: [], studyName: "mnist")
        #expect(outcome == SchedulerOutcome(decision: .prune))
    }
}
