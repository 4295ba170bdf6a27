import CParzen

/// The instruction sets the loop over the kernels' continuous axes (the CParzen target) is compiled for. The widest
/// one the CPU supports is used; every one gives the same results bit for bit (no fused multiply-add).
enum KernelInstructionSet: CaseIterable, Sendable {
    case scalar
    case sse2
    case avx2
    case avx512

    /// The widest instruction set this CPU supports.
    static let best = KernelInstructionSet(cparzen_best_isa())

    var isSupported: Bool { cparzen_supports(cValue) != 0 }

    var cValue: cparzen_isa {
        switch self {
        case .scalar: CPARZEN_SCALAR
        case .sse2: CPARZEN_SSE2
        case .avx2: CPARZEN_AVX2
        case .avx512: CPARZEN_AVX512
        }
    }

    init(_ value: cparzen_isa) {
        switch value {
        case CPARZEN_SSE2: self = .sse2
        case CPARZEN_AVX2: self = .avx2
        case CPARZEN_AVX512: self = .avx512
        default: self = .scalar
        }
    }
}

extension KernelInstructionSet {
    /// The kernel loop on plain arrays (for tests): for kernels in `range`, base[k] plus each axis's
    /// −(0.5·z)·z with z = (point[c] − centres[c][k])·inverseSigma[c][k], in axis order, then each categorical axis's
    /// log probability of `choices[a]` (`ownChoices[a][k]` is kernel k's choice, −1 the uniform kernel; `logs[a]` hit,
    /// miss, uniform); the kernels whose sum stays ≥ cutoff, their sums, and the first kernel with the largest one.
    func continuousTerms(
        base: [Double], centres: [[Double]], inverseSigma: [[Double]], point: [Double], range: Range<Int>,
        cutoff: Double, ownChoices: [[Int32]] = [], logs: [[Double]] = [], choices: [Int32] = []
    ) -> (kept: [Int], sums: [Double], best: Int) {
        continuousTerms(
            base: base, centres: centres, inverseSigma: inverseSigma, points: [point], range: range,
            cutoffs: [cutoff], ownChoices: ownChoices, logs: logs, choices: [choices])[0]
    }

    /// The same for one point or two; two go through the loop that scores a pair of points at once.
    func continuousTerms(
        base: [Double], centres: [[Double]], inverseSigma: [[Double]], points: [[Double]], range: Range<Int>,
        cutoffs: [Double], ownChoices: [[Int32]] = [], logs: [[Double]] = [], choices: [[Int32]]
    ) -> [(kept: [Int], sums: [Double], best: Int)] {
        precondition(points.count == 1 || points.count == 2, "one point or two")
        var rows = [[Double]](repeating: [Double](repeating: 0, count: base.count), count: points.count)
        var kept = [[Int32]](repeating: [Int32](repeating: 0, count: base.count), count: points.count)
        var best: (Int64, Int64) = (-1, -1)
        var counts = (0, 0)
        let own = ownChoices.flatMap { $0 }
        let flatLogs = logs.flatMap { $0 }
        Self.withBasePointers(of: centres) { centres in
            Self.withBasePointers(of: inverseSigma) { inverseSigma in
                base.withUnsafeBufferPointer { base in
                    own.withUnsafeBufferPointer { own in
                        flatLogs.withUnsafeBufferPointer { flatLogs in
                            var kernels = cparzen_kernels(
                                base: base.baseAddress, centres: centres.baseAddress,
                                inverse_sigma: inverseSigma.baseAddress, axes: points[0].count,
                                categorical_axes: ownChoices.count, kernel_count: base.count,
                                own_choices: own.baseAddress, logs: flatLogs.baseAddress)
                            if points.count == 1 {
                                counts.0 = cparzen_continuous_terms(
                                    cValue, &kernels, points[0], choices[0], range.lowerBound, range.upperBound,
                                    cutoffs[0], &rows[0], &kept[0], &best.0)
                            } else {
                                var row1 = rows[1]
                                var kept1 = kept[1]
                                cparzen_continuous_terms_pair(
                                    cValue, &kernels, points[0], points[1], choices[0], choices[1],
                                    range.lowerBound, range.upperBound, cutoffs[0], cutoffs[1], &rows[0], &row1,
                                    &kept[0], &kept1, &counts.0, &counts.1, &best.0, &best.1)
                                rows[1] = row1
                                kept[1] = kept1
                            }
                        }
                    }
                }
            }
        }
        let found = [(counts.0, best.0), (counts.1, best.1)]
        return points.indices.map { j in
            let indices = kept[j].prefix(found[j].0).map { Int($0) }
            return (indices, indices.map { rows[j][$0] }, Int(found[j].1))
        }
    }

    /// Calls `body` with the base addresses of the arrays (kept alive and unmoved meanwhile). The addresses are
    /// collected in one buffer as the arrays' accesses nest (no list is built per array).
    static func withBasePointers<R>(
        of arrays: [[Double]], _ body: (UnsafeBufferPointer<UnsafePointer<Double>?>) -> R
    ) -> R {
        let pointers = UnsafeMutablePointer<UnsafePointer<Double>?>.allocate(capacity: Swift.max(arrays.count, 1))
        defer { pointers.deallocate() }
        func nest(_ index: Int) -> R {
            guard index < arrays.count else { return body(UnsafeBufferPointer(start: pointers, count: arrays.count)) }
            return arrays[index].withUnsafeBufferPointer { buffer in
                pointers[index] = buffer.baseAddress
                return nest(index + 1)
            }
        }
        return nest(0)
    }
}
