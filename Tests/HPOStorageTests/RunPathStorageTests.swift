import Foundation
import HPOCore
import HPOTestSupport
import Testing

@testable import HPOStorage

/// What `hpo run` relies on to spend one write transaction per ask and one per tell.
@Suite("SQLite run path: finishing held trials, budget counts")
struct RunPathStorageTests {
    let distribution = Distribution.float(FloatDistribution(low: -5, high: 5))

    func running(_ storage: SQLiteStorage, in study: StudyID, x: Double) throws -> Trial {
        var proposal = NewTrial(state: .running, params: ["x": x], distributions: ["x": distribution])
        proposal.systemAttributes["hpo:worker"] = .string("w")
        return try #require(try storage.startTrial(in: study, proposal, budget: nil))
    }

    @Test(arguments: [
        (TrialState.complete, 0.25 as Double?), (.complete, -Double.infinity), (.pruned, Double.nan),
        (.pruned, 1.5), (.pruned, nil), (.fail, 2.0), (.fail, nil),
    ])
    func aHeldTrialFinishesAsItReadsBackFromTheFile(state: TrialState, value: Double?) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clock = ManualClock()
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("study.db").path, now: { clock.now })
        let study = try storage.createStudy(name: "held", direction: .minimize, systemAttributes: [:])
        let trial = try running(storage, in: study.id, x: 1.25)
        try storage.recordReport(step: 1, value: 3, systemAttributes: ["rung": .integer(0)], of: trial.id)
        var held = try #require(try storage.trial(trial.id))
        held.userAttributes = ["earlier": .bool(true)]
        try storage.setTrialUserAttributes(["earlier": .bool(true)], of: trial.id)
        clock.advance(by: 2.000_000_4)
        let finished = try storage.finishTrial(
            held: held, state: state, value: value, userAttributes: ["note": .string("n")],
            systemAttributes: state == .fail ? ["fail_reason": .string("boom")] : [:])
        let stored = try #require(try storage.trial(trial.id))
        #expect(finished == stored)
        #expect(finished.state == state)
        #expect(finished.datetimeComplete != nil)
    }

    @Test func aHeldTrialFinishedElsewhereIsNotFinishedAgain() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("study.db").path)
        let study = try storage.createStudy(name: "held", direction: .minimize, systemAttributes: [:])
        let trial = try running(storage, in: study.id, x: 0)
        _ = try storage.failTrial(trial.id, TrialFailure(systemAttributes: ["fail_reason": .string("lost")]))
        #expect(throws: StorageError.trialNotRunning(number: trial.number, state: .fail)) {
            try storage.finishTrial(held: trial, state: .complete, value: 1, userAttributes: [:], systemAttributes: [:])
        }
        #expect(try storage.trial(trial.id)?.value == nil)
    }

    @Test func distributionsThatAreEqualButWrittenDifferentlyKeepTheirOwnText() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("study.db").path)
        let study = try storage.createStudy(name: "texts", direction: .minimize, systemAttributes: [:])
        // -0.0 == 0.0 and "\u{E9}" == "e\u{301}" as Swift values, but Optuna's JSON keeps them apart.
        let domains: [Distribution] = [
            .float(FloatDistribution(low: 0.0, high: 1)), .float(FloatDistribution(low: -0.0, high: 1)),
            .float(FloatDistribution(low: 0.0, high: 1)),
            .categorical(CategoricalDistribution(choices: [.string("\u{E9}")])),
            .categorical(CategoricalDistribution(choices: [.string("e\u{301}")])),
        ]
        for domain in domains {
            let trial = try storage.createTrial(
                in: study.id, NewTrial(state: .running, params: ["p": 0], distributions: ["p": domain]))
            let stored = try #require(try storage.trial(trial.id)?.distributions["p"])
            #expect(Array(stored.optunaJSON.utf8) == Array(domain.optunaJSON.utf8))
        }
    }

    /// Two connections on one new file (the second as another process's) and a study created through the first.
    func twoConnections(in folder: URL) throws -> (SQLiteStorage, other: SQLiteStorage, StudyRecord) {
        let path = folder.appendingPathComponent("study.db").path
        let storage = try SQLiteStorage(path: path)
        let other = try SQLiteStorage(path: path)
        return (storage, other, try storage.createStudy(name: "checked", direction: .minimize, systemAttributes: [:]))
    }

    @Test func aCheckedStartWritesOnlyWhenTheCallersTrialsAreCurrent() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (storage, other, study) = try twoConnections(in: folder)
        let proposal = NewTrial(state: .running, params: ["x": 0.5], distributions: ["x": distribution])
        // The caller's copy of a trial it started is exactly what is stored: the next start needs no re-read.
        let first = try running(storage, in: study.id, x: 1)
        let second = try storage.startTrial(
            in: study.id, proposal, budget: nil, newestKnown: first.id, unfinished: [first])
        guard case .started(let started) = second else {
            Issue.record("expected a start, got \(second)")
            return
        }
        #expect(try storage.trial(started.id) == started)
        // A trial another connection added, or a report on a running trial, is news: nothing is written.
        let theirs = try running(other, in: study.id, x: 2)
        let count = try storage.countTrials(in: study.id, states: nil)
        let stale = try storage.startTrial(
            in: study.id, proposal, budget: nil, newestKnown: started.id, unfinished: [first, started])
        #expect(stale == .changed([try #require(try storage.trial(theirs.id))]))
        try other.recordReport(step: 1, value: 0.5, systemAttributes: [:], of: first.id)
        let reported = try storage.startTrial(
            in: study.id, proposal, budget: nil, newestKnown: theirs.id, unfinished: [first, started, theirs])
        #expect(reported == .changed([try #require(try storage.trial(first.id))]))
        #expect(try storage.countTrials(in: study.id, states: nil) == count)
        // With the budget used, nothing starts.
        let current = try storage.trials(in: study.id, states: [.running])
        let full = try storage.startTrial(
            in: study.id, proposal, budget: 3, newestKnown: theirs.id, unfinished: current)
        #expect(full == .budgetUsed)
    }

    /// The budget used, counted the slow way from every trial of the study.
    func countedByHand(_ storage: SQLiteStorage, _ study: StudyID) throws -> Int {
        try storage.trials(in: study, states: nil).filter { trial in
            trial.state != .waiting && trial.systemAttributes[RetryAttribute.failedTrial] == nil
        }.count
    }

    @Test(arguments: [0, 1, 2])
    func theBudgetCountedFromTrialNumbersMatchesACountOfEveryTrial(seed: UInt64) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("study.db").path)
        // Two studies in one file, so that counts cannot leak from one study into the other.
        let study = try storage.createStudy(name: "budget", direction: .minimize, systemAttributes: [:])
        let other = try storage.createStudy(name: "other", direction: .minimize, systemAttributes: [:])
        var generator = SeededGenerator(seed: seed, trialNumber: 0)
        for _ in 0..<60 {
            let target = Bool.random(using: &generator) ? study.id : other.id
            let running = try storage.trials(in: target, states: [.running])
            switch Int.random(in: 0..<6, using: &generator) {
            case 0:
                _ = try storage.createTrial(in: target, NewTrial(state: .waiting))
            case 1 where !running.isEmpty:
                let trial = running[0]
                _ = try storage.failTrial(trial.id, TrialFailure(retry: trial.retryCopy()))
            case 2 where !running.isEmpty:
                try storage.finishTrial(running[0].id, state: .complete, value: 1, userAttributes: [:])
            default:
                _ = try storage.startTrial(in: target, NewTrial(state: .running), budget: nil)
            }
            #expect(try storage.budgetedTrialCount(in: study.id) == countedByHand(storage, study.id))
            #expect(try storage.budgetedTrialCount(in: other.id) == countedByHand(storage, other.id))
            for id in [study.id, other.id] { try expectStartStateAsCountedByHand(storage, id) }
        }
    }

    /// What a start transaction reads in one statement, against the same found from every trial of the study.
    func expectStartStateAsCountedByHand(_ storage: SQLiteStorage, _ study: StudyID) throws {
        let trials = try storage.trials(in: study, states: nil)
        let waiting = trials.filter { $0.state == .waiting }.sorted { $0.id < $1.id }
        let newest = trials.map(\.id).max() ?? -1
        let state = try storage.read { db in try SQLiteStorage.startState(in: study, newerThan: newest - 1, db) }
        #expect(state.number == trials.count)
        #expect(state.budgetUsed == (try countedByHand(storage, study)))
        #expect(state.oldestWaiting == waiting.first?.id)
        #expect(state.oldestWaitingRetry == waiting.first { $0.retriedTrialNumber != nil }?.id)
        #expect(state.hasNewerTrial == !trials.isEmpty)
        let none = try storage.read { db in try SQLiteStorage.startState(in: study, newerThan: newest, db) }
        #expect(!none.hasNewerTrial)
    }

    @Test func aCheckedStartWithNoUnfinishedTrialSeesANewerTrialOfItsStudyAndNoOther() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (storage, other, study) = try twoConnections(in: folder)
        let elsewhere = try storage.createStudy(name: "elsewhere", direction: .minimize, systemAttributes: [:])
        let proposal = NewTrial(state: .running, params: ["x": 0.5], distributions: ["x": distribution])
        let first = try running(storage, in: study.id, x: 1)
        try storage.finishTrial(first.id, state: .complete, value: 1, userAttributes: [:])
        // Another study's newer trial changes nothing the caller holds: the trial starts.
        _ = try running(other, in: elsewhere.id, x: 2)
        let started = try storage.startTrial(in: study.id, proposal, budget: nil, newestKnown: first.id, unfinished: [])
        guard case .started(let second) = started else {
            Issue.record("expected a start, got \(started)")
            return
        }
        try storage.finishTrial(second.id, state: .complete, value: 2, userAttributes: [:])
        // A trial of the study that another connection started and finished meanwhile is news: nothing is written.
        let theirs = try running(other, in: study.id, x: 3)
        try other.finishTrial(theirs.id, state: .complete, value: 3, userAttributes: [:])
        let count = try storage.countTrials(in: study.id, states: nil)
        let stale = try storage.startTrial(in: study.id, proposal, budget: nil, newestKnown: second.id, unfinished: [])
        #expect(stale == .changed([try #require(try storage.trial(theirs.id))]))
        #expect(try storage.countTrials(in: study.id, states: nil) == count)
    }

    @Test func compactingTheLogEmptiesItAndKeepsEveryCommittedTrial() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("study.db").path
        let storage = try SQLiteStorage(path: path)
        let study = try storage.createStudy(name: "log", direction: .minimize, systemAttributes: [:])
        for index in 0..<50 {
            let trial = try running(storage, in: study.id, x: Double(index) / 50)
            try storage.finishTrial(trial.id, state: .complete, value: Double(index), userAttributes: [:])
        }
        func logSize() throws -> Int {
            try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? -1
        }
        #expect(try logSize() > 0)
        // While another connection reads from the log, compacting gives up at once (with a wait of ten minutes
        // for a busy file, waiting would hang the test) and the log stays.
        let reader = try SQLiteStorage(path: path, options: .init(busyTimeout: 600))
        let slow = try SQLiteStorage(path: path, options: .init(busyTimeout: 600))
        try reader.read { db in
            _ = try SQLiteStorage.startState(in: study.id, newerThan: nil, db)
            slow.compactLog()
        }
        #expect(try logSize() > 0)
        storage.compactLog()
        #expect(try logSize() == 0)
        let reopened = try SQLiteStorage(path: path)
        let trials = try reopened.trials(in: study.id, states: [.complete])
        #expect(trials.map(\.value) == (0..<50).map { Double($0) })
    }

    @Test func aTrialWithMoreParametersThanOneStatementWritesKeepsEveryOne() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("study.db").path)
        let study = try storage.createStudy(name: "wide", direction: .minimize, systemAttributes: [:])
        for count in [1, SQLiteStorage.paramRowsPerStatement, 2 * SQLiteStorage.paramRowsPerStatement + 5] {
            var params: [String: Double] = [:]
            var distributions: [String: Distribution] = [:]
            for index in 0..<count {
                params["p\(index)"] = index.isMultiple(of: 2) ? Double(index) / 100 : Double(index)
                distributions["p\(index)"] =
                    index.isMultiple(of: 2) ? distribution : .int(IntDistribution(low: 0, high: index + 1))
            }
            let trial = try #require(
                try storage.startTrial(
                    in: study.id, NewTrial(state: .running, params: params, distributions: distributions), budget: nil))
            let stored = try #require(try storage.trial(trial.id))
            #expect(stored.params == params)
            #expect(stored.distributions == distributions)
        }
    }

    @Test func startingStopsAtTheBudgetButARetryMayStillStart() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("study.db").path)
        let study = try storage.createStudy(name: "budget", direction: .minimize, systemAttributes: [:])
        let first = try running(storage, in: study.id, x: 1)
        _ = try running(storage, in: study.id, x: 2)
        _ = try storage.createTrial(in: study.id, NewTrial(state: .waiting))
        #expect(try storage.startTrial(in: study.id, NewTrial(), budget: 2) == nil)
        _ = try storage.failTrial(first.id, TrialFailure(retry: first.retryCopy()))
        let retry = try #require(try storage.startTrial(in: study.id, NewTrial(), budget: 2))
        #expect(retry.retriedTrialNumber == first.number)
        #expect(retry.params == first.params)
        #expect(try storage.startTrial(in: study.id, NewTrial(), budget: 2) == nil)
        #expect(try storage.budgetedTrialCount(in: study.id) == 2)
    }

    @Test func textsBoundDirectlyReadBackByteForByte() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("study.db").path)
        let study = try storage.createStudy(name: "texts", direction: .minimize, systemAttributes: [:])
        let names = ["", "é", "a b", "日本語", String(repeating: "long ", count: 200)]
        var proposal = NewTrial(state: .running)
        for (index, name) in names.enumerated() {
            proposal.params[name] = Double(index) - 0.5
            proposal.distributions[name] = distribution
            proposal.systemAttributes[name] = .string(name + "\u{0}")
        }
        let trial = try #require(try storage.startTrial(in: study.id, proposal, budget: nil))
        _ = try storage.finishTrial(
            held: trial, state: .complete, value: -0.0, userAttributes: ["日本語": .string("a\u{0}")],
            systemAttributes: ["": .string("")])
        let stored = try #require(try storage.trial(trial.id))
        #expect(stored.params == proposal.params)
        #expect(Set(stored.distributions.keys) == Set(names))
        #expect(stored.systemAttributes == proposal.systemAttributes.merging(["": .string("")]) { $1 })
        #expect(stored.userAttributes == ["日本語": .string("a\u{0}")])
        #expect(stored.value == 0)
    }

    @Test func aPreparedFinishWritesNothingUntilItCommitsAndReturnsTheTrialAsStored() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clock = ManualClock()
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("study.db").path, now: { clock.now })
        let study = try storage.createStudy(name: "prepared", direction: .minimize, systemAttributes: [:])
        let trial = try running(storage, in: study.id, x: 2)
        let prepared = storage.prepareFinish(
            held: trial, state: .complete, value: 4, userAttributes: ["u": .integer(1)], systemAttributes: [:])
        clock.advance(by: 5)
        #expect(try storage.trial(trial.id)?.state == .running)
        try prepared.commit()
        // Stored at the time it was prepared, not at the commit.
        #expect(try storage.trial(trial.id) == prepared.trial)
        #expect(prepared.trial.value == 4)
    }

    @Test func aWriteThatBreaksAConstraintFailsAsAStorageErrorAndTheStatementServesAgain() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("study.db").path)
        let study = try storage.createStudy(name: "constraint", direction: .minimize, systemAttributes: [:])
        let trial = try running(storage, in: study.id, x: 0)
        // A second value row for the trial's objective is refused by Optuna's UNIQUE (trial_id, objective).
        do {
            try storage.write { db in
                let insert = try DirectStatement(
                    db,
                    sql: "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, 0, 1, 'FINITE')"
                )
                try insert.bind(trial.id, at: 1)
                try insert.run()
                try insert.bind(trial.id, at: 1)
                try insert.run()
            }
            Issue.record("the second insert was accepted")
        } catch {
            #expect("\(error)".contains("UNIQUE"))
        }
        // The transaction was rolled back, and the connection writes on.
        let finished = try storage.finishTrial(
            held: trial, state: .complete, value: 3, userAttributes: [:], systemAttributes: [:])
        #expect(try storage.trial(trial.id) == finished)
    }
}
