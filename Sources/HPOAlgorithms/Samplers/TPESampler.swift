import Foundation
import HPOCore
import Synchronization

/// Tree-structured Parzen Estimator sampling with the behaviour Optuna 5.0 publishes.
///
/// - Random proposals until `n_startup_trials` trials are COMPLETE or PRUNED.
/// - The finished trials are split into the best `min(⌈0.1·n⌉, 25)` ("below") and the rest ("above");
///   RUNNING trials are always "above" (constant liar).
/// - For each group of parameters modelled jointly (the whole intersection space in multivariate mode, each
///   group of parameters that occur together in group mode, each parameter alone in univariate mode),
///   `n_ei_candidates` points are drawn from l(x) and the one with the largest log l(x) − log g(x) wins.
/// - Parameters outside every joint group (conditional, new, or with a changed domain) get univariate TPE.
///
/// With `adaptive` on (hpo's default) and the study's seed given, the startup trials form a Latin hypercube
/// (`StartupDesign`) rather than independent draws: each parameter's first `n_startup_trials` values fall in as many
/// equal strata of its range (on the log scale for log domains), one each, so every categorical choice and every part of
/// every range is tried before the model takes over. Measured over 1,000 seeds of 15 functions at 100 trials
/// (`hpo-bench tpe-quality`, paired with independent startup draws) it lowered the mean regret on 11 of them, by up to
/// 21% (nested conditional space) and 9% (styblinski_tang4), both beyond two standard errors, and raised none by more
/// than two (rastrigin3 +3%, 1.5 standard errors).
///
/// With `adaptive` on, the bandwidth floor of l(x) also follows the evidence of the whole study:
/// Optuna's magic clip `(H − L)/min(100, n + 2)` counts only l's own observations (at most 25), which keeps
/// every good kernel at least 1/27 of the range wide for ever; hpo counts half of all the observations of the
/// group instead, so l can sharpen around the good region as the study grows. Measured on 15 functions
/// (`hpo-bench tpe-quality`) this lowers the mean regret at 100 trials on most of them. With `adaptive` off
/// the sampler follows Optuna 5.0 exactly.
///
/// On a narrow curved valley (rosenbrock4) a few runs in a hundred end far from the optimum: the first good
/// trials fall on the wrong side of the valley and l's kernels follow it down too slowly. The tail is lighter
/// than with Optuna's floor (runs with regret above 200 after 100 trials: 10 against 25 of 300 seeds). Measured
/// against this rule (`--per-seed`, 300 seeds, 15 functions, paired), no alternative lowered rosenbrock4's mean
/// regret beyond its noise (at best −17%, one standard error), and each either changed nothing beyond noise (a
/// floor reaching half the observations only at 40) or raised the mean regret by more than two paired standard
/// errors on 2 to 8 functions while lowering it so on at most one: a floor counting a quarter or all of the
/// observations, or growing as n^0.75; Optuna's floor while the best trial is older than half the study; a
/// larger good set (at least 4, or 15%); 2 to 12 of the 24 candidates drawn from an l with Optuna's floor
/// (scored under the mixture of both l's or under their own, or with the mixture weighted by how well each l
/// predicts the newest good trials from the older ones).
///
/// The answer is a pure function of (space, history, generator). The sampler keeps what it derives from the
/// study's trials (one row per trial, value ranking, sorted observations, kernel masses) in a cache guarded by
/// a lock and brings it up to date on each call, so one proposal costs little more than evaluating the kernels.
public final class TPESampler: Sampler {
    public let options: TPEOptions
    /// The study's seed, which the startup design is drawn from (nil: startup trials are independent draws).
    public let studySeed: UInt64?
    private let cache = Mutex(TPEStudyCache())

    public init(options: TPEOptions = TPEOptions(), studySeed: UInt64? = nil) {
        self.options = options
        self.studySeed = studySeed
    }

    public func suggest(
        trialNumber: Int, in space: SearchSpace, history: TrialHistory, using generator: inout SeededGenerator
    ) throws -> Assignment {
        var generatorCopy = generator
        let result = cache.withLock { cache in
            suggest(trialNumber: trialNumber, in: space, history: history, cache: &cache, using: &generatorCopy)
        }
        generator = generatorCopy
        return result
    }

    /// The proposal computed from a fresh cache: the same answer as `suggest`, at the cost of reading the whole
    /// history again (used to check that the cache does not change answers).
    func suggestWithoutCache(
        trialNumber: Int, in space: SearchSpace, history: TrialHistory, using generator: inout SeededGenerator
    ) -> Assignment {
        var fresh = TPEStudyCache()
        return suggest(trialNumber: trialNumber, in: space, history: history, cache: &fresh, using: &generator)
    }

    /// How many times the cache updated kernels in place rather than rebuilding them (for tests).
    var kernelUpdates: Int { cache.withLock { $0.kernelUpdates } }

    private func suggest(
        trialNumber: Int, in space: SearchSpace, history: TrialHistory, cache: inout TPEStudyCache,
        using generator: inout SeededGenerator
    ) -> Assignment {
        cache.synchronise(with: history, parameters: space.parameters)
        let split = TPESplit(
            cache: cache, excluding: trialNumber, includeRunning: options.constantLiar,
            rule: options.resolvedPrunedTrials)
        var values: [String: ParamValue] = [:]
        if split.finishedCount < options.nStartupTrials {
            let design =
                options.adaptive ? studySeed.map { StartupDesign(seed: $0, size: options.nStartupTrials) } : nil
            for (p, spec) in space.parameters.enumerated() where spec.isActive(given: values) {
                let internalValue =
                    design.map {
                        spec.distribution.value(
                            atUnit: $0.unit(trial: trialNumber, parameter: p, jitter: generator.nextUnit()))
                    } ?? spec.distribution.drawUniform(using: &generator)
                values[spec.name] = spec.distribution.externalValue(of: internalValue)
            }
            return Assignment(values)
        }
        let groups = jointGroups(cache: cache, split: split)
        // When every usable trial holds every parameter, each group has the same members: they are listed once (and
        // the cache sees the same lists for every parameter).
        let shared =
            Self.everyParameterHeld(cache: cache, split: split)
            ? Self.members(of: Array(cache.parameters.indices), cache: cache, split: split) : nil
        let groupOf = Dictionary(
            groups.enumerated().flatMap { index, group in group.map { ($0, index) } }, uniquingKeysWith: { a, _ in a })
        var jointValues: [Int: Double] = [:]
        var sampledGroups = Set<Int>()
        for (p, spec) in space.parameters.enumerated() where spec.isActive(given: values) {
            let internalValue: Double
            if spec.distribution.isSingle {
                internalValue = spec.distribution.drawUniform(using: &generator)
            } else if let groupIndex = groupOf[p] {
                if !sampledGroups.contains(groupIndex) {
                    sampledGroups.insert(groupIndex)
                    let drawn = sample(
                        groups[groupIndex], cache: &cache, split: split, members: shared, using: &generator)
                    for (parameter, value) in zip(groups[groupIndex], drawn) { jointValues[parameter] = value }
                }
                internalValue = jointValues[p] ?? spec.distribution.drawUniform(using: &generator)
            } else {
                internalValue = sample([p], cache: &cache, split: split, members: shared, using: &generator)[0]
            }
            values[spec.name] = spec.distribution.externalValue(of: internalValue)
        }
        return Assignment(values)
    }

    /// The groups of parameters (indices into the space) sampled jointly: none in univariate mode; the
    /// intersection space of the finished trials in multivariate mode; in group mode, its decomposition into
    /// parameters present in exactly the same finished trials (Optuna's group decomposition).
    /// Single-value parameters and parameters whose stored domain differs from the space's are left out.
    func jointGroups(cache: TPEStudyCache, split: TPESplit) -> [[Int]] {
        guard options.multivariate else { return [] }
        let parameters = cache.parameters
        let eligible = parameters.indices.filter { !parameters[$0].distribution.isSingle }
        var finishedRows: [Int] = []
        finishedRows.reserveCapacity(cache.count)
        cache.states.withUnsafeBufferPointer { states in
            split.isUsable.withUnsafeBufferPointer { usable in
                for row in 0..<Swift.min(states.count, usable.count)
                where usable[row] && (states[row] == .complete || states[row] == .pruned) {
                    finishedRows.append(row)
                }
            }
        }
        let values = cache.values
        let sameDomain = cache.sameDomain
        func holds(_ position: Int, _ p: Int) -> Bool {
            !values[p][position].isNaN && sameDomain[p][position]
        }
        if cache.hasMasks {
            return Self.jointGroups(
                eligible: eligible, rows: finishedRows, consistent: cache.consistent, grouped: options.group)
        }
        if !options.group {
            let joint = eligible.filter { p in
                let column = values[p]
                let same = sameDomain[p]
                return finishedRows.allSatisfy { !column[$0].isNaN && same[$0] }
            }
            return joint.isEmpty ? [] : [joint]
        }
        // Two parameters share a group when the same finished trials hold them.
        var patterns: [[Bool]: Int] = [:]
        var patternOrder: [[Bool]] = []
        for row in finishedRows {
            let pattern = eligible.map { holds(row, $0) }
            if patterns[pattern] == nil {
                patterns[pattern] = patternOrder.count
                patternOrder.append(pattern)
            }
        }
        var groups: [[Bool]: [Int]] = [:]
        var groupOrder: [[Bool]] = []
        for (slot, p) in eligible.enumerated() {
            let membership = patternOrder.map { $0[slot] }
            guard membership.contains(true) else { continue }
            if groups[membership] == nil { groupOrder.append(membership) }
            groups[membership, default: []].append(p)
        }
        return groupOrder.compactMap { groups[$0] }
    }

    /// `jointGroups` from the cache's per-row bit masks of parameters held with the space's domain.
    static func jointGroups(eligible: [Int], rows: [Int], consistent: [UInt64], grouped: Bool) -> [[Int]] {
        var eligibleMask: UInt64 = 0
        for p in eligible { eligibleMask |= 1 << UInt64(p) }
        if !grouped {
            var common = eligibleMask
            consistent.withUnsafeBufferPointer { consistent in
                for row in rows { common &= consistent[row] }
            }
            let joint = eligible.filter { common & (1 << UInt64($0)) != 0 }
            return joint.isEmpty ? [] : [joint]
        }
        var seen = Set<UInt64>()
        var patternOrder: [UInt64] = []
        for row in rows {
            let pattern = consistent[row] & eligibleMask
            if seen.insert(pattern).inserted { patternOrder.append(pattern) }
        }
        // Two parameters share a group when the same finished trials hold them.
        var groups: [[Bool]: [Int]] = [:]
        var groupOrder: [[Bool]] = []
        for p in eligible {
            let membership = patternOrder.map { $0 & (1 << UInt64(p)) != 0 }
            guard membership.contains(true) else { continue }
            if groups[membership] == nil { groupOrder.append(membership) }
            groups[membership, default: []].append(p)
        }
        return groupOrder.compactMap { groups[$0] }
    }

    /// Internal values for the parameters `group` (indices into the space), modelled jointly from the trials
    /// that hold every one of them (`members`, when given, are those trials as `members(of:cache:split:)` lists them).
    private func sample(
        _ group: [Int], cache: inout TPEStudyCache, split: TPESplit, members: Members?,
        using generator: inout SeededGenerator
    ) -> [Double] {
        let values = cache.values
        let (below, above, isBelow, isAbove) = members ?? Self.members(of: group, cache: cache, split: split)
        let domains = group.map { cache.axes[$0] }
        let settings = ParzenSettings(options)
        var goodSettings = settings
        if options.adaptive {
            // Half the observations of the group; a pruned trial counts as the split's evidence of it.
            let evidence = split.evidence.withUnsafeBufferPointer { evidence in
                below.reduce(0) { $0 + evidence[$1] } + above.reduce(0) { $0 + evidence[$1] }
            }
            goodSettings.clipCount = Int(evidence.rounded(.down)) / 2
        }
        // l's and g's kernels on numerical axes come from the cache, which updates each set from its previous
        // members: the same kernels as built from the observations.
        func kernels(of members: [Int], isMember: [Bool], settings: ParzenSettings, good: Bool)
            -> [ParzenEstimator.PreparedAxis]
        {
            var prepared: [ParzenEstimator.PreparedAxis] = []
            prepared.reserveCapacity(group.count)
            for (axis, p) in group.enumerated() {
                switch domains[axis] {
                case .numeric(let numeric):
                    prepared.append(
                        .numeric(
                            cache.numericKernels(
                                parameter: p, axis: numeric, members: members, isMember: isMember, settings: settings,
                                good: good)))
                case .categorical(let choiceCount):
                    let column = values[p]
                    prepared.append(
                        .categorical(
                            CategoricalKernels(
                                choiceCount: choiceCount, observations: members.map { column[$0] },
                                priorWeight: settings.priorWeight)))
                }
            }
            return prepared
        }
        let good = ParzenEstimator(
            domains: domains, prepared: kernels(of: below, isMember: isBelow, settings: goodSettings, good: true),
            observationWeights: Self.weights(of: below, split), settings: goodSettings)
        let bad = ParzenEstimator(
            domains: domains, prepared: kernels(of: above, isMember: isAbove, settings: settings, good: false),
            observationWeights: Self.weights(of: above, split), settings: settings
        ).mergingIdenticalKernels()
        let candidates = good.sample(count: Swift.max(1, options.nEICandidates), using: &generator)
        let goodDensity = good.logDensity(of: candidates, scratch: &cache.scratch)
        let badDensity = bad.logDensity(of: candidates, scratch: &cache.scratch)
        let best = Self.argmax(zip(goodDensity, badDensity).map { $0 - $1 })
        return candidates.map { $0[best] }
    }

    /// The good rows and the rest (each in row order), and per row whether it is in each list.
    typealias Members = (below: [Int], above: [Int], isBelow: [Bool], isAbove: [Bool])

    /// Whether every usable row holds every parameter (so every group has the same members), as the cache's masks
    /// tell; false without masks.
    static func everyParameterHeld(cache: TPEStudyCache, split: TPESplit) -> Bool {
        guard cache.hasMasks, !cache.parameters.isEmpty else { return false }
        let count = cache.parameters.count
        let every: UInt64 = count == 64 ? ~0 : (1 << UInt64(count)) - 1
        return split.isUsable.withUnsafeBufferPointer { usable in
            cache.presence.withUnsafeBufferPointer { presence in
                (0..<Swift.min(usable.count, presence.count)).allSatisfy {
                    !usable[$0] || presence[$0] & every == every
                }
            }
        }
    }

    /// The usable rows that hold every parameter of `group`, split into the good ones and the rest (each in row order),
    /// and per row whether it is in each list.
    static func members(of group: [Int], cache: TPEStudyCache, split: TPESplit) -> Members {
        let count = cache.count
        var below: [Int] = []
        var above: [Int] = []
        below.reserveCapacity(Swift.min(count, 32))
        above.reserveCapacity(count)
        var isAbove = [Bool](repeating: false, count: count)
        var isBelow = [Bool](repeating: false, count: count)
        var groupMask: UInt64 = 0
        if cache.hasMasks { for p in group { groupMask |= 1 << UInt64(p) } }
        let values = cache.values
        let hasMasks = cache.hasMasks
        // Over buffers: indexing the arrays checks bounds (and the flags' uniqueness) at every row.
        split.isUsable.withUnsafeBufferPointer { usable in
            split.isBelow.withUnsafeBufferPointer { good in
                cache.presence.withUnsafeBufferPointer { presence in
                    isBelow.withUnsafeMutableBufferPointer { isBelow in
                        isAbove.withUnsafeMutableBufferPointer { isAbove in
                            for position in 0..<Swift.min(count, usable.count, good.count) where usable[position] {
                                if hasMasks {
                                    guard presence[position] & groupMask == groupMask else { continue }
                                } else {
                                    guard group.allSatisfy({ !values[$0][position].isNaN }) else { continue }
                                }
                                if good[position] {
                                    below.append(position)
                                    isBelow[position] = true
                                } else {
                                    above.append(position)
                                    isAbove[position] = true
                                }
                            }
                        }
                    }
                }
            }
        }
        return (below, above, isBelow, isAbove)
    }

    /// The kernel weights of the rows `members` (in row order): the age weights, times the split's factors.
    static func weights(of members: [Int], _ split: TPESplit) -> [Double] {
        var weights = defaultTPEWeights(members.count)
        // Through buffers (indexing the arrays checks bounds and uniqueness at every element); `members` are rows
        // of the split.
        weights.withUnsafeMutableBufferPointer { weights in
            split.weights.withUnsafeBufferPointer { factors in
                members.withUnsafeBufferPointer { members in
                    for index in 0..<Swift.min(weights.count, members.count) {
                        weights[index] *= factors[members[index]]
                    }
                }
            }
        }
        return weights
    }

    /// The index of the largest score, the first on ties; NaN (−∞ − (−∞)) never wins.
    static func argmax(_ scores: [Double]) -> Int {
        var best = 0
        var bestScore = -Double.infinity
        for (j, score) in scores.enumerated() where score > bestScore {
            best = j
            bestScore = score
        }
        return best
    }
}

/// A Latin hypercube over the startup trials: the trials numbered r·N ..< (r + 1)·N (N = `n_startup_trials`) take
/// each parameter's N equal strata of the unit interval once each, in an order drawn from the study's seed (its own
/// for each parameter and round r), at a uniform point within the stratum. Each parameter's values are spread over
/// its whole range however few the startup trials, and a trial's design depends only on the seed and its number.
struct StartupDesign {
    let seed: UInt64
    let size: Int

    func unit(trial: Int, parameter: Int, jitter: Double) -> Double {
        guard size > 1, trial >= 0 else { return jitter }
        let round = trial / size
        var generator = SeededGenerator(
            seed: seed ^ 0x5354_4152_5455_5000, trialNumber: round, stream: UInt64(parameter) &+ 1)
        var order = Array(0..<size)
        // Fisher–Yates with the generator's units.
        for i in stride(from: size - 1, to: 0, by: -1) {
            let j = Swift.min(Int(generator.nextUnit() * Double(i + 1)), i)
            order.swapAt(i, j)
        }
        let stratum = order[trial % size]
        return Swift.min((Double(stratum) + jitter) / Double(size), 1.0.nextDown)
    }
}
