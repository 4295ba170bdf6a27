import Foundation
import HPOCore
import Synchronization

/// A study storage in memory, with the same behaviour as `SQLiteStorage` (dense numbers, finish only once,
/// Optuna's best-trial order, times kept to the microsecond). For tests and throw-away studies.
public final class InMemoryStorage: StudyStorage {
    private struct State {
        var nextStudyID: StudyID = 1
        var nextTrialID: TrialID = 1
        var studies: [StudyID: StudyRecord] = [:]
        /// Each study's trial ids in creation order, which is number order.
        var trialIDs: [StudyID: [TrialID]] = [:]
        var trials: [TrialID: Trial] = [:]
        var heartbeats: [TrialID: Date] = [:]
        /// The study of each trial.
        var owners: [TrialID: StudyID] = [:]

        func study(_ id: StudyID) throws(StorageError) -> StudyRecord {
            guard let study = studies[id] else { throw StorageError.studyNotFound("with id \(id)") }
            return study
        }

        func trial(_ id: TrialID) throws(StorageError) -> Trial {
            guard let trial = trials[id] else { throw StorageError.trialNotFound("with id \(id)") }
            return trial
        }

        func trials(of study: StudyID) -> [Trial] {
            (trialIDs[study] ?? []).compactMap { trials[$0] }
        }

        func budgetedTrialCount(of study: StudyID) -> Int {
            trials(of: study).filter { $0.state != .waiting && $0.retriedTrialNumber == nil }.count
        }

        /// Adds a trial with the study's next number.
        mutating func insert(_ trial: NewTrial, in study: StudyID, at time: Date) throws(StorageError) -> Trial {
            try StorageRules.check(trial)
            _ = try self.study(study)
            let created = Trial(
                id: nextTrialID, number: trialIDs[study, default: []].count, state: trial.state,
                params: trial.params, distributions: trial.distributions.filter { trial.params[$0.key] != nil },
                intermediateValues: trial.intermediateValues, datetimeStart: trial.state == .waiting ? nil : time,
                datetimeComplete: trial.state.isFinished ? time : nil, userAttributes: trial.userAttributes,
                systemAttributes: trial.systemAttributes)
            nextTrialID += 1
            trials[created.id] = created
            trialIDs[study, default: []].append(created.id)
            owners[created.id] = study
            return created
        }
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    private func time() -> Date { OptunaDateTime.rounded(now()) }

    // MARK: Studies

    public func createStudy(
        name: String, direction: StudyDirection, systemAttributes: [String: JSONValue]
    ) throws -> StudyRecord {
        try state.withLock { state throws(StorageError) in
            if state.studies.values.contains(where: { $0.name == name }) { throw StorageError.studyExists(name) }
            let record = StudyRecord(
                id: state.nextStudyID, name: name, direction: direction, systemAttributes: systemAttributes)
            state.nextStudyID += 1
            state.studies[record.id] = record
            state.trialIDs[record.id] = []
            return record
        }
    }

    public func study(named name: String) throws -> StudyRecord? {
        state.withLock { state in state.studies.values.first { $0.name == name } }
    }

    public func allStudies() throws -> [StudyRecord] {
        state.withLock { state in state.studies.values.sorted { $0.id < $1.id } }
    }

    public func deleteStudy(_ study: StudyID) throws {
        try state.withLock { state throws(StorageError) in
            _ = try state.study(study)
            for id in state.trialIDs[study] ?? [] {
                state.trials[id] = nil
                state.heartbeats[id] = nil
                state.owners[id] = nil
            }
            state.trialIDs[study] = nil
            state.studies[study] = nil
        }
    }

    public func setStudySystemAttribute(_ key: String, _ value: JSONValue, of study: StudyID) throws {
        try state.withLock { state throws(StorageError) in
            _ = try state.study(study)
            state.studies[study]?.systemAttributes[key] = value
        }
    }

    public func setStudyUserAttribute(_ key: String, _ value: JSONValue, of study: StudyID) throws {
        try state.withLock { state throws(StorageError) in
            _ = try state.study(study)
            state.studies[study]?.userAttributes[key] = value
        }
    }

    // MARK: Writing trials

    public func createTrial(in study: StudyID, _ trial: NewTrial) throws -> Trial {
        let time = time()
        return try state.withLock { state throws(StorageError) in try state.insert(trial, in: study, at: time) }
    }

    public func startTrial(in study: StudyID, _ proposal: NewTrial, budget: Int?) throws -> Trial? {
        let time = time()
        return try state.withLock { state throws(StorageError) -> Trial? in
            _ = try state.study(study)
            let underBudget = budget.map { state.budgetedTrialCount(of: study) < $0 } ?? true
            let waiting = state.trials(of: study).first { trial in
                trial.state == .waiting && (underBudget || trial.retriedTrialNumber != nil)
            }
            if let id = waiting?.id {
                state.trials[id]?.state = .running
                state.trials[id]?.datetimeStart = time
                state.trials[id]?.systemAttributes.merge(proposal.systemAttributes) { _, new in new }
                return state.trials[id]
            }
            guard underBudget else { return nil }
            var running = proposal
            running.state = .running
            return try state.insert(running, in: study, at: time)
        }
    }

    public func budgetedTrialCount(in study: StudyID) throws -> Int {
        state.withLock { state in state.budgetedTrialCount(of: study) }
    }

    public func failTrial(_ trial: TrialID, _ failure: TrialFailure) throws -> TrialFailure.Outcome {
        let time = time()
        return try state.withLock { state throws(StorageError) -> TrialFailure.Outcome in
            let current = try state.trial(trial)
            guard current.state == .running, let study = state.owners[trial] else { return .notRunning }
            if let cutoff = failure.onlyIfHeartbeatBefore, let last = state.heartbeats[trial] ?? current.datetimeStart,
                last >= cutoff
            {
                return .alive
            }
            var failed = current
            failed.state = .fail
            failed.datetimeComplete = time
            failed.systemAttributes.merge(failure.systemAttributes) { _, new in new }
            failed.userAttributes.merge(failure.userAttributes) { _, new in new }
            state.trials[trial] = failed
            let retry = try failure.retry.map { retry throws(StorageError) in
                try state.insert(retry, in: study, at: time)
            }
            return .failed(retry: retry)
        }
    }

    public func claimWaitingTrial(in study: StudyID) throws -> Trial? {
        let time = time()
        return state.withLock { state in
            guard let id = state.trials(of: study).first(where: { $0.state == .waiting })?.id else { return nil }
            state.trials[id]?.state = .running
            state.trials[id]?.datetimeStart = time
            return state.trials[id]
        }
    }

    public func recordReport(
        step: Int, value: Double, systemAttributes: [String: JSONValue], of trial: TrialID
    ) throws {
        try state.withLock { state throws(StorageError) in
            let current = try state.trial(trial)
            if current.state.isFinished {
                throw StorageError.trialNotRunning(number: current.number, state: current.state)
            }
            if current.intermediateValues[step] == nil { state.trials[trial]?.intermediateValues[step] = value }
            state.trials[trial]?.systemAttributes.merge(systemAttributes) { _, new in new }
        }
    }

    public func setTrialSystemAttributes(_ attributes: [String: JSONValue], of trial: TrialID) throws {
        try state.withLock { state throws(StorageError) in
            _ = try state.trial(trial)
            state.trials[trial]?.systemAttributes.merge(attributes) { _, new in new }
        }
    }

    public func setTrialUserAttributes(_ attributes: [String: JSONValue], of trial: TrialID) throws {
        try state.withLock { state throws(StorageError) in
            _ = try state.trial(trial)
            state.trials[trial]?.userAttributes.merge(attributes) { _, new in new }
        }
    }

    public func finishTrial(
        _ trial: TrialID, state: TrialState, value: Double?, userAttributes: [String: JSONValue]
    ) throws {
        _ = try finishTrial(trial, state: state, value: value, userAttributes: userAttributes, systemAttributes: [:])
    }

    public func finishTrial(
        _ trial: TrialID, state newState: TrialState, value: Double?, userAttributes: [String: JSONValue],
        systemAttributes: [String: JSONValue]
    ) throws -> Trial {
        let time = time()
        return try state.withLock { state throws(StorageError) in
            let current = try state.trial(trial)
            guard current.state == .running else {
                throw StorageError.trialNotRunning(number: current.number, state: current.state)
            }
            try StorageRules.checkFinish(number: current.number, state: newState, value: value)
            var finished = current
            finished.state = newState
            finished.datetimeComplete = time
            if let value, !value.isNaN, newState != .fail { finished.value = value }
            finished.userAttributes.merge(userAttributes) { _, new in new }
            finished.systemAttributes.merge(systemAttributes) { _, new in new }
            state.trials[trial] = finished
            return finished
        }
    }

    public func recordHeartbeat(of trial: TrialID) throws {
        let time = time()
        try state.withLock { state throws(StorageError) in
            _ = try state.trial(trial)
            state.heartbeats[trial] = time
        }
    }

    // MARK: Reading trials

    public func staleTrials(in study: StudyID, heartbeatBefore date: Date) throws -> [Trial] {
        state.withLock { state in
            state.trials(of: study).filter { trial in
                guard trial.state == .running, let last = state.heartbeats[trial.id] ?? trial.datetimeStart else {
                    return false
                }
                return last < date
            }
        }
    }

    public func trial(_ id: TrialID) throws -> Trial? {
        state.withLock { state in state.trials[id] }
    }

    public func trial(number: Int, in study: StudyID) throws -> Trial? {
        state.withLock { state in
            guard let ids = state.trialIDs[study], ids.indices.contains(number) else { return nil }
            return state.trials[ids[number]]
        }
    }

    public func trials(in study: StudyID, states: Set<TrialState>?) throws -> [Trial] {
        state.withLock { state in
            let all = state.trials(of: study)
            guard let states else { return all }
            return all.filter { states.contains($0.state) }
        }
    }

    public func trials(in study: StudyID, after id: TrialID, refreshing refresh: [TrialID]) throws -> [Trial] {
        let wanted = Set(refresh)
        return state.withLock { state in
            state.trials(of: study).filter { $0.id > id || wanted.contains($0.id) }
        }
    }

    public func countTrials(in study: StudyID, states: Set<TrialState>?) throws -> Int {
        try trials(in: study, states: states).count
    }

    public func bestTrial(in study: StudyID) throws -> Trial? {
        state.withLock { state in
            guard let direction = state.studies[study]?.direction else { return nil }
            var best: Trial?
            for trial in state.trials(of: study) where trial.state == .complete {
                guard let value = trial.value else { continue }
                if let currentValue = best?.value, !direction.isBetter(value, than: currentValue) { continue }
                best = trial
            }
            return best
        }
    }
}
