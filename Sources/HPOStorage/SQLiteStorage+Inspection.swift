import GRDB

extension SQLiteStorage {
    /// The rows of a query as text (NULL as nil; numbers as SQLite's column values spelled by Swift), for
    /// checks of the stored format. `onWriter` runs it on the writing connection (for its pragmas).
    func inspect(_ sql: String, onWriter: Bool = false) throws -> [[String?]] {
        let body = { (db: Database) throws -> [[String?]] in
            try Row.fetchAll(db, sql: sql).map { row in
                row.databaseValues.map { value -> String? in
                    switch value.storage {
                    case .null: return nil
                    case .int64(let number): return String(number)
                    case .double(let number): return String(number)
                    case .string(let text): return text
                    case .blob(let data): return "<\(data.count) bytes>"
                    }
                }
            }
        }
        return onWriter ? try write(body) : try read(body)
    }

    /// Runs statements outside hpo's own writes (for tests that shape a file as another program would).
    func executeRaw(_ sql: String) throws {
        try write { db in try db.execute(sql: sql) }
    }

    /// Creates a database file from an SQL script, without hpo's schema preparation (for tests that start from a
    /// file another program wrote).
    static func createFile(at path: String, script: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: script) }
        try queue.close()
    }
}
