import CParzen
import Foundation
import HPOCore
import Testing

@testable import HPOAlgorithms

/// The vector arithmetic of the Parzen density: the final sum of a mixture's log-sum-exp (`cparzen_sum_exp`), its
/// polynomial exponential, and the logarithms of the mixture weights (`cparzen_log`).
@Suite struct ParzenVectorMathTests {
    /// The polynomial exp agrees with the C library's to a few units in the last place over its whole domain, and is
    /// exact at 0.
    @Test func polynomialExpAgreesWithTheLibraryExp() {
        #expect(cparzen_exp(0) == 1)
        var generator = SeededGenerator(seed: 21)
        // Uniform over the domain, then dense near 0 (where the log-sum-exp's largest terms are), then the
        // points k·ln 2 ± ln 2 / 2 where the reduced argument is largest.
        var points = (0..<20_000).map { _ in -700 * generator.nextUnit() }
        points += (0..<20_000).map { _ in -50 * generator.nextUnit() }
        let halfLn2: Double = M_LN2 / 2
        for k in 0..<1_000 {
            let centre: Double = -Double(k) * M_LN2
            for x in [centre - halfLn2, centre + halfLn2] where x <= 0 && x >= -700 { points.append(x) }
        }
        var worst = 0.0
        for x in points {
            let expected = Foundation.exp(x)
            let error = abs(cparzen_exp(x) - expected) / expected.ulp
            worst = max(worst, error)
            #expect(error <= 4, "exp(\(x)): \(cparzen_exp(x)) vs \(expected)")
        }
        #expect(worst >= 0.5, "the comparison must see rounding at all (worst \(worst) ulp)")
    }

    /// Random log terms, a maximum among them, and the kernels whose terms are summed (in increasing order).
    static func terms(count: Int, seed: UInt64) -> (row: [Double], active: [Int32], maximum: Double) {
        var generator = SeededGenerator(seed: seed)
        let row = (0..<count).map { _ in -60 * generator.nextUnit() * generator.nextUnit() }
        let active = (0..<count).filter { _ in generator.nextUnit() < 0.7 }.map { Int32($0) }
        let maximum = active.map { row[Int($0)] }.max() ?? 0
        return (row, active, maximum)
    }

    static func sumExp(
        _ row: [Double], _ active: [Int32], maximum: Double, negligible: Double, isa: KernelInstructionSet
    ) -> Double {
        cparzen_sum_exp(isa.cValue, row, active, active.count, maximum, negligible)
    }

    /// The sum equals the plain sum of the terms above `negligible` to rounding, and is the same bit for bit with
    /// every instruction set.
    @Test func sumMatchesThePlainSumOnEveryInstructionSet() {
        for count in [0, 1, 7, 8, 9, 33, 255, 256, 257, 1_000, 3_000] {
            for seed in UInt64(1)...3 {
                let (row, active, maximum) = Self.terms(count: count, seed: seed)
                let negligible = maximum - ParzenEstimator.negligibleLogGap
                let plain = active.map { row[Int($0)] }.filter { $0 > negligible }.reduce(0.0) {
                    $0 + Foundation.exp($1 - maximum)
                }
                let scalar = Self.sumExp(row, active, maximum: maximum, negligible: negligible, isa: .scalar)
                #expect(abs(scalar - plain) <= 1e-14 * max(plain, 1), "\(count) kernels, seed \(seed)")
                if !active.isEmpty { #expect(scalar >= 1, "the largest term counts 1") }
                for set in KernelInstructionSet.allCases where set.isSupported {
                    let sum = Self.sumExp(row, active, maximum: maximum, negligible: negligible, isa: set)
                    #expect(sum.bitPattern == scalar.bitPattern, "\(set), \(count) kernels, seed \(seed)")
                }
            }
        }
    }

    /// The sum is the one its documentation gives, bit for bit: the j-th counted term's exponential (`cparzen_exp`)
    /// joins running sum j mod 8, and the eight are added pairwise in a fixed order.
    @Test func termsJoinTheRunningSumOfTheirPositionModuloEight() {
        for count in [1, 8, 13, 256, 700, 3_000] {
            let (row, active, maximum) = Self.terms(count: count, seed: UInt64(count))
            let negligible = maximum - ParzenEstimator.negligibleLogGap
            var sums = [Double](repeating: 0, count: 8)
            for (j, term) in active.map({ row[Int($0)] }).filter({ $0 > negligible }).enumerated() {
                sums[j % 8] += cparzen_exp(term - maximum)
            }
            let expected = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
            // The same terms given in order without a list (the front of a row).
            let inOrder = active.map { row[Int($0)] }
            for set in KernelInstructionSet.allCases where set.isSupported {
                let sum = Self.sumExp(row, active, maximum: maximum, negligible: negligible, isa: set)
                #expect(sum.bitPattern == expected.bitPattern, "\(set), \(count) kernels")
                let unlisted = cparzen_sum_exp(set.cValue, inOrder, nil, inOrder.count, maximum, negligible)
                #expect(unlisted.bitPattern == expected.bitPattern, "\(set), \(count) terms without a list")
            }
        }
    }

    /// The result depends only on the sequence of terms summed: negligible kernels listed among them change no bit,
    /// and the same terms held by other kernels (as in an l and a g built from the same observations) give the same
    /// bits, so such densities tie exactly.
    @Test func onlyTheSequenceOfTermsSummedCounts() {
        for seed in UInt64(4)...9 {
            var (row, active, maximum) = Self.terms(count: 2_000, seed: seed)
            let negligible = maximum - ParzenEstimator.negligibleLogGap
            let listed = Set(active)
            // Every kernel left out of the list gets a negligible term, then all are listed.
            for k in row.indices where !listed.contains(Int32(k)) { row[k] = negligible - 1 - Double(k % 5) }
            let all = row.indices.map { Int32($0) }
            let some = Self.sumExp(row, active, maximum: maximum, negligible: negligible, isa: .best)
            let every = Self.sumExp(row, all, maximum: maximum, negligible: negligible, isa: .best)
            #expect(some.bitPattern == every.bitPattern, "seed \(seed)")
            // The counted terms again, each at another kernel index (3 apart, with negligible kernels between).
            var moved = [Double](repeating: negligible - 2, count: 3 * active.count + 5)
            for (i, k) in active.enumerated() { moved[3 * i + 5] = row[Int(k)] }
            let movedList = moved.indices.map { Int32($0) }
            let again = Self.sumExp(moved, movedList, maximum: maximum, negligible: negligible, isa: .best)
            #expect(again.bitPattern == some.bitPattern, "seed \(seed): the same terms at other kernels")
            _ = active.popLast()
            let fewer = Self.sumExp(row, active, maximum: maximum, negligible: negligible, isa: .best)
            #expect(fewer != some, "seed \(seed): dropping a counted kernel must change the sum")
        }
    }

    /// The logarithms of an array agree with the C library's to a few units in the last place, are exact at powers
    /// of two, take the C library's value outside the positive normal numbers, and are the same bit for bit on every
    /// instruction set, also when written over their input.
    @Test func logarithmsAgreeWithTheLibraryOnEveryInstructionSet() {
        var generator = SeededGenerator(seed: 5)
        var values = (0..<3_000).map { _ in generator.nextUnit() }
        values += (0..<3_000).map { _ in Foundation.exp(1_400 * generator.nextUnit() - 700) }
        values += [1, 2, 0.5, 1024, 0x1p-1022, 0x1p-1074, 0, -0.0, -1, .infinity, .nan, .greatestFiniteMagnitude]
        values += (0..<100).map { 1 + Double($0) * 0x1p-52 }
        for count in [0, 1, 7, 8, 9, values.count] {
            let input = Array(values.prefix(count))
            var expected = [Double](repeating: 0, count: count)
            cparzen_log(KernelInstructionSet.scalar.cValue, input, &expected, count)
            for (x, log) in zip(input, expected) {
                let reference = Foundation.log(x)
                if x.isNormal && x > 0 && x.isFinite {
                    let tolerance = 4 * Swift.max(reference.ulp, Double.leastNormalMagnitude)
                    #expect(abs(log - reference) <= tolerance, "log(\(x)): \(log) vs \(reference)")
                } else {
                    #expect(log.bitPattern == reference.bitPattern || (log.isNaN && reference.isNaN), "log(\(x))")
                }
            }
            for set in KernelInstructionSet.allCases where set.isSupported {
                var logs = [Double](repeating: 0, count: count)
                cparzen_log(set.cValue, input, &logs, count)
                #expect(logs.map(\.bitPattern) == expected.map(\.bitPattern), "\(set), \(count) values")
                var inPlace = input
                inPlace.withUnsafeMutableBufferPointer { buffer in
                    cparzen_log(set.cValue, buffer.baseAddress, buffer.baseAddress, count)
                }
                #expect(inPlace.map(\.bitPattern) == expected.map(\.bitPattern), "\(set), in place, \(count) values")
            }
        }
        var powers = (-1_022...1_023).map { Foundation.pow(2.0, Double($0)) }
        let exact = powers.map { Double(Foundation.log2($0)) * M_LN2 }
        cparzen_log(KernelInstructionSet.best.cValue, powers, &powers, powers.count)
        for (log, reference) in zip(powers, exact) {
            #expect(abs(log - reference) <= reference.ulp, "\(log) vs \(reference)")
        }
    }
}
