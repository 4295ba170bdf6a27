import GRDB
import HPOCore

extension SQLiteStorage {
    /// What a start transaction reads before it writes, read with one statement: the study's checks, the next
    /// trial number, the budget used, the WAITING trials that may start, and whether the study has a trial newer
    /// than the one a caller's cache knows.
    struct StartState {
        /// The next trial number (`nextTrialNumber`).
        var number: Int
        /// Trials that do not count towards the budget: WAITING ones and retries that are not WAITING (see
        /// `budgetedTrialCount(in:trials:_:)`).
        var uncounted: Int
        /// The oldest WAITING trial, and the oldest WAITING retry of a failed trial.
        var oldestWaiting: TrialID?
        var oldestWaitingRetry: TrialID?
        /// Whether the study has a trial with an id above the one asked about.
        var hasNewerTrial: Bool

        /// The budget used (`budgetedTrialCount`).
        var budgetUsed: Int { number - uncounted }

        /// The WAITING trial to start: the oldest one below the budget, else the oldest retry (a retry may always
        /// start).
        func waitingToStart(underBudget: Bool) -> TrialID? {
            underBudget ? oldestWaiting : oldestWaitingRetry
        }
    }

    /// Reads the `StartState` of `study` (checked as `requireSingleObjectiveStudy` checks it), with
    /// `hasNewerTrial` about trials whose id is above `newerThan`. Each part goes through the same index as the
    /// separate look-ups would.
    static func startState(in study: StudyID, newerThan: TrialID?, _ db: Database) throws -> StartState {
        let waiting = "FROM trials t WHERE t.study_id = s.study_id AND t.state = 'WAITING'"
        let isRetry =
            "SELECT 1 FROM trial_system_attributes a WHERE a.trial_id = t.trial_id AND a.\"key\" = 'failed_trial'"
        let sql =
            "SELECT s.study_name, (SELECT COUNT(*) FROM study_directions d WHERE d.study_id = s.study_id), "
            // The last trial's number, -1 when it has none (then they are counted), NULL without trials.
            + "(SELECT COALESCE(t.number, -1) FROM trials t WHERE t.study_id = s.study_id "
            + "ORDER BY t.trial_id DESC LIMIT 1), "
            + "(SELECT COUNT(*) \(waiting)) + (SELECT COUNT(*) FROM trial_system_attributes a JOIN trials t "
            + "ON t.trial_id = a.trial_id WHERE a.\"key\" = 'failed_trial' AND +t.study_id = s.study_id "
            + "AND +t.state != 'WAITING'), "
            + "(SELECT t.trial_id \(waiting) ORDER BY t.trial_id LIMIT 1), "
            + "(SELECT t.trial_id \(waiting) AND EXISTS (\(isRetry)) ORDER BY t.trial_id LIMIT 1), "
            + "EXISTS (SELECT 1 FROM trials t WHERE t.study_id = s.study_id AND t.trial_id > ?) "
            + "FROM studies s WHERE s.study_id = ?"
        let query = try DirectStatement(db, sql: sql)
        try query.bind(newerThan ?? Int64.max, at: 1)
        try query.bind(study, at: 2)
        let read = try query.firstRow { row in
            (
                name: row.string(0) ?? "", objectives: row.int(1) ?? 0, last: row.int(2), uncounted: row.int(3) ?? 0,
                oldestWaiting: row.int64(4), oldestWaitingRetry: row.int64(5), hasNewerTrial: (row.int(6) ?? 0) != 0
            )
        }
        guard let read else { throw StorageError.studyNotFound("with id \(study)") }
        try checkSingleObjective(name: read.name, objectives: read.objectives)
        let last = read.last
        var number = 0
        if let last, last >= 0 {
            number = last + 1
        } else if last != nil {
            number =
                try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT COUNT(*) FROM trials WHERE study_id = ?"), arguments: [study]) ?? 0
        }
        return StartState(
            number: number, uncounted: read.uncounted, oldestWaiting: read.oldestWaiting,
            oldestWaitingRetry: read.oldestWaitingRetry, hasNewerTrial: read.hasNewerTrial)
    }
}
