import Foundation

/// `retry:` of a study: how running trials prove they are alive, and which failed trials run again.
///
/// While `hpo run` trains a trial it writes the trial's heartbeat every `heartbeatInterval` seconds. A RUNNING
/// trial whose heartbeat is older than `gracePeriod` (or whose worker process is gone from this host) has lost its
/// worker: it is failed and, within `maxRetries`, re-queued as a WAITING copy with the same parameters.
public struct RetryPolicy: Sendable, Hashable {
    /// How many times one trial is run again after failures that count (a lost worker; a trainer error when
    /// `retryTrainerFailures`). Interrupted trials (Ctrl-C) are re-queued without counting.
    public var maxRetries: Int
    /// Whether a trial whose trainer threw (or returned a non-finite value) is retried too.
    public var retryTrainerFailures: Bool
    /// Seconds between heartbeats of a running trial.
    public var heartbeatInterval: Double
    /// Seconds without a heartbeat after which a running trial's worker is taken as lost.
    public var gracePeriod: Double

    public init(
        maxRetries: Int = 2, retryTrainerFailures: Bool = false, heartbeatInterval: Double = 5, gracePeriod: Double = 30
    ) {
        self.maxRetries = maxRetries
        self.retryTrainerFailures = retryTrainerFailures
        self.heartbeatInterval = heartbeatInterval
        self.gracePeriod = gracePeriod
    }
}

/// What `budget.timeout` limits.
public enum TimeoutScope: String, Sendable, Hashable, CaseIterable {
    /// Each invocation of `hpo run` / `hpo resume` stops starting trials after `timeout` seconds.
    case run
    /// The study as a whole: the time during which any of its trials was running, summed over every run, so a
    /// continued study gets the remaining time.
    case study
}
