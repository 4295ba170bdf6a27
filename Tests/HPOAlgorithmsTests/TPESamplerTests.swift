import Foundation
import HPOCore
import Testing

@testable import HPOAlgorithms

private let xSpec = ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: -5, high: 5)))

private func makeTrial(
    _ number: Int, _ state: TrialState, value: Double? = nil, x: Double? = nil,
    intermediate: [Int: Double] = [:]
) -> Trial {
    var params: [String: Double] = [:]
    var distributions: [String: Distribution] = [:]
    if let x {
        params["x"] = x
        distributions["x"] = xSpec.distribution
    }
    return Trial(
        id: TrialID(number + 1), number: number, state: state, value: value, params: params,
        distributions: distributions, intermediateValues: intermediate)
}

/// The numbers of the trials in the good set.
private func belowNumbers(
    _ trials: [Trial], direction: StudyDirection = .minimize, excluding: Int = -1, constantLiar: Bool = true
) -> [Int] {
    var cache = TPEStudyCache()
    cache.synchronise(with: TrialHistory(direction: direction, trials: trials), parameters: [xSpec])
    let split = TPESplit(cache: cache, excluding: excluding, includeRunning: constantLiar)
    return trials.indices.filter { split.isBelow[$0] }.map { trials[$0].number }
}

private func record(_ assignment: Assignment, number: Int, value: Double, space: SearchSpace) -> Trial {
    let stored = space.internalParameters(of: assignment)
    return Trial(
        id: TrialID(number + 1), number: number, state: .complete, value: value, params: stored.params,
        distributions: stored.distributions)
}

@Suite struct TPESplitTests {
    @Test func goodSetSizeIsTenPercentRoundedUpAndCappedAt25() {
        #expect(TPESplit.belowCount(finished: 1) == 1)
        #expect(TPESplit.belowCount(finished: 10) == 1)
        #expect(TPESplit.belowCount(finished: 11) == 2)
        #expect(TPESplit.belowCount(finished: 249) == 25)
        #expect(TPESplit.belowCount(finished: 10_000) == 25)
    }

    @Test func completeTrialsFillTheGoodSetBestFirstWithTiesInTrialOrder() {
        let trials = (0..<20).map { makeTrial($0, .complete, value: Double([5, 3, 3, 9, 1][$0 % 5]), x: 0) }
        // 20 finished: 2 good; value 1 at trials 4 and 9.
        #expect(belowNumbers(trials) == [4, 9])
        #expect(belowNumbers(trials, direction: .maximize) == [3, 8])
        let ties = (0..<11).map { makeTrial($0, .complete, value: 2, x: 0) }
        #expect(belowNumbers(ties) == [0, 1])
    }

    @Test func prunedTrialsTakeTheRestOfTheQuotaFurthestStepThenBestLastValue() {
        var trials = [makeTrial(0, .complete, value: 10, x: 0)]
        trials.append(makeTrial(1, .pruned, value: 0.5, x: 0, intermediate: [0: 9, 1: 0.5]))
        trials.append(makeTrial(2, .pruned, value: 3, x: 0, intermediate: [0: 1, 1: 2, 2: 3]))
        trials.append(makeTrial(3, .pruned, value: 2, x: 0, intermediate: [0: 1, 1: 2, 2: 2]))
        trials.append(makeTrial(4, .pruned, x: 0))
        // 5 more pruned trials without intermediate values rank last.
        trials += (5..<21).map { makeTrial($0, .pruned, x: 0) }
        // 21 finished: quota 3 = the COMPLETE trial, then trial 3 (step 2, value 2), then trial 2 (step 2, 3).
        #expect(belowNumbers(trials) == [0, 2, 3])
        // Maximising, the larger last value wins at the same step.
        #expect(belowNumbers(trials, direction: .maximize) == [0, 2, 3])
        let fewer = Array(trials.prefix(4)) + (4..<11).map { makeTrial($0, .pruned, x: 0) }
        // 11 finished: quota 2 = the COMPLETE trial and trial 3.
        #expect(belowNumbers(fewer) == [0, 3])
    }

    @Test func runningTrialsAreNeverGoodAndDoNotCountTowardsGamma() {
        var trials = (0..<10).map { makeTrial($0, .complete, value: Double($0), x: 0) }
        trials += (10..<30).map { makeTrial($0, .running, x: 0) }
        trials.append(makeTrial(30, .fail, x: 0))
        trials.append(makeTrial(31, .waiting))
        // 10 finished: one good trial, whatever the RUNNING, FAIL and WAITING ones.
        #expect(belowNumbers(trials) == [0])
        var cache = TPEStudyCache()
        cache.synchronise(with: TrialHistory(direction: .minimize, trials: trials), parameters: [xSpec])
        let liar = TPESplit(cache: cache, excluding: -1, includeRunning: true)
        #expect(liar.finishedCount == 10)
        #expect((10..<30).allSatisfy { liar.isUsable[$0] && !liar.isBelow[$0] })
        #expect(!liar.isUsable[30] && !liar.isUsable[31])
        let honest = TPESplit(cache: cache, excluding: -1, includeRunning: false)
        #expect((10..<30).allSatisfy { !honest.isUsable[$0] })
    }

    @Test func theTrialBeingProposedIsLeftOut() {
        let trials = (0..<11).map { makeTrial($0, .complete, value: Double($0), x: 0) }
        #expect(belowNumbers(trials) == [0, 1])
        #expect(belowNumbers(trials, excluding: 0) == [1])
    }

    @Test func ageWeightsRampOverTheOldestObservations() {
        #expect(defaultTPEWeights(0).isEmpty)
        #expect(defaultTPEWeights(24) == Array(repeating: 1, count: 24))
        let weights = defaultTPEWeights(30)
        let expected = [1.0 / 30, 0.275, 0.516_666_7, 0.758_333_3, 1.0] + Array(repeating: 1.0, count: 25)
        #expect(weights.count == 30)
        for (a, b) in zip(weights, expected) { #expect(abs(a - b) < 1e-6) }
    }
}

@Suite struct TPESamplerTests {
    static let mixedSpace = SearchSpace([
        ParameterSpec(name: "lr", distribution: .float(FloatDistribution(low: 1e-4, high: 1, log: true))),
        ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: -5, high: 5))),
        ParameterSpec(name: "q", distribution: .float(FloatDistribution(low: 0, high: 1, step: 0.1))),
        ParameterSpec(name: "n", distribution: .int(IntDistribution(low: 1, high: 20))),
        ParameterSpec(name: "units", distribution: .int(IntDistribution(low: 1, high: 512, log: true))),
        ParameterSpec(
            name: "kind", distribution: .categorical(CategoricalDistribution(choices: [.string("a"), .string("b")]))),
        ParameterSpec(
            name: "depth", distribution: .int(IntDistribution(low: 1, high: 8)),
            conditions: [ParameterCondition(parameter: "kind", values: [.string("b")])]),
    ])

    static func mixedObjective(_ a: Assignment) -> Double {
        let lr = Foundation.log10(a.double("lr") ?? 1) + 2
        let x = (a.double("x") ?? 0) - 1
        let n = ((a.double("n") ?? 0) - 12) / 4
        let kind = a["kind"] == .string("b") ? 0.0 : 2
        let depth = ((a.double("depth") ?? 4) - 3) / 3
        return lr * lr + x * x + n * n + kind + depth * depth + (a.double("q") ?? 0)
    }

    /// Runs a study of `count` trials and returns its assignments.
    static func run(
        _ sampler: any Sampler, space: SearchSpace, count: Int, seed: UInt64,
        objective: (Assignment) -> Double = mixedObjective
    ) throws -> [Assignment] {
        var trials: [Trial] = []
        var assignments: [Assignment] = []
        for number in 0..<count {
            var generator = SeededGenerator(seed: seed, trialNumber: number)
            let assignment = try sampler.suggest(
                trialNumber: number, in: space, history: TrialHistory(direction: .minimize, trials: trials),
                using: &generator)
            assignments.append(assignment)
            trials.append(record(assignment, number: number, value: objective(assignment), space: space))
        }
        return assignments
    }

    @Test func startupTrialsAreTheRandomSamplersProposals() throws {
        let space = Self.mixedSpace
        let tpe = try Self.run(TPESampler(), space: space, count: 10, seed: 5)
        let random = try Self.run(RandomSampler(), space: space, count: 10, seed: 5)
        #expect(tpe == random)
    }

    /// With the study's seed, the startup trials are a Latin hypercube: each parameter's N startup values lie in N
    /// different strata of its range (its log range for log domains), and a categorical of C choices gets each choice
    /// N/C times; the design is the seed's (the same again, another for another seed).
    @Test func startupTrialsWithTheStudysSeedCoverEachRangeStratumOnce() throws {
        let space = SearchSpace([
            ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: -5, high: 5))),
            ParameterSpec(name: "lr", distribution: .float(FloatDistribution(low: 1e-5, high: 1, log: true))),
            ParameterSpec(
                name: "kind",
                distribution: .categorical(
                    CategoricalDistribution(choices: [.string("a"), .string("b"), .string("c"), .string("d")]))),
        ])
        var options = TPEOptions()
        options.nStartupTrials = 8
        for seed in UInt64(1)...5 {
            let proposals = try Self.run(
                TPESampler(options: options, studySeed: seed), space: space, count: 8, seed: seed)
            let x = proposals.map { Int((($0.double("x") ?? .nan) + 5) / 10 * 8) }
            let lr = proposals.map {
                Int((Foundation.log($0.double("lr") ?? .nan) - Foundation.log(1e-5)) / Foundation.log(1e5) * 8)
            }
            #expect(x.sorted() == Array(0..<8), "seed \(seed): strata of x \(x)")
            #expect(lr.sorted() == Array(0..<8), "seed \(seed): strata of lr \(lr)")
            for choice in ["a", "b", "c", "d"] {
                #expect(proposals.count { $0["kind"] == .string(choice) } == 2, "seed \(seed): \(choice)")
            }
            let again = try Self.run(
                TPESampler(options: options, studySeed: seed), space: space, count: 8, seed: seed)
            #expect(again == proposals)
            let otherDesign = try Self.run(
                TPESampler(options: options, studySeed: seed + 100), space: space, count: 8, seed: seed)
            #expect(otherDesign.map { Int((($0.double("x") ?? .nan) + 5) / 10 * 8) } != x)
        }
    }

    /// The next N startup trials (after trials that failed, say) cover the strata again, in another order.
    @Test func startupDesignCoversTheStrataAgainInEachRound() {
        for size in [2, 5, 10, 17] {
            let design = StartupDesign(seed: 42, size: size)
            for parameter in 0..<3 {
                var orders: [[Int]] = []
                for round in 0..<3 {
                    let strata = (0..<size).map { k in
                        Int(design.unit(trial: round * size + k, parameter: parameter, jitter: 0.5) * Double(size))
                    }
                    #expect(strata.sorted() == Array(0..<size), "size \(size), parameter \(parameter), round \(round)")
                    orders.append(strata)
                }
                if size >= 5 { #expect(Set(orders).count > 1, "size \(size): every round in the same order") }
            }
            // A unit stays inside its stratum for any jitter in [0, 1).
            for jitter in [0.0, 0.999_999_999] {
                let unit = design.unit(trial: 3, parameter: 0, jitter: jitter)
                #expect(unit >= 0 && unit < 1)
                #expect(
                    Int(unit * Double(size)) == Int(design.unit(trial: 3, parameter: 0, jitter: 0.5) * Double(size)))
            }
        }
    }

    /// Without the seed, or with `adaptive` off (Optuna's behaviour), the startup trials are independent draws.
    @Test func startupTrialsAreIndependentDrawsWithoutTheSeedOrAdaptiveMode() throws {
        var optuna = TPEOptions()
        optuna.adaptive = false
        let space = Self.mixedSpace
        let random = try Self.run(RandomSampler(), space: space, count: 10, seed: 9)
        #expect(try Self.run(TPESampler(options: optuna, studySeed: 9), space: space, count: 10, seed: 9) == random)
        #expect(try Self.run(TPESampler(), space: space, count: 10, seed: 9) == random)
        #expect(try Self.run(TPESampler(studySeed: 9), space: space, count: 10, seed: 9) != random)
    }

    @Test func everyModeProposesValidAssignmentsOfAConditionalSpace() throws {
        for (multivariate, group, adaptive) in [
            (true, false, true), (true, false, false), (false, false, false), (true, true, false), (true, true, true),
        ] {
            var options = TPEOptions()
            options.multivariate = multivariate
            options.group = group
            options.adaptive = adaptive
            let assignments = try Self.run(TPESampler(options: options), space: Self.mixedSpace, count: 60, seed: 1)
            #expect(assignments.allSatisfy { Self.mixedSpace.validate($0) })
            #expect(Set(assignments.map { $0["kind"] }).count == 2)
        }
    }

    @Test func sameSeedAndHistoryGiveTheSameProposal() throws {
        let first = try Self.run(TPESampler(), space: Self.mixedSpace, count: 40, seed: 3)
        let second = try Self.run(TPESampler(), space: Self.mixedSpace, count: 40, seed: 3)
        #expect(first == second)
        let other = try Self.run(TPESampler(), space: Self.mixedSpace, count: 40, seed: 4)
        #expect(first != other)
    }

    @Test func theCacheNeverChangesTheAnswer() throws {
        // A sampler that keeps its cache across a study whose trials run, fail, get pruned and finish out of
        // order answers as a fresh one does.
        for options in [
            TPEOptions(),
            {
                var o = TPEOptions()
                o.multivariate = false
                return o
            }(),
        ] {
            let space = Self.mixedSpace
            let sampler = TPESampler(options: options)
            var trials: [Trial] = []
            var generator = SeededGenerator(seed: 9)
            for number in 0..<70 {
                var forCache = SeededGenerator(seed: 11, trialNumber: number)
                var forFresh = forCache
                let history = TrialHistory(direction: .minimize, trials: trials)
                let cached = try sampler.suggest(trialNumber: number, in: space, history: history, using: &forCache)
                let fresh = sampler.suggestWithoutCache(
                    trialNumber: number, in: space, history: history, using: &forFresh)
                #expect(cached == fresh, "trial \(number)")
                var trial = record(cached, number: number, value: Self.mixedObjective(cached), space: space)
                trial.state = .running
                trial.value = nil
                trials.append(trial)
                // Finish an earlier RUNNING trial at random: complete, pruned with a report, or failed.
                if let index = trials.indices.filter({ trials[$0].state == .running }).randomElement(
                    using: &generator), generator.nextUnit() < 0.7
                {
                    let draw = generator.nextUnit()
                    let value = Self.mixedObjective(trials[index].assignment)
                    if draw < 0.7 {
                        trials[index].state = .complete
                        trials[index].value = value
                    } else if draw < 0.9 {
                        trials[index].state = .pruned
                        trials[index].value = value
                        trials[index].intermediateValues = [Int(draw * 10): value]
                    } else {
                        trials[index].state = .fail
                    }
                }
            }
        }
    }

    @Test func proposalsConcentrateAroundTheOptimum() throws {
        // Minimising (x − 2)² on [−5, 5]: after 60 trials the last 20 proposals are closer to 2 than random
        // proposals are, on average over seeds and in each seed, with and without the adaptive mode.
        let space = SearchSpace([xSpec])
        for options in [
            TPEOptions(),
            {
                var o = TPEOptions()
                o.adaptive = false
                return o
            }(),
        ] {
            var total = 0.0
            for seed: UInt64 in [1, 2, 3, 4] {
                let assignments = try Self.run(
                    TPESampler(options: options), space: space, count: 60, seed: seed,
                    objective: { pow(($0.double("x") ?? 0) - 2, 2) })
                let late = assignments.suffix(20).compactMap { $0.double("x") }
                let meanDistance = late.reduce(0) { $0 + abs($1 - 2) } / Double(late.count)
                // A uniform proposal is on average 2.9 away from 2.
                #expect(meanDistance < 2, "seed \(seed): \(meanDistance)")
                total += meanDistance / 4
            }
            #expect(total < 1.2)
        }
    }

    @Test func conditionalChildrenAreModelledFromTheTrialsThatHoldThem() throws {
        // `depth` exists only for kind b; its TPE proposals move towards 3 (the objective's best depth).
        var options = TPEOptions()
        options.adaptive = false
        let assignments = try Self.run(TPESampler(options: options), space: Self.mixedSpace, count: 120, seed: 2)
        let depths = assignments.suffix(60).compactMap { $0.double("depth") }
        #expect(depths.count > 20)
        let nearThree = Double(depths.filter { abs($0 - 3) <= 1 }.count) / Double(depths.count)
        // Uniform proposals on 1...8 land within 1 of 3 with probability 3/8.
        #expect(nearThree > 0.6)
    }

    @Test func groupModeModelsParametersThatOccurTogether() throws {
        let sampler = TPESampler(
            options: {
                var o = TPEOptions()
                o.group = true
                return o
            }())
        var cache = TPEStudyCache()
        let assignments = try Self.run(RandomSampler(), space: Self.mixedSpace, count: 30, seed: 4)
        let trials = assignments.enumerated().map {
            record($1, number: $0, value: Self.mixedObjective($1), space: Self.mixedSpace)
        }
        cache.synchronise(
            with: TrialHistory(direction: .minimize, trials: trials), parameters: Self.mixedSpace.parameters)
        let split = TPESplit(cache: cache, excluding: 30, includeRunning: true)
        let groups = sampler.jointGroups(cache: cache, split: split).map {
            $0.map { Self.mixedSpace.parameters[$0].name }
        }
        #expect(groups.count == 2)
        #expect(Set(groups[0]) == ["lr", "x", "q", "n", "units", "kind"])
        #expect(groups[1] == ["depth"])
        let joint = TPESampler().jointGroups(cache: cache, split: split)
        #expect(
            joint.map { $0.map { Self.mixedSpace.parameters[$0].name } } == [["lr", "x", "q", "n", "units", "kind"]])
    }
}

@Suite struct TPEKernelUpdateTests {
    @Test func kernelsUpdatedInPlaceGiveTheAnswersOfAFreshSampler() throws {
        // Trials that finish as soon as they are proposed change the model by a few rows per ask (the new trial,
        // and one that enters or leaves the good set), so the cache updates its kernels in place; every answer
        // must still equal a fresh sampler's.
        for adaptive in [true, false] {
            var options = TPEOptions()
            options.adaptive = adaptive
            let space = TPESamplerTests.mixedSpace
            let sampler = TPESampler(options: options)
            var trials: [Trial] = []
            for number in 0..<220 {
                var forCache = SeededGenerator(seed: 21, trialNumber: number)
                var forFresh = forCache
                let history = TrialHistory(direction: .minimize, trials: trials)
                let cached = try sampler.suggest(trialNumber: number, in: space, history: history, using: &forCache)
                if number >= 95 {
                    let fresh = sampler.suggestWithoutCache(
                        trialNumber: number, in: space, history: history, using: &forFresh)
                    #expect(cached == fresh, "adaptive \(adaptive), trial \(number)")
                }
                trials.append(
                    record(cached, number: number, value: TPESamplerTests.mixedObjective(cached), space: space))
            }
            #expect(sampler.kernelUpdates > 100, "adaptive \(adaptive): \(sampler.kernelUpdates) updates in place")
        }
    }
}

@Suite struct TPEGoodKernelCacheTests {
    @Test func goodKernelsKeptInTheCacheEqualKernelsBuiltFromTheObservations() throws {
        // l's kernels are kept in the study cache and updated as the good set changes; on every ask they must be
        // the kernels built from the good observations alone, bit for bit, whichever bandwidth floor is asked for.
        let space = TPESamplerTests.mixedSpace
        let assignments = try TPESamplerTests.run(TPESampler(), space: space, count: 160, seed: 8)
        var trials: [Trial] = []
        var cache = TPEStudyCache()
        var compared = 0
        for (number, assignment) in assignments.enumerated() {
            trials.append(
                record(assignment, number: number, value: TPESamplerTests.mixedObjective(assignment), space: space))
            cache.synchronise(with: TrialHistory(direction: .minimize, trials: trials), parameters: space.parameters)
            let split = TPESplit(cache: cache, excluding: number + 1, includeRunning: true)
            for (p, axis) in cache.axes.enumerated() {
                guard case .numeric(let numeric) = axis else { continue }
                let column = cache.values[p]
                let rows = column.indices.filter { split.isUsable[$0] && !column[$0].isNaN }
                let below = rows.filter { split.isBelow[$0] }
                let above = rows.filter { !split.isBelow[$0] }
                var settings = ParzenSettings()
                // Adaptive floors (half the rows) on some asks, the observation count on others.
                if number % 3 != 0 { settings.clipCount = rows.count / 2 }
                let isBelow = column.indices.map { below.contains($0) }
                let isAbove = column.indices.map { above.contains($0) }
                let kept = cache.numericKernels(
                    parameter: p, axis: numeric, members: below, isMember: isBelow, settings: settings, good: true)
                _ = cache.numericKernels(
                    parameter: p, axis: numeric, members: above, isMember: isAbove, settings: ParzenSettings())
                let built = NumericKernels(axis: numeric, observations: below.map { column[$0] }, settings: settings)
                #expect(kept.mu == built.mu, "trial \(number), parameter \(p)")
                #expect(kept.sigma == built.sigma, "trial \(number), parameter \(p)")
                #expect(kept.inverseSigma == built.inverseSigma, "trial \(number), parameter \(p)")
                #expect(kept.logMass == built.logMass, "trial \(number), parameter \(p)")
                #expect(kept.logNormaliser == built.logNormaliser, "trial \(number), parameter \(p)")
                compared += 1
            }
        }
        #expect(compared > 500)
        #expect(cache.kernelUpdates > 100)
    }
}

/// Every group's members are listed once when every usable trial holds every parameter.
@Suite struct TPESharedMembersTests {
    static let ySpec = ParameterSpec(name: "y", distribution: .float(FloatDistribution(low: 0, high: 1)))

    static func trial(_ number: Int, value: Double, x: Double?, y: Double?, state: TrialState = .complete) -> Trial {
        var params: [String: Double] = [:]
        var distributions: [String: Distribution] = [:]
        if let x {
            params["x"] = x
            distributions["x"] = xSpec.distribution
        }
        if let y {
            params["y"] = y
            distributions["y"] = ySpec.distribution
        }
        return Trial(
            id: TrialID(number + 1), number: number, state: state, value: state == .complete ? value : nil,
            params: params, distributions: distributions)
    }

    static func cacheAndSplit(_ trials: [Trial], excluding: Int = -1) -> (TPEStudyCache, TPESplit) {
        var cache = TPEStudyCache()
        cache.synchronise(with: TrialHistory(direction: .minimize, trials: trials), parameters: [xSpec, ySpec])
        return (cache, TPESplit(cache: cache, excluding: excluding, includeRunning: true))
    }

    @Test func theMembersAreSharedOnlyWhenEveryUsableTrialHoldsEveryParameter() {
        let full = (0..<30).map { Self.trial($0, value: Double($0 % 7), x: Double($0 % 5) - 2, y: 0.03 * Double($0)) }
        let (cache, split) = Self.cacheAndSplit(full)
        #expect(TPESampler.everyParameterHeld(cache: cache, split: split))
        // Then each group's own members are the shared ones.
        let shared = TPESampler.members(of: [0, 1], cache: cache, split: split)
        for group in [[0], [1], [0, 1]] {
            let own = TPESampler.members(of: group, cache: cache, split: split)
            #expect(
                own.below == shared.below && own.above == shared.above && own.isBelow == shared.isBelow
                    && own.isAbove == shared.isAbove, "group \(group)")
        }
        // One finished trial without y: not shared.
        var partial = full
        partial.append(Self.trial(30, value: 1, x: 0, y: nil))
        let (partialCache, partialSplit) = Self.cacheAndSplit(partial)
        #expect(!TPESampler.everyParameterHeld(cache: partialCache, split: partialSplit))
        // The same trial, when it is the one being proposed (left out of the split), does not count.
        let (excludedCache, excludedSplit) = Self.cacheAndSplit(partial, excluding: 30)
        #expect(TPESampler.everyParameterHeld(cache: excludedCache, split: excludedSplit))
    }
}
