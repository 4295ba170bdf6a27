import GRDB
import GRDBSQLite

/// A cached statement of a write, bound and run through SQLite's C interface: for the statements every trial runs
/// (its row, parameters and attributes; its finish), where building GRDB's `StatementArguments` (a boxed value per
/// argument) cost more than SQLite's own work. Only inside a transaction the caller opened through GRDB, and only
/// for statements that do not begin or end one: GRDB's observation of statements is not told of these (this storage
/// observes nothing).
struct DirectStatement {
    private let handle: SQLiteStatement
    private let connection: SQLiteConnection?
    private let sql: String

    init(_ db: Database, sql: String) throws {
        let statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        connection = db.sqliteConnection
        self.sql = sql
    }

    /// Binds the argument at `index` (the first is 1).
    func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    func bind(_ value: Int, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, Int64(value)))
    }

    func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, value))
    }

    func bind(_ value: Double?, at index: Int32) throws {
        guard let value else {
            try check(sqlite3_bind_null(handle, index))
            return
        }
        try bind(value, at: index)
    }

    /// Binds text as GRDB binds a `String`: its bytes up to the first NUL, if any.
    func bind(_ value: String?, at index: Int32) throws {
        guard let value else {
            try check(sqlite3_bind_null(handle, index))
            return
        }
        try check(sqlite3_bind_text(handle, index, value, -1, copiedBytes))
    }

    /// Runs a query for its first row, read by `body` through `Columns`; nil when it has none. Resets it.
    func firstRow<T>(_ body: (Columns) -> T) throws -> T? {
        let code = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        switch code {
        case SQLITE_ROW: return body(Columns(handle: handle))
        case SQLITE_DONE: return nil
        default: throw error(code)
        }
    }

    /// The columns of the current row (the first is 0).
    struct Columns {
        fileprivate let handle: SQLiteStatement

        func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

        func int(_ index: Int32) -> Int? { isNull(index) ? nil : Int(sqlite3_column_int64(handle, index)) }

        func int64(_ index: Int32) -> Int64? { isNull(index) ? nil : sqlite3_column_int64(handle, index) }

        func string(_ index: Int32) -> String? {
            guard let text = sqlite3_column_text(handle, index) else { return nil }
            let count = Int(sqlite3_column_bytes(handle, index))
            return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
        }
    }

    /// Runs the statement to its end and resets it (its bindings stay until bound again).
    func run() throws {
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW { code = sqlite3_step(handle) }
        let reset = sqlite3_reset(handle)
        guard code == SQLITE_DONE else { throw error(code) }
        try check(reset)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else {
            sqlite3_reset(handle)
            throw error(code)
        }
    }

    private func error(_ code: Int32) -> DatabaseError {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }
}

/// SQLite's `SQLITE_TRANSIENT`: it copies the bound bytes.
private let copiedBytes = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
