import Foundation
import HPOCore

/// Hyperband as Optuna 5.0's `HyperbandPruner` runs it: several successive-halving brackets side by side, each
/// trial assigned to one bracket by a hash of the study name and its number.
///
/// - Brackets: `n = floor(log(max_resource / min_resource) / log(reduction_factor)) + 1`, computed in floating
///   point like Python's `math.log(x, base)` (so 243 / 3 gives 5 brackets, 1000 / 10 gives 3).
/// - Budgets: bracket `b` gets `ceil(n * η^(n-1-b) / (n-b))` shares of the trials.
/// - Assignment: CRC-32 of `"{study_name}_{number}"` modulo the total budget, walked through the budgets.
/// - Bracket `b` is ASHA with `min_early_stopping_rate = b`, competing only against trials of the same bracket.
///
/// Samplers are not restricted to a bracket: TPE sees every trial of the study, as in Optuna 5.0 (whose bracket
/// filtering does not reach its samplers).
///
/// `max_resource: auto` is the largest last step among COMPLETE trials plus one, taken at the first decision that
/// has a COMPLETE trial (nothing is pruned before). Optuna caches it per process; hpo stores it once on the
/// deciding trial (`hpo:hyperband_max_resource`) and reuses it, so brackets do not move after a restart.
public struct HyperbandScheduler: TrialScheduler {
    public var options: HyperbandOptions

    public init(options: HyperbandOptions = HyperbandOptions()) {
        self.options = options
    }

    /// The brackets of one Hyperband configuration, once `max_resource` is known.
    public struct Layout: Sendable, Hashable {
        public var minResource: Int
        public var maxResource: Int
        public var reductionFactor: Int
        /// Trial shares of each bracket, bracket 0 first (the most aggressive one).
        public var budgets: [Int]

        public init(minResource: Int, maxResource: Int, reductionFactor: Int) {
            self.minResource = minResource
            self.maxResource = maxResource
            self.reductionFactor = reductionFactor
            let count = Self.bracketCount(
                minResource: minResource, maxResource: maxResource, reductionFactor: reductionFactor)
            self.budgets = (0..<count).map { bracket in
                let s = count - 1 - bracket
                let shares = Double(count) * pow(Double(reductionFactor), Double(s)) / Double(s + 1)
                return Int(shares.rounded(.up))
            }
        }

        /// `floor(log(max / min) / log(η)) + 1` in floating point, at least 1.
        public static func bracketCount(minResource: Int, maxResource: Int, reductionFactor: Int) -> Int {
            let ratio = Double(maxResource) / Double(minResource)
            let exponent = (log(ratio) / log(Double(reductionFactor))).rounded(.down)
            guard exponent.isFinite, exponent >= 0 else { return 1 }
            return Int(min(exponent, 62)) + 1
        }

        public var bracketCount: Int { budgets.count }
        public var totalBudget: Int { budgets.reduce(0, +) }

        /// The bracket of trial `number` in study `studyName`.
        public func bracket(ofTrialNumber number: Int, studyName: String) -> Int {
            var remaining = Int(CRC32.checksum(Array("\(studyName)_\(number)".utf8))) % max(totalBudget, 1)
            for (bracket, budget) in budgets.enumerated() {
                remaining -= budget
                if remaining < 0 { return bracket }
            }
            return budgets.count - 1
        }
    }

    public func decide(for trial: Trial, studyName: String, history: TrialHistory) -> SchedulerOutcome {
        guard trial.lastStep != nil else { return SchedulerOutcome(decision: .continue) }
        guard
            let maxResource = history.resolve(
                options.maxResource, storedAs: SchedulerAttributeKey.hyperbandMaxResource, for: trial,
                derive: { $0 + 1 })
        else { return SchedulerOutcome(decision: .continue) }
        let layout = Layout(
            minResource: options.minResource, maxResource: maxResource.value, reductionFactor: options.reductionFactor)
        let bracket = layout.bracket(ofTrialNumber: trial.number, studyName: studyName)
        let ladder = SuccessiveHalving(
            minResource: options.minResource, reductionFactor: options.reductionFactor,
            minEarlyStoppingRate: bracket, bootstrapCount: options.bootstrapCount)
        let competitors = history.trials.filter {
            $0.number != trial.number && layout.bracket(ofTrialNumber: $0.number, studyName: studyName) == bracket
        }
        var outcome = ladder.decide(for: trial, competitors: competitors, direction: history.direction)
        outcome.systemAttributes.merge(maxResource.toStore) { current, _ in current }
        return outcome
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zlib and Python's `binascii.crc32`.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
        }
        return crc
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }
}
