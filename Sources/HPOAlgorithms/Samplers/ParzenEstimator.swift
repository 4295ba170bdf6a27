import CParzen
import Foundation
import HPOCore

/// Settings of the Parzen estimator that come from the sampler's options.
struct ParzenSettings: Sendable, Hashable {
    var priorWeight: Double = 1
    var considerMagicClip = true
    var considerEndpoints = false
    /// The data count behind the magic clip's floor `(H − L)/min(100, count + 2)`; nil: the observation count.
    var clipCount: Int?

    init(priorWeight: Double = 1, considerMagicClip: Bool = true, considerEndpoints: Bool = false) {
        self.priorWeight = priorWeight
        self.considerMagicClip = considerMagicClip
        self.considerEndpoints = considerEndpoints
    }

    init(_ options: TPEOptions) {
        self.init(
            priorWeight: options.priorWeight, considerMagicClip: options.considerMagicClip,
            considerEndpoints: options.considerEndpoints)
    }
}

/// Working memory of density evaluations, kept by a caller that evaluates many times: per point, a row of kernel
/// terms and the list of kernels kept.
struct ParzenScratch: Sendable {
    var terms: [Double] = []
    var kept: [Int32] = []

    /// Makes room for `rows` points of `kernels` kernels. The memory grows with room to spare (a study adds one
    /// kernel per trial) and is not cleared: an entry is always written before it is read.
    mutating func reserve(rows: Int, kernels: Int) {
        let size = rows * kernels
        guard terms.count < size || kept.count < size else { return }
        let capacity = size + size / 4
        terms = [Double](unsafeUninitializedCapacity: capacity) { _, count in count = capacity }
        kept = [Int32](unsafeUninitializedCapacity: capacity) { _, count in count = capacity }
    }

    /// Memoised cell masses of discrete axes (NaN: not computed yet).
    var cellMemo: [Double] = []

    /// Cell masses computed by earlier evaluations, for the next ones: from one ask to the next most of g's kernels
    /// keep their constants and the candidates fall in the same few grid cells.
    var cellMasses = CellMassTable()

    /// Sets the first `count` memo entries to NaN, growing the memo with room to spare: a density evaluation reuses
    /// the memory of the previous one (a table of this size allocated anew would be mapped and faulted in by the
    /// system on every evaluation).
    mutating func clearCellMemo(count: Int) {
        if cellMemo.count < count {
            cellMemo = [Double](repeating: .nan, count: count + count / 4)
        } else {
            cellMemo.withUnsafeMutableBufferPointer { memo in
                memo.baseAddress?.update(repeating: .nan, count: count)
            }
        }
    }
}

/// A mixture of product kernels over one or more parameters: one kernel per observation plus the prior kernel
/// (always the last), as TPE builds l(x) and g(x).
///
/// Numerical axes use normal kernels truncated to the working bounds, with the neighbour-distance bandwidth;
/// categorical axes put `prior_weight/(n+1)` on every choice plus one on the observed choice. Kernel constants
/// are computed once, so evaluating a candidate costs a few arithmetic operations per kernel and axis.
///
/// Immutable, and a class so that passing it around (into the closures of a density evaluation, among others) shares
/// one reference instead of copying a dozen arrays' references.
final class ParzenEstimator: Sendable {
    let domains: [ParzenDomain]
    let kernelCount: Int
    /// Normalised mixture weights, and their running sums for drawing a kernel.
    let weights: [Double]
    private let cumulativeWeights: [Double]
    /// Per kernel: log weight plus the log normalisers of every continuous axis.
    private let baseLogDensity: [Double]
    private let axes: [AxisKernels]
    /// The continuous, discrete and categorical axes, and the kernels of the continuous and categorical ones
    /// packed axis-major (kernel k of the c-th such axis at c·K + k) for evaluation in blocks.
    private let continuousAxes: [Int]
    private let discreteAxes: [Int]
    private let categoricalAxes: [Int]
    private let continuousKernels: [NumericKernels]
    private let packedChoices: [Int32]
    private let categoricalLogs: [(hit: Double, miss: Double, uniform: Double)]

    private enum AxisKernels: Sendable {
        case continuous(NumericKernels)
        case discrete(NumericKernels)
        case categorical(CategoricalKernels)
    }

    /// `observations[axis][i]` is the internal value of observation i on that axis; `observationWeights[i]` its
    /// (unnormalised) mixture weight.
    convenience init(
        domains: [ParzenDomain], observations: [[Double]], observationWeights: [Double], settings: ParzenSettings
    ) {
        let prepared = domains.enumerated().map { axis, domain -> PreparedAxis in
            let values = axis < observations.count ? observations[axis] : []
            switch domain {
            case .numeric(let numeric):
                return .numeric(NumericKernels(axis: numeric, observations: values, settings: settings))
            case .categorical(let choiceCount):
                return .categorical(
                    CategoricalKernels(
                        choiceCount: choiceCount, observations: values, priorWeight: settings.priorWeight))
            }
        }
        self.init(domains: domains, prepared: prepared, observationWeights: observationWeights, settings: settings)
    }

    /// Kernels built elsewhere (for example from a study cache), one per axis, each with the prior kernel last.
    enum PreparedAxis {
        case numeric(NumericKernels)
        case categorical(CategoricalKernels)
    }

    convenience init(
        domains: [ParzenDomain], prepared: [PreparedAxis], observationWeights: [Double], settings: ParzenSettings
    ) {
        var raw = observationWeights
        raw.append(settings.priorWeight)
        let total = raw.reduce(0, +)
        let normalised = total > 0 ? raw.map { $0 / total } : Array(repeating: 1 / Double(raw.count), count: raw.count)
        self.init(domains: domains, prepared: prepared, mixtureWeights: normalised)
    }

    /// Kernels with their normalised mixture weights (the prior kernel's included).
    private init(domains: [ParzenDomain], prepared: [PreparedAxis], mixtureWeights normalised: [Double]) {
        self.domains = domains
        kernelCount = normalised.count
        weights = normalised
        let kernelCount = normalised.count
        // Running sums over buffers (indexing the arrays checks bounds at every kernel), and the log weights; both
        // arrays are written whole, so they are not cleared first.
        let cumulative = normalised.withUnsafeBufferPointer { normalised in
            [Double](unsafeUninitializedCapacity: kernelCount) { cumulative, initialised in
                var running = 0.0
                for k in 0..<kernelCount {
                    running += normalised[k]
                    cumulative[k] = running
                }
                initialised = kernelCount
            }
        }
        var base = normalised.withUnsafeBufferPointer { normalised in
            [Double](unsafeUninitializedCapacity: kernelCount) { logs, initialised in
                if let weights = normalised.baseAddress, let logs = logs.baseAddress {
                    cparzen_log(KernelInstructionSet.best.cValue, weights, logs, kernelCount)
                }
                initialised = kernelCount
            }
        }
        cumulativeWeights = cumulative
        var axes: [AxisKernels] = []
        for axis in prepared {
            switch axis {
            case .numeric(let kernels):
                if kernels.axis.isDiscrete {
                    axes.append(.discrete(kernels))
                } else {
                    base.withUnsafeMutableBufferPointer { base in
                        kernels.logNormaliser.withUnsafeBufferPointer { normaliser in
                            for k in 0..<Swift.min(kernelCount, normaliser.count) { base[k] += normaliser[k] }
                        }
                    }
                    axes.append(.continuous(kernels))
                }
            case .categorical(let kernels):
                axes.append(.categorical(kernels))
            }
        }
        baseLogDensity = base
        self.axes = axes
        var continuousAxes: [Int] = []
        var discreteAxes: [Int] = []
        var categoricalAxes: [Int] = []
        var continuousKernels: [NumericKernels] = []
        var packedChoices: [Int32] = []
        var categoricalLogs: [(hit: Double, miss: Double, uniform: Double)] = []
        for (index, axis) in axes.enumerated() {
            switch axis {
            case .continuous(let numeric):
                continuousAxes.append(index)
                continuousKernels.append(numeric)
            case .discrete:
                discreteAxes.append(index)
            case .categorical(let categorical):
                categoricalAxes.append(index)
                packedChoices.reserveCapacity(packedChoices.count + categorical.choices.count)
                for choice in categorical.choices { packedChoices.append(Int32(choice)) }
                categoricalLogs.append((categorical.logHit, categorical.logMiss, categorical.logUniform))
            }
        }
        self.continuousAxes = continuousAxes
        self.discreteAxes = discreteAxes
        self.categoricalAxes = categoricalAxes
        self.continuousKernels = continuousKernels
        self.packedChoices = packedChoices
        self.categoricalLogs = categoricalLogs
    }

    /// The same density on one discrete or categorical axis with identical kernels merged (their weights
    /// added): many observations share a grid point there, so a large mixture shrinks to a few distinct kernels.
    /// Only for evaluating densities: drawing from it would use the generator differently.
    func mergingIdenticalKernels() -> ParzenEstimator {
        guard axes.count == 1, kernelCount > 64 else { return self }
        var keep: [Int] = []
        var merged: [Double] = []
        func merge(by key: (Int) -> KernelKey) {
            var slot: [KernelKey: Int] = [:]
            for k in 0..<kernelCount {
                if let index = slot[key(k)] {
                    merged[index] += weights[k]
                } else {
                    slot[key(k)] = keep.count
                    keep.append(k)
                    merged.append(weights[k])
                }
            }
        }
        switch axes[0] {
        case .continuous:
            return self
        case .discrete(let numeric):
            merge { KernelKey(first: numeric.mu[$0], second: numeric.sigma[$0]) }
            return ParzenEstimator(
                domains: domains, prepared: [.numeric(numeric.selecting(keep))], mixtureWeights: merged)
        case .categorical(let categorical):
            // Kernels are keyed by their choice (−1 for the prior): a table indexed by choice + 1, no hashing.
            var slot = [Int](repeating: -1, count: categorical.choiceCount + 1)
            for k in 0..<kernelCount {
                let key = categorical.choices[k] + 1
                if key >= 0 && key < slot.count && slot[key] >= 0 {
                    merged[slot[key]] += weights[k]
                } else {
                    if key >= 0 && key < slot.count { slot[key] = keep.count }
                    keep.append(k)
                    merged.append(weights[k])
                }
            }
            return ParzenEstimator(
                domains: domains, prepared: [.categorical(categorical.selecting(keep))], mixtureWeights: merged)
        }
    }

    private struct KernelKey: Hashable {
        let first: Double
        let second: Double
    }

    /// The kernels' centres and bandwidths on a numerical axis, in working space (prior last).
    func centresAndBandwidths(axis: Int) -> (mu: [Double], sigma: [Double])? {
        switch axes[axis] {
        case .continuous(let kernels), .discrete(let kernels): return (kernels.mu, kernels.sigma)
        case .categorical: return nil
        }
    }

    /// The probability of each choice under each kernel on a categorical axis (prior last).
    func categoricalRows(axis: Int) -> [[Double]]? {
        guard case .categorical(let kernels) = axes[axis] else { return nil }
        return (0..<kernelCount).map { k in
            (0..<kernels.choiceCount).map { exp(kernels.logProbability(kernel: k, choice: $0)) }
        }
    }

    /// log of each kernel's density (mass on discrete axes) at `value` on one axis, without the mixture weight.
    func axisLogTerms(axis: Int, value: Double) -> [Double] {
        switch axes[axis] {
        case .continuous(let numeric):
            let t = numeric.axis.transform(value)
            return (0..<kernelCount).map { k in
                let z = (t - numeric.mu[k]) / numeric.sigma[k]
                return numeric.logNormaliser[k] - 0.5 * z * z
            }
        case .discrete(let numeric):
            let cell = numeric.axis.cell(around: value)
            return (0..<kernelCount).map { numeric.logCellMass(kernel: $0, lower: cell.lower, upper: cell.upper) }
        case .categorical(let categorical):
            return (0..<kernelCount).map { categorical.logProbability(kernel: $0, choice: Int(value)) }
        }
    }

    // MARK: Sampling

    /// Draws `count` points; `result[axis][j]` is the internal value of point j on that axis.
    func sample(count: Int, using generator: inout SeededGenerator) -> [[Double]] {
        // The generator is read in the order kernel, then one unit per axis, point by point; the draws are then
        // made axis by axis (so each axis's kernels are bound once).
        var kernels = [Int](repeating: 0, count: count)
        var units = [Double](repeating: 0, count: count * axes.count)
        for j in 0..<count {
            kernels[j] = drawKernel(generator.nextUnit())
            for axis in axes.indices { units[axis * count + j] = generator.nextUnit() }
        }
        var result = Array(repeating: [Double](repeating: 0, count: count), count: axes.count)
        for (axis, axisKernels) in axes.enumerated() {
            switch axisKernels {
            case .continuous(let numeric), .discrete(let numeric):
                for j in 0..<count { result[axis][j] = numeric.draw(kernel: kernels[j], unit: units[axis * count + j]) }
            case .categorical(let categorical):
                for j in 0..<count {
                    result[axis][j] = Double(categorical.draw(kernel: kernels[j], unit: units[axis * count + j]))
                }
            }
        }
        return result
    }

    private func drawKernel(_ u: Double) -> Int {
        var low = 0
        var high = kernelCount - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulativeWeights[mid] > u { high = mid } else { low = mid + 1 }
        }
        return low
    }

    // MARK: Density

    /// log of the mixture density (probability mass on discrete axes) at each point of `points`
    /// (`points[axis][j]`, internal values).
    func logDensity(of points: [[Double]]) -> [Double] {
        var scratch = ParzenScratch()
        return logDensity(of: points, scratch: &scratch)
    }

    /// As `logDensity(of:)`, with working memory kept by the caller (no large allocation when it is reused), and the
    /// kernel loop compiled for `instructionSet` (the results are the same with every one). With `passLargest` false,
    /// the final sum finds the largest term itself rather than taking it from the kernel loop (the same results; for
    /// tests).
    func logDensity(
        of points: [[Double]], scratch: inout ParzenScratch, instructionSet: KernelInstructionSet = .best,
        passLargest: Bool = true
    ) -> [Double] {
        if axes.count == 1, continuousAxes.isEmpty, let values = points.first {
            // One grid or categorical axis: candidates often repeat, so each distinct value is evaluated once.
            let distinct = Array(Set(values)).sorted()
            if distinct.count < values.count {
                let densities = logDensityOfPoints(
                    [distinct], scratch: &scratch, instructionSet: instructionSet, passLargest: passLargest)
                let lookup = Dictionary(uniqueKeysWithValues: zip(distinct, densities))
                return values.map { lookup[$0] ?? -Double.infinity }
            }
        }
        return logDensityOfPoints(
            points, scratch: &scratch, instructionSet: instructionSet, passLargest: passLargest)
    }

    private func logDensityOfPoints(
        _ points: [[Double]], scratch: inout ParzenScratch, instructionSet: KernelInstructionSet, passLargest: Bool
    ) -> [Double] {
        let count = points.first?.count ?? 0
        let kernelCount = self.kernelCount
        guard count > 0, kernelCount > 0 else { return [Double](repeating: -Double.infinity, count: count) }
        let continuous = continuousAxes.count
        // Working-space coordinates, point-major (one point's are contiguous).
        var coordinates = [Double](repeating: 0, count: continuous * count)
        for (c, axis) in continuousAxes.enumerated() {
            guard case .continuous(let numeric) = axes[axis] else { continue }
            for j in 0..<count { coordinates[j * continuous + c] = numeric.axis.transform(points[axis][j]) }
        }
        // The points' choices on the categorical axes and cells on the discrete axes, point-major.
        let categorical = categoricalAxes.count
        var flatChoices = [Int32](repeating: 0, count: count * categorical)
        for (a, axis) in categoricalAxes.enumerated() {
            for j in 0..<count { flatChoices[j * categorical + a] = Int32(points[axis][j]) }
        }
        var flatCells = [(lower: Double, upper: Double)](repeating: (0, 0), count: count * discreteAxes.count)
        var discreteKernels: [NumericKernels] = []
        // Points often share a grid cell, so each kernel's mass of a cell is computed once (memo: per discrete
        // axis, per distinct cell, per kernel; NaN until computed), when that table is of a modest size.
        var cellSlots: [[Int]] = []
        var memoOffsets: [Int] = []
        var memoSize = 0
        for axis in discreteAxes {
            guard case .discrete(let numeric) = axes[axis] else { continue }
            let d = discreteKernels.count
            discreteKernels.append(numeric)
            let column = points[axis]
            let (slots, distinct) = Self.slots(of: column)
            for j in 0..<count { flatCells[j * discreteAxes.count + d] = numeric.axis.cell(around: column[j]) }
            cellSlots.append(slots)
            memoOffsets.append(memoSize)
            memoSize += distinct * kernelCount
        }
        let memoCount = memoSize <= Self.cellMemoLimit ? memoSize : 0
        scratch.clearCellMemo(count: memoCount)
        scratch.reserve(rows: count, kernels: kernelCount)
        var result = [Double](repeating: 0, count: count)
        // Taken out of the scratch while in use (the scratch's other arrays are accessed meanwhile).
        var cellMasses = CellMassTable()
        swap(&cellMasses, &scratch.cellMasses)
        defer { swap(&cellMasses, &scratch.cellMasses) }
        // Room for the kernels missing from the memo of cell masses, when there is one.
        let missing = memoCount > 0 ? UnsafeMutablePointer<Int32>.allocate(capacity: kernelCount) : nil
        defer { missing?.deallocate() }
        func withCellMasses(_ body: (CellMassTable.Storage?) -> Void) {
            if discreteKernels.isEmpty {
                body(nil)
            } else {
                cellMasses.withStorage(kernels: kernelCount) { body($0) }
            }
        }
        withCellMasses { cellMassStorage in
            CellKernels.withViews(of: discreteKernels) { discrete in
                PointAxes.with(
                    choices: flatChoices, categorical: categorical, cells: flatCells, discrete: discreteAxes.count
                ) { pointAxes in
                    packedChoices.withUnsafeBufferPointer { own in
                        let evaluator = PointEvaluator(
                            kernelCount: kernelCount, ownChoices: own, categoricalLogs: categoricalLogs,
                            discrete: discrete,
                            cellMasses: cellMassStorage, missing: missing, isa: instructionSet.cValue)
                        // Per point: a row of kernel terms (only the kept kernels' entries are meaningful), the kept
                        // kernels in increasing order, their number, and the reference (one kernel's final term) they were
                        // kept against.
                        var keptCount = [Int](repeating: 0, count: count)
                        var reference = [Double](repeating: -.infinity, count: count)
                        // Per point, with continuous axes: the largest sum among the kept kernels.
                        var largest = [Double](repeating: -.infinity, count: count)
                        scratch.terms.withUnsafeMutableBufferPointer { terms in
                            scratch.kept.withUnsafeMutableBufferPointer { kept in
                                guard let rows = terms.baseAddress, let keptBase = kept.baseAddress else { return }
                                if continuous == 0 {
                                    keepEveryKernel(
                                        rows: rows, kept: keptBase, count: count, evaluator: evaluator,
                                        pointAxes: pointAxes, keptCount: &keptCount, reference: &reference)
                                } else {
                                    keepContinuousSurvivors(
                                        coordinates: coordinates, rows: rows, kept: keptBase, count: count,
                                        evaluator: evaluator, pointAxes: pointAxes, instructionSet: instructionSet,
                                        keptCount: &keptCount,
                                        reference: &reference, largest: &largest)
                                }
                                scratch.cellMemo.withUnsafeMutableBufferPointer { memo in
                                    // No memo when the table would be too large.
                                    let memoBase = memoCount == 0 ? nil : memo.baseAddress
                                    // One list of memo rows, rewritten for each point (no allocation per point).
                                    var memoRows = [UnsafeMutablePointer<Double>?](
                                        repeating: nil, count: memoOffsets.count)
                                    for j in 0..<count {
                                        for d in memoOffsets.indices {
                                            memoRows[d] = memoBase.map {
                                                $0 + memoOffsets[d] + cellSlots[d][j] * kernelCount
                                            }
                                        }
                                        // With continuous axes, the kernel loop has added the categorical terms too.
                                        result[j] = evaluator.logDensity(
                                            from: continuous == 0 ? 0 : categorical, choices: pointAxes.choices(j),
                                            cells: pointAxes.cells(j), cellMemo: memoRows,
                                            row: UnsafeMutableBufferPointer(
                                                start: rows + j * kernelCount, count: kernelCount),
                                            active: UnsafeMutableBufferPointer(
                                                start: keptBase + j * kernelCount, count: kernelCount),
                                            activeCount: keptCount[j], reference: reference[j],
                                            largest: continuous == 0 || !passLargest ? nil : largest[j])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// The slot of each value, numbering the distinct values in order of first appearance, and their number. A few
    /// values (the candidates of one ask) are compared with the distinct ones found so far rather than hashed.
    static func slots(of values: [Double]) -> (slots: [Int], distinct: Int) {
        var slots = [Int](repeating: 0, count: values.count)
        if values.count > 64 {
            var slotOf: [Double: Int] = [:]
            for (j, value) in values.enumerated() {
                if let slot = slotOf[value] {
                    slots[j] = slot
                } else {
                    slotOf[value] = slotOf.count
                    slots[j] = slotOf.count - 1
                }
            }
            return (slots, slotOf.count)
        }
        var distinct: [Double] = []
        for (j, value) in values.enumerated() {
            // Dictionary keys compare with ==, so −0 and 0 share a slot there as here.
            if let slot = distinct.firstIndex(of: value) {
                slots[j] = slot
            } else {
                slots[j] = distinct.count
                distinct.append(value)
            }
        }
        return (slots, distinct.count)
    }

    /// Without continuous axes: every kernel's row is its base, and the reference is the final term of the kernel
    /// with the largest base.
    private func keepEveryKernel(
        rows: UnsafeMutablePointer<Double>, kept: UnsafeMutablePointer<Int32>, count: Int, evaluator: PointEvaluator,
        pointAxes: PointAxes, keptCount: inout [Int], reference: inout [Double]
    ) {
        var best = 0
        for k in 1..<kernelCount where baseLogDensity[k] > baseLogDensity[best] { best = k }
        baseLogDensity.withUnsafeBufferPointer { base in
            guard let baseAddress = base.baseAddress else { return }
            for j in 0..<count {
                (rows + j * kernelCount).update(from: baseAddress, count: kernelCount)
                for k in 0..<kernelCount { kept[j * kernelCount + k] = Int32(k) }
                keptCount[j] = kernelCount
                reference[j] = evaluator.finish(
                    baseLogDensity[best], kernel: best, after: 0, choices: pointAxes.choices(j),
                    cells: pointAxes.cells(j))
            }
        }
    }

    /// Each kernel's base plus its continuous terms, axis by axis, kernels dropped once their running sum is below
    /// the point's reference − `negligibleLogGap` − 1 (every later term is ≤ 0). The reference starts as the last
    /// kernel's final term (−∞ when there is a single block: nothing comes before it to prune) and rises to the final
    /// term of the best kernel of each block of kernels when that is higher. The kernels are visited in blocks whose
    /// constants stay in the first-level cache while every point is scored against them, two points at a time.
    /// `largest` gets each point's largest kept sum (the row of the best kernel of its best block).
    private func keepContinuousSurvivors(
        coordinates: [Double], rows: UnsafeMutablePointer<Double>, kept: UnsafeMutablePointer<Int32>, count: Int,
        evaluator: PointEvaluator, pointAxes: PointAxes,
        instructionSet: KernelInstructionSet, keptCount: inout [Int], reference: inout [Double],
        largest: inout [Double]
    ) {
        let kernelCount = self.kernelCount
        let continuous = continuousAxes.count
        let isa = instructionSet.cValue
        KernelInstructionSet.withBasePointers(of: continuousKernels.map(\.mu)) { mu in
            KernelInstructionSet.withBasePointers(of: continuousKernels.map(\.inverseSigma)) { inverseSigma in
                let categorical = categoricalAxes.count
                // The axes' log probabilities (the points' choices are point-major in `pointAxes`).
                let logs = categoricalLogs.flatMap { [$0.hit, $0.miss, $0.uniform] }
                baseLogDensity.withUnsafeBufferPointer { base in
                    coordinates.withUnsafeBufferPointer { coordinates in
                        guard let coordinates = coordinates.baseAddress else { return }
                        packedChoices.withUnsafeBufferPointer { own in
                            logs.withUnsafeBufferPointer { logs in
                                var kernels = cparzen_kernels(
                                    base: base.baseAddress, centres: mu.baseAddress,
                                    inverse_sigma: inverseSigma.baseAddress, axes: continuous,
                                    categorical_axes: categorical,
                                    kernel_count: kernelCount, own_choices: own.baseAddress, logs: logs.baseAddress)
                                // The sums come back with the categorical terms added: a kernel is finished from the discrete
                                // axes on.
                                let choices = pointAxes.allChoices.baseAddress
                                // After point j's scan of a block: its best kept kernel k (−1: none) may raise the
                                // largest sum and the reference.
                                func raise(_ j: Int, best k: Int) {
                                    guard k >= 0 else { return }
                                    let row = rows + j * kernelCount
                                    if row[k] > largest[j] { largest[j] = row[k] }
                                    guard row[k] > reference[j] else { return }
                                    let candidate = evaluator.finish(
                                        row[k], kernel: k, after: categorical, choices: pointAxes.choices(j),
                                        cells: pointAxes.cells(j))
                                    if candidate > reference[j] { reference[j] = candidate }
                                }
                                func scan(_ j: Int, _ range: Range<Int>) {
                                    var best: Int64 = -1
                                    keptCount[j] += cparzen_continuous_terms(
                                        isa, &kernels, coordinates + j * continuous,
                                        choices.map { $0 + j * categorical }, range.lowerBound,
                                        range.upperBound, reference[j] - Self.negligibleLogGap - 1,
                                        rows + j * kernelCount,
                                        kept + j * kernelCount + keptCount[j], &best)
                                    raise(j, best: Int(best))
                                }
                                // Points j and j + 1 together (each kernel constant is read once for both).
                                func scanPair(_ j: Int, _ range: Range<Int>) {
                                    var best: (Int64, Int64) = (-1, -1)
                                    var added = (0, 0)
                                    cparzen_continuous_terms_pair(
                                        isa, &kernels, coordinates + j * continuous,
                                        coordinates + (j + 1) * continuous, choices.map { $0 + j * categorical },
                                        choices.map { $0 + (j + 1) * categorical }, range.lowerBound,
                                        range.upperBound, reference[j] - Self.negligibleLogGap - 1,
                                        reference[j + 1] - Self.negligibleLogGap - 1, rows + j * kernelCount,
                                        rows + (j + 1) * kernelCount, kept + j * kernelCount + keptCount[j],
                                        kept + (j + 1) * kernelCount + keptCount[j + 1], &added.0, &added.1, &best.0,
                                        &best.1)
                                    keptCount[j] += added.0
                                    keptCount[j + 1] += added.1
                                    raise(j, best: Int(best.0))
                                    raise(j + 1, best: Int(best.1))
                                }
                                // The reference from the last kernel (the prior kernel, which is never far off);
                                // its entry in the kept list is overwritten by the scan of its block. With one block
                                // there is nothing before it to prune: its kernels are kept against no reference, and
                                // its best kernel's final term becomes the reference.
                                if kernelCount > Self.blockSize {
                                    for j in 0..<count {
                                        scan(j, (kernelCount - 1)..<kernelCount)
                                        keptCount[j] = 0
                                    }
                                }
                                var start = 0
                                while start < kernelCount {
                                    let end = Swift.min(start + Self.blockSize, kernelCount)
                                    var j = 0
                                    while j + 1 < count {
                                        scanPair(j, start..<end)
                                        j += 2
                                    }
                                    if j < count { scan(j, start..<end) }
                                    start = end
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The largest table of memoised cell masses (entries) a density evaluation allocates.
    private static let cellMemoLimit = 1 << 16

    /// Kernels are evaluated in blocks of this many.
    private static let blockSize = 256

    /// Kernels whose terms are this far below the largest one contribute less than 1e-21 of it.
    static let negligibleLogGap = 48.0
}

/// Log cell masses by their inputs, one entry per slot (a newer entry replaces an older one in its slot): a kernel's
/// centre, inverse bandwidth and log mass on its domain, and the cell's bounds, compared bit for bit, so an entry
/// found holds exactly the number `NumericKernels.logCellMass` returns for them.
///
/// The table grows with the mixtures evaluated through it, to 16 slots per kernel (between 2^10 and 2^14 slots of 48
/// bytes; entries are dropped when it grows), so a small study's sampler keeps a small table.
struct CellMassTable: Sendable {
    /// Per slot the five inputs' bits and the value's; empty until the first use. A slot whose first input is
    /// `emptyKey` (a NaN, never a centre) holds nothing.
    private var slots: [UInt64] = []
    private var slotBits = 0
    static let maximumSlotBits = 14
    private static let minimumSlotBits = 10
    private static let width = 6
    private static let emptyKey = Double.nan.bitPattern

    /// The number of slots (0 before the first use).
    var slotCount: Int { slots.count / Self.width }

    /// The table's memory while `withStorage` runs, and the shift that takes a hash to a slot.
    struct Storage {
        let base: UnsafeMutablePointer<UInt64>
        let shift: UInt64
    }

    /// Calls `body` with the table's memory, grown (and emptied) first when it has fewer than 16 slots per kernel of
    /// a mixture of `kernels` kernels and fewer than 2^14.
    mutating func withStorage<R>(kernels: Int, _ body: (Storage) -> R) -> R {
        let wanted = Swift.min(
            Swift.max(Self.minimumSlotBits, Int.bitWidth - (Swift.max(kernels, 1) * 16 - 1).leadingZeroBitCount),
            Self.maximumSlotBits)
        if wanted > slotBits {
            slotBits = wanted
            slots = [UInt64](repeating: Self.emptyKey, count: (1 << wanted) * Self.width)
        }
        let shift = UInt64(64 - slotBits)
        return slots.withUnsafeMutableBufferPointer { slots in
            // Never empty here: the table has at least 2^10 slots.
            guard let base = slots.baseAddress else { preconditionFailure("cell-mass table without memory") }
            return body(Storage(base: base, shift: shift))
        }
    }

    /// The log mass of [lower, upper] under the kernel (mu, inverseSigma, logMass), from `storage` or computed
    /// and stored.
    @inline(__always)
    static func logCellMass(
        in storage: Storage, mu: Double, inverseSigma: Double, logMass: Double, lower: Double,
        upper: Double
    ) -> Double {
        let keys = (mu.bitPattern, inverseSigma.bitPattern, logMass.bitPattern, lower.bitPattern, upper.bitPattern)
        var hash = keys.0 &* 0x9E37_79B9_7F4A_7C15
        hash = (hash ^ (hash >> 29) ^ keys.1) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 31) ^ keys.2) &* 0x94D0_49BB_1331_11EB
        hash = (hash ^ (hash >> 29) ^ keys.3) &* 0x9E37_79B9_7F4A_7C15
        hash = (hash ^ (hash >> 31) ^ keys.4) &* 0xBF58_476D_1CE4_E5B9
        let slot = storage.base + Int(truncatingIfNeeded: hash >> storage.shift) * width
        if slot[0] == keys.0 && slot[1] == keys.1 && slot[2] == keys.2 && slot[3] == keys.3 && slot[4] == keys.4 {
            return Double(bitPattern: slot[5])
        }
        let value = NumericKernels.logCellMass(
            mu: mu, inverseSigma: inverseSigma, logMass: logMass, lower: lower, upper: upper)
        slot[0] = keys.0
        slot[1] = keys.1
        slot[2] = keys.2
        slot[3] = keys.3
        slot[4] = keys.4
        slot[5] = value.bitPattern
        return value
    }
}

/// The constants of one discrete axis's kernels, read through buffers that stay valid while a density is evaluated
/// (reading them through `NumericKernels` copies its arrays: a retain and a release of each, at every access).
struct CellKernels {
    let mu: UnsafeBufferPointer<Double>
    let inverseSigma: UnsafeBufferPointer<Double>
    let logMass: UnsafeBufferPointer<Double>
    let logNormaliser: UnsafeBufferPointer<Double>

    /// An upper bound of `logCellMass` for a cell of log width `logWidth` (log(upper − lower)): the cell's width times
    /// the kernel's largest density in it, log(upper − lower) + log(1/σ) − z²/2 − log √(2π) − log mass with z the
    /// point of the cell nearest the centre in units of σ, at most 0. The kernel's constant log(1/σ) − log √(2π) −
    /// log mass is its log normaliser, so no logarithm is taken per kernel; the bound is raised by `boundSlack` so that
    /// rounding the sum in another order cannot take it below the exact value.
    @inline(__always)
    func logCellMassBound(kernel k: Int, lower: Double, upper: Double, logWidth: Double) -> Double {
        let a = (lower - mu[k]) * inverseSigma[k]
        let b = (upper - mu[k]) * inverseSigma[k]
        let nearest = a > 0 ? a : (b < 0 ? b : 0)
        let bound = logWidth + logNormaliser[k] - 0.5 * nearest * nearest + Self.boundSlack
        return Swift.min(bound, 0)
    }

    /// Added to the cell-mass bound: far above the rounding of its few terms, far below any term that matters.
    static let boundSlack = 1e-9

    @inline(__always)
    func logCellMass(kernel k: Int, lower: Double, upper: Double) -> Double {
        NumericKernels.logCellMass(
            mu: mu[k], inverseSigma: inverseSigma[k], logMass: logMass[k], lower: lower, upper: upper)
    }

    /// Calls `body` with views of the kernels' constants (valid during the call).
    static func withViews<R>(of kernels: [NumericKernels], _ body: ([CellKernels]) -> R) -> R {
        withBuffers(of: kernels.map(\.mu)) { mu in
            withBuffers(of: kernels.map(\.inverseSigma)) { inverseSigma in
                withBuffers(of: kernels.map(\.logMass)) { logMass in
                    withBuffers(of: kernels.map(\.logNormaliser)) { logNormaliser in
                        body(
                            mu.indices.map {
                                CellKernels(
                                    mu: mu[$0], inverseSigma: inverseSigma[$0], logMass: logMass[$0],
                                    logNormaliser: logNormaliser[$0])
                            })
                    }
                }
            }
        }
    }

    private static func withBuffers<R>(of arrays: [[Double]], _ body: ([UnsafeBufferPointer<Double>]) -> R) -> R {
        func nest(_ index: Int, _ collected: [UnsafeBufferPointer<Double>]) -> R {
            guard index < arrays.count else { return body(collected) }
            return arrays[index].withUnsafeBufferPointer { nest(index + 1, collected + [$0]) }
        }
        return nest(0, [])
    }
}

/// The points' choices on the categorical axes and cells on the discrete axes, point-major, read through buffers that
/// stay valid while a density is evaluated (an array per point would be retained and released at every access).
private struct PointAxes {
    let allChoices: UnsafeBufferPointer<Int32>
    let categorical: Int
    let allCells: UnsafeBufferPointer<(lower: Double, upper: Double)>
    let discrete: Int

    /// Calls `body` with views of `choices` (`categorical` per point) and `cells` (`discrete` per point).
    static func with<R>(
        choices: [Int32], categorical: Int, cells: [(lower: Double, upper: Double)], discrete: Int,
        _ body: (PointAxes) -> R
    ) -> R {
        choices.withUnsafeBufferPointer { choices in
            cells.withUnsafeBufferPointer { cells in
                body(PointAxes(allChoices: choices, categorical: categorical, allCells: cells, discrete: discrete))
            }
        }
    }

    @inline(__always)
    func choices(_ j: Int) -> UnsafeBufferPointer<Int32> {
        UnsafeBufferPointer(rebasing: allChoices[(j * categorical)..<((j + 1) * categorical)])
    }

    @inline(__always)
    func cells(_ j: Int) -> UnsafeBufferPointer<(lower: Double, upper: Double)> {
        UnsafeBufferPointer(rebasing: allCells[(j * discrete)..<((j + 1) * discrete)])
    }
}

/// The rest of the mixture's log density at one point once the continuous axes are summed: the categorical and
/// discrete axes, axis by axis, dropping kernels that can no longer matter.
///
/// Every term after a kernel's base (its log weight plus the continuous normalisers) is ≤ 0, so a kernel's running
/// sum bounds its final term from above. Once one kernel has been evaluated in full, with final term R, the largest
/// final term is at least R; a kernel whose running sum is below R − `negligibleLogGap` − 1 would end where
/// log-sum-exp ignores it anyway, so it is dropped (discrete cell masses are the costly terms). The answer is the
/// one the full sum over every kernel gives: the surviving kernels' terms are summed in the same order, and the
/// final sum of exponentials (`cparzen_sum_exp`) depends only on the sequence of terms that count, so two mixtures
/// with the same terms (an l and a g built alike) tie exactly.
///
/// A class, so that the closures of an evaluation share one reference to it rather than copying (and retaining) its
/// arrays.
private final class PointEvaluator {
    let kernelCount: Int
    let ownChoices: UnsafeBufferPointer<Int32>
    let categoricalLogs: [(hit: Double, miss: Double, uniform: Double)]
    let discrete: [CellKernels]
    /// The storage of the cell masses kept across evaluations (`CellMassTable`).
    let cellMasses: CellMassTable.Storage?
    /// Room for the kernels whose memoised cell mass is missing (`kernelCount` entries; nil: the memo is not used).
    let missing: UnsafeMutablePointer<Int32>?
    /// The instruction set of the final sum of exponentials.
    let isa: cparzen_isa

    init(
        kernelCount: Int, ownChoices: UnsafeBufferPointer<Int32>,
        categoricalLogs: [(hit: Double, miss: Double, uniform: Double)], discrete: [CellKernels],
        cellMasses: CellMassTable.Storage?, missing: UnsafeMutablePointer<Int32>?, isa: cparzen_isa
    ) {
        self.kernelCount = kernelCount
        self.ownChoices = ownChoices
        self.categoricalLogs = categoricalLogs
        self.discrete = discrete
        self.cellMasses = cellMasses
        self.missing = missing
        self.isa = isa
    }

    /// The running sum of kernel `k` after axis `stage` (categorical axes first, then discrete ones).
    @inline(__always)
    private func apply(
        stage: Int, to partial: Double, kernel k: Int, choices: UnsafeBufferPointer<Int32>,
        cells: UnsafeBufferPointer<(lower: Double, upper: Double)>
    ) -> Double {
        if stage < choices.count {
            return partial
                + Self.categoricalTerm(
                    own: ownChoices[stage * kernelCount + k], choice: choices[stage], logs: categoricalLogs[stage])
        }
        let d = stage - choices.count
        return partial + cellMass(of: discrete[d], kernel: k, cell: cells[d])
    }

    /// Kernel k's log mass of `cell`, through the table of cell masses kept across evaluations when there is one.
    @inline(__always)
    private func cellMass(of kernels: CellKernels, kernel k: Int, cell: (lower: Double, upper: Double)) -> Double {
        guard let table = cellMasses else {
            return kernels.logCellMass(kernel: k, lower: cell.lower, upper: cell.upper)
        }
        return CellMassTable.logCellMass(
            in: table, mu: kernels.mu[k], inverseSigma: kernels.inverseSigma[k], logMass: kernels.logMass[k],
            lower: cell.lower, upper: cell.upper)
    }

    /// The log probability of `choice` under a kernel whose own choice is `own` (−1: the uniform prior kernel).
    @inline(__always)
    private static func categoricalTerm(
        own: Int32, choice: Int32, logs: (hit: Double, miss: Double, uniform: Double)
    ) -> Double {
        own < 0 ? logs.uniform : (own == choice ? logs.hit : logs.miss)
    }

    /// Kernel `k`'s final term, from its running sum after `done` stages.
    func finish(
        _ partial: Double, kernel k: Int, after done: Int, choices: UnsafeBufferPointer<Int32>,
        cells: UnsafeBufferPointer<(lower: Double, upper: Double)>
    ) -> Double {
        var term = partial
        for stage in done..<(choices.count + cells.count) {
            term = apply(stage: stage, to: term, kernel: k, choices: choices, cells: cells)
        }
        return term
    }

    /// log Σₖ exp(row[k] + the terms of the axes from stage `firstStage` on) over the kernels
    /// `active[0..<activeCount]` (in increasing order); `row` holds each kernel's base plus the terms of the axes
    /// before (the continuous ones, and the categorical ones when the kernel loop added them) and is used as working
    /// memory. `reference` is one kernel's final term: a kernel whose row is below it by more than
    /// `negligibleLogGap` + 1 cannot count, and the kernels left out of `active` are such kernels. `largest`, when
    /// given, is the largest row among the kernels listed (used when no stage is left).
    func logDensity(
        from firstStage: Int, choices: UnsafeBufferPointer<Int32>,
        cells: UnsafeBufferPointer<(lower: Double, upper: Double)>,
        cellMemo: [UnsafeMutablePointer<Double>?],
        row: UnsafeMutableBufferPointer<Double>, active: UnsafeMutableBufferPointer<Int32>, activeCount given: Int,
        reference: Double, largest: Double? = nil
    ) -> Double {
        let count = kernelCount
        let stages = choices.count + cells.count
        var reference = reference
        var cutoff = reference - ParzenEstimator.negligibleLogGap - 1
        // The first axis also drops the kernels given whose row is already below the cutoff, and the last one finds
        // the largest final term (its best survivor), so the list is not read in passes of their own.
        var activeCount = given
        var maximum = -Double.infinity
        // Whether the final terms are the first activeCount entries of the row (rather than the listed kernels').
        var listedInRow = false
        if firstStage == stages {
            if let largest {
                // Every kernel is finished: the largest term is known, and the terms below the cutoff are below the
                // sum's negligible ones too (the largest is at least the reference), so the list is used as it is.
                maximum = largest
            } else {
                activeCount = 0
                for i in 0..<given where row[Int(active[i])] >= cutoff {
                    active[activeCount] = active[i]
                    activeCount += 1
                }
                for i in 0..<activeCount where row[Int(active[i])] > maximum { maximum = row[Int(active[i])] }
            }
        }
        for stage in firstStage..<stages {
            var survivors = Survivors()
            let first = stage == firstStage
            if stage < choices.count {
                let choice = choices[stage]
                let logs = categoricalLogs[stage]
                let own = UnsafeBufferPointer(rebasing: ownChoices[(stage * count)..<((stage + 1) * count)])
                for i in 0..<activeCount {
                    let k = Int(active[i])
                    if first && !(row[k] >= cutoff) { continue }
                    let partial = row[k] + Self.categoricalTerm(own: own[k], choice: choice, logs: logs)
                    row[k] = partial
                    survivors.keep(k, partial, cutoff: cutoff, in: active)
                }
            } else if let memo = cellMemo[stage - choices.count], let missing = missing,
                let rowBase = row.baseAddress, let activeBase = active.baseAddress
            {
                // With a memo: the kernels whose cell mass is not in it yet are listed and given it (those whose bound
                // keeps them), then the memo's terms are added to every kernel at once.
                let kernels = discrete[stage - choices.count]
                let cell = cells[stage - choices.count]
                let logWidth = Foundation.log(cell.upper - cell.lower)
                let missingCount = cparzen_missing_terms(
                    isa, rowBase, activeBase, activeCount, memo, cutoff, first ? 1 : 0, missing)
                for i in 0..<missingCount {
                    let k = Int(missing[i])
                    let bound = kernels.logCellMassBound(
                        kernel: k, lower: cell.lower, upper: cell.upper, logWidth: logWidth)
                    guard row[k] + bound >= cutoff else { continue }
                    memo[k] = cellMass(of: kernels, kernel: k, cell: cell)
                }
                var best: Int64 = -1
                var bestSum = -Double.infinity
                // At the last axis the kept kernels' sums go to the front of the row, in list order, for the final
                // sum to read without the list.
                let last = stage + 1 == stages
                survivors.kept = cparzen_add_terms(
                    isa, rowBase, activeBase, activeCount, memo, cutoff, first ? 1 : 0, &best, &bestSum,
                    last ? rowBase : nil)
                listedInRow = last
                survivors.bestKernel = Int(best)
                survivors.bestPartial = bestSum
            } else {
                // The kernels are bound once, outside the loop (binding them inside copies their arrays).
                let kernels = discrete[stage - choices.count]
                let cell = cells[stage - choices.count]
                let memo = cellMemo[stage - choices.count]
                let logWidth = Foundation.log(cell.upper - cell.lower)
                for i in 0..<activeCount {
                    let k = Int(active[i])
                    if first && !(row[k] >= cutoff) { continue }
                    var term = memo?[k] ?? .nan
                    if term.isNaN {
                        // A cheap upper bound of the cell term first: most kernels that reach this axis are
                        // far off on it, and their exact cell mass would cost two error functions.
                        let bound = kernels.logCellMassBound(
                            kernel: k, lower: cell.lower, upper: cell.upper, logWidth: logWidth)
                        guard row[k] + bound >= cutoff else { continue }
                        term = cellMass(of: kernels, kernel: k, cell: cell)
                        memo?[k] = term
                    }
                    let partial = row[k] + term
                    row[k] = partial
                    survivors.keep(k, partial, cutoff: cutoff, in: active)
                }
            }
            let kept = survivors.kept
            let bestKernel = survivors.bestKernel
            let bestPartial = survivors.bestPartial
            activeCount = kept
            if stage + 1 == stages { maximum = bestPartial }
            // A final term never exceeds its running sum, so only a running sum above the reference can raise
            // it; with few kernels left, a tighter cutoff would not save the cost of evaluating one in full.
            guard bestKernel >= 0, stage + 1 < stages, bestPartial > reference, kept > Self.refinementCount
            else { continue }
            let candidate = finish(
                bestPartial, kernel: bestKernel, after: stage + 1, choices: choices, cells: cells)
            if candidate > reference {
                reference = candidate
                cutoff = reference - ParzenEstimator.negligibleLogGap - 1
            }
        }
        guard maximum > -Double.infinity else { return -.infinity }
        if maximum == .infinity { return .infinity }
        let negligible = maximum - ParzenEstimator.negligibleLogGap
        guard let rowBase = row.baseAddress, let activeBase = active.baseAddress else { return -.infinity }
        let sum = cparzen_sum_exp(isa, rowBase, listedInRow ? nil : activeBase, activeCount, maximum, negligible)
        return maximum + Foundation.log(sum)
    }

    /// The kernels kept after an axis, compacted to the front of the active list, and the best of them.
    private struct Survivors {
        var kept = 0
        var bestKernel = -1
        var bestPartial = -Double.infinity

        @inline(__always)
        mutating func keep(_ k: Int, _ partial: Double, cutoff: Double, in active: UnsafeMutableBufferPointer<Int32>) {
            guard partial >= cutoff else { return }
            active[kept] = Int32(k)
            kept += 1
            if partial > bestPartial {
                bestPartial = partial
                bestKernel = k
            }
        }
    }

    /// The number of surviving kernels above which the reference is raised after an axis.
    private static let refinementCount = 32
}

/// Truncated-normal kernels on one numerical axis.
/// Immutable, and a class for the reason `ParzenEstimator` is one: it is handed around in enum payloads and lists.
final class NumericKernels: Sendable {
    let axis: NumericAxis
    let mu: [Double]
    let sigma: [Double]
    let inverseSigma: [Double]
    /// log(Φ(b) − Φ(a)).
    let logMass: [Double]
    /// −log σ − log √(2π) − log(Φ(b) − Φ(a)): the continuous density's constant.
    let logNormaliser: [Double]

    convenience init(axis: NumericAxis, observations: [Double], settings: ParzenSettings) {
        let centres = observations.map(axis.transform)
        let bandwidths = Self.bandwidths(
            centres: centres, lower: axis.lower, upper: axis.upper, considerEndpoints: settings.considerEndpoints)
        let clipped = Self.clip(bandwidths, axis: axis, settings: settings, count: centres.count)
        let logMass = zip(centres, clipped).map { Self.logMass(axis: axis, mu: $0, sigma: $1) }
        self.init(axis: axis, centres: centres, bandwidths: clipped, logMass: logMass)
    }

    /// Kernels with given working-space centres, clipped bandwidths and log masses on [L, H]; the prior
    /// kernel is appended.
    init(
        axis: NumericAxis, centres: [Double], bandwidths: [Double], logMass: [Double],
        logNormaliser givenNormaliser: [Double]? = nil
    ) {
        self.axis = axis
        let width = axis.upper - axis.lower
        let priorCentre = (axis.lower + axis.upper) / 2
        var mu = centres
        mu.append(priorCentre)
        var sigma = bandwidths
        sigma.append(width)
        var masses = logMass
        masses.append(Self.logMass(axis: axis, mu: priorCentre, sigma: width))
        self.mu = mu
        self.sigma = sigma
        inverseSigma = sigma.map { 1 / $0 }
        self.logMass = masses
        if var given = givenNormaliser {
            given.append(Self.logNormaliser(sigma: width, logMass: masses[masses.count - 1]))
            logNormaliser = given
        } else {
            logNormaliser = zip(sigma, masses).map { Self.logNormaliser(sigma: $0, logMass: $1) }
        }
    }

    /// Kernels whose arrays already hold the prior kernel last (no copy is made).
    init(
        axis: NumericAxis, mu: [Double], sigma: [Double], inverseSigma: [Double], logMass: [Double],
        logNormaliser: [Double]
    ) {
        self.axis = axis
        self.mu = mu
        self.sigma = sigma
        self.inverseSigma = inverseSigma
        self.logMass = logMass
        self.logNormaliser = logNormaliser
    }

    /// The kernels at `indices`, in that order.
    func selecting(_ indices: [Int]) -> NumericKernels {
        NumericKernels(
            axis: axis, mu: indices.map { mu[$0] }, sigma: indices.map { sigma[$0] },
            inverseSigma: indices.map { inverseSigma[$0] }, logMass: indices.map { logMass[$0] },
            logNormaliser: indices.map { logNormaliser[$0] })
    }

    /// −log σ − log √(2π) − log(Φ(b) − Φ(a)).
    static func logNormaliser(sigma: Double, logMass: Double) -> Double {
        -Foundation.log(sigma) - TruncatedNormal.logSqrtTwoPi - logMass
    }

    /// log(Φ(b) − Φ(a)) of a kernel on the axis's working bounds.
    static func logMass(axis: NumericAxis, mu: Double, sigma: Double) -> Double {
        TruncatedNormal.logGaussMass((axis.lower - mu) / sigma, (axis.upper - mu) / sigma)
    }

    /// Bandwidths clipped into [floor, H − L], the floor being (H − L)/min(100, count + 2) with the magic clip
    /// (count: `settings.clipCount`, else the number of observations) and 1e-12 without it.
    static func clip(_ bandwidths: [Double], axis: NumericAxis, settings: ParzenSettings, count: Int) -> [Double] {
        let width = axis.upper - axis.lower
        let clipCount = settings.clipCount ?? count
        let minimum = settings.considerMagicClip ? width / Double(Swift.min(100, clipCount + 2)) : 1e-12
        return bandwidths.map { Swift.min(Swift.max($0, minimum), width) }
    }

    /// The neighbour-distance rule: each centre's bandwidth is the larger gap to its neighbours in the sorted
    /// list padded with the bounds; without `considerEndpoints` the outermost centres ignore the bounds.
    static func bandwidths(centres: [Double], lower: Double, upper: Double, considerEndpoints: Bool) -> [Double] {
        let count = centres.count
        if count == 0 { return [] }
        if count == 1 { return [Swift.max(centres[0] - lower, upper - centres[0])] }
        let order = centres.indices.sorted { centres[$0] < centres[$1] || (centres[$0] == centres[$1] && $0 < $1) }
        var result = [Double](repeating: 0, count: count)
        for (rank, index) in order.enumerated() {
            let left = rank == 0 ? lower : centres[order[rank - 1]]
            let right = rank == count - 1 ? upper : centres[order[rank + 1]]
            let leftGap = centres[index] - left
            let rightGap = right - centres[index]
            if !considerEndpoints && rank == 0 {
                result[index] = rightGap
            } else if !considerEndpoints && rank == count - 1 {
                result[index] = leftGap
            } else {
                result[index] = Swift.max(leftGap, rightGap)
            }
        }
        return result
    }

    /// An internal value drawn from kernel `kernel` by inverting its truncated CDF at `unit`.
    func draw(kernel: Int, unit: Double) -> Double {
        let lower = (axis.lower - mu[kernel]) * inverseSigma[kernel]
        let upper = (axis.upper - mu[kernel]) * inverseSigma[kernel]
        let z = TruncatedNormal.quantile(unit, lower: lower, upper: upper)
        return axis.internalValue(of: mu[kernel] + sigma[kernel] * z)
    }

    /// log of kernel `kernel`'s probability of the working-space cell [lower, upper], relative to its mass on
    /// the axis.
    func logCellMass(kernel k: Int, lower: Double, upper: Double) -> Double {
        Self.logCellMass(mu: mu[k], inverseSigma: inverseSigma[k], logMass: logMass[k], lower: lower, upper: upper)
    }

    /// `logCellMass` of a kernel with these constants.
    @inline(__always)
    static func logCellMass(mu: Double, inverseSigma: Double, logMass: Double, lower: Double, upper: Double) -> Double {
        TruncatedNormal.logGaussMass((lower - mu) * inverseSigma, (upper - mu) * inverseSigma) - logMass
    }
}

/// Categorical kernels: kernel i gives `(ε + [c = cᵢ]) / (1 + C·ε)` with ε = prior_weight/(n+1); the prior
/// kernel is uniform.
struct CategoricalKernels: Sendable {
    let choiceCount: Int
    /// The observed choice of each kernel; −1 for the prior kernel.
    let choices: [Int]
    private let epsilon: Double
    let logHit: Double
    let logMiss: Double
    let logUniform: Double

    init(choiceCount: Int, observations: [Double], priorWeight: Double) {
        self.choiceCount = choiceCount
        var choices: [Int] = []
        choices.reserveCapacity(observations.count + 1)
        for observation in observations { choices.append(Int(observation)) }
        choices.append(-1)
        self.choices = choices
        epsilon = priorWeight / Double(observations.count + 1)
        let norm = 1 + Double(choiceCount) * epsilon
        logHit = Foundation.log((epsilon + 1) / norm)
        logMiss = Foundation.log(epsilon / norm)
        logUniform = -Foundation.log(Double(choiceCount))
    }

    private init(choiceCount: Int, choices: [Int], epsilon: Double, logs: (hit: Double, miss: Double, uniform: Double))
    {
        self.choiceCount = choiceCount
        self.choices = choices
        self.epsilon = epsilon
        logHit = logs.hit
        logMiss = logs.miss
        logUniform = logs.uniform
    }

    /// The kernels at `indices`, in that order.
    func selecting(_ indices: [Int]) -> CategoricalKernels {
        CategoricalKernels(
            choiceCount: choiceCount, choices: indices.map { choices[$0] }, epsilon: epsilon,
            logs: (logHit, logMiss, logUniform))
    }

    func logProbability(kernel: Int, choice: Int) -> Double {
        let own = choices[kernel]
        if own < 0 { return logUniform }
        return own == choice ? logHit : logMiss
    }

    func draw(kernel: Int, unit: Double) -> Int {
        let own = choices[kernel]
        if own < 0 { return Swift.min(Int(unit * Double(choiceCount)), choiceCount - 1) }
        let scaled = unit * (1 + Double(choiceCount) * epsilon)
        if scaled < Double(choiceCount) * epsilon {
            return Swift.min(Int(scaled / epsilon), choiceCount - 1)
        }
        return own
    }
}
