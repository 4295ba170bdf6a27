import Foundation
import HPOConfig
import HPOCore

/// A study as `GET /studies/{name}` shows it: definition, counts by state, best trial, progress and run state.
public struct StudyOverview: Sendable {
    public var record: StudyRecord
    /// Nil for a study stored by another program without an hpo definition.
    public var spec: StudySpec?
    public var counts: [TrialState: Int]
    public var best: Trial?
    /// How much of `budget.n_trials` is used (a failed trial and its retries count once).
    public var trialsCounted: Int
    /// Nil for a study the daemon has not loaded (no stored definition).
    public var run: RunState?

    /// The share of `budget.n_trials` used, in [0, 1]; nil without a trial budget.
    public var progress: Double? {
        guard let target = spec?.budget.nTrials, target > 0 else { return nil }
        return min(1, Double(trialsCounted) / Double(target))
    }
}

/// A page of a study's trials.
public struct TrialPage: Sendable {
    public var trials: [Trial]
    /// How many trials match the filter in all.
    public var total: Int
    public var offset: Int
    public var limit: Int
}

extension StudyManager {
    // MARK: Ask / report / tell

    /// Starts a trial of the study for a trainer outside the daemon, within the study's `budget.n_trials`
    /// (`RuntimeError.budgetUsed` beyond it). With `heartbeat`, the client promises heartbeats (reports count as
    /// heartbeats), and the trial is failed and re-queued once it falls silent past the study's grace period
    /// (`StudySession.failSilentRemoteTrials`).
    public func ask(_ name: String, heartbeat: Bool = false) async throws -> Trial {
        let attributes: [String: JSONValue] = heartbeat ? [StudySession.RemoteKey.heartbeat: .bool(true)] : [:]
        return try await using(name) { study in
            try await timedAsk(study.session, budget: study.spec.budget.nTrials, systemAttributes: attributes)
        }
    }

    /// Records a heartbeat of a RUNNING trial asked with heartbeats; `ManagerError.invalidState` for a trial asked
    /// without.
    public func heartbeat(_ name: String, trial number: Int) async throws {
        try await using(name) { study in try await heartbeat(study, trial: number) }
    }

    private func heartbeat(_ study: ManagedStudy, trial number: Int) async throws {
        let name = study.name
        let session = study.session
        try await blocking {
            let trial = try Self.runningTrial(number, of: session)
            guard StudySession.sendsHeartbeats(trial) else {
                throw ManagerError.invalidState(
                    "trial \(number) of study '\(name)' was asked without heartbeats: ask with {\"heartbeat\": true} to send them"
                )
            }
            try session.storage.recordHeartbeat(of: trial.id)
        }
    }

    /// Records an intermediate value of a RUNNING trial and returns the scheduler's decision.
    public func report(_ name: String, trial number: Int, step: Int, value: Double) async throws -> SchedulerDecision {
        guard step >= 0 else { throw ManagerError.invalidRequest("step must be an integer >= 0, got \(step)") }
        return try await using(name) { study in try await report(study, trial: number, step: step, value: value) }
    }

    private func report(
        _ study: ManagedStudy, trial number: Int, step: Int, value: Double
    ) async throws -> SchedulerDecision {
        let session = study.session
        return try await blocking {
            let trial = try Self.runningTrial(number, of: session)
            let decision = try session.report(trial: trial.id, step: step, value: value)
            // A report shows that the client of a trial asked with heartbeats is alive.
            if StudySession.sendsHeartbeats(trial) { try session.storage.recordHeartbeat(of: trial.id) }
            return decision
        }
    }

    /// Finishes a RUNNING trial; returns it as stored.
    public func tell(
        _ name: String, trial number: Int, state: TrialState, value: Double?,
        userAttributes: [String: JSONValue] = [:]
    ) async throws -> Trial {
        guard state.isFinished else {
            throw ManagerError.invalidRequest(RuntimeError.notAFinalState(state).description)
        }
        if state == .complete, value == nil {
            throw ManagerError.invalidRequest("a COMPLETE trial needs a value")
        }
        let finished = try await using(name) { study in
            try await tell(study, trial: number, state: state, value: value, userAttributes: userAttributes)
        }
        metrics.recordFinish(finished.state)
        return finished
    }

    private func tell(
        _ study: ManagedStudy, trial number: Int, state: TrialState, value: Double?,
        userAttributes: [String: JSONValue]
    ) async throws -> Trial {
        let session = study.session
        return try await blocking {
            let trial = try Self.runningTrial(number, of: session)
            let finished = try session.tell(
                trial: trial.id, state: state, value: value,
                failReason: state == .fail ? "reported as failed through tell" : nil, userAttributes: userAttributes)
            return try finished ?? session.storage.trial(trial.id) ?? trial
        }
    }

    static func runningTrial(_ number: Int, of session: StudySession) throws -> Trial {
        guard let trial = try session.storage.trial(number: number, in: session.study.id) else {
            throw ManagerError.trialNotFound(study: session.spec.name, number: number)
        }
        guard trial.state == .running else {
            throw ManagerError.trialNotRunning(study: session.spec.name, number: number, state: trial.state)
        }
        return trial
    }

    // MARK: Reading

    /// Every study of the storage, loaded or not, in name order.
    public func overviews() async throws -> [StudyOverview] {
        let records = try await blocking { [storage] in try storage.allStudies() }
        var result: [StudyOverview] = []
        for record in records.sorted(by: { $0.name < $1.name }) {
            result.append(try await overview(record: record))
        }
        return result
    }

    /// One study; `ManagerError.studyNotFound` when the storage has no study of that name.
    public func overview(of name: String) async throws -> StudyOverview {
        guard let record = try await blocking({ [storage] in try storage.study(named: name) }) else {
            throw ManagerError.studyNotFound(name)
        }
        return try await overview(record: record)
    }

    private func overview(record: StudyRecord) async throws -> StudyOverview {
        // A released study is read from storage, without loading it again.
        if let released = registry.withLock({ $0.released[record.name] }) {
            let storage = self.storage
            return try await blocking {
                var counts: [TrialState: Int] = [:]
                for state in TrialState.allCases {
                    counts[state] = try storage.countTrials(in: record.id, states: [state])
                }
                return StudyOverview(
                    record: record, spec: released.spec, counts: counts, best: try storage.bestTrial(in: record.id),
                    trialsCounted: try storage.budgetedTrialCount(in: record.id), run: released.run)
            }
        }
        let managed: ManagedStudy?
        if record.systemAttributes[StudyDefinitionKey.definition] != nil {
            managed = try? await study(named: record.name)
        } else {
            managed = nil
        }
        let storage = self.storage
        let overview = try await blocking {
            var counts: [TrialState: Int] = [:]
            let best: Trial?
            let counted: Int
            if let session = managed?.session {
                try session.refresh()
                counts = session.cache.countsByState
                best = session.cache.bestTrial
                counted = session.trialsCounted
            } else {
                for state in TrialState.allCases {
                    counts[state] = try storage.countTrials(in: record.id, states: [state])
                }
                best = try storage.bestTrial(in: record.id)
                counted = counts.filter { $0.key != .waiting }.values.reduce(0, +)
            }
            return StudyOverview(
                record: record, spec: managed?.spec, counts: counts, best: best, trialsCounted: counted,
                run: managed?.runState)
        }
        // A study loaded only to be read is released again when it is idle.
        if let managed { await releaseIfIdle(managed) }
        return overview
    }

    /// The study's trials in number order, optionally only those in `states`, from `offset`, at most `limit`.
    public func trials(
        of name: String, states: Set<TrialState>?, offset: Int, limit: Int
    ) async throws -> TrialPage {
        let storage = self.storage
        guard let record = try await blocking({ try storage.study(named: name) }) else {
            throw ManagerError.studyNotFound(name)
        }
        return try await blocking {
            let all = try storage.trials(in: record.id, states: states)
            let start = min(max(0, offset), all.count)
            let end = min(all.count, start + max(0, limit))
            return TrialPage(trials: Array(all[start..<end]), total: all.count, offset: start, limit: limit)
        }
    }

    /// One trial by number.
    public func trial(_ number: Int, of name: String) async throws -> Trial {
        let storage = self.storage
        guard let record = try await blocking({ try storage.study(named: name) }) else {
            throw ManagerError.studyNotFound(name)
        }
        guard let trial = try await blocking({ try storage.trial(number: number, in: record.id) }) else {
            throw ManagerError.trialNotFound(study: name, number: number)
        }
        return trial
    }

    /// The study's best COMPLETE trial, if any.
    public func best(of name: String) async throws -> Trial? {
        let storage = self.storage
        guard let record = try await blocking({ try storage.study(named: name) }) else {
            throw ManagerError.studyNotFound(name)
        }
        return try await blocking { try storage.bestTrial(in: record.id) }
    }
}
