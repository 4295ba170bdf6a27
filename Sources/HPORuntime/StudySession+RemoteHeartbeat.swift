import Foundation
import HPOCore

/// Heartbeats of trials asked from outside the process (the daemon's `POST /studies/{name}/ask`).
///
/// A client that asks with heartbeats promises to show it is alive: every report counts as a heartbeat, and between
/// reports it sends heartbeats at least every `retry.heartbeat_interval`. A RUNNING trial so marked whose last
/// heartbeat (or, without one, its start) is older than the study's `retry.grace_period` has lost its worker: it is
/// failed with a `fail_reason` and re-queued with the same parameters as the retry policy allows, as a lost trial
/// of `hpo run` is, so the next ask hands it to another client. Trials asked without heartbeats are never failed
/// for silence.
extension StudySession {
    public enum RemoteKey {
        /// System attribute of a trial whose client sends heartbeats (value `true`).
        public static let heartbeat = "hpo:remote_heartbeat"
    }

    /// Whether `trial` was asked by a client that sends heartbeats.
    public static func sendsHeartbeats(_ trial: Trial) -> Bool {
        trial.systemAttributes[RemoteKey.heartbeat] != nil
    }

    /// Fails the RUNNING trials asked with heartbeats whose last heartbeat is older than the grace period at
    /// `now`, each failure and its retry in one transaction that checks the heartbeat again (a trial that just
    /// sent one is left alone). Returns the trials failed.
    @discardableResult
    public func failSilentRemoteTrials(now: Date) throws -> [Trial] {
        let grace = spec.retry.gracePeriod
        let cutoff = now.addingTimeInterval(-grace)
        var failed: [Trial] = []
        for trial in try storage.staleTrials(in: study.id, heartbeatBefore: cutoff) where Self.sendsHeartbeats(trial) {
            let since = ISO8601DateFormatter().string(from: cutoff)
            let reason =
                "remote worker lost: no report or heartbeat since \(since) (grace period \(Self.seconds(grace)))"
            let failure = TrialFailure(
                systemAttributes: [Key.failReason: .string(reason)], retry: retryCopy(of: trial, counted: true),
                onlyIfHeartbeatBefore: cutoff)
            if case .failed = try storage.failTrial(trial.id, failure) { failed.append(trial) }
        }
        if !failed.isEmpty { try refresh() }
        return failed
    }
}
