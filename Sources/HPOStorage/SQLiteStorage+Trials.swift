import Foundation
import GRDB
import HPOCore

extension SQLiteStorage {
    // MARK: Writing trials

    public func createTrial(in study: StudyID, _ trial: NewTrial) throws -> Trial {
        let time = OptunaDateTime.rounded(now())
        return try write { db in try Self.insertTrial(trial, in: study, at: time, texts: distributionTexts, db) }
    }

    /// Inserts a trial with the next number of the study, its parameters, intermediate values and attributes.
    /// `number` is the study's next trial number when the caller has looked it up in this transaction (after
    /// checking the study with `requireSingleObjectiveStudy`). `texts` remembers the distributions' JSON text.
    static func insertTrial(
        _ trial: NewTrial, in study: StudyID, at time: Date, number known: Int? = nil, texts: DistributionTexts,
        _ db: Database
    ) throws -> Trial {
        try StorageRules.check(trial)
        let number: Int
        if let known {
            number = known
        } else {
            try Self.requireSingleObjectiveStudy(study, db)
            number = try Self.nextTrialNumber(in: study, db)
        }
        let start = trial.state == .waiting ? nil : time
        let complete = trial.state.isFinished ? time : nil
        let insert = try DirectStatement(
            db,
            sql: "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
                + "VALUES (?, ?, ?, ?, ?)")
        try insert.bind(number, at: 1)
        try insert.bind(study, at: 2)
        try insert.bind(trial.state.rawValue, at: 3)
        try insert.bind(start.map(OptunaDateTime.format), at: 4)
        try insert.bind(complete.map(OptunaDateTime.format), at: 5)
        try insert.run()
        let id = db.lastInsertedRowID
        try insertParams(trial, of: id, texts: texts, db)
        try Self.upsert(trial.userAttributes, into: .trialUser, owner: id, db)
        try Self.upsert(trial.systemAttributes, into: .trialSystem, owner: id, db)
        let insertValue = try db.cachedStatement(
            sql: "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, "
                + "intermediate_value_type) VALUES (?, ?, ?, ?)")
        for step in trial.intermediateValues.keys.sorted() {
            let (stored, type) = StoredValueType.encode(trial.intermediateValues[step] ?? .nan)
            try insertValue.execute(arguments: [id, step, stored, type.rawValue])
        }
        return Trial(
            id: id, number: number, state: trial.state, params: trial.params,
            distributions: trial.distributions.filter { trial.params[$0.key] != nil },
            intermediateValues: trial.intermediateValues, datetimeStart: start, datetimeComplete: complete,
            userAttributes: trial.userAttributes, systemAttributes: trial.systemAttributes)
    }

    /// The trial's parameter rows, in name order, with one statement per `paramRowsPerStatement` rows (a row per
    /// statement costs SQLite a statement's setup per parameter).
    private static func insertParams(_ trial: NewTrial, of id: TrialID, texts: DistributionTexts, _ db: Database)
        throws
    {
        var rows: [(name: String, value: Double, distribution: Distribution)] = []
        rows.reserveCapacity(trial.params.count)
        for name in trial.params.keys.sorted() {
            guard let value = trial.params[name], let distribution = trial.distributions[name] else { continue }
            rows.append((name, value, distribution))
        }
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + paramRowsPerStatement)
            let insert = try DirectStatement(db, sql: paramInsertTexts[end - start])
            var index: Int32 = 1
            for row in rows[start..<end] {
                try insert.bind(id, at: index)
                try insert.bind(row.name, at: index + 1)
                try insert.bind(row.value, at: index + 2)
                try insert.bind(texts.json(row.distribution), at: index + 3)
                index += 4
            }
            try insert.run()
            start = end
        }
    }

    static let paramRowsPerStatement = 32

    /// `INSERT INTO trial_params ...` of 0 to `paramRowsPerStatement` rows (the first is unused).
    static let paramInsertTexts: [String] = (0...paramRowsPerStatement).map { count in
        "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES "
            + Array(repeating: "(?, ?, ?, ?)", count: count).joined(separator: ", ")
    }

    public func claimWaitingTrial(in study: StudyID) throws -> Trial? {
        let time = OptunaDateTime.format(now())
        return try write { db in
            let waiting = try Int64.fetchOne(
                db.cachedStatement(
                    sql:
                        "SELECT trial_id FROM trials WHERE study_id = ? AND state = 'WAITING' ORDER BY trial_id LIMIT 1"
                ), arguments: [study])
            guard let waiting else { return nil }
            try db.cachedStatement(
                sql: "UPDATE trials SET state = 'RUNNING', datetime_start = ? WHERE trial_id = ? AND state = 'WAITING'"
            ).execute(arguments: [time, waiting])
            return try Self.loadTrials(db, TrialFilter.id(waiting)).first
        }
    }

    public func recordReport(
        step: Int, value: Double, systemAttributes: [String: JSONValue], of trial: TrialID
    ) throws {
        try write { db in
            try Self.requireUnfinished(trial, db)
            let (stored, type) = StoredValueType.encode(value)
            try db.cachedStatement(
                sql: "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, "
                    + "intermediate_value_type) VALUES (?, ?, ?, ?) ON CONFLICT (trial_id, step) DO NOTHING"
            ).execute(arguments: [trial, step, stored, type.rawValue])
            try Self.upsert(systemAttributes, into: .trialSystem, owner: trial, db)
        }
    }

    public func setTrialSystemAttributes(_ attributes: [String: JSONValue], of trial: TrialID) throws {
        try write { db in
            _ = try Self.trialState(trial, db)
            try Self.upsert(attributes, into: .trialSystem, owner: trial, db)
        }
    }

    public func setTrialUserAttributes(_ attributes: [String: JSONValue], of trial: TrialID) throws {
        try write { db in
            _ = try Self.trialState(trial, db)
            try Self.upsert(attributes, into: .trialUser, owner: trial, db)
        }
    }

    public func finishTrial(
        _ trial: TrialID, state: TrialState, value: Double?, userAttributes: [String: JSONValue]
    ) throws {
        _ = try finish(trial, state: state, value: value, userAttributes: userAttributes, systemAttributes: [:])
    }

    public func finishTrial(
        _ trial: TrialID, state: TrialState, value: Double?, userAttributes: [String: JSONValue],
        systemAttributes: [String: JSONValue]
    ) throws -> Trial {
        let finished = try finish(
            trial, state: state, value: value, userAttributes: userAttributes, systemAttributes: systemAttributes,
            returning: true)
        guard let finished else { throw StorageError.trialNotFound("with id \(trial)") }
        return finished
    }

    /// One transaction: state, completion time, value, attributes; then, when asked, the trial as stored.
    private func finish(
        _ trial: TrialID, state: TrialState, value: Double?, userAttributes: [String: JSONValue],
        systemAttributes: [String: JSONValue], returning: Bool = false
    ) throws -> Trial? {
        try finish(
            trial, state: state, value: value, userAttributes: userAttributes, systemAttributes: systemAttributes,
            at: OptunaDateTime.format(now()), readBack: returning)
    }

    /// The finish transaction itself, at the stored completion time `time`. With the trial's `number` known (a
    /// held trial) and the final state valid, the update itself checks that the trial is RUNNING (it changes no row
    /// otherwise), so the transaction reads nothing first.
    private func finish(
        _ trial: TrialID, number known: Int? = nil, state: TrialState, value: Double?,
        userAttributes: [String: JSONValue], systemAttributes: [String: JSONValue], at time: String, readBack: Bool
    ) throws -> Trial? {
        let valid = known.map { number in
            (try? StorageRules.checkFinish(number: number, state: state, value: value)) != nil
        }
        return try write { db in
            let update = try DirectStatement(
                db, sql: "UPDATE trials SET state = ?, datetime_complete = ? WHERE trial_id = ? AND state = 'RUNNING'")
            try update.bind(state.rawValue, at: 1)
            try update.bind(time, at: 2)
            try update.bind(trial, at: 3)
            if valid == true {
                try update.run()
                if db.changesCount == 0 {
                    let (current, number) = try Self.trialState(trial, db)
                    throw StorageError.trialNotRunning(number: number, state: current)
                }
            } else {
                let (current, number) = try Self.trialState(trial, db)
                guard current == .running else { throw StorageError.trialNotRunning(number: number, state: current) }
                try StorageRules.checkFinish(number: number, state: state, value: value)
                try update.run()
            }
            // A FAIL trial has no value row (as in Optuna); a PRUNED one keeps its value.
            if let value, !value.isNaN, state != .fail {
                let (stored, type) = StoredValueType.encode(value)
                let insert = try DirectStatement(
                    db,
                    sql: "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, 0, ?, ?) "
                        + "ON CONFLICT (trial_id, objective) DO UPDATE SET value = excluded.value, "
                        + "value_type = excluded.value_type")
                try insert.bind(trial, at: 1)
                try insert.bind(stored, at: 2)
                try insert.bind(type.rawValue, at: 3)
                try insert.run()
            }
            try Self.upsert(userAttributes, into: .trialUser, owner: trial, db)
            try Self.upsert(systemAttributes, into: .trialSystem, owner: trial, db)
            return readBack ? try Self.loadTrials(db, .id(trial)).first : nil
        }
    }

    public func finishTrial(
        held: Trial, state: TrialState, value: Double?, userAttributes: [String: JSONValue],
        systemAttributes: [String: JSONValue]
    ) throws -> Trial {
        let prepared = prepareFinish(
            held: held, state: state, value: value, userAttributes: userAttributes, systemAttributes: systemAttributes)
        try prepared.commit()
        return prepared.trial
    }

    public func prepareFinish(
        held: Trial, state: TrialState, value: Double?, userAttributes: [String: JSONValue],
        systemAttributes: [String: JSONValue]
    ) -> PreparedFinish {
        let time = OptunaDateTime.rounded(now())
        var finished = held
        finished.state = state
        finished.datetimeComplete = time
        // As stored: a FAIL trial has no value, NaN is never stored, ±infinity is.
        finished.value = state == .fail ? nil : value.flatMap { $0.isNaN ? nil : $0 }
        finished.userAttributes.merge(userAttributes) { _, new in new }
        finished.systemAttributes.merge(systemAttributes) { _, new in new }
        let id = held.id
        let number = held.number
        return PreparedFinish(trial: finished) {
            _ = try finish(
                id, number: number, state: state, value: value, userAttributes: userAttributes,
                systemAttributes: systemAttributes, at: OptunaDateTime.format(time), readBack: false)
        }
    }

    public func recordHeartbeat(of trial: TrialID) throws {
        let time = OptunaDateTime.format(now())
        try write { db in
            _ = try Self.trialState(trial, db)
            try db.cachedStatement(
                sql: "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, ?) "
                    + "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat"
            ).execute(arguments: [trial, time])
        }
    }

    /// The number of a trial created now: the count of the study's trials with a smaller trial id (Optuna's
    /// definition). Inside the IMMEDIATE transaction no other writer adds a trial, and the new rowid is above
    /// every existing one. Every writer keeps `number` equal to that count, so it is the number of the study's
    /// last trial plus one, found through the `(study_id, trial_id)` index without counting; a row written
    /// without a number falls back to counting.
    static func nextTrialNumber(in study: StudyID, _ db: Database) throws -> Int {
        let last = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT number FROM trials WHERE study_id = ? ORDER BY trial_id DESC LIMIT 1"),
            arguments: [study])
        guard let last else { return 0 }
        if let number: Int = last[0] { return number + 1 }
        return try Int.fetchOne(
            db.cachedStatement(sql: "SELECT COUNT(*) FROM trials WHERE study_id = ?"), arguments: [study]) ?? 0
    }

    /// The state and number of a trial; `trialNotFound` when there is none.
    static func trialState(_ trial: TrialID, _ db: Database) throws -> (TrialState, Int) {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT state, number FROM trials WHERE trial_id = ?"), arguments: [trial])
        else { throw StorageError.trialNotFound("with id \(trial)") }
        let stateName: String = row[0] ?? ""
        guard let state = TrialState(rawValue: stateName) else {
            throw StorageError.database("trial \(trial) has the unknown state '\(stateName)'")
        }
        return (state, row[1] ?? -1)
    }

    static func requireUnfinished(_ trial: TrialID, _ db: Database) throws {
        let (state, number) = try trialState(trial, db)
        if state.isFinished { throw StorageError.trialNotRunning(number: number, state: state) }
    }

    // MARK: Reading trials

    public func staleTrials(in study: StudyID, heartbeatBefore date: Date) throws -> [Trial] {
        try read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT t.trial_id, t.datetime_start, h.heartbeat FROM trials t "
                        + "LEFT JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
                        + "WHERE t.study_id = ? AND t.state = 'RUNNING'"), arguments: [study])
            var stale: [TrialID] = []
            for row in rows {
                let heartbeat: String? = row[2]
                let start: String? = row[1]
                guard let last = (heartbeat ?? start).flatMap(OptunaDateTime.parse) else { continue }
                if last < date, let id: Int64 = row[0] { stale.append(id) }
            }
            guard !stale.isEmpty else { return [] }
            return try Self.loadTrials(db, .studyAndIDs(study, after: nil, ids: stale))
        }
    }

    public func trial(_ id: TrialID) throws -> Trial? {
        try read { db in try Self.loadTrials(db, .id(id)).first }
    }

    public func trial(number: Int, in study: StudyID) throws -> Trial? {
        try read { db in try Self.loadTrials(db, .number(number, study: study)).first }
    }

    public func trials(in study: StudyID, states: Set<TrialState>?) throws -> [Trial] {
        try read { db in try Self.loadTrials(db, .study(study, states: states)) }
    }

    public func trials(in study: StudyID, after id: TrialID, refreshing refresh: [TrialID]) throws -> [Trial] {
        try read { db in try Self.loadTrials(db, .studyAndIDs(study, after: id, ids: refresh)) }
    }

    public func countTrials(in study: StudyID, states: Set<TrialState>?) throws -> Int {
        try read { db in
            let sql = "SELECT COUNT(*) FROM trials t WHERE t.study_id = ?" + TrialFilter.stateClause(states)
            return try Int.fetchOne(db.cachedStatement(sql: sql), arguments: [study]) ?? 0
        }
    }

    public func bestTrial(in study: StudyID) throws -> Trial? {
        try bestTrial(in: study, window: Self.bestValueWindow)
    }

    func bestTrial(in study: StudyID, window: Int) throws -> Trial? {
        try read { db in
            let direction = try Self.direction(of: study, db)
            let id = try Self.bestTrialID(in: study, direction: direction, window: window, db)
            return try id.flatMap { try Self.loadTrials(db, .id($0)).first }
        }
    }

    /// How many of the best values of all studies `bestTrialID` looks through before it scans the study.
    static let bestValueWindow = 500

    /// The best COMPLETE trial in Optuna's order: value type (INF_NEG < FINITE < INF_POS), then value; ties go to
    /// the lower number. Each value type is looked up through `ix_hpo_trial_values_best`: the best finite value
    /// is usually among the best `bestValueWindow` values of the whole file (found by walking the index
    /// from the best value, without scanning the study); otherwise the study's COMPLETE trials are scanned. (Unary `+` keeps SQLite from choosing a scan
    /// in trial order where an index lookup is cheaper.)
    static func bestTrialID(in study: StudyID, direction: StudyDirection, window: Int, _ db: Database) throws
        -> TrialID?
    {
        let order = direction == .minimize ? "ASC" : "DESC"
        let types: [StoredValueType] =
            direction == .minimize
            ? [.infinityNegative, .finite, .infinityPositive] : [.infinityPositive, .finite, .infinityNegative]
        let firstByNumber =
            "SELECT t.trial_id FROM trial_values v JOIN trials t ON t.trial_id = v.trial_id "
            + "WHERE v.objective = 0 AND v.value_type = ? AND +t.study_id = ? AND +t.state = 'COMPLETE' "
        for type in types {
            guard type == .finite else {
                let id = try Int64.fetchOne(
                    db.cachedStatement(sql: firstByNumber + "ORDER BY t.number, t.trial_id LIMIT 1"),
                    arguments: [type.rawValue, study])
                if let id { return id }
                continue
            }
            // Walk the file's finite values from the best one, through the index, and stop at the first
            // COMPLETE trial of the study (or after `window` values).
            let walk = try Row.fetchCursor(
                db.cachedStatement(
                    sql: "SELECT v.value, t.study_id, t.state FROM trial_values v JOIN trials t "
                        + "ON t.trial_id = v.trial_id WHERE v.objective = 0 AND v.value_type = 'FINITE' "
                        + "ORDER BY v.value \(order)"))
            var windowed: Double?
            var walked = 0
            while walked < window, let row = try walk.next() {
                walked += 1
                let owner: Int64? = row[1]
                let state: String? = row[2]
                if owner == study, state == TrialState.complete.rawValue {
                    windowed = row[0]
                    break
                }
            }
            let scanned =
                try windowed == nil
                ? Double.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT v.value FROM trials t JOIN trial_values v ON v.trial_id = t.trial_id "
                            + "WHERE t.study_id = ? AND t.state = 'COMPLETE' AND +v.objective = 0 "
                            + "AND +v.value_type = 'FINITE' ORDER BY +v.value \(order) LIMIT 1"), arguments: [study])
                : nil
            guard let best = windowed ?? scanned else { continue }
            return try Int64.fetchOne(
                db.cachedStatement(sql: firstByNumber + "AND v.value = ? ORDER BY t.number, t.trial_id LIMIT 1"),
                arguments: [StoredValueType.finite.rawValue, study, best])
        }
        return nil
    }

    /// Which trials a read loads, as a condition on `trials t`.
    enum TrialFilter {
        case id(TrialID)
        case number(Int, study: StudyID)
        case study(StudyID, states: Set<TrialState>?)
        /// The study's trials with an id above `after`, plus `ids`.
        case studyAndIDs(StudyID, after: TrialID?, ids: [TrialID])

        /// The condition, its arguments, and whether its text is fixed (worth a cached statement).
        var condition: (sql: String, arguments: StatementArguments, fixed: Bool) {
            switch self {
            case .id(let id): return ("t.trial_id = ?", [id], true)
            case .number(let number, let study): return ("t.study_id = ? AND t.number = ?", [study, number], true)
            case .study(let study, let states): return ("t.study_id = ?" + Self.stateClause(states), [study], true)
            case .studyAndIDs(let study, let after, let ids):
                var alternatives = ids.isEmpty ? [] : ["t.trial_id IN (\(ids.map(String.init).joined(separator: ",")))"]
                var arguments: StatementArguments = [study]
                if let after {
                    alternatives.append("t.trial_id > ?")
                    arguments += [after]
                }
                if alternatives.isEmpty { alternatives = ["0"] }
                // `+t.study_id`: look the ids up by rowid rather than scanning the study. Without ids (no trial
                // unfinished) the text is fixed, so a cache's refresh reuses one prepared statement.
                return (
                    "+t.study_id = ? AND (" + alternatives.joined(separator: " OR ") + ")", arguments, ids.isEmpty
                )
            }
        }

        /// ` AND t.state IN (...)` for a set of states (none for nil).
        static func stateClause(_ states: Set<TrialState>?) -> String {
            guard let states else { return "" }
            let names = states.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
            return names.isEmpty ? " AND 0" : " AND t.state IN (\(names))"
        }
    }

    /// Loads trials with their params, value, intermediate values and attributes, in number order: one query
    /// per table, each joined to the filtered trials.
    static func loadTrials(_ db: Database, _ filter: TrialFilter) throws -> [Trial] {
        let (condition, arguments, fixed) = filter.condition
        func rows(_ sql: String, _ arguments: StatementArguments, cached: Bool) throws -> RowCursor {
            let statement = cached ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
            return try Row.fetchCursor(statement, arguments: arguments)
        }
        var trials: [Trial] = []
        var index: [TrialID: Int] = [:]
        let trialRows = try rows(
            "SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete FROM trials t "
                + "WHERE \(condition) ORDER BY t.number, t.trial_id", arguments, cached: fixed)
        while let row = try trialRows.next() {
            let id: Int64 = row[0]
            let stateName: String = row[2] ?? ""
            guard let state = TrialState(rawValue: stateName) else {
                throw StorageError.database("trial \(id) has the unknown state '\(stateName)'")
            }
            let start: String? = row[3]
            let complete: String? = row[4]
            index[id] = trials.count
            trials.append(
                Trial(
                    id: id, number: row[1] ?? -1, state: state,
                    datetimeStart: start.flatMap(OptunaDateTime.parse),
                    datetimeComplete: complete.flatMap(OptunaDateTime.parse)))
        }
        guard !trials.isEmpty else { return [] }
        // The child rows of the trials found: by id through each table's (trial_id, ...) index when they are
        // few, else joined to the same condition (one pass over the study's trials).
        let selection: String
        let selectionArguments: StatementArguments
        let selectionCached: Bool
        if trials.count == 1 {
            (selection, selectionArguments, selectionCached) = ("WHERE x.trial_id = ?", [trials[0].id], true)
        } else if trials.count <= 500 {
            let ids = trials.map { String($0.id) }.joined(separator: ",")
            (selection, selectionArguments, selectionCached) = ("WHERE x.trial_id IN (\(ids))", [], false)
        } else {
            selection = "JOIN trials t ON t.trial_id = x.trial_id WHERE \(condition)"
            (selectionArguments, selectionCached) = (arguments, fixed)
        }
        func childRows(_ sql: String) throws -> RowCursor {
            try rows(sql, selectionArguments, cached: selectionCached)
        }

        var distributions: [String: Distribution] = [:]
        let params = try childRows(
            "SELECT x.trial_id, x.param_name, x.param_value, x.distribution_json FROM trial_params x \(selection)")
        while let row = try params.next() {
            guard let position = index[row[0]], let name: String = row[1], let json: String = row[3] else { continue }
            let distribution: Distribution
            if let known = distributions[json] {
                distribution = known
            } else {
                distribution = try Distribution(optunaJSON: json)
                distributions[json] = distribution
            }
            trials[position].params[name] = row[2] ?? .nan
            trials[position].distributions[name] = distribution
        }

        let values = try childRows(
            "SELECT x.trial_id, x.value, x.value_type FROM trial_values x \(selection) AND x.objective = 0")
        while let row = try values.next() {
            guard let position = index[row[0]] else { continue }
            trials[position].value = StoredValueType.decode(row[1], type: row[2] ?? "")
        }

        let intermediate = try childRows(
            "SELECT x.trial_id, x.step, x.intermediate_value, x.intermediate_value_type "
                + "FROM trial_intermediate_values x \(selection)")
        while let row = try intermediate.next() {
            guard let position = index[row[0]], let step: Int = row[1] else { continue }
            trials[position].intermediateValues[step] = StoredValueType.decode(row[2], type: row[3] ?? "")
        }

        for table in [AttributeTable.trialUser, .trialSystem] {
            let attributes = try childRows(
                "SELECT x.trial_id, x.\"key\", x.value_json FROM \(table.rawValue) x \(selection)")
            while let row = try attributes.next() {
                guard let position = index[row[0]], let key: String = row[1] else { continue }
                let value = decodeAttribute(row[2])
                if table == .trialUser {
                    trials[position].userAttributes[key] = value
                } else {
                    trials[position].systemAttributes[key] = value
                }
            }
        }
        return trials
    }
}
