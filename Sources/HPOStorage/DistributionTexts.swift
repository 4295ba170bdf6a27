import HPOCore
import Synchronization

/// The Optuna JSON text of each numeric distribution a storage has written, made once: a study writes the same
/// few distributions with every trial, and formatting their numbers costs more than looking the text up.
///
/// Only distributions whose equal values have one text are kept: float and int domains without a negative zero
/// (`-0.0 == 0.0`, but the texts differ). Categorical ones are formatted each time, since equal strings may differ
/// in their bytes (canonical equivalence).
final class DistributionTexts: Sendable {
    private let texts = Mutex<[Distribution: String]>([:])

    /// `distribution.optunaJSON`, remembered when that is exact.
    func json(_ distribution: Distribution) -> String {
        switch distribution {
        case .float(let domain):
            func negativeZero(_ value: Double) -> Bool { value == 0 && value.sign == .minus }
            if negativeZero(domain.low) || negativeZero(domain.high) || domain.step.map(negativeZero) == true {
                return distribution.optunaJSON
            }
        case .int:
            break
        case .categorical:
            return distribution.optunaJSON
        }
        if let known = texts.withLock({ $0[distribution] }) { return known }
        let text = distribution.optunaJSON
        texts.withLock { texts in
            // A storage that sees many different distributions (many studies, changing spaces) keeps at most a few
            // thousand texts.
            if texts.count >= 4096 { texts.removeAll() }
            texts[distribution] = text
        }
        return text
    }
}
