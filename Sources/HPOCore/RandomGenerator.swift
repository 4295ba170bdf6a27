/// A small, fast, seedable generator (xoshiro256**), seeded through SplitMix64.
///
/// Each trial gets its own generator from the study seed and the trial number, so a proposal does not depend
/// on which worker finished first, and no generator state needs saving.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    public init(seed: UInt64) {
        var state = seed
        func splitMix() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// The generator of trial `number` in a study seeded with `seed`; `stream` separates independent uses
    /// (sampling, training initialisation, ...).
    public init(seed: UInt64, trialNumber: Int, stream: UInt64 = 0) {
        let mixed =
            seed &* 0x9E37_79B9_7F4A_7C15 ^ (UInt64(bitPattern: Int64(trialNumber)) &+ 0x632B_E59B_D9B4_E019)
            ^ (stream &* 0xD1B5_4A32_D192_ED03)
        self.init(seed: mixed)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A double uniform in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
