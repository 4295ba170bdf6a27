import Foundation
import HPOCore
import Testing

@testable import HPOAlgorithms

private let unitX = ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: -5, high: 5)))

/// A trial at `x` that reported `curve(step)` at steps 1...`lastStep` (none when `lastStep` is 0).
private func curveTrial(
    _ number: Int, _ state: TrialState, x: Double, lastStep: Int, curve: (Int) -> Double = { 1 / Double($0) }
) -> Trial {
    let reports = Dictionary(uniqueKeysWithValues: (0..<lastStep).map { ($0 + 1, curve($0 + 1)) })
    return Trial(
        id: TrialID(number + 1), number: number, state: state, value: reports[lastStep], params: ["x": x],
        distributions: ["x": unitX.distribution], intermediateValues: reports)
}

private func split(_ trials: [Trial], rule: TPEPrunedTrials, excluding: Int = -1) -> TPESplit {
    var cache = TPEStudyCache()
    cache.synchronise(with: TrialHistory(direction: .minimize, trials: trials), parameters: [unitX])
    return TPESplit(cache: cache, excluding: excluding, includeRunning: true, rule: rule)
}

@Suite struct TPEPrunedTrialsTests {
    @Test func withoutPrunedTrialsEveryRuleIsOptunasSplitWithUnitWeights() {
        var trials = (0..<25).map { curveTrial($0, .complete, x: Double($0 % 10) - 5, lastStep: 27) }
        trials += (25..<30).map { curveTrial($0, .running, x: 0, lastStep: $0 - 24) }
        trials.append(curveTrial(30, .fail, x: 1, lastStep: 2))
        let optuna = split(trials, rule: .optuna)
        for rule in TPEPrunedTrials.allCases {
            let other = split(trials, rule: rule)
            #expect(other.isBelow == optuna.isBelow, "\(rule)")
            #expect(other.isUsable == optuna.isUsable, "\(rule)")
            #expect(other.weights.allSatisfy { $0 == 1 } && other.evidence.allSatisfy { $0 == 1 }, "\(rule)")
        }
    }

    @Test func seenCountsAPrunedTrialAsTheShareOfTheRunItSaw() {
        var trials = (0..<8).map { curveTrial($0, .complete, x: Double($0), lastStep: 27) }
        trials.append(curveTrial(8, .pruned, x: 0, lastStep: 1))
        trials.append(curveTrial(9, .pruned, x: 0, lastStep: 3))
        trials.append(curveTrial(10, .pruned, x: 0, lastStep: 9))
        trials.append(curveTrial(11, .pruned, x: 0, lastStep: 0))
        trials.append(curveTrial(12, .running, x: 0, lastStep: 5))
        let optuna = split(trials, rule: .optuna)
        let seen = split(trials, rule: .seen)
        #expect(seen.isBelow == optuna.isBelow)
        #expect(seen.isUsable == optuna.isUsable)
        let expected: [Double] = Array(repeating: 1, count: 8) + [1.0 / 27, 3.0 / 27, 9.0 / 27, 1.0 / 27, 1]
        #expect(seen.weights == expected)
        #expect(seen.evidence == seen.weights)
        // Measured against the longest run among the used trials: without the COMPLETE ones, step 9.
        let onlyPruned = Array(trials[8...11])
        let expectedPruned: [Double] = [1.0 / 9, 3.0 / 9, 1, 1.0 / 9]
        #expect(split(onlyPruned, rule: .seen).weights == expectedPruned)
    }

    @Test func optunasRuleIsTheDefaultInBothModesAndASetRuleWins() {
        var options = TPEOptions()
        #expect(options.resolvedPrunedTrials == .optuna)
        options.adaptive = false
        #expect(options.resolvedPrunedTrials == .optuna)
        options.prunedTrials = .seen
        #expect(options.resolvedPrunedTrials == .seen)
        options.adaptive = true
        #expect(options.resolvedPrunedTrials == .seen)
    }

    /// Proposals of trial 40 over `seeds` for a history.
    private func proposals(_ trials: [Trial], rule: TPEPrunedTrials, seeds: Range<UInt64>) throws -> [Double] {
        var options = TPEOptions()
        options.prunedTrials = rule
        let space = SearchSpace([unitX])
        return try seeds.map { seed in
            var generator = SeededGenerator(seed: seed, trialNumber: 40)
            let sampler = TPESampler(options: options)
            let assignment = try sampler.suggest(
                trialNumber: 40, in: space, history: TrialHistory(direction: .minimize, trials: trials),
                using: &generator)
            return assignment.double("x") ?? .nan
        }
    }

    @Test func aStudyWithoutPrunedTrialsGetsTheSameProposalsUnderEveryRule() throws {
        var trials = (0..<30).map { n in
            curveTrial(n, .complete, x: -5 + Double(n) / 3, lastStep: 27) { _ in abs(-5 + Double(n) / 3 - 1) }
        }
        trials.append(curveTrial(30, .running, x: 2, lastStep: 4))
        let optuna = try proposals(trials, rule: .optuna, seeds: 0..<20)
        #expect(try proposals(trials, rule: .seen, seeds: 0..<20) == optuna)
    }

    @Test func trialsPrunedAtTheFirstStepRepelProposalsLessUnderSeen() throws {
        // COMPLETE trials over [-5, 5] whose final loss is |x - 1|; twenty trials just right of the best one were
        // pruned at the first of 27 steps (as slow configurations are). Optuna's rule counts each of them as a
        // full observation of g, which pushes proposals to the left of the best trial; `seen` counts each as
        // 1/27 of one, so the proposals stay centred nearer the best trial.
        var trials = (0..<20).map { n in
            curveTrial(n, .complete, x: -5 + Double(n) / 2, lastStep: 27) { _ in abs(-5 + Double(n) / 2 - 1) }
        }
        trials += (20..<40).map { n in curveTrial(n, .pruned, x: 1.2 + Double(n - 20) * 0.065, lastStep: 1) }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        let optuna = mean(try proposals(trials, rule: .optuna, seeds: 0..<200))
        let seen = mean(try proposals(trials, rule: .seen, seeds: 0..<200))
        #expect(seen > optuna + 0.1, "mean proposal: optuna \(optuna), seen \(seen)")
        #expect(abs(seen - 1) < abs(optuna - 1), "mean proposal: optuna \(optuna), seen \(seen)")
    }
}
