import Foundation
import HPOCore
import Testing

@testable import HPOStorage

/// Storage URLs, and opening files that other programs (Optuna among them) wrote.
@Suite("Opening storages")
struct StorageOpeningTests {
    @Test func parsesTheURLFormsOptunaUsersKnow() throws {
        #expect(
            try StorageURL(parsing: "sqlite:///runs/a.db", currentDirectory: "/home/user")
                == .sqlite(path: "/home/user/runs/a.db", options: .init()))
        #expect(
            try StorageURL(parsing: "sqlite:////tmp/a.db", currentDirectory: "/home/user")
                == .sqlite(path: "/tmp/a.db", options: .init()))
        #expect(
            try StorageURL(parsing: "sqlite:///my%20runs/a.db", currentDirectory: "/w")
                == .sqlite(path: "/w/my runs/a.db", options: .init()))
        #expect(try StorageURL(parsing: "memory:") == .memory)
        #expect(try StorageURL(parsing: ":memory:") == .memory)
        #expect(try StorageURL(parsing: "sqlite:///:memory:") == .memory)
        let tuned = try StorageURL(parsing: "sqlite:///a.db?synchronous=full&timeout=60", currentDirectory: "/w")
        #expect(tuned == .sqlite(path: "/w/a.db", options: .init(synchronous: .full, busyTimeout: 60)))
        #expect(
            try StorageURL(parsing: "sqlite:///a.db?synchronous=OFF", currentDirectory: "/w")
                == .sqlite(path: "/w/a.db", options: .init(synchronous: .off)))
    }

    @Test func refusesBadURLsNamingTheAcceptedForms() {
        for bad in [
            "hpo.db", "postgresql://host/db", "sqlite://a.db", "sqlite:///", "sqlite:///a.db?synchronous=always",
            "sqlite:///a.db?timeout=soon", "sqlite:///a.db?mode=ro", "sqlite:///runs/",
        ] {
            do {
                _ = try StorageURL(parsing: bad)
                Issue.record("accepted \(bad)")
            } catch let error as StorageError {
                guard case .invalidURL(let message) = error else {
                    Issue.record("\(error)")
                    continue
                }
                #expect(message.contains("sqlite:////absolute/path.db"))
                #expect(message.contains(bad))
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func opensURLsThroughTheFactoryCreatingMissingFolders() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("deep/er/study.db").path
        let storage = try StorageFactory.open("sqlite:///" + path)
        #expect(storage is SQLiteStorage)
        _ = try storage.createStudy(name: "s", direction: .minimize, systemAttributes: [:])
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try StorageFactory.open("memory:") is InMemoryStorage)
    }

    /// A file with Optuna's tables but the given version rows, as another program or an older Optuna leaves it.
    private func foreignFile(versionInfo: String?, alembic: String?) throws -> (URL, String) {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("foreign.db").path
        let storage = try SQLiteStorage(path: path)
        try storage.executeRaw("DELETE FROM version_info; DELETE FROM alembic_version")
        if let versionInfo { try storage.executeRaw("INSERT INTO version_info VALUES \(versionInfo)") }
        if let alembic { try storage.executeRaw("INSERT INTO alembic_version VALUES ('\(alembic)')") }
        try storage.executeRaw("DROP INDEX ix_hpo_trials_study_number")
        return (folder, path)
    }

    @Test func stampsMissingVersionRowsAsOptunaDoes() throws {
        for versionInfo in [nil, "(1, 12, '4.2.0')"] {
            let (folder, path) = try foreignFile(versionInfo: versionInfo, alembic: nil)
            defer { try? FileManager.default.removeItem(at: folder) }
            let storage = try SQLiteStorage(path: path)
            #expect(try storage.inspect("SELECT version_num FROM alembic_version") == [["v3.2.0.a"]])
            #expect(try storage.inspect("SELECT schema_version FROM version_info") == [["12"]])
            #expect(
                try storage.inspect("SELECT name FROM sqlite_master WHERE name = 'ix_hpo_trials_study_number'").count
                    == 1)
        }
    }

    @Test func refusesOtherSchemaRevisionsWithAMessageSayingWhatToDo() throws {
        let cases: [(String?, String?, String)] = [
            ("(1, 12, '3.1.0')", "v3.0.0.d", "optuna storage upgrade"),
            ("(1, 13, '6.0.0')", "v6.0.0.a", "newer Optuna"),
            ("(1, 11, '3.0.0')", nil, "schema version 11"),
        ]
        for (versionInfo, alembic, hint) in cases {
            let (folder, path) = try foreignFile(versionInfo: versionInfo, alembic: alembic)
            defer { try? FileManager.default.removeItem(at: folder) }
            do {
                _ = try SQLiteStorage(path: path)
                Issue.record("opened a file at \(alembic ?? "no revision")")
            } catch let error as StorageError {
                guard case .incompatibleSchema(let message) = error else {
                    Issue.record("\(error)")
                    continue
                }
                #expect(message.contains(hint), "\(message)")
            }
        }
    }

    @Test func readsTrialsOptunaWroteWithItsDatetimeAndValueSpellings() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("optuna.db").path)
        // Rows as in Optuna 5.0's own dump (§4.11 of the spec), plus the other datetime spellings it reads.
        try storage.executeRaw(
            """
            INSERT INTO studies VALUES (1, 'demo');
            INSERT INTO study_directions VALUES (1, 'MINIMIZE', 1, 0);
            INSERT INTO study_user_attributes VALUES (1, 1, 'owner', '"team"');
            INSERT INTO trials VALUES (1, 0, 1, 'COMPLETE', '2026-11-27 22:27:04.794659', '2026-11-27 22:27:04.995929');
            INSERT INTO trials VALUES (2, 1, 1, 'PRUNED', '2026-11-27T22:27:05', '2026-11-27 22:27:06');
            INSERT INTO trials VALUES (3, 2, 1, 'WAITING', NULL, NULL);
            INSERT INTO trial_params VALUES (1, 1, 'x', 1.5, '{"name": "FloatDistribution", "attributes": {"step": null, "low": -5.0, "high": 5.0, "log": false}}');
            INSERT INTO trial_params VALUES (2, 1, 'opt', 2.0, '{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null]}}');
            INSERT INTO trial_values VALUES (1, 1, 0, 2.26, 'FINITE');
            INSERT INTO trial_values VALUES (2, 2, 0, 2.03445650282053, 'FINITE');
            INSERT INTO trial_intermediate_values VALUES (1, 2, 0, NULL, 'NAN');
            INSERT INTO trial_system_attributes VALUES (1, 3, 'fixed_params', '{"x": 1.5, "opt": "adam"}');
            """)
        let study = try #require(try storage.study(named: "demo"))
        #expect(study.userAttributes == ["owner": .string("team")])
        let trials = try storage.trials(in: study.id, states: nil)
        #expect(trials.map(\.number) == [0, 1, 2])
        #expect(trials[0].assignment == Assignment(["x": .double(1.5), "opt": .null]))
        #expect(trials[0].datetimeStart == OptunaDateTime.parse("2026-11-27 22:27:04.794659"))
        #expect(trials[1].duration == 1)
        #expect(trials[1].value == 2.034_456_502_820_53)
        #expect(trials[1].intermediateValues[0]?.isNaN == true)
        #expect(trials[2].systemAttributes["fixed_params"] == .object(["x": .number(1.5), "opt": .string("adam")]))
        #expect(try storage.bestTrial(in: study.id)?.number == 0)
        let next = try storage.createTrial(in: study.id, NewTrial())
        #expect(next.number == 3)
    }

    @Test func readsButDoesNotExtendAStudyWithSeveralObjectives() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("mo.db").path)
        try storage.executeRaw(
            """
            INSERT INTO studies VALUES (2, 'mo');
            INSERT INTO study_directions VALUES (2, 'MINIMIZE', 2, 0);
            INSERT INTO study_directions VALUES (3, 'MAXIMIZE', 2, 1);
            INSERT INTO trials VALUES (8, 0, 2, 'COMPLETE', '2026-11-27 22:27:06.123718', '2026-11-27 22:27:06.214268');
            INSERT INTO trial_values VALUES (6, 8, 0, 0.413034022365915, 'FINITE');
            INSERT INTO trial_values VALUES (7, 8, 1, 0.861399693652966, 'FINITE');
            """)
        let study = try #require(try storage.study(named: "mo"))
        #expect(study.direction == .minimize)
        #expect(try storage.trials(in: study.id, states: nil).map(\.value) == [0.413_034_022_365_915])
        #expect(throws: StorageError.self) { try storage.createTrial(in: study.id, NewTrial()) }
        #expect(throws: StorageError.self) { try storage.startTrial(in: study.id, NewTrial(), budget: nil) }
    }

    @Test func opensAFileOptunaWroteAndCreatesTheSameTablesAsOptuna() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let optunaPath = folder.appendingPathComponent("optuna.db").path
        try SQLiteStorage.createFile(at: optunaPath, script: OptunaDump.sql)
        let storage = try SQLiteStorage(path: optunaPath)
        let fresh = try SQLiteStorage(path: folder.appendingPathComponent("hpo.db").path)
        let objects = OptunaSchema.tables.map(\.name) + ["ix_studies_study_name", "ix_trials_study_id"]
        for name in objects {
            let query = "SELECT type, sql FROM sqlite_master WHERE name = '\(name)'"
            #expect(try fresh.inspect(query) == storage.inspect(query), "\(name)")
        }

        let study = try #require(try storage.study(named: "demo"))
        #expect(study.direction == .minimize)
        #expect(study.userAttributes == ["owner": .string("team")])
        let trials = try storage.trials(in: study.id, states: nil)
        #expect(trials.map(\.number) == Array(0..<7))
        #expect(trials.map(\.state) == [.complete, .complete, .pruned, .complete, .fail, .complete, .running])
        #expect(trials.map(\.value) == [2.25, 5.0, 1.25, .infinity, nil, 0.5, nil])
        #expect(
            trials[0].assignment
                == Assignment([
                    "x": .double(1.5), "lr": .double(0.01), "n": .int(3), "k": .int(4), "opt": .string("adam"),
                ]))
        #expect(trials[1].assignment["opt"] == .null)
        #expect(trials[1].intermediateValues[0]?.isNaN == true)
        #expect(trials[1].intermediateValues[1] == -.infinity)
        #expect(trials[2].intermediateValues == [0: 0.25, 1: 1.25])
        #expect(trials[0].userAttributes == ["note": .object(["a": .integer(1)])])
        #expect(trials[0].systemAttributes["fixed_params"]?["opt"] == .string("adam"))
        #expect(trials[6].params.isEmpty)
        #expect(trials[0].datetimeStart == OptunaDateTime.parse("2026-11-28 01:18:08.552778"))
        #expect(try storage.bestTrial(in: study.id)?.number == 5)
        // Each stored distribution reads back and is written again exactly as Optuna wrote it.
        let stored = try storage.inspect("SELECT DISTINCT distribution_json FROM trial_params").compactMap { $0[0] }
        #expect(stored.count == 5)
        for json in stored {
            #expect(try Distribution(optunaJSON: json).optunaJSON == json)
        }
        #expect(try storage.createTrial(in: study.id, NewTrial()).number == 7)
    }
}
