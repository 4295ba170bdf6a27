import Foundation
import HPOCore
import HPOTestSupport
import Synchronization
import Testing

@testable import HPOStorage

/// What an hpo file holds on disk: Optuna 5.0's tables, version rows and value conventions.
@Suite("SQLite storage format")
struct SQLiteFormatTests {
    let folder: URL
    let clock = ManualClock()

    init() throws {
        folder = try temporaryFolder()
    }

    func open(_ name: String = "study.db", options: SQLiteStorage.Options = .init()) throws -> SQLiteStorage {
        let clock = self.clock
        return try SQLiteStorage(path: folder.appendingPathComponent(name).path, options: options, now: { clock.now })
    }

    @Test func createsOptunasTablesVersionRowsAndOnlyPrefixedExtraIndexes() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try open()
        #expect(
            try storage.inspect("SELECT version_info_id, schema_version, library_version FROM version_info") == [
                ["1", "12", "5.0.0"]
            ])
        #expect(try storage.inspect("SELECT version_num FROM alembic_version") == [["v3.2.0.a"]])
        let tables = try storage.inspect("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .compactMap { $0.first ?? nil }
        #expect(Set(tables) == Set(OptunaSchema.tables.map(\.name)))
        let studiesSQL = try storage.inspect("SELECT sql FROM sqlite_master WHERE name = 'studies'")
        #expect(
            studiesSQL == [
                [
                    "CREATE TABLE studies (\n\tstudy_id INTEGER NOT NULL, \n\tstudy_name VARCHAR(512) NOT NULL, "
                        + "\n\tPRIMARY KEY (study_id)\n)"
                ]
            ])
        let indexes = try storage.inspect(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
        ).compactMap { $0.first ?? nil }
        #expect(indexes.contains("ix_studies_study_name"))
        #expect(indexes.contains("ix_trials_study_id"))
        #expect(
            indexes.allSatisfy {
                $0.hasPrefix("ix_hpo_") || ["ix_studies_study_name", "ix_trials_study_id"].contains($0)
            })
        #expect(try storage.inspect("PRAGMA journal_mode") == [["wal"]])
        #expect(try storage.inspect("PRAGMA synchronous", onWriter: true) == [["1"]])
    }

    @Test func writesUpperCaseEnumsInternalParamsNullInfinitiesAndNaiveUTCTimes() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try open()
        let study = try storage.createStudy(name: "demo", direction: .maximize, systemAttributes: [:])
        let distribution = Distribution.categorical(
            CategoricalDistribution(choices: [.string("adam"), .string("sgd")]))
        let trial = try storage.createTrial(
            in: study.id, NewTrial(params: ["opt": 1], distributions: ["opt": distribution]))
        try storage.recordReport(step: 0, value: .nan, systemAttributes: [:], of: trial.id)
        try storage.recordReport(step: 1, value: -.infinity, systemAttributes: [:], of: trial.id)
        clock.advance(by: 0.123_456)
        try storage.finishTrial(
            trial.id, state: .complete, value: .infinity, userAttributes: ["note": .object(["a": .integer(1)])])
        #expect(try storage.inspect("SELECT direction, objective FROM study_directions") == [["MAXIMIZE", "0"]])
        #expect(
            try storage.inspect("SELECT number, state, datetime_start, datetime_complete FROM trials") == [
                ["0", "COMPLETE", "2027-01-15 08:00:00.000000", "2027-01-15 08:00:00.123456"]
            ])
        #expect(
            try storage.inspect("SELECT param_name, param_value, distribution_json FROM trial_params") == [
                [
                    "opt", "1.0",
                    "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [\"adam\", \"sgd\"]}}",
                ]
            ])
        #expect(
            try storage.inspect("SELECT objective, value, value_type FROM trial_values") == [["0", nil, "INF_POS"]])
        #expect(
            try storage.inspect(
                "SELECT step, intermediate_value, intermediate_value_type FROM trial_intermediate_values")
                == [["0", nil, "NAN"], ["1", nil, "INF_NEG"]])
        #expect(
            try storage.inspect("SELECT \"key\", value_json FROM trial_user_attributes") == [["note", "{\"a\": 1}"]])
    }

    @Test func reopeningAFileGivesTheSameStudiesAndTrials() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        var expected: [Trial] = []
        do {
            let storage = try open()
            let study = try storage.createStudy(
                name: "again", direction: .minimize, systemAttributes: ["s": .bool(true)])
            for (index, entry) in everyDistribution.enumerated() {
                let internalValue = try #require(entry.distribution.internalValue(of: entry.value))
                let trial = try storage.createTrial(
                    in: study.id,
                    NewTrial(params: [entry.name: internalValue], distributions: [entry.name: entry.distribution]))
                try storage.recordReport(step: index, value: Double(index) / 3, systemAttributes: [:], of: trial.id)
                clock.advance(by: 1.5)
                try storage.finishTrial(trial.id, state: .complete, value: Double(index) * 0.1, userAttributes: [:])
            }
            expected = try storage.trials(in: study.id, states: nil)
        }
        let reopened = try open()
        let study = try #require(try reopened.study(named: "again"))
        #expect(study.systemAttributes == ["s": .bool(true)])
        #expect(try reopened.trials(in: study.id, states: nil) == expected)
        #expect(expected.count == everyDistribution.count)
    }

    @Test func concurrentWritersOnOneFileGetDenseUniqueNumbers() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let setup = try open()
        let study = try setup.createStudy(name: "crowd", direction: .minimize, systemAttributes: [:])
        let writers = 4
        let trialsEach = 40
        let path = folder.appendingPathComponent("study.db").path
        let failures = Mutex<[String]>([])
        // Each writer opens its own pool, as a separate process would.
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do {
                let storage = try SQLiteStorage(path: path)
                for index in 0..<trialsEach {
                    let trial = try storage.createTrial(in: study.id, newTrial(["x": Double(writer)]))
                    try storage.recordHeartbeat(of: trial.id)
                    try storage.finishTrial(trial.id, state: .complete, value: Double(index), userAttributes: [:])
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let trials = try setup.trials(in: study.id, states: nil)
        #expect(trials.map(\.number) == Array(0..<(writers * trialsEach)))
        #expect(trials.allSatisfy { $0.state == .complete })
        for writer in 0..<writers {
            #expect(trials.filter { $0.params["x"] == Double(writer) }.count == trialsEach)
        }
    }

    @Test func appliesTheSynchronousOptionToTheWriter() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let full = try open("full.db", options: .init(synchronous: .full))
        let off = try open("off.db", options: .init(synchronous: .off))
        #expect(try full.inspect("PRAGMA synchronous", onWriter: true) == [["2"]])
        #expect(try off.inspect("PRAGMA synchronous", onWriter: true) == [["0"]])
    }

    @Test(arguments: [StudyDirection.minimize, .maximize])
    func findsTheBestTrialOfAStudyWhoseValuesAreNotAmongTheFilesBest(direction: StudyDirection) throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try open()
        let leader = try storage.createStudy(name: "leader", direction: direction, systemAttributes: [:])
        let other = try storage.createStudy(name: "other", direction: direction, systemAttributes: [:])
        // The leader's values are all better than the other study's; the other study has a tie and a PRUNED
        // trial whose value would win if it counted.
        let sign = direction == .minimize ? 1.0 : -1.0
        for (study, values) in [(leader.id, [1.0, 2, 3, 4, 5, 6]), (other.id, [40, 20, 30, 20, 50])] {
            for value in values {
                let trial = try storage.createTrial(in: study, newTrial())
                try storage.finishTrial(trial.id, state: .complete, value: sign * value, userAttributes: [:])
            }
        }
        let pruned = try storage.createTrial(in: other.id, newTrial())
        try storage.finishTrial(pruned.id, state: .pruned, value: sign * 10, userAttributes: [:])
        for window in [1, 3, 1000] {
            #expect(try storage.bestTrial(in: other.id, window: window)?.number == 1, "window \(window)")
            #expect(try storage.bestTrial(in: leader.id, window: window)?.number == 0, "window \(window)")
        }
        let plans = try storage.inspect(
            "EXPLAIN QUERY PLAN SELECT v.value, t.study_id, t.state FROM trial_values v JOIN trials t "
                + "ON t.trial_id = v.trial_id WHERE v.objective = 0 AND v.value_type = 'FINITE' ORDER BY v.value")
        // The walk follows the index in value order: no sort of the whole table.
        #expect(!plans.contains { row in row.contains { $0?.contains("TEMP B-TREE") == true } })
        #expect(plans.contains { row in row.contains { $0?.contains("ix_hpo_trial_values_best") == true } })
    }
}
