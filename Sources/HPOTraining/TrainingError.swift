import Foundation

/// Why a trainer could not be built or could not finish a trial. A trainer that throws makes the trial FAIL with
/// the error's message, so every case reads as a sentence for the user.
public enum TrainingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A trainer option (or a parameter of the space the trainer reads) is missing, misspelt or out of range.
    /// `path` is the key path in the study file, such as `trainer.epochs` or `space.activation.choices[1]`.
    case invalidOption(path: String, message: String)
    /// A trial's assignment does not fit the trainer (a value outside what the trainer accepts).
    case invalidParameter(name: String, message: String)
    /// A data set could not be read; `source` is its name or path.
    case invalidData(source: String, message: String)
    /// Training produced a non-finite loss.
    case diverged(epoch: Int, detail: String)
    /// The runner asked the trial to stop (shutdown or timeout) before it finished.
    case cancelled

    public var description: String {
        switch self {
        case .invalidOption(let path, let message): return "\(path): \(message)"
        case .invalidParameter(let name, let message): return "parameter \(name): \(message)"
        case .invalidData(let source, let message): return "\(source): \(message)"
        case .diverged(let epoch, let detail): return "training diverged in epoch \(epoch): \(detail)"
        case .cancelled: return "the trial was cancelled before it finished"
        }
    }
}
