import Foundation
import HPOCore

/// The division of the trials TPE learns from into the good ("below", l) and the rest ("above", g).
struct TPESplit: Sendable {
    /// Per row of the cache: whether the trial is used at all, and whether it is in the good set.
    let isUsable: [Bool]
    let isBelow: [Bool]
    /// Per row: the factor of the trial's kernel weight (1 unless the pruned-trial rule weighs it).
    private(set) var weights: [Double]
    /// Per row: how many observations the trial counts as in `adaptive`'s bandwidth floor (1 unless the rule
    /// says otherwise).
    private(set) var evidence: [Double]
    /// The number of COMPLETE and PRUNED trials among the used ones.
    let finishedCount: Int

    /// The size of the good set for `count` finished trials: min(⌈0.1·n⌉, 25).
    static func belowCount(finished count: Int) -> Int {
        Swift.min(Int((0.1 * Double(count)).rounded(.up)), 25)
    }

    /// Uses COMPLETE and PRUNED trials, and RUNNING ones when `includeRunning` (constant liar), leaving out
    /// trial `excluded` (the one being proposed).
    ///
    /// COMPLETE trials fill the good set first, best value first (ties keep trial order); PRUNED trials take
    /// what is left of the quota, furthest step first, then best last intermediate value (one without any
    /// intermediate value ranks last). Everything else, and every RUNNING trial, is "above".
    init(cache: TPEStudyCache, excluding excluded: Int, includeRunning: Bool) {
        let states = cache.states
        let numbers = cache.numbers
        var isUsable = [Bool](repeating: false, count: states.count)
        var finishedCount = 0
        for position in states.indices where numbers[position] != excluded {
            switch states[position] {
            case .complete, .pruned:
                isUsable[position] = true
                finishedCount += 1
            case .running:
                isUsable[position] = includeRunning
            case .fail, .waiting:
                continue
            }
        }
        var isBelow = [Bool](repeating: false, count: states.count)
        var quota = Self.belowCount(finished: finishedCount)
        for position in cache.rankedComplete where quota > 0 && isUsable[position] {
            isBelow[position] = true
            quota -= 1
        }
        if quota > 0 {
            let prunedKeys = cache.prunedKeys
            let pruned = states.indices.filter { states[$0] == .pruned && isUsable[$0] }
            let ranked = pruned.sorted { left, right in
                let a = prunedKeys[left]
                let b = prunedKeys[right]
                if a.step != b.step { return a.step < b.step }
                if a.value != b.value { return a.value < b.value }
                return left < right
            }
            for position in ranked.prefix(quota) { isBelow[position] = true }
        }
        self.isUsable = isUsable
        self.isBelow = isBelow
        self.weights = Array(repeating: 1, count: states.count)
        self.evidence = self.weights
        self.finishedCount = finishedCount
    }

    /// The split under `rule`. Without a usable PRUNED trial every rule is Optuna's split, with every weight
    /// and evidence 1.
    ///
    /// `seen`: Optuna's membership; a pruned trial's weight and evidence are the share of the run it saw, its
    /// last step over the largest last step among the used trials (a pruned trial without reports counts as one
    /// step).
    init(cache: TPEStudyCache, excluding excluded: Int, includeRunning: Bool, rule: TPEPrunedTrials) {
        self.init(cache: cache, excluding: excluded, includeRunning: includeRunning)
        let states = cache.states
        let pruned = states.indices.filter { isUsable[$0] && states[$0] == .pruned }
        guard rule == .seen, !pruned.isEmpty else { return }
        // The last step of each row (0 without intermediate values).
        let lastSteps = cache.prunedKeys.map { Swift.max(-$0.step, 0) }
        let longest = Swift.max(states.indices.filter { isUsable[$0] }.map { lastSteps[$0] }.max() ?? 1, 1)
        var weights = self.weights
        for position in pruned { weights[position] = Swift.max(lastSteps[position], 1) / longest }
        self.weights = weights
        self.evidence = weights
    }
}

/// The age weights of a mixture's observations, in trial-number order: all ones below 25 observations, then a
/// linear ramp from 1/n to 1 over the n − 25 oldest, followed by 25 ones.
func defaultTPEWeights(_ count: Int) -> [Double] {
    if count == 0 { return [] }
    if count < 25 { return Array(repeating: 1, count: count) }
    let rampCount = count - 25
    var result: [Double] = []
    result.reserveCapacity(count)
    let start = 1 / Double(count)
    for i in 0..<rampCount {
        result.append(rampCount == 1 ? start : start + (1 - start) * Double(i) / Double(rampCount - 1))
    }
    result.append(contentsOf: repeatElement(1, count: 25))
    return result
}
