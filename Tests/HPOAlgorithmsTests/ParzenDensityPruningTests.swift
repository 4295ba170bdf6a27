import CParzen
import Foundation
import HPOCore
import Testing

@testable import HPOAlgorithms

/// The mixture density drops kernels that cannot matter before it evaluates their costly terms; these tests check
/// it against the plain sum over every kernel, term by term.
@Suite struct ParzenDensityPruningTests {
    static let distributions: [Distribution] = [
        .float(FloatDistribution(low: -5, high: 5)),
        .float(FloatDistribution(low: 1e-5, high: 1, log: true)),
        .float(FloatDistribution(low: 0, high: 1, step: 0.1)),
        .int(IntDistribution(low: 1, high: 100, log: true)),
        .int(IntDistribution(low: 0, high: 20, step: 2)),
        .categorical(CategoricalDistribution(choices: ["a", "b", "c", "d"].map { .string($0) })),
    ]

    /// log Σₖ wₖ·Πₐ pₖ(xₐ), summed naively over every kernel.
    static func bruteForce(_ model: ParzenEstimator, point: [Double]) -> Double {
        var terms = model.weights.map { Foundation.log($0) }
        for axis in point.indices {
            let axisTerms = model.axisLogTerms(axis: axis, value: point[axis])
            for k in terms.indices { terms[k] += axisTerms[k] }
        }
        let maximum = terms.max() ?? -.infinity
        guard maximum > -.infinity else { return -.infinity }
        return maximum + Foundation.log(terms.reduce(0) { $0 + exp($1 - maximum) })
    }

    static func model(axes: [Int], observations count: Int, seed: UInt64) -> ParzenEstimator {
        var generator = SeededGenerator(seed: seed)
        let domains = axes.map { ParzenDomain(distributions[$0]) }
        // Observations clustered around a point, as TPE's are, plus a few spread over the whole domain.
        let centre = axes.map { _ in generator.nextUnit() }
        let observations = axes.enumerated().map { slot, axis in
            (0..<count).map { i -> Double in
                let unit =
                    i % 5 == 0
                    ? generator.nextUnit() : min(max(centre[slot] + 0.1 * (generator.nextUnit() - 0.5), 0), 1)
                return distributions[axis].internalValue(atUnit: unit)
            }
        }
        let weights = (0..<count).map { _ in 0.1 + generator.nextUnit() }
        var settings = ParzenSettings()
        settings.clipCount = count * 4
        return ParzenEstimator(
            domains: domains, observations: observations, observationWeights: weights, settings: settings)
    }

    /// 12 points drawn from the model itself (near its kernels) and 12 uniform ones (mostly far from them).
    static func points(of model: ParzenEstimator, axes: [Int], seed: UInt64) -> [[Double]] {
        var generator = SeededGenerator(seed: seed + 100)
        var points = model.sample(count: 12, using: &generator)
        for (slot, axis) in axes.enumerated() {
            for _ in 0..<12 {
                points[slot].append(Self.distributions[axis].internalValue(atUnit: generator.nextUnit()))
            }
        }
        return points
    }

    @Test(arguments: [[0, 1, 2], [0, 3, 5], [0, 1, 2, 3, 4, 5], [3, 4], [5], [3], [0]])
    func prunedDensityEqualsTheSumOverEveryKernel(axes: [Int]) {
        for seed in UInt64(1)...4 {
            // 2,000 observations: several blocks of kernels, each pruned against the reference of the ones before.
            for count in [3, 40, 400, 2_000] {
                let model = Self.model(axes: axes, observations: count, seed: seed)
                let points = Self.points(of: model, axes: axes, seed: seed)
                let densities = model.logDensity(of: points)
                for j in densities.indices {
                    let expected = Self.bruteForce(model, point: points.map { $0[j] })
                    #expect(
                        abs(densities[j] - expected) <= 1e-9 * max(1, abs(expected)),
                        "axes \(axes), seed \(seed), \(count) observations, point \(j): \(densities[j]) vs \(expected)")
                }
            }
        }
    }
    /// Once every axis is applied in the kernel loop (continuous and categorical axes only), the final sum takes the
    /// largest kept term from the loop instead of finding it in the list: the densities are the same bit for bit.
    @Test(arguments: [[0], [0, 1], [0, 1, 5], [1, 5, 5]])
    func theLargestTermFromTheKernelLoopGivesTheSameDensities(axes: [Int]) {
        for seed in UInt64(1)...3 {
            for count in [3, 40, 400, 2_000] {
                let model = Self.model(axes: axes, observations: count, seed: seed)
                let points = Self.points(of: model, axes: axes, seed: seed)
                var scratch = ParzenScratch()
                let passed = model.logDensity(of: points, scratch: &scratch)
                let found = model.logDensity(of: points, scratch: &scratch, passLargest: false)
                #expect(
                    passed.map(\.bitPattern) == found.map(\.bitPattern),
                    "axes \(axes), seed \(seed), \(count) observations")
                #expect(passed.allSatisfy { $0.isFinite }, "axes \(axes), seed \(seed), \(count) observations")
            }
        }
    }

    /// The cell masses kept in the scratch from one evaluation to the next (of other models on the same and other
    /// domains, with more kernels than the table has slots) never change a density: each equals, bit for bit, the
    /// one evaluated with a fresh scratch.
    @Test func cellMassesKeptAcrossEvaluationsGiveTheSameDensities() {
        var kept = ParzenScratch()
        for round in 0..<3 {
            for (index, axes) in [[3], [3, 4], [0, 3, 5], [2, 4]].enumerated() {
                let seed = UInt64(10 * round + index)
                let model = Self.model(axes: axes, observations: round == 2 ? 20_000 : 300, seed: seed)
                let points = Self.points(of: model, axes: axes, seed: seed)
                var fresh = ParzenScratch()
                let expected = model.logDensity(of: points, scratch: &fresh)
                let densities = model.logDensity(of: points, scratch: &kept)
                #expect(
                    densities.map(\.bitPattern) == expected.map(\.bitPattern), "round \(round), axes \(axes)")
                // Again with the entries just stored.
                #expect(model.logDensity(of: points, scratch: &kept).map(\.bitPattern) == expected.map(\.bitPattern))
            }
        }
    }

    /// The table grows with the mixtures evaluated through it (16 slots per kernel, from 2^10 to 2^14 slots) and
    /// never shrinks.
    @Test func theCellMassTableGrowsWithTheMixtures() {
        var table = CellMassTable()
        #expect(table.slotCount == 0)
        for (kernels, slots) in [(10, 1 << 10), (64, 1 << 10), (65, 1 << 11), (300, 1 << 13), (50, 1 << 13)] {
            table.withStorage(kernels: kernels) { _ in }
            #expect(table.slotCount == slots, "\(kernels) kernels")
        }
        table.withStorage(kernels: 976) { _ in }
        #expect(table.slotCount == 1 << 14)
        table.withStorage(kernels: 100_000) { _ in }
        #expect(table.slotCount == 1 << CellMassTable.maximumSlotBits)
    }

    /// A looked-up cell mass is the computed one, bit for bit, whether it is found, computed, or computed again after
    /// its slot was taken by other inputs.
    @Test func theCellMassTableReturnsTheComputedMass() {
        var generator = SeededGenerator(seed: 5)
        var table = CellMassTable()
        let inputs = (0..<(3 << CellMassTable.maximumSlotBits)).map { _ in
            let mu = 4 * generator.nextUnit()
            let sigma = 0.01 + generator.nextUnit()
            let lower = Double(Int(generator.nextUnit() * 40)) / 10
            return (mu, 1 / sigma, -generator.nextUnit(), lower, lower + 0.1)
        }
        table.withStorage(kernels: 100_000) { storage in
            for pass in 0..<2 {
                for (i, input) in inputs.enumerated() where pass == 0 || i % 7 == 0 {
                    let expected = NumericKernels.logCellMass(
                        mu: input.0, inverseSigma: input.1, logMass: input.2, lower: input.3, upper: input.4)
                    for _ in 0..<2 {
                        let found = CellMassTable.logCellMass(
                            in: storage, mu: input.0, inverseSigma: input.1, logMass: input.2, lower: input.3,
                            upper: input.4)
                        #expect(found.bitPattern == expected.bitPattern)
                    }
                }
            }
        }
    }

    /// Candidates that share a grid cell share a row of memoised cell masses: the rows number the distinct values in
    /// order of first appearance, whether a few values are compared or many are hashed.
    @Test func distinctValuesAreNumberedInOrderOfFirstAppearance() {
        var generator = SeededGenerator(seed: 3)
        for count in [0, 1, 24, 64, 65, 300] {
            let values = (0..<count).map { _ in Double(Int(generator.nextUnit() * 12)) }
            var first: [Double] = []
            for value in values where !first.contains(value) { first.append(value) }
            let result = ParzenEstimator.slots(of: values)
            #expect(result.distinct == first.count, "\(count) values")
            #expect(result.slots == values.map { value in first.firstIndex(of: value) ?? -1 }, "\(count) values")
        }
    }

    /// The kernel loop over the continuous axes exists for several instruction sets, chosen by the CPU; the
    /// densities must not depend on which one runs.
    @Test(arguments: [[0, 1], [0, 1, 2, 3, 5], [0]])
    func densitiesAreTheSameBitForBitWithEveryInstructionSet(axes: [Int]) {
        let sets = KernelInstructionSet.allCases.filter(\.isSupported)
        #expect(sets.contains(.scalar) && sets.contains(KernelInstructionSet.best))
        for seed in UInt64(1)...3 {
            for count in [5, 300, 2_000] {
                let model = Self.model(axes: axes, observations: count, seed: seed)
                let points = Self.points(of: model, axes: axes, seed: seed)
                var scratch = ParzenScratch()
                let expected = model.logDensity(of: points, scratch: &scratch, instructionSet: .scalar)
                for set in sets {
                    let densities = model.logDensity(of: points, scratch: &scratch, instructionSet: set)
                    #expect(
                        densities.map(\.bitPattern) == expected.map(\.bitPattern),
                        "\(set), axes \(axes), seed \(seed), \(count) observations")
                }
            }
        }
    }
}

/// The loop over the kernels' continuous axes, against the same sums written out in Swift.
@Suite struct ParzenKernelLoopTests {
    /// Kernel k's sum after every axis (base, then −(0.5·z)·z per axis in order), and whether it stays ≥ cutoff
    /// throughout.
    static func expected(
        base: [Double], centres: [[Double]], inverseSigma: [[Double]], point: [Double], kernel k: Int, cutoff: Double,
        ownChoices: [[Int32]] = [], logs: [[Double]] = [], choices: [Int32] = []
    ) -> Double? {
        var sum = base[k]
        for c in point.indices {
            let z = (point[c] - centres[c][k]) * inverseSigma[c][k]
            let half = 0.5 * z
            sum = sum - half * z
            if !(sum >= cutoff) { return nil }
        }
        for a in ownChoices.indices {
            let own = ownChoices[a][k]
            sum = sum + (own < 0 ? logs[a][2] : (own == choices[a] ? logs[a][0] : logs[a][1]))
        }
        return sum >= cutoff ? sum : nil
    }

    /// Every instruction set keeps the kernels of `range` that `expected` keeps, in order, with the same sums bit for
    /// bit, and names as the best the first kept kernel of the largest sum.
    static func expectEveryInstructionSetAgrees(
        base: [Double], centres: [[Double]], inverseSigma: [[Double]], point: [Double], range: Range<Int>,
        cutoff: Double, ownChoices: [[Int32]], logs: [[Double]], choices: [Int32], _ label: String
    ) {
        func expectation(_ point: [Double], _ cutoff: Double, _ choices: [Int32]) -> (
            kept: [Int], sums: [UInt64], best: Int
        ) {
            let expected = range.compactMap { k in
                Self.expected(
                    base: base, centres: centres, inverseSigma: inverseSigma, point: point, kernel: k, cutoff: cutoff,
                    ownChoices: ownChoices, logs: logs, choices: choices
                ).map { (k, $0) }
            }
            var best = -1
            var bestSum = 0.0
            for (k, sum) in expected where best < 0 || sum > bestSum {
                best = k
                bestSum = sum
            }
            return (expected.map(\.0), expected.map(\.1.bitPattern), best)
        }
        // A second point scored beside the first by the loop over pairs: elsewhere, with its own choices and a
        // cutoff that keeps far more or far fewer kernels (so one point of the pair may take the dense path alone).
        let partner = point.map { $0 + 0.37 }
        let partnerChoices = choices.map { ($0 + 1) % 4 }
        let partnerCutoff: Double = cutoff == -Double.infinity ? -3 : -Double.infinity
        let expected = expectation(point, cutoff, choices)
        let expectedPartner = expectation(partner, partnerCutoff, partnerChoices)
        for set in KernelInstructionSet.allCases where set.isSupported {
            let result = set.continuousTerms(
                base: base, centres: centres, inverseSigma: inverseSigma, point: point, range: range, cutoff: cutoff,
                ownChoices: ownChoices, logs: logs, choices: choices)
            #expect(
                result.kept == expected.kept && result.sums.map(\.bitPattern) == expected.sums
                    && result.best == expected.best,
                "\(set): \(label)")
            for swapped in [false, true] {
                let pair = set.continuousTerms(
                    base: base, centres: centres, inverseSigma: inverseSigma,
                    points: swapped ? [partner, point] : [point, partner], range: range,
                    cutoffs: swapped ? [partnerCutoff, cutoff] : [cutoff, partnerCutoff], ownChoices: ownChoices,
                    logs: logs, choices: swapped ? [partnerChoices, choices] : [choices, partnerChoices])
                let wanted = swapped ? [expectedPartner, expected] : [expected, expectedPartner]
                for (result, wanted) in zip(pair, wanted) {
                    #expect(
                        result.kept == wanted.kept && result.sums.map(\.bitPattern) == wanted.sums
                            && result.best == wanted.best,
                        "\(set), pair\(swapped ? " (swapped)" : ""): \(label)")
                }
            }
        }
    }

    /// Categorical axes after the continuous ones: their log probabilities are added to the kept kernels' sums in
    /// axis order, and a kernel they take below the cutoff is dropped.
    @Test func categoricalTermsAreAddedAfterTheContinuousAxes() {
        var generator = SeededGenerator(seed: 12)
        for categorical in [1, 2] {
            for kernelCount in [1, 9, 300, 700] {
                let base = (0..<kernelCount).map { _ in 2 - 4 * generator.nextUnit() }
                let centres = (0..<3).map { _ in (0..<kernelCount).map { _ in 10 * generator.nextUnit() - 5 } }
                let inverseSigma = (0..<3).map { _ in
                    (0..<kernelCount).map { _ in 1 / (0.05 + 3 * generator.nextUnit() * generator.nextUnit()) }
                }
                // The last kernel is the uniform prior kernel (own choice −1).
                let own = (0..<categorical).map { _ in
                    (0..<kernelCount).map { k in k == kernelCount - 1 ? -1 : Int32(generator.nextUnit() * 4) }
                }
                let logs = (0..<categorical).map { _ in [-0.1, -3.5, -Foundation.log(4)] }
                let choices = (0..<categorical).map { _ in Int32(generator.nextUnit() * 4) }
                let point = (0..<3).map { _ in 10 * generator.nextUnit() - 5 }
                for cutoff in [-Double.infinity, -60, -12, -3] {
                    Self.expectEveryInstructionSetAgrees(
                        base: base, centres: centres, inverseSigma: inverseSigma, point: point,
                        range: 0..<kernelCount, cutoff: cutoff, ownChoices: own, logs: logs, choices: choices,
                        "\(categorical) categorical axes, \(kernelCount) kernels, cutoff \(cutoff)")
                }
            }
        }
    }

    /// Kernels whose sums tie (a few distinct kernels repeated in a shuffled order, with and without a categorical
    /// axis, and with sums of −∞): every instruction set names the first kept kernel of the largest sum as the best.
    @Test func theBestKernelIsTheFirstOfTheLargestSumWithEveryInstructionSet() {
        var generator = SeededGenerator(seed: 13)
        for categorical in [0, 1] {
            for kernelCount in [5, 61, 300, 1_000] {
                // Four distinct kernels (one with base −∞), each kernel one of them.
                let kinds = (0..<kernelCount).map { _ in Int(generator.nextUnit() * 4) }
                let kindBase = [0.5, -1, 0.5, -Double.infinity]
                let kindCentre = [[0.0, 1], [0.2, 1], [0.0, 1], [0.0, 1]]
                let base = kinds.map { kindBase[$0] }
                let centres = (0..<2).map { c in kinds.map { kindCentre[$0][c] } }
                let inverseSigma = (0..<2).map { _ in kinds.map { _ in 2.0 } }
                let own = (0..<categorical).map { _ in kinds.map { Int32($0 % 2) } }
                let logs = (0..<categorical).map { _ in [-0.1, -0.1, -0.1] }
                let choices = (0..<categorical).map { _ in Int32(0) }
                let point = [0.0, 1]
                let start = Int(generator.nextUnit() * Double(kernelCount / 3))
                for cutoff in [-Double.infinity, -5] {
                    Self.expectEveryInstructionSetAgrees(
                        base: base, centres: centres, inverseSigma: inverseSigma, point: point,
                        range: start..<kernelCount, cutoff: cutoff, ownChoices: own, logs: logs, choices: choices,
                        "\(categorical) categorical axes, \(kernelCount) kernels, cutoff \(cutoff)")
                }
            }
        }
    }

    /// A memoised axis term added to an active list: the kernels missing from the memo are listed, and the memo's
    /// terms added, with the same kept list, rows, best kernel (first of the largest sum above −∞) and count on every
    /// instruction set as the loop written out here.
    @Test func memoisedTermsAreAddedAlikeWithEveryInstructionSet() {
        var generator = SeededGenerator(seed: 14)
        for kernelCount in [1, 9, 64, 300, 1_000] {
            for first in [false, true] {
                for cutoff in [-Double.infinity, -8, -3] {
                    // Rows and terms from a few values, so that sums tie; some terms missing (NaN) or −∞.
                    let rows = (0..<kernelCount).map { _ in -Double(Int(generator.nextUnit() * 8)) }
                    let memo = (0..<kernelCount).map { _ -> Double in
                        let u = generator.nextUnit()
                        return u < 0.2 ? .nan : (u < 0.25 ? -.infinity : -Double(Int(u * 6)))
                    }
                    let active = (0..<kernelCount).filter { _ in generator.nextUnit() < 0.7 }.map { Int32($0) }
                    var expectedRows = rows
                    var expectedKept: [Int32] = []
                    var expectedBest = -1
                    var bestSum = -Double.infinity
                    for k in active.map({ Int($0) }) {
                        if (first && !(rows[k] >= cutoff)) || memo[k].isNaN { continue }
                        expectedRows[k] = rows[k] + memo[k]
                        guard expectedRows[k] >= cutoff else { continue }
                        expectedKept.append(Int32(k))
                        if expectedRows[k] > bestSum {
                            expectedBest = k
                            bestSum = expectedRows[k]
                        }
                    }
                    let expectedMissing = active.filter { k in
                        memo[Int(k)].isNaN && !(first && !(rows[Int(k)] >= cutoff))
                    }
                    for set in KernelInstructionSet.allCases where set.isSupported {
                        var row = rows
                        var list = active
                        var missing = [Int32](repeating: -1, count: kernelCount)
                        let missingCount = cparzen_missing_terms(
                            set.cValue, row, list, list.count, memo, cutoff, first ? 1 : 0, &missing)
                        var best: Int64 = -2
                        var sum = 0.0
                        let kept = cparzen_add_terms(
                            set.cValue, &row, &list, list.count, memo, cutoff, first ? 1 : 0, &best, &sum, nil)
                        let label = "\(set): \(kernelCount) kernels, first \(first), cutoff \(cutoff)"
                        #expect(Array(missing.prefix(missingCount)) == expectedMissing, "\(label)")
                        #expect(Array(list.prefix(kept)) == expectedKept, "\(label)")
                        #expect(expectedKept.allSatisfy { row[Int($0)] == expectedRows[Int($0)] }, "\(label)")
                        #expect(best == Int64(expectedBest) && sum == bestSum, "\(label)")
                        // The sums written to the front of the row itself, in list order, instead of to kernel k's
                        // entry: the same kept list, best and sums.
                        var front = rows
                        var frontList = active
                        var frontBest: Int64 = -2
                        var frontSum = 0.0
                        let frontKept = front.withUnsafeMutableBufferPointer { front in
                            cparzen_add_terms(
                                set.cValue, front.baseAddress, &frontList, frontList.count, memo, cutoff,
                                first ? 1 : 0, &frontBest, &frontSum, front.baseAddress)
                        }
                        #expect(Array(frontList.prefix(frontKept)) == expectedKept, "\(label), sums in front")
                        #expect(
                            front.prefix(frontKept).map(\.bitPattern)
                                == expectedKept.map { expectedRows[Int($0)].bitPattern }, "\(label), sums in front")
                        #expect(frontBest == Int64(expectedBest) && frontSum == bestSum, "\(label), sums in front")
                    }
                }
            }
        }
    }

    @Test func everyInstructionSetKeepsTheKernelsAboveTheCutoffWithTheirExactSums() {
        var generator = SeededGenerator(seed: 11)
        // No continuous axis (each kernel's sum is its base), one, two (the first pass alone), and more (a dense chunk
        // takes the remaining axes in one pass).
        for axes in [0, 1, 2, 3, 8] {
            for kernelCount in [1, 7, 64, 300, 1_000] {
                let base = (0..<kernelCount).map { _ in 2 - 4 * generator.nextUnit() }
                let centres = (0..<axes).map { _ in (0..<kernelCount).map { _ in 10 * generator.nextUnit() - 5 } }
                // Narrow and wide kernels, so that some are dropped after the first axis and some only at the last.
                let inverseSigma = (0..<axes).map { _ in
                    (0..<kernelCount).map { _ in 1 / (0.02 + 3 * generator.nextUnit() * generator.nextUnit()) }
                }
                let point = (0..<axes).map { _ in 10 * generator.nextUnit() - 5 }
                let start = Int(generator.nextUnit() * Double(kernelCount / 3))
                let range = start..<kernelCount
                for cutoff in [-Double.infinity, -500, -40, -5] {
                    let expected = range.compactMap { k in
                        Self.expected(
                            base: base, centres: centres, inverseSigma: inverseSigma, point: point, kernel: k,
                            cutoff: cutoff
                        ).map { (k, $0.bitPattern) }
                    }
                    for set in KernelInstructionSet.allCases where set.isSupported {
                        let result = set.continuousTerms(
                            base: base, centres: centres, inverseSigma: inverseSigma, point: point, range: range,
                            cutoff: cutoff)
                        #expect(
                            result.kept == expected.map(\.0) && result.sums.map(\.bitPattern) == expected.map(\.1),
                            "\(set): \(axes) axes, \(kernelCount) kernels, cutoff \(cutoff)")
                    }
                }
            }
        }
    }
}

extension Distribution {
    /// The internal value at a unit position of the domain (log scale for log domains, snapped to the grid).
    fileprivate func internalValue(atUnit unit: Double) -> Double {
        let domain = ParzenDomain(self)
        switch domain {
        case .numeric(let axis):
            return axis.internalValue(of: axis.lower + unit * (axis.upper - axis.lower))
        case .categorical(let count):
            return Double(min(Int(unit * Double(count)), count - 1))
        }
    }
}
