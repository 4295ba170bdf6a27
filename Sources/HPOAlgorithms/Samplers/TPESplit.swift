import Foundation
import HPOCore

/// The division of the trials TPE learns from into the good ("below", l) and the rest ("above", g).
struct TPESplit: Sendable {
    /// Per row of the cache: whether the trial is used at all, and whether it is in the good set.
    let isUsable: [Bool]
    let isBelow: [Bool]
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
        self.finishedCount = finishedCount
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
