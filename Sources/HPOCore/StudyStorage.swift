import Foundation

/// A study as stored.
public struct StudyRecord: Sendable, Hashable {
    public var id: StudyID
    public var name: String
    public var direction: StudyDirection
    public var userAttributes: [String: JSONValue]
    public var systemAttributes: [String: JSONValue]

    public init(
        id: StudyID, name: String, direction: StudyDirection, userAttributes: [String: JSONValue] = [:],
        systemAttributes: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.name = name
        self.direction = direction
        self.userAttributes = userAttributes
        self.systemAttributes = systemAttributes
    }
}

/// The parameters and attributes a new trial starts with.
public struct NewTrial: Sendable, Hashable {
    public var state: TrialState
    public var params: [String: Double]
    public var distributions: [String: Distribution]
    public var userAttributes: [String: JSONValue]
    public var systemAttributes: [String: JSONValue]
    /// Intermediate values the trial starts with (a retry inherits those of the trial it retries).
    public var intermediateValues: [Int: Double] = [:]

    public init(
        state: TrialState = .running, params: [String: Double] = [:], distributions: [String: Distribution] = [:],
        userAttributes: [String: JSONValue] = [:], systemAttributes: [String: JSONValue] = [:]
    ) {
        self.state = state
        self.params = params
        self.distributions = distributions
        self.userAttributes = userAttributes
        self.systemAttributes = systemAttributes
    }
}

/// Where studies and trials live. Every method is one transaction; implementations are safe to call from any
/// thread, and (for files) from several processes at once.
///
/// Requirements:
/// - trial numbers are dense and unique within a study (the count of the study's earlier trials);
/// - `finishTrial` succeeds only on a RUNNING trial, and writes state, value and completion time together;
/// - a NaN value is never stored as a trial's value; ±infinity is.
public protocol StudyStorage: Sendable {
    /// Creates a study; fails with `StorageError.studyExists` when the name is taken.
    func createStudy(
        name: String, direction: StudyDirection, systemAttributes: [String: JSONValue]
    ) throws -> StudyRecord
    func study(named name: String) throws -> StudyRecord?
    func allStudies() throws -> [StudyRecord]
    func deleteStudy(_ study: StudyID) throws
    func setStudySystemAttribute(_ key: String, _ value: JSONValue, of study: StudyID) throws
    func setStudyUserAttribute(_ key: String, _ value: JSONValue, of study: StudyID) throws

    /// Creates a trial with the next number of the study, with its parameters and attributes, in one
    /// transaction. `datetime_start` is set for a RUNNING trial.
    func createTrial(in study: StudyID, _ trial: NewTrial) throws -> Trial
    /// Turns the oldest WAITING trial of the study into a RUNNING one (start time set), if there is one.
    func claimWaitingTrial(in study: StudyID) throws -> Trial?
    /// Starts a trial of the study in one transaction, within a budget: claims the oldest WAITING trial that may
    /// start, else creates `proposal` (as RUNNING). `proposal.systemAttributes` are written to whichever trial
    /// starts. With a `budget`, a trial that would make `budgetedTrialCount` exceed it is not started: a retry (a
    /// WAITING trial with the system attribute `failed_trial`) may always start, any other trial only below the
    /// budget. Returns nil when no trial may start.
    func startTrial(in study: StudyID, _ proposal: NewTrial, budget: Int?) throws -> Trial?
    /// How much of a study's `n_trials` budget is used: trials that are not WAITING, not counting retries (trials
    /// with the system attribute `failed_trial`), so a failed trial and its retries count once.
    func budgetedTrialCount(in study: StudyID) throws -> Int
    /// Fails a RUNNING trial and, in the same transaction, adds its retry (see `TrialFailure`).
    func failTrial(_ trial: TrialID, _ failure: TrialFailure) throws -> TrialFailure.Outcome
    /// Records an intermediate value and the scheduler's attributes together. Reporting a step twice keeps
    /// the first value (as Optuna does).
    func recordReport(
        step: Int, value: Double, systemAttributes: [String: JSONValue], of trial: TrialID
    ) throws
    func setTrialSystemAttributes(_ attributes: [String: JSONValue], of trial: TrialID) throws
    func setTrialUserAttributes(_ attributes: [String: JSONValue], of trial: TrialID) throws
    /// Finishes a RUNNING trial; `StorageError.trialNotRunning` otherwise.
    func finishTrial(
        _ trial: TrialID, state: TrialState, value: Double?, userAttributes: [String: JSONValue]
    ) throws
    /// Finishes a RUNNING trial and sets system attributes (for example a fail reason) in the same
    /// transaction, and returns the finished trial; `StorageError.trialNotRunning` otherwise. The default
    /// implementation (in `StudyStorage+Finish.swift`) uses two transactions; hpo's storages use one.
    func finishTrial(
        _ trial: TrialID, state: TrialState, value: Double?, userAttributes: [String: JSONValue],
        systemAttributes: [String: JSONValue]
    ) throws -> Trial
    func recordHeartbeat(of trial: TrialID) throws
    /// RUNNING trials of the study whose last heartbeat is older than `date`.
    func staleTrials(in study: StudyID, heartbeatBefore date: Date) throws -> [Trial]

    func trial(_ id: TrialID) throws -> Trial?
    func trial(number: Int, in study: StudyID) throws -> Trial?
    /// Trials of the study in number order, optionally only those in `states`.
    func trials(in study: StudyID, states: Set<TrialState>?) throws -> [Trial]
    /// Trials with an id above `id`, plus those listed in `refresh`: what a cache of the study needs to re-read.
    func trials(in study: StudyID, after id: TrialID, refreshing refresh: [TrialID]) throws -> [Trial]
    func countTrials(in study: StudyID, states: Set<TrialState>?) throws -> Int
    /// The best COMPLETE trial, ordered as Optuna orders it.
    func bestTrial(in study: StudyID) throws -> Trial?
}

/// Errors of a storage, with messages for the user.
public enum StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidURL(String)
    case studyExists(String)
    case studyNotFound(String)
    case trialNotFound(String)
    case trialNotRunning(number: Int, state: TrialState)
    case incompatibleSchema(String)
    case database(String)

    public var description: String {
        switch self {
        case .invalidURL(let message): return "invalid storage URL: \(message)"
        case .studyExists(let name): return "a study named '\(name)' already exists"
        case .studyNotFound(let name): return "no study named '\(name)' in the storage"
        case .trialNotFound(let what): return "no trial \(what)"
        case .trialNotRunning(let number, let state):
            return "trial \(number) is \(state.rawValue), not RUNNING: it cannot be changed"
        case .incompatibleSchema(let message): return "incompatible storage: \(message)"
        case .database(let message): return "storage error: \(message)"
        }
    }
}
