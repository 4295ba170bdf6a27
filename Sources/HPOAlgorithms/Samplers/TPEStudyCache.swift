import Foundation
import HPOCore

/// What TPE reads from one trial, for the parameters of one search space.
struct TrialRow: Sendable {
    let id: TrialID
    let number: Int
    let state: TrialState
    let value: Double?
    let paramCount: Int
    /// Ranking key of a COMPLETE trial, smaller is better; a missing or NaN value ranks last.
    let completeKey: Double
    /// Ranking key of a PRUNED trial: (−last step, signed last value); (1, 0) without intermediate values.
    let prunedKey: (step: Double, value: Double)
    /// The internal value of each parameter of the space; NaN when absent or outside the parameter's domain.
    let values: [Double]
    /// Whether the trial's stored domain of each parameter is the space's (true when none is stored).
    let sameDomain: [Bool]

    init(_ trial: Trial, parameters: [ParameterSpec], direction: StudyDirection) {
        id = trial.id
        number = trial.number
        state = trial.state
        value = trial.value
        paramCount = trial.params.count
        let sign: Double = direction == .minimize ? 1 : -1
        if let value = trial.value, !value.isNaN {
            completeKey = sign * value
        } else {
            completeKey = Double.infinity
        }
        if let step = trial.lastStep, let last = trial.intermediateValues[step] {
            prunedKey = (-Double(step), last.isNaN ? Double.infinity : sign * last)
        } else {
            prunedKey = (1, 0)
        }
        values = parameters.map { spec in
            guard let value = trial.params[spec.name], spec.distribution.containsInternal(value) else { return .nan }
            return value
        }
        sameDomain = parameters.map { spec in
            trial.distributions[spec.name].map { $0 == spec.distribution } ?? true
        }
    }

}

/// Everything TPE derives from a study's trials that can be kept up to date as trials arrive: one row per
/// trial, the COMPLETE trials ranked by value, each parameter's observations sorted in working space, and the
/// Gaussian masses of the kernels built so far.
///
/// A cache built from scratch and one updated trial by trial hold the same contents: orders break ties by
/// trial position, and a stored mass is reused only for the very same bandwidth.
struct TPEStudyCache: Sendable {
    private(set) var parameters: [ParameterSpec] = []
    private(set) var axes: [ParzenDomain] = []
    private(set) var direction: StudyDirection = .minimize
    /// Per row (trial position in the history): what was read from the trial.
    private(set) var ids: [TrialID] = []
    private(set) var numbers: [Int] = []
    private(set) var states: [TrialState] = []
    private(set) var trialValues: [Double?] = []
    private(set) var paramCounts: [Int] = []
    private(set) var completeKeys: [Double] = []
    private(set) var prunedKeys: [(step: Double, value: Double)] = []
    /// Per parameter: the internal value of each row (NaN when absent or outside the domain), and whether the
    /// row's stored domain is the space's.
    private(set) var values: [[Double]] = []
    private(set) var sameDomain: [[Bool]] = []
    /// Rows of trials that were not finished when last read (RUNNING or WAITING), in row order.
    private var unsettled: [Int] = []
    /// Counts the rows read again after they changed; kernels built before a change are not extended after it.
    private var generation = 0
    /// The last member lists compared and their difference, for g's kernels and for l's.
    private var lastDifference: (old: [Int], new: [Int], result: (removed: [Int], inserted: [Int])?)?
    private var lastGoodDifference: (old: [Int], new: [Int], result: (removed: [Int], inserted: [Int])?)?
    /// How many times kernels were updated in place rather than rebuilt (for tests).
    private(set) var kernelUpdates = 0
    /// Per row, when the space has at most 64 parameters: bit p set when the row holds a value of parameter p
    /// (`presence`), and when it also holds it with the space's domain (`consistent`).
    private(set) var presence: [UInt64] = []
    private(set) var consistent: [UInt64] = []
    /// Whether `presence` and `consistent` are kept (at most 64 parameters).
    var hasMasks: Bool { parameters.count <= 64 }
    /// Positions of COMPLETE trials, best first (ties: earlier trial first).
    private(set) var rankedComplete: [Int] = []
    /// Per parameter: the working-space value of each row (NaN when the row has none).
    private(set) var working: [[Double]] = []
    /// Per parameter: the positions of rows with a value, by working-space value (ties: earlier row first).
    private(set) var sortedRows: [[Int]] = []
    /// Per numerical parameter and row: the bandwidth whose constants are stored, its inverse, its log mass on
    /// [L, H] and its log normaliser.
    private var massSigma: [[Double]] = []
    private var massInverse: [[Double]] = []
    private var massValue: [[Double]] = []
    private var massNormaliser: [[Double]] = []
    /// Reused working memory for kernel terms.
    var scratch = ParzenScratch()
    /// Per parameter: the arrays of the last kernels built for it, rewritten in place by the next ask (the
    /// estimators of an ask are gone by then, so no copy is made).
    private var kernelBuffers: [KernelBuffers] = []
    /// The same for the kernels of l(x) (the below rows), kept apart so that l and g are both updated in place.
    private var goodKernelBuffers: [KernelBuffers] = []
    private var slots: [Int] = []

    private struct KernelBuffers: Sendable {
        var mu: [Double] = []
        var sigma: [Double] = []
        var inverseSigma: [Double] = []
        var logMass: [Double] = []
        var logNormaliser: [Double] = []
        var ordered: [Int] = []
        /// What the kernels were built from: the member rows, the cache generation and the bandwidth rules.
        var members: [Int] = []
        var generation = -1
        var minimum = Double.nan
        var considerEndpoints = false
        /// The prior kernel's log mass and log normaliser, and the bounds they were computed for.
        var prior: (lower: Double, upper: Double, logMass: Double, logNormaliser: Double)?
    }

    init() {}

    /// Brings the cache up to date with `history` for the parameters of `space`.
    mutating func synchronise(with history: TrialHistory, parameters: [ParameterSpec]) {
        let trials = history.trials
        let previous = count
        if parameters != self.parameters || history.direction != direction || trials.count < previous
            || (previous > 0 && (trials[0].id != ids[0] || trials[previous - 1].id != ids[previous - 1]))
        {
            self = TPEStudyCache()
            self.parameters = parameters
            axes = parameters.map { ParzenDomain($0.distribution) }
            direction = history.direction
            working = Array(repeating: [], count: parameters.count)
            values = Array(repeating: [], count: parameters.count)
            sameDomain = Array(repeating: [], count: parameters.count)
            sortedRows = Array(repeating: [], count: parameters.count)
            massSigma = Array(repeating: [], count: parameters.count)
            massInverse = Array(repeating: [], count: parameters.count)
            massValue = Array(repeating: [], count: parameters.count)
            massNormaliser = Array(repeating: [], count: parameters.count)
            kernelBuffers = Array(repeating: KernelBuffers(), count: parameters.count)
            goodKernelBuffers = kernelBuffers
        }
        let known = count
        // Finished trials never change, so only the rows of unfinished ones are read again (when they changed).
        var stillUnsettled: [Int] = []
        for position in unsettled where position < known {
            let trial = trials[position]
            if !(ids[position] == trial.id && states[position] == trial.state && numbers[position] == trial.number
                && trialValues[position] == trial.value && paramCounts[position] == trial.params.count)
            {
                remove(position)
                store(TrialRow(trial, parameters: parameters, direction: direction), at: position)
                insert(position)
                generation += 1
            }
            if !trial.state.isFinished { stillUnsettled.append(position) }
        }
        unsettled = stillUnsettled
        var fresh: [Int] = []
        for position in known..<trials.count {
            append(TrialRow(trials[position], parameters: parameters, direction: direction))
            for p in parameters.indices {
                working[p].append(.nan)
                massSigma[p].append(.nan)
                massInverse[p].append(.nan)
                massValue[p].append(.nan)
                massNormaliser[p].append(.nan)
            }
            if !trials[position].state.isFinished { unsettled.append(position) }
            fresh.append(position)
        }
        if fresh.count <= 32 {
            for position in fresh { insert(position) }
            return
        }
        // Many new trials (a fresh cache): sort once instead of inserting one by one.
        for position in fresh {
            if states[position] == .complete { rankedComplete.append(position) }
            for p in parameters.indices { setWorking(p, of: position) }
        }
        let keys = completeKeys
        var ranked = rankedComplete
        ranked.sort { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
        rankedComplete = ranked
        for p in parameters.indices {
            let values = working[p]
            var sorted = values.indices.filter { !values[$0].isNaN }
            sorted.sort { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
            sortedRows[p] = sorted
        }
    }

    /// The number of rows (trials read).
    var count: Int { ids.count }

    private mutating func append(_ row: TrialRow) {
        ids.append(row.id)
        numbers.append(row.number)
        states.append(row.state)
        trialValues.append(row.value)
        paramCounts.append(row.paramCount)
        completeKeys.append(row.completeKey)
        prunedKeys.append(row.prunedKey)
        for p in parameters.indices {
            values[p].append(row.values[p])
            sameDomain[p].append(row.sameDomain[p])
        }
        if hasMasks {
            let masks = Self.masks(row)
            presence.append(masks.presence)
            consistent.append(masks.consistent)
        }
    }

    private static func masks(_ row: TrialRow) -> (presence: UInt64, consistent: UInt64) {
        var presence: UInt64 = 0
        var consistent: UInt64 = 0
        for p in row.values.indices where !row.values[p].isNaN {
            presence |= 1 << UInt64(p)
            if row.sameDomain[p] { consistent |= 1 << UInt64(p) }
        }
        return (presence, consistent)
    }

    private mutating func store(_ row: TrialRow, at position: Int) {
        ids[position] = row.id
        numbers[position] = row.number
        states[position] = row.state
        trialValues[position] = row.value
        paramCounts[position] = row.paramCount
        completeKeys[position] = row.completeKey
        prunedKeys[position] = row.prunedKey
        for p in parameters.indices {
            values[p][position] = row.values[p]
            sameDomain[p][position] = row.sameDomain[p]
        }
        if hasMasks {
            let masks = Self.masks(row)
            presence[position] = masks.presence
            consistent[position] = masks.consistent
        }
    }

    /// Records the working-space value of parameter `p` in row `position` (NaN when the row has none).
    private mutating func setWorking(_ p: Int, of position: Int) {
        let value = values[p][position]
        if value.isNaN {
            working[p][position] = .nan
        } else if case .numeric(let axis) = axes[p] {
            working[p][position] = axis.transform(value)
        } else {
            working[p][position] = value
        }
    }

    private func isBefore(_ a: Int, _ b: Int, key: (Int) -> Double) -> Bool {
        let left = key(a)
        let right = key(b)
        return left < right || (left == right && a < b)
    }

    /// The index at which `position` belongs in `list`, ordered by `key` then position.
    private func insertionIndex(of position: Int, in list: [Int], key: (Int) -> Double) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            if isBefore(list[mid], position, key: key) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private mutating func insert(_ position: Int) {
        if states[position] == .complete {
            let index = insertionIndex(of: position, in: rankedComplete) { completeKeys[$0] }
            rankedComplete.insert(position, at: index)
        }
        for p in parameters.indices {
            setWorking(p, of: position)
            guard !working[p][position].isNaN else { continue }
            let index = insertionIndex(of: position, in: sortedRows[p]) { working[p][$0] }
            sortedRows[p].insert(position, at: index)
        }
    }

    private mutating func remove(_ position: Int) {
        if states[position] == .complete, let index = rankedComplete.firstIndex(of: position) {
            rankedComplete.remove(at: index)
        }
        for p in parameters.indices where !working[p][position].isNaN {
            if let index = sortedRows[p].firstIndex(of: position) { sortedRows[p].remove(at: index) }
            working[p][position] = .nan
        }
    }

    /// Truncated-normal kernels on numerical parameter `p` for the rows `members` (positions in trial order),
    /// with the neighbour-distance bandwidths computed from the cached sorted order; `isMember` marks the same
    /// rows. The log masses of unchanged bandwidths are reused. `good` picks the kernels kept for l(x) (the below
    /// rows) rather than those kept for g(x): each is updated from its own previous members.
    mutating func numericKernels(
        parameter p: Int, axis: NumericAxis, members: [Int], isMember: [Bool], settings: ParzenSettings,
        good: Bool = false
    ) -> NumericKernels {
        let count = members.count
        var buffers = KernelBuffers()
        if good { swap(&buffers, &goodKernelBuffers[p]) } else { swap(&buffers, &kernelBuffers[p]) }
        let width = axis.upper - axis.lower
        let clipCount = settings.clipCount ?? count
        let minimum = settings.considerMagicClip ? width / Double(Swift.min(100, clipCount + 2)) : 1e-12
        let previous = buffers.members
        // The common step of a study: the members of last time with a few rows added (new trials, a trial that
        // left the good set) or removed (one that entered it), under the same bandwidth rules. Only the changed
        // kernels and their neighbours in sorted order need new bandwidths then.
        let changes =
            buffers.generation == generation && buffers.minimum == minimum
                && buffers.considerEndpoints == settings.considerEndpoints && previous.count >= 2 && count >= 2
                && buffers.mu.count == previous.count + 1
            ? difference(from: previous, to: members, good: good) : nil
        if let changes {
            kernelUpdates += 1
            updateKernels(
                &buffers, parameter: p, axis: axis, members: members, changes: changes, minimum: minimum,
                considerEndpoints: settings.considerEndpoints)
        } else {
            rebuildKernels(
                &buffers, parameter: p, axis: axis, members: members, isMember: isMember, minimum: minimum,
                considerEndpoints: settings.considerEndpoints)
        }
        buffers.members = members
        buffers.generation = generation
        buffers.minimum = minimum
        buffers.considerEndpoints = settings.considerEndpoints
        let kernels = NumericKernels(
            axis: axis, mu: buffers.mu, sigma: buffers.sigma, inverseSigma: buffers.inverseSigma,
            logMass: buffers.logMass, logNormaliser: buffers.logNormaliser)
        if good { swap(&buffers, &goodKernelBuffers[p]) } else { swap(&buffers, &kernelBuffers[p]) }
        return kernels
    }

    /// The neighbour-distance bandwidth of the member at `rank` of `ordered` (before clipping).
    @inline(__always)
    private static func bandwidth(
        rank: Int, ordered: UnsafeBufferPointer<Int>, column: UnsafeBufferPointer<Double>, axis: NumericAxis,
        considerEndpoints: Bool
    ) -> Double {
        let count = ordered.count
        let centre = column[ordered[rank]]
        let left = rank == 0 ? axis.lower : column[ordered[rank - 1]]
        let right = rank == count - 1 ? axis.upper : column[ordered[rank + 1]]
        if !considerEndpoints && rank == 0 { return right - centre }
        if !considerEndpoints && rank == count - 1 { return centre - left }
        return Swift.max(centre - left, right - centre)
    }

    /// Kernel `k` (row `position`) gets its clipped bandwidth and the constants kept for it per row, which are
    /// recomputed only for a new bandwidth.
    @inline(__always)
    private mutating func setConstants(
        _ buffers: inout KernelBuffers, parameter p: Int, kernel k: Int, position: Int, bandwidth raw: Double,
        axis: NumericAxis, minimum: Double
    ) {
        let bandwidth = Swift.min(Swift.max(raw, minimum), axis.upper - axis.lower)
        buffers.sigma[k] = bandwidth
        if massSigma[p][position] != bandwidth {
            let mass = NumericKernels.logMass(axis: axis, mu: buffers.mu[k], sigma: bandwidth)
            massSigma[p][position] = bandwidth
            massInverse[p][position] = 1 / bandwidth
            massValue[p][position] = mass
            massNormaliser[p][position] = NumericKernels.logNormaliser(sigma: bandwidth, logMass: mass)
        }
        buffers.inverseSigma[k] = massInverse[p][position]
        buffers.logMass[k] = massValue[p][position]
        buffers.logNormaliser[k] = massNormaliser[p][position]
    }

    /// The prior kernel in slot `k` (the last).
    private static func setPrior(_ buffers: inout KernelBuffers, at k: Int, axis: NumericAxis) {
        let width = axis.upper - axis.lower
        let priorCentre = (axis.lower + axis.upper) / 2
        let prior: (lower: Double, upper: Double, logMass: Double, logNormaliser: Double)
        if let kept = buffers.prior, kept.lower == axis.lower, kept.upper == axis.upper {
            prior = kept
        } else {
            let priorMass = NumericKernels.logMass(axis: axis, mu: priorCentre, sigma: width)
            prior = (axis.lower, axis.upper, priorMass, NumericKernels.logNormaliser(sigma: width, logMass: priorMass))
            buffers.prior = prior
        }
        buffers.mu[k] = priorCentre
        buffers.sigma[k] = width
        buffers.inverseSigma[k] = 1 / width
        buffers.logMass[k] = prior.logMass
        buffers.logNormaliser[k] = prior.logNormaliser
    }

    /// The most rows added or removed for which kernels are updated rather than rebuilt.
    static let incrementalLimit = 8

    /// `difference(from:to:limit:)` with the incremental limit, computed once for the parameters of a group:
    /// they share the same member arrays (the memo keeps both arrays, so equal storage means equal contents), and
    /// once for parameters sampled one by one whose member lists are equal (univariate mode: separate arrays with
    /// the same rows, compared at a fraction of the merge's cost).
    private mutating func difference(from old: [Int], to new: [Int], good: Bool) -> (removed: [Int], inserted: [Int])? {
        func same(_ a: [Int], _ b: [Int]) -> Bool {
            a.count == b.count
                && (a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
                    || a == b)
        }
        if let memo = good ? lastGoodDifference : lastDifference, same(memo.old, old), same(memo.new, new) {
            return memo.result
        }
        let result = Self.difference(from: old, to: new, limit: Self.incrementalLimit)
        if good { lastGoodDifference = (old, new, result) } else { lastDifference = (old, new, result) }
        return result
    }

    /// The rows only in `old` and the rows only in `new` (both ascending), or nil when there are more than
    /// `limit` of them in all.
    static func difference(from old: [Int], to new: [Int], limit: Int) -> (removed: [Int], inserted: [Int])? {
        var removed: [Int] = []
        var inserted: [Int] = []
        // Over buffers: indexing the arrays checks bounds at every step of a merge of two long lists.
        let complete = old.withUnsafeBufferPointer { old in
            new.withUnsafeBufferPointer { new in
                var i = 0
                var j = 0
                while i < old.count || j < new.count {
                    if j == new.count || (i < old.count && old[i] < new[j]) {
                        removed.append(old[i])
                        i += 1
                    } else if i == old.count || new[j] < old[i] {
                        inserted.append(new[j])
                        j += 1
                    } else {
                        i += 1
                        j += 1
                        continue
                    }
                    if removed.count + inserted.count > limit { return false }
                }
                return true
            }
        }
        return complete ? (removed, inserted) : nil
    }

    /// Brings kernels built for the previous members up to `members`, which differ by `changes`: the arrays
    /// shift around the removed and inserted kernels, the sorted order takes the changes, and the changed kernels'
    /// neighbours get their bandwidths again.
    private mutating func updateKernels(
        _ buffers: inout KernelBuffers, parameter p: Int, axis: NumericAxis, members: [Int],
        changes: (removed: [Int], inserted: [Int]), minimum: Double, considerEndpoints: Bool
    ) {
        // The five constant arrays are edited one by one (no key paths: applying one costs a retain, a release and
        // a generic access per call).
        buffers.mu.removeLast()  // the prior kernel
        buffers.sigma.removeLast()
        buffers.inverseSigma.removeLast()
        buffers.logMass.removeLast()
        buffers.logNormaliser.removeLast()
        let column = working[p]
        // Kernel indices without a copy of the member list edited along: removals go from the highest row down, so
        // each removed row's index is its index among the previous members; insertions go up, so each inserted row's
        // index is its index among the new members.
        let previous = buffers.members
        for position in changes.removed.reversed() {
            let k = Self.index(of: position, inSorted: previous)
            buffers.mu.remove(at: k)
            buffers.sigma.remove(at: k)
            buffers.inverseSigma.remove(at: k)
            buffers.logMass.remove(at: k)
            buffers.logNormaliser.remove(at: k)
            let rank = insertionIndex(of: position, in: buffers.ordered) { column[$0] }
            buffers.ordered.remove(at: rank)
        }
        for position in changes.inserted {
            let k = Self.index(of: position, inSorted: members)
            buffers.mu.insert(column[position], at: k)
            buffers.sigma.insert(0, at: k)
            buffers.inverseSigma.insert(0, at: k)
            buffers.logMass.insert(0, at: k)
            buffers.logNormaliser.insert(0, at: k)
            let rank = insertionIndex(of: position, in: buffers.ordered) { column[$0] }
            buffers.ordered.insert(position, at: rank)
        }
        buffers.mu.append(0)  // the prior's slot
        buffers.sigma.append(0)
        buffers.inverseSigma.append(0)
        buffers.logMass.append(0)
        buffers.logNormaliser.append(0)
        let count = members.count
        // The ranks whose bandwidth may have changed, each once and in increasing order (a few: a short list).
        var affected: [Int] = []
        affected.reserveCapacity(3 * (changes.inserted.count + changes.removed.count))
        // Element by element: appending a range goes through the generic sequence path.
        for position in changes.inserted {
            let rank = insertionIndex(of: position, in: buffers.ordered) { column[$0] }
            for neighbour in Swift.max(0, rank - 1)...Swift.min(count - 1, rank + 1) { affected.append(neighbour) }
        }
        for position in changes.removed {
            // The rank the removed row would take: the members on either side of the gap it left.
            let rank = insertionIndex(of: position, in: buffers.ordered) { column[$0] }
            for neighbour in Swift.max(0, rank - 1)...Swift.min(count - 1, rank) { affected.append(neighbour) }
        }
        affected.sort()
        for (index, rank) in affected.enumerated() where index == 0 || affected[index - 1] != rank {
            let position = buffers.ordered[rank]
            let raw = column.withUnsafeBufferPointer { column in
                buffers.ordered.withUnsafeBufferPointer { ordered in
                    Self.bandwidth(
                        rank: rank, ordered: ordered, column: column, axis: axis, considerEndpoints: considerEndpoints)
                }
            }
            let k = Self.index(of: position, inSorted: members)
            setConstants(
                &buffers, parameter: p, kernel: k, position: position, bandwidth: raw, axis: axis, minimum: minimum)
        }
        Self.setPrior(&buffers, at: count, axis: axis)
    }

    /// The index of `value` in the ascending list `sorted` (which holds it).
    private static func index(of value: Int, inSorted sorted: [Int]) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Builds the kernels of `members` from scratch.
    private mutating func rebuildKernels(
        _ buffers: inout KernelBuffers, parameter p: Int, axis: NumericAxis, members: [Int], isMember: [Bool],
        minimum: Double, considerEndpoints: Bool
    ) {
        let count = members.count
        let kernelCount = count + 1
        // Every element is written below, so the arrays are only resized (their storage is reused across asks).
        Self.resize(&buffers.mu, to: kernelCount)
        Self.resize(&buffers.sigma, to: kernelCount)
        Self.resize(&buffers.inverseSigma, to: kernelCount)
        Self.resize(&buffers.logMass, to: kernelCount)
        Self.resize(&buffers.logNormaliser, to: kernelCount)
        buffers.ordered.removeAll(keepingCapacity: true)
        for position in sortedRows[p] where isMember[position] { buffers.ordered.append(position) }
        if slots.count < self.count { slots = [Int](repeating: 0, count: self.count) }
        var storedSigma: [Double] = []
        var storedInverse: [Double] = []
        var storedMass: [Double] = []
        var storedNormaliser: [Double] = []
        swap(&storedSigma, &massSigma[p])
        swap(&storedInverse, &massInverse[p])
        swap(&storedMass, &massValue[p])
        swap(&storedNormaliser, &massNormaliser[p])
        let width = axis.upper - axis.lower
        working[p].withUnsafeBufferPointer { column in
            buffers.mu.withUnsafeMutableBufferPointer { mu in
                buffers.sigma.withUnsafeMutableBufferPointer { sigma in
                    slots.withUnsafeMutableBufferPointer { slots in
                        for (k, position) in members.enumerated() {
                            mu[k] = column[position]
                            slots[position] = k
                        }
                        if count == 1 {
                            sigma[0] = Swift.max(mu[0] - axis.lower, axis.upper - mu[0])
                        } else if count > 1 {
                            buffers.ordered.withUnsafeBufferPointer { ordered in
                                for rank in 0..<count {
                                    sigma[slots[ordered[rank]]] = Self.bandwidth(
                                        rank: rank, ordered: ordered, column: column, axis: axis,
                                        considerEndpoints: considerEndpoints)
                                }
                            }
                        }
                    }
                    buffers.inverseSigma.withUnsafeMutableBufferPointer { inverseSigma in
                        buffers.logMass.withUnsafeMutableBufferPointer { logMass in
                            buffers.logNormaliser.withUnsafeMutableBufferPointer { logNormaliser in
                                for (k, position) in members.enumerated() {
                                    let bandwidth = Swift.min(Swift.max(sigma[k], minimum), width)
                                    sigma[k] = bandwidth
                                    // The kernel's constants are kept per trial and recomputed only for a new
                                    // bandwidth.
                                    if storedSigma[position] != bandwidth {
                                        let mass = NumericKernels.logMass(axis: axis, mu: mu[k], sigma: bandwidth)
                                        storedSigma[position] = bandwidth
                                        storedInverse[position] = 1 / bandwidth
                                        storedMass[position] = mass
                                        storedNormaliser[position] = NumericKernels.logNormaliser(
                                            sigma: bandwidth, logMass: mass)
                                    }
                                    inverseSigma[k] = storedInverse[position]
                                    logMass[k] = storedMass[position]
                                    logNormaliser[k] = storedNormaliser[position]
                                }
                            }
                        }
                    }
                }
            }
        }
        swap(&storedSigma, &massSigma[p])
        swap(&storedInverse, &massInverse[p])
        swap(&storedMass, &massValue[p])
        swap(&storedNormaliser, &massNormaliser[p])
        Self.setPrior(&buffers, at: count, axis: axis)
    }

    /// Grows or shrinks `array` to `count` elements, keeping its storage; new elements are zero.
    private static func resize(_ array: inout [Double], to count: Int) {
        if array.count > count {
            array.removeLast(array.count - count)
        } else if array.count < count {
            array.append(contentsOf: repeatElement(0, count: count - array.count))
        }
    }
}
