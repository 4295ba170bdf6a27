import Foundation

/// How `StudyStorage.failTrial` fails a RUNNING trial: the attributes stored with the failure, an optional retry
/// added in the same transaction, and an optional staleness condition checked inside that transaction.
public struct TrialFailure: Sendable, Hashable {
    /// What `failTrial` did.
    public enum Outcome: Sendable, Hashable {
        /// The trial is now FAIL; `retry` is the WAITING trial added with it, if one was asked for.
        case failed(retry: Trial?)
        /// The trial is no longer RUNNING (another worker finished or failed it first): nothing was written.
        case notRunning
        /// The trial's heartbeat is newer than `onlyIfHeartbeatBefore`: its worker is alive, nothing was written.
        case alive
    }

    /// Written to the failed trial (for example `fail_reason`).
    public var systemAttributes: [String: JSONValue]
    public var userAttributes: [String: JSONValue]
    /// Added as a new trial (normally WAITING) in the same transaction as the failure.
    public var retry: NewTrial?
    /// When set, the trial is failed only if its last heartbeat (or, without one, its start) is older than this.
    public var onlyIfHeartbeatBefore: Date?

    public init(
        systemAttributes: [String: JSONValue] = [:], userAttributes: [String: JSONValue] = [:],
        retry: NewTrial? = nil, onlyIfHeartbeatBefore: Date? = nil
    ) {
        self.systemAttributes = systemAttributes
        self.userAttributes = userAttributes
        self.retry = retry
        self.onlyIfHeartbeatBefore = onlyIfHeartbeatBefore
    }
}

/// The system attributes with which a retried trial records its origin, as Optuna's
/// `RetryFailedTrialCallback` writes them.
public enum RetryAttribute {
    /// The number of the first trial of the chain of retries.
    public static let failedTrial = "failed_trial"
    /// The numbers of every earlier attempt, oldest first.
    public static let retryHistory = "retry_history"
}

extension Trial {
    /// The number of the trial this one retries (the first of its chain), if it is a retry.
    public var retriedTrialNumber: Int? {
        if case .integer(let number)? = systemAttributes[RetryAttribute.failedTrial] { return number }
        return nil
    }

    /// The numbers of the earlier attempts of this trial, oldest first (empty for a first attempt).
    public var retryHistory: [Int] {
        guard case .array(let items)? = systemAttributes[RetryAttribute.retryHistory] else { return [] }
        return items.compactMap { item in
            if case .integer(let number) = item { return number }
            return nil
        }
    }

    /// A WAITING copy of this trial to run again: the same parameters, distributions, user attributes and
    /// intermediate values, with `failed_trial` and `retry_history` naming its earlier attempts.
    /// `systemAttributes` are added to the copy (the retry policy's own bookkeeping).
    public func retryCopy(systemAttributes extra: [String: JSONValue] = [:]) -> NewTrial {
        var attributes = extra
        attributes[RetryAttribute.failedTrial] = .integer(retriedTrialNumber ?? number)
        attributes[RetryAttribute.retryHistory] = .array((retryHistory + [number]).map(JSONValue.integer))
        var copy = NewTrial(
            state: .waiting, params: params, distributions: distributions, userAttributes: userAttributes,
            systemAttributes: attributes)
        copy.intermediateValues = intermediateValues
        return copy
    }
}
