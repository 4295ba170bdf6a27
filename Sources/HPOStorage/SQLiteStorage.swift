import CSQLiteVFS
import Foundation
import GRDB
import HPOCore

/// A study storage in one SQLite file in Optuna 5.0's format (see `OptunaSchema`), through a GRDB
/// `DatabasePool` in WAL mode.
///
/// Every method is one transaction. Writes open `BEGIN IMMEDIATE` transactions (GRDB's default for a pool) and
/// wait on a busy timeout, then retry a few times with random jitter, so several processes can share one file.
/// Readers never block writers.
public struct SQLiteStorage: StudyStorage, HeldTrialFinishing, CheckedStarting {
    /// How a file is opened.
    public struct Options: Sendable, Hashable {
        /// SQLite's `synchronous` setting. With WAL, `normal` survives any crash of the process; `full` also
        /// survives a power cut, at the cost of an fsync per commit; `off` survives neither.
        public enum Synchronous: String, Sendable, Hashable, CaseIterable {
            case off = "OFF"
            case normal = "NORMAL"
            case full = "FULL"
        }

        public var synchronous: Synchronous
        /// Seconds a write waits for another writer before it fails with SQLITE_BUSY (then retried).
        public var busyTimeout: Double
        /// How many times a write that failed with SQLITE_BUSY is tried again.
        public var busyRetries: Int

        public init(synchronous: Synchronous = .normal, busyTimeout: Double = 30, busyRetries: Int = 5) {
            self.synchronous = synchronous
            self.busyTimeout = busyTimeout
            self.busyRetries = busyRetries
        }
    }

    /// The path of the database file.
    public let path: String
    public let options: Options
    let pool: DatabasePool
    let now: @Sendable () -> Date
    let distributionTexts = DistributionTexts()

    /// Opens (creating when missing) the file at `path` as an Optuna storage. An existing Optuna file is
    /// accepted at revision `v3.2.0.a` (Optuna 3.2 to 5.0); missing version rows are stamped as Optuna does.
    /// `now` is the clock for start, completion and heartbeat times.
    public init(path: String, options: Options = Options(), now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.path = path
        self.options = options
        self.now = now
        _ = Self.framesJoined
        var configuration = Configuration()
        configuration.busyMode = .timeout(options.busyTimeout)
        configuration.label = "hpo.storage"
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            let pool = try Self.retryingBusy(options) { try DatabasePool(path: path, configuration: configuration) }
            self.pool = pool
            try Self.retryingBusy(options) {
                try pool.writeWithoutTransaction { db in
                    // GRDB sets NORMAL when it enables WAL; only the writer connection's setting matters.
                    try db.execute(sql: "PRAGMA synchronous = \(options.synchronous.rawValue)")
                    try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.checkpointPages)")
                }
            }
            let complete = try pool.read { db in try OptunaSchema.isComplete(db) }
            if complete {
                try pool.read { db in try OptunaSchema.checkRevision(db) }
            } else {
                try Self.retryingBusy(options) { try pool.write { db in try OptunaSchema.prepare(db) } }
            }
        } catch {
            throw Self.storageError(error, context: "cannot open \(path)")
        }
    }

    /// Whether the connections opened from now on write each write-ahead-log frame with one system call
    /// (`hpo_install_frame_joining_vfs`, installed once per process before the first file opens: SQLite's
    /// default VFS becomes one that joins a frame's header and page writes). Without it (another SQLite build's
    /// default VFS lacks what it needs) the files are written as SQLite writes them, two calls a frame.
    static let framesJoined: Bool = hpo_install_frame_joining_vfs() == 0  // SQLITE_OK

    /// How many pages the write-ahead log holds before a commit copies them into the file (SQLite's default is
    /// 1,000). A trial writes about 15 pages, many of them the same from trial to trial, so a longer log copies
    /// fewer pages in all and syncs the file less often (twice per copy); the log file keeps its largest size,
    /// here about 16 MB.
    static let checkpointPages = 4_000

    /// Copies the write-ahead log into the file and empties the log file (a run calls it when it ends, so that the
    /// log does not keep its largest size on disk). Best effort and without waiting: while another connection
    /// writes or reads from the log, the log stays as it is (a run ending beside others never waits for them).
    public func compactLog() {
        let timeout = Int(options.busyTimeout * 1000)
        _ = try? pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA busy_timeout = 0")
            defer { try? db.execute(sql: "PRAGMA busy_timeout = \(timeout)") }
            try db.checkpoint(.truncate)
        }
    }

    // MARK: Transactions

    /// Runs `body` in one IMMEDIATE write transaction, retrying on SQLITE_BUSY, with errors as `StorageError`.
    func write<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        do {
            return try Self.retryingBusy(options) {
                try pool.writeWithoutTransaction { db in try Self.transaction(.immediate, db, body) }
            }
        } catch {
            throw Self.storageError(error, context: "write failed")
        }
    }

    /// Runs `body` in one read transaction (a snapshot), retrying on SQLITE_BUSY (rare with WAL: only while
    /// another connection recovers the file), with errors as `StorageError`.
    func read<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        do {
            return try Self.retryingBusy(options) {
                try pool.unsafeRead { db in try Self.transaction(.deferred, db, body) }
            }
        } catch {
            throw Self.storageError(error, context: "read failed")
        }
    }

    /// `body` in one transaction of `kind`, committed when it returns and rolled back when it throws. The
    /// transaction statements are prepared once per connection (GRDB's own `inTransaction` compiles them anew
    /// each time, a measurable part of a trial's cost in `hpo run`).
    static func transaction<T>(_ kind: Database.TransactionKind, _ db: Database, _ body: (Database) throws -> T)
        throws -> T
    {
        try db.cachedStatement(sql: "BEGIN \(kind.rawValue) TRANSACTION").execute()
        do {
            let result = try body(db)
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return result
        } catch {
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute() }
            throw error
        }
    }

    private static func retryingBusy<T>(_ options: Options, _ body: () throws -> T) throws -> T {
        var attempt = 0
        var generator = SystemRandomNumberGenerator()
        while true {
            do {
                return try body()
            } catch let error as DatabaseError
                where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED)
                && attempt < options.busyRetries
            {
                attempt += 1
                // Random jitter so that writers that collided do not collide again.
                let pause = Double.random(in: 0.01...0.2, using: &generator) * Double(attempt)
                Thread.sleep(forTimeInterval: pause)
            }
        }
    }

    private static func storageError(_ error: any Error, context: String) -> StorageError {
        if let error = error as? StorageError { return error }
        if let error = error as? DatabaseError {
            if error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                return .database("\(context): the database stayed locked by another process (\(error.message ?? ""))")
            }
            return .database("\(context): \(error.message ?? error.description)")
        }
        return .database("\(context): \(error)")
    }

    // MARK: Studies

    public func createStudy(
        name: String, direction: StudyDirection, systemAttributes: [String: JSONValue]
    ) throws -> StudyRecord {
        try write { db in
            let exists = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT study_id FROM studies WHERE study_name = ?"), arguments: [name])
            if exists != nil { throw StorageError.studyExists(name) }
            try db.cachedStatement(sql: "INSERT INTO studies (study_name) VALUES (?)").execute(arguments: [name])
            let id = db.lastInsertedRowID
            try db.cachedStatement(
                sql: "INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, 0)"
            )
            .execute(arguments: [direction.storageName, id])
            try Self.upsert(systemAttributes, into: .studySystem, owner: id, db)
            return StudyRecord(id: id, name: name, direction: direction, systemAttributes: systemAttributes)
        }
    }

    public func study(named name: String) throws -> StudyRecord? {
        try read { db in
            let id = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT study_id FROM studies WHERE study_name = ?"), arguments: [name])
            return try id.flatMap { try Self.loadStudy($0, db) }
        }
    }

    public func allStudies() throws -> [StudyRecord] {
        try read { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT study_id FROM studies ORDER BY study_id")
            return try ids.compactMap { try Self.loadStudy($0, db) }
        }
    }

    public func deleteStudy(_ study: StudyID) throws {
        try write { db in
            try Self.requireStudy(study, db)
            let trialsOfStudy = "SELECT trial_id FROM trials WHERE study_id = ?"
            for table in [
                "trial_params", "trial_values", "trial_intermediate_values", "trial_user_attributes",
                "trial_system_attributes", "trial_heartbeats",
            ] {
                try db.execute(sql: "DELETE FROM \(table) WHERE trial_id IN (\(trialsOfStudy))", arguments: [study])
            }
            for table in ["trials", "study_user_attributes", "study_system_attributes", "study_directions", "studies"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE study_id = ?", arguments: [study])
            }
        }
    }

    public func setStudySystemAttribute(_ key: String, _ value: JSONValue, of study: StudyID) throws {
        try write { db in
            try Self.requireStudy(study, db)
            try Self.upsert([key: value], into: .studySystem, owner: study, db)
        }
    }

    public func setStudyUserAttribute(_ key: String, _ value: JSONValue, of study: StudyID) throws {
        try write { db in
            try Self.requireStudy(study, db)
            try Self.upsert([key: value], into: .studyUser, owner: study, db)
        }
    }

    static func requireStudy(_ study: StudyID, _ db: Database) throws {
        let found = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT study_id FROM studies WHERE study_id = ?"), arguments: [study])
        if found == nil { throw StorageError.studyNotFound("with id \(study)") }
    }

    /// Like `requireStudy`, for adding trials: a study Optuna created with several objectives is refused, since
    /// hpo writes one value per trial and Optuna could not load a COMPLETE trial without the others.
    static func requireSingleObjectiveStudy(_ study: StudyID, _ db: Database) throws {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT s.study_name, (SELECT COUNT(*) FROM study_directions d WHERE d.study_id = s.study_id) "
                        + "FROM studies s WHERE s.study_id = ?"), arguments: [study])
        else { throw StorageError.studyNotFound("with id \(study)") }
        try checkSingleObjective(name: row[0] ?? "", objectives: row[1] ?? 0)
    }

    /// `incompatibleSchema` for a study with several objectives.
    static func checkSingleObjective(name: String, objectives: Int) throws {
        if objectives > 1 {
            throw StorageError.incompatibleSchema(
                "study '\(name)' has \(objectives) objectives; hpo optimizes studies with one objective")
        }
    }

    static func loadStudy(_ id: StudyID, _ db: Database) throws -> StudyRecord? {
        guard
            let name = try String.fetchOne(
                db.cachedStatement(sql: "SELECT study_name FROM studies WHERE study_id = ?"), arguments: [id])
        else { return nil }
        let direction = try direction(of: id, db)
        return StudyRecord(
            id: id, name: name, direction: direction,
            userAttributes: try attributes(.studyUser, owner: id, db),
            systemAttributes: try attributes(.studySystem, owner: id, db))
    }

    /// The direction of the study's first objective (`MINIMIZE` when none is stored).
    static func direction(of study: StudyID, _ db: Database) throws -> StudyDirection {
        let stored = try String.fetchOne(
            db.cachedStatement(
                sql: "SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective LIMIT 1"),
            arguments: [study])
        return stored == "MAXIMIZE" ? .maximize : .minimize
    }

    // MARK: Attributes

    /// The four attribute tables, with their owner column.
    enum AttributeTable: String {
        case studyUser = "study_user_attributes"
        case studySystem = "study_system_attributes"
        case trialUser = "trial_user_attributes"
        case trialSystem = "trial_system_attributes"

        var ownerColumn: String {
            switch self {
            case .studyUser, .studySystem: return "study_id"
            case .trialUser, .trialSystem: return "trial_id"
            }
        }
    }

    /// Inserts or replaces attributes (`json.dumps`-style text), in sorted key order.
    static func upsert(_ attributes: [String: JSONValue], into table: AttributeTable, owner: Int64, _ db: Database)
        throws
    {
        guard !attributes.isEmpty else { return }
        let statement = try DirectStatement(
            db,
            sql: "INSERT INTO \(table.rawValue) (\(table.ownerColumn), \"key\", value_json) VALUES (?, ?, ?) "
                + "ON CONFLICT (\(table.ownerColumn), \"key\") DO UPDATE SET value_json = excluded.value_json")
        for key in attributes.keys.sorted() {
            try statement.bind(owner, at: 1)
            try statement.bind(key, at: 2)
            try statement.bind(attributes[key, default: .null].jsonText, at: 3)
            try statement.run()
        }
    }

    static func attributes(_ table: AttributeTable, owner: Int64, _ db: Database) throws -> [String: JSONValue] {
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: "SELECT \"key\", value_json FROM \(table.rawValue) WHERE \(table.ownerColumn) = ?"),
            arguments: [owner])
        var result: [String: JSONValue] = [:]
        while let row = try rows.next() {
            let key: String = row[0] ?? ""
            result[key] = decodeAttribute(row[1])
        }
        return result
    }

    /// An attribute's stored JSON; text that is not JSON is kept as a string rather than lost.
    static func decodeAttribute(_ text: String?) -> JSONValue {
        guard let text else { return .null }
        return (try? JSONValue(parsing: text)) ?? .string(text)
    }
}
