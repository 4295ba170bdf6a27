import Foundation
import HPOCore

extension StudySession {
    /// System attribute keys of trials run by `hpo run`.
    public enum RunKey {
        /// The process running the trial (`WorkerIdentity.json`); only trials with it are ever taken as lost.
        public static let worker = "hpo:worker"
        /// How many failures of the trial's chain of retries counted against `retry.max_retries`.
        public static let retries = "hpo:retries"
    }

    /// A WAITING copy of `trial` to run again, or nil when the study's retry policy allows no further attempt.
    /// A `counted` failure (a lost worker, a trainer error) uses one of `max_retries`; an interruption does not.
    func retryCopy(of trial: Trial, counted: Bool) -> NewTrial? {
        var used = 0
        if case .integer(let stored)? = trial.systemAttributes[RunKey.retries] { used = stored }
        if counted, used >= spec.retry.maxRetries { return nil }
        return trial.retryCopy(systemAttributes: [RunKey.retries: .integer(counted ? used + 1 : used)])
    }

    /// Starts the next trial of a run, in one transaction: a WAITING trial (retries first in line), else the
    /// sampler's proposal; nil once the study's `budget` (its `n_trials`) is used, counted across every process.
    ///
    /// `settle` is called after the proposal and before anything is read or written: it waits for a finish this
    /// session deferred (see `finish`) to commit, and returns false when that finish failed. The cache had the
    /// finished trial already, so the proposal saw it; after a failed finish the study is read again from storage
    /// (`reloadAfterFailedFinish`) and the proposal made anew.
    func startTrial(
        budget: Int?, worker: WorkerIdentity, ownTrials: Set<TrialID>, settle: () -> Bool = { true }
    ) throws -> Trial? {
        if let checked = storage as? any CheckedStarting {
            // Propose from the cache and let the start transaction check that the study is as the cache has it:
            // one transaction. When it is not (another process started or changed a trial), the changed trials go
            // into the cache and the trial is started as below.
            switch try startChecked(checked, budget: budget, worker: worker, ownTrials: ownTrials, settle: settle) {
            case .started(let trial):
                cache.update([trial])
                return trial
            case .budgetUsed:
                return nil
            case .changed(let trials):
                cache.update(trials)
            case nil:
                break
            }
        }
        if !settle() { try reloadAfterFailedFinish() }
        try refresh()
        let unfinished = cache.unfinishedTrials
        let waitingRetry = unfinished.contains { $0.state == .waiting && $0.retriedTrialNumber != nil }
        // The count only grows, so a full budget seen in a fresh read stays full: no write is needed to know it.
        if let budget, trialsCounted >= budget, !waitingRetry { return nil }
        let proposal = try runProposal(worker: worker, ownTrials: ownTrials, unfinished: unfinished)
        guard let trial = try storage.startTrial(in: study.id, proposal, budget: budget) else { return nil }
        cache.update([trial])
        return trial
    }

    /// A start checked against the cache (see `CheckedStarting`), or nil when the cache alone cannot tell that the
    /// budget is used (a retry may be waiting that only a refresh would show), or when `settle` reports a failed
    /// finish (the proposal saw a history that storage does not have).
    private func startChecked(
        _ storage: any CheckedStarting, budget: Int?, worker: WorkerIdentity, ownTrials: Set<TrialID>,
        settle: () -> Bool
    ) throws -> CheckedStart? {
        if let budget, trialsCounted >= budget { return nil }
        let unfinished = cache.unfinishedTrials
        let newest = cache.newestID
        let proposal = try runProposal(worker: worker, ownTrials: ownTrials, unfinished: unfinished)
        guard settle() else {
            try reloadAfterFailedFinish()
            return nil
        }
        return try storage.startTrial(
            in: study.id, proposal, budget: budget, newestKnown: newest, unfinished: unfinished)
    }

    /// The sampler's proposal for a run's next trial, with this worker's identity. Salted when other processes
    /// have trials running, so that processes proposing from the same history propose differently.
    private func runProposal(worker: WorkerIdentity, ownTrials: Set<TrialID>, unfinished: [Trial]) throws -> NewTrial {
        let otherWorkers = unfinished.contains { trial in
            trial.state == .running && !ownTrials.contains(trial.id)
                && WorkerIdentity(json: trial.systemAttributes[RunKey.worker]) != nil
        }
        var proposal = try propose(salt: otherWorkers ? worker.salt : 0)
        proposal.systemAttributes[RunKey.worker] = worker.json
        return proposal
    }

    /// RUNNING trials started by `hpo run` processes, other than `ownTrials` (the caller's).
    func otherWorkersTrials(excluding ownTrials: Set<TrialID>) -> [Trial] {
        cache.unfinishedTrials.filter { trial in
            trial.state == .running && !ownTrials.contains(trial.id)
                && WorkerIdentity(json: trial.systemAttributes[RunKey.worker]) != nil
        }
    }

    /// Fails the trials whose worker is lost and re-queues them as the retry policy allows, each failure and its
    /// retry in one transaction. A trial is lost when its worker ran on this host and its process is gone, or when
    /// its heartbeat is older than the grace period at `now` (checked again inside the transaction, so a trial whose
    /// worker just wrote a heartbeat is left alone). Only trials started by `hpo run` (with a worker attribute) are
    /// considered, never `ownTrials`; when several processes recover at once, each trial is failed by one of them.
    /// Returns the trials failed here.
    @discardableResult
    public func recoverLostTrials(now: Date, worker: WorkerIdentity, ownTrials: Set<TrialID> = []) throws -> [Trial] {
        try refresh()
        let cutoff = now.addingTimeInterval(-spec.retry.gracePeriod)
        var candidates: [TrialID: (trial: Trial, reason: String, cutoff: Date?)] = [:]
        for trial in otherWorkersTrials(excluding: ownTrials) {
            guard let owner = WorkerIdentity(json: trial.systemAttributes[RunKey.worker]) else { continue }
            if owner.isGone(onHost: WorkerIdentity.localHostName) {
                candidates[trial.id] = (trial, "worker lost: process \(owner.pid) on \(owner.host) has exited", nil)
            }
        }
        let stale = try storage.staleTrials(in: study.id, heartbeatBefore: cutoff)
        for trial in stale where candidates[trial.id] == nil && !ownTrials.contains(trial.id) {
            guard WorkerIdentity(json: trial.systemAttributes[RunKey.worker]) != nil else { continue }
            let since = ISO8601DateFormatter().string(from: cutoff)
            let reason =
                "worker lost: no heartbeat since \(since) (grace period \(Self.seconds(spec.retry.gracePeriod)))"
            candidates[trial.id] = (trial, reason, cutoff)
        }
        var failed: [Trial] = []
        for candidate in candidates.values.sorted(by: { $0.trial.number < $1.trial.number }) {
            // The latest stored state of the trial, so that its retry inherits every reported value.
            let trial = try storage.trial(candidate.trial.id) ?? candidate.trial
            let failure = TrialFailure(
                systemAttributes: [Key.failReason: .string(candidate.reason)],
                retry: retryCopy(of: trial, counted: true), onlyIfHeartbeatBefore: candidate.cutoff)
            if case .failed = try storage.failTrial(trial.id, failure) { failed.append(trial) }
        }
        if !failed.isEmpty { try refresh() }
        return failed
    }

    /// Fails a trial of this process that was interrupted (shutdown) and re-queues it without using a retry.
    func requeueInterrupted(_ trial: Trial, userAttributes: [String: JSONValue]) throws {
        let latest = try storage.trial(trial.id) ?? trial
        let failure = TrialFailure(
            systemAttributes: [Key.failReason: .string("interrupted: re-queued to run again")],
            userAttributes: userAttributes, retry: retryCopy(of: latest, counted: false))
        _ = try storage.failTrial(trial.id, failure)
        try refresh()
    }

    /// How long the study has had at least one trial running (the union of its trials' running intervals), up
    /// to `now`: what `timeout_scope: study` measures. A study with that scope keeps every trial's times in its
    /// cache (`TrialRetention`); any other reads them from storage (the cache as a fallback).
    public func runningTime(now: Date) -> TimeInterval {
        let trials =
            cache.retention.keepsEveryRow
            ? cache.history.trials : (try? storage.trials(in: study.id, states: nil)) ?? cache.history.trials
        let intervals = trials.compactMap { trial -> (Date, Date)? in
            guard let start = trial.datetimeStart else { return nil }
            let end = trial.datetimeComplete ?? (trial.state == .running ? now : start)
            return (start, max(start, end))
        }
        .sorted { $0.0 < $1.0 }
        var total: TimeInterval = 0
        var current: (Date, Date)?
        for interval in intervals {
            if let open = current, interval.0 <= open.1 {
                current = (open.0, max(open.1, interval.1))
            } else {
                if let open = current { total += open.1.timeIntervalSince(open.0) }
                current = interval
            }
        }
        if let open = current { total += open.1.timeIntervalSince(open.0) }
        return total
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }
}
