import Foundation
import HPOCore
import HPORuntime
import HPOStorage
import HPOTestSupport
import Synchronization
import Testing

/// A run with one worker commits each trial's finish on another thread while it proposes the next trial
/// (`StudyRunner.Options.overlapsFinishes`): what it stores must be what finishing in place stores.
@Suite("Finishes overlapped with the next proposal")
struct OverlappedFinishTests {
    static let space = SearchSpace([
        ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: -2, high: 2))),
        ParameterSpec(
            name: "k", distribution: .categorical(CategoricalDistribution(choices: [.string("a"), .string("b")]))),
    ])

    func spec(trials: Int) -> StudySpec {
        StudySpec(
            name: "overlap", direction: .minimize, sampler: SamplerSpec(kind: .tpe(TPEOptions()), seed: 11),
            budget: Budget(nTrials: trials, workers: 1), space: Self.space)
    }

    /// The events of a run as text, in order: "started 3", "finished 3 COMPLETE".
    final class EventLog: Sendable {
        private let lines = Mutex<[String]>([])
        func record(_ event: RunEvent) {
            switch event {
            case .trialStarted(let trial): lines.withLock { $0.append("started \(trial.number)") }
            case .trialFinished(let trial, _):
                lines.withLock { $0.append("finished \(trial.number) \(trial.state.rawValue)") }
            default: break
            }
        }
        var all: [String] { lines.withLock { $0 } }
    }

    /// What a run stored, trial by trial: number, state, parameters, value.
    struct StoredTrial: Hashable {
        var number: Int
        var state: TrialState
        var params: [String: Double]
        var value: Double?
    }

    /// Runs the study on a new SQLite file with one worker; `during` runs inside the trainer of each trial, with
    /// the trial's number and the file's path. Returns the stored trials and the run's events.
    func run(
        overlapping: Bool, trials: Int, shortestOverlapped: TimeInterval = 0,
        during: @escaping @Sendable (Int, String) throws -> Void = { _, _ in }
    ) async throws -> (stored: [StoredTrial], events: [String]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hpo-overlap-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("study.db").path
        let storage = try SQLiteStorage(path: path)
        let session = try StudySession(spec: spec(trials: trials), storage: storage)
        let trainer = ScriptedTrainer { number, assignment in
            do {
                try during(number, path)
            } catch {
                return .fail("\(error)")
            }
            guard case .double(let x)? = assignment["x"] else { return .fail("no x") }
            return .value(x * x)
        }
        var options = StudyRunner.Options(workers: 1, nTrials: trials, timeout: nil)
        options.overlapsFinishes = overlapping
        // 0: every finish handed over, however quick the proposals.
        options.shortestOverlappedProposal = shortestOverlapped
        let runner = StudyRunner(session: session, trainer: trainer, options: options)
        let pool = TrainerPool(threads: 1)
        defer { pool.shutdown() }
        let log = EventLog()
        let summary = try await runner.run(pool: pool) { log.record($0) }
        #expect(summary.trialsRun == trials)
        let stored = try storage.trials(in: session.study.id, states: nil).map {
            StoredTrial(number: $0.number, state: $0.state, params: $0.params, value: $0.value)
        }
        return (stored, log.all)
    }

    @Test func overlappedFinishesStoreTheSameTrialsAsFinishingInPlace() async throws {
        let overlapped = try await run(overlapping: true, trials: 30)
        let inPlace = try await run(overlapping: false, trials: 30)
        #expect(overlapped.stored.count == 30)
        #expect(overlapped.stored.allSatisfy { $0.state == .complete })
        #expect(overlapped.stored == inPlace.stored)
        // A trial's finished event comes before the next trial starts, as without overlap.
        let expected = (0..<30).flatMap { ["started \($0)", "finished \($0) COMPLETE"] }
        #expect(overlapped.events == expected)
        #expect(inPlace.events == expected)
        // Handing over only the finishes after slow proposals (TPE's, not its random start-up ones) mixes both.
        let mixed = try await run(overlapping: true, trials: 30, shortestOverlapped: 200e-6)
        #expect(mixed.stored == inPlace.stored)
        #expect(mixed.events == expected)
    }

    @Test func aFinishThatFailsToCommitLeavesTheTrialAsStoredAndTheNextProposalSeesIt() async throws {
        // While trial 12 trains, another connection fails it (as a process recovering lost trials would): its
        // finish changes nothing, and the proposals after it see it FAIL, as they do without overlap.
        let sabotage: @Sendable (Int, String) throws -> Void = { number, path in
            guard number == 12 else { return }
            let other = try SQLiteStorage(path: path)
            let study = try #require(try other.study(named: "overlap"))
            let trial = try #require(try other.trial(number: 12, in: study.id))
            _ = try other.failTrial(trial.id, TrialFailure(systemAttributes: ["fail_reason": .string("taken")]))
        }
        let overlapped = try await run(overlapping: true, trials: 24, during: sabotage)
        let inPlace = try await run(overlapping: false, trials: 24, during: sabotage)
        #expect(overlapped.stored == inPlace.stored)
        #expect(overlapped.stored.count == 24)
        #expect(overlapped.stored[12].state == .fail)
        #expect(overlapped.stored.filter { $0.state == .complete }.count == 23)
        // The finished event shows the trial as stored.
        #expect(overlapped.events.contains("finished 12 FAIL"))
        #expect(overlapped.events.filter { $0.hasPrefix("started") } == (0..<24).map { "started \($0)" })
    }
}
