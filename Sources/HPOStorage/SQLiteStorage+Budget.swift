import Foundation
import GRDB
import HPOCore

extension SQLiteStorage {
    // MARK: Starting trials within a budget, failing with a retry

    public func startTrial(in study: StudyID, _ proposal: NewTrial, budget: Int?) throws -> Trial? {
        let time = OptunaDateTime.rounded(now())
        return try write { db in
            try start(in: study, proposal, budget: budget, at: time, Self.startState(in: study, newerThan: nil, db), db)
        }
    }

    public func startTrial(
        in study: StudyID, _ proposal: NewTrial, budget: Int?, newestKnown: TrialID, unfinished: [Trial]
    ) throws -> CheckedStart {
        let time = OptunaDateTime.rounded(now())
        return try write { db in
            let state = try Self.startState(in: study, newerThan: newestKnown, db)
            // Without unfinished trials known, only a newer trial can make the cache differ from storage.
            if state.hasNewerTrial || !unfinished.isEmpty {
                let read = try Self.loadTrials(db, .studyAndIDs(study, after: newestKnown, ids: unfinished.map(\.id)))
                if !read.isEmpty {
                    let known = Dictionary(unfinished.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
                    let changed = read.filter { known[$0.id] != $0 }
                    if !changed.isEmpty { return .changed(changed) }
                }
            }
            return try start(in: study, proposal, budget: budget, at: time, state, db).map(CheckedStart.started)
                ?? .budgetUsed
        }
    }

    /// The start transaction's writes, after `state` was read in it: claims the oldest WAITING trial that may
    /// start, else inserts `proposal`.
    private func start(
        in study: StudyID, _ proposal: NewTrial, budget: Int?, at time: Date, _ state: StartState, _ db: Database
    ) throws -> Trial? {
        let underBudget = budget.map { state.budgetUsed < $0 } ?? true
        if let waiting = state.waitingToStart(underBudget: underBudget) {
            try db.cachedStatement(
                sql: "UPDATE trials SET state = 'RUNNING', datetime_start = ? WHERE trial_id = ?"
            ).execute(arguments: [OptunaDateTime.format(time), waiting])
            try Self.upsert(proposal.systemAttributes, into: .trialSystem, owner: waiting, db)
            return try Self.loadTrials(db, .id(waiting)).first
        }
        guard underBudget else { return nil }
        var running = proposal
        running.state = .running
        return try Self.insertTrial(
            running, in: study, at: time, number: state.number, texts: distributionTexts, db)
    }

    public func budgetedTrialCount(in study: StudyID) throws -> Int {
        try read { db in try Self.budgetedTrialCount(in: study, db) }
    }

    /// The budget used, from `trials`, the number of the study's trials (`nextTrialNumber`, found without a
    /// scan): that count less the WAITING trials (through the study's state index) and the retries that are not
    /// WAITING (through the attribute-key index). Nothing here grows with the number of finished trials.
    static func budgetedTrialCount(in study: StudyID, trials: Int, _ db: Database) throws -> Int {
        let uncounted =
            try Int.fetchOne(
                db.cachedStatement(
                    sql: "SELECT (SELECT COUNT(*) FROM trials WHERE study_id = ? AND state = 'WAITING') + "
                        + "(SELECT COUNT(*) FROM trial_system_attributes a JOIN trials t ON t.trial_id = a.trial_id "
                        + "WHERE a.\"key\" = 'failed_trial' AND +t.study_id = ? AND +t.state != 'WAITING')"),
                arguments: [study, study]) ?? 0
        return trials - uncounted
    }

    static func budgetedTrialCount(in study: StudyID, _ db: Database) throws -> Int {
        try budgetedTrialCount(in: study, trials: nextTrialNumber(in: study, db), db)
    }

    public func failTrial(_ trial: TrialID, _ failure: TrialFailure) throws -> TrialFailure.Outcome {
        let time = OptunaDateTime.rounded(now())
        return try write { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT t.state, t.study_id, t.datetime_start, h.heartbeat FROM trials t "
                            + "LEFT JOIN trial_heartbeats h ON h.trial_id = t.trial_id WHERE t.trial_id = ?"),
                    arguments: [trial])
            else { throw StorageError.trialNotFound("with id \(trial)") }
            let state: String? = row[0]
            guard state == TrialState.running.rawValue, let study: Int64 = row[1] else { return .notRunning }
            if let cutoff = failure.onlyIfHeartbeatBefore {
                let start: String? = row[2]
                let heartbeat: String? = row[3]
                if let last = (heartbeat ?? start).flatMap(OptunaDateTime.parse), last >= cutoff { return .alive }
            }
            try db.cachedStatement(
                sql: "UPDATE trials SET state = 'FAIL', datetime_complete = ? WHERE trial_id = ?"
            ).execute(arguments: [OptunaDateTime.format(time), trial])
            try Self.upsert(failure.systemAttributes, into: .trialSystem, owner: trial, db)
            try Self.upsert(failure.userAttributes, into: .trialUser, owner: trial, db)
            let retry = try failure.retry.map {
                try Self.insertTrial($0, in: study, at: time, texts: distributionTexts, db)
            }
            return .failed(retry: retry)
        }
    }
}
