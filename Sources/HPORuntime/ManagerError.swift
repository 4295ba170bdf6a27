import HPOCore

/// Errors of the study manager (the daemon's runtime), with messages for the user.
public enum ManagerError: Error, Sendable, Hashable, CustomStringConvertible {
    case studyNotFound(String)
    case trialNotFound(study: String, number: Int)
    /// The trial is finished (or waiting): it cannot be reported on or told again.
    case trialNotRunning(study: String, number: Int, state: TrialState)
    /// The study was stored without the definition the daemon needs to run it (created by another program).
    case noStoredDefinition(String)
    case invalidRequest(String)
    /// The request does not fit the study's state (pausing a stopped study, submitting one twice at once).
    case invalidState(String)
    case shuttingDown

    public var description: String {
        switch self {
        case .studyNotFound(let name): return "no study named '\(name)'"
        case .trialNotFound(let study, let number): return "study '\(study)' has no trial \(number)"
        case .trialNotRunning(let study, let number, let state):
            return "trial \(number) of study '\(study)' is \(state.rawValue), not RUNNING: it cannot be changed"
        case .noStoredDefinition(let name):
            return "study '\(name)' has no stored hpo definition (created by another program): it can only be read"
        case .invalidRequest(let message), .invalidState(let message): return message
        case .shuttingDown: return "the daemon is shutting down"
        }
    }
}
