import CSQLiteVFS
import Foundation
import GRDBSQLite
import HPOCore
import Testing

@testable import HPOStorage

/// The VFS that writes each write-ahead-log frame with one system call: installed as SQLite's default before the
/// first file opens, and the files it writes read the same through SQLite's own VFS.
@Suite("SQLite write-ahead-log frames written in one call")
struct FrameJoiningTests {
    /// 40 trials write more than a megabyte of log, so the VFS also starts the log's writeback on the way.
    @Test func trialsWrittenThroughTheJoiningVFSReadTheSameThroughSQLitesOwn() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("study.db").path
        let before = hpo_joined_frame_count()
        let storage = try SQLiteStorage(path: path)
        #expect(SQLiteStorage.framesJoined)
        #expect(String(cString: try #require(sqlite3_vfs_find(nil)).pointee.zName) == "hpo-frames")
        let study = try storage.createStudy(name: "frames", direction: .minimize, systemAttributes: [:])
        let distribution = Distribution.float(FloatDistribution(low: 0, high: 1))
        for index in 0..<40 {
            let x = Double(index) / 40
            let trial = try storage.createTrial(
                in: study.id, NewTrial(state: .running, params: ["x": x], distributions: ["x": distribution]))
            try storage.finishTrial(trial.id, state: .complete, value: x * x, userAttributes: [:])
        }
        #expect(hpo_joined_frame_count() > before + 40)

        // The same file through SQLite's unix VFS, with the log still in place (the pool is open).
        var connection: OpaquePointer?
        #expect(sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY, "unix") == SQLITE_OK)
        defer { sqlite3_close(connection) }
        func rows<T>(_ sql: String, _ column: (OpaquePointer?) -> T) -> [T] {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(connection, sql, -1, &statement, nil) == SQLITE_OK else { return [] }
            defer { sqlite3_finalize(statement) }
            var result: [T] = []
            while sqlite3_step(statement) == SQLITE_ROW { result.append(column(statement)) }
            return result
        }
        func text(_ statement: OpaquePointer?) -> String {
            sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "NULL"
        }
        #expect(rows("PRAGMA integrity_check", text) == ["ok"])
        let values = rows("SELECT value FROM trial_values ORDER BY trial_id") { sqlite3_column_double($0, 0) }
        let squares: [Double] = (0..<40).map { index in
            let x = Double(index) / 40
            return x * x
        }
        #expect(values == squares)
        #expect(rows("SELECT COUNT(*) FROM trial_params", text) == ["40"])
    }
}
