import Foundation
import HPOCore
import HPORuntime
import HPOStorage
import HPOTestSupport
import HPOTraining
import Synchronization
import Testing

/// The worker loops of `StudyRunner.run` (each asks, trains and tells on its own pool thread) and the per-trial
/// work around them.
@Suite("Run worker loops")
struct RunWorkersTests {
    func spec(name: String, trials: Int, retry: RetryPolicy = RetryPolicy()) -> StudySpec {
        var spec = StudySpec(
            name: name, direction: .minimize, sampler: SamplerSpec(kind: .random, seed: 5),
            budget: Budget(nTrials: trials, workers: 2),
            space: SearchSpace([ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: 0, high: 1)))]))
        spec.retry = retry
        return spec
    }

    /// Events of a run, in the order they came.
    final class EventLog: Sendable {
        private let events = Mutex<[String]>([])
        func record(_ event: RunEvent) {
            let name: String
            switch event {
            case .started: name = "started"
            case .trialStarted: name = "trialStarted"
            case .trialFinished: name = "trialFinished"
            case .stopping: name = "stopping"
            case .finished: name = "finished"
            }
            events.withLock { $0.append(name) }
        }
        func count(_ name: String) -> Int { events.withLock { $0.filter { $0 == name }.count } }
        var all: [String] { events.withLock { $0 } }
    }

    @Test func aStopRequestedDuringTheRunEndsItAsStoppedWithEveryStartedTrialFinished() async throws {
        let storage = InMemoryStorage()
        let session = try StudySession(spec: spec(name: "stop", trials: 40), storage: storage)
        let runnerBox = Mutex<StudyRunner?>(nil)
        let trainer = ScriptedTrainer(delay: 0.01) { number, _ in
            if number == 5 { runnerBox.withLock { $0?.requestStop() } }
            return .value(Double(number))
        }
        let runner = StudyRunner(
            session: session, trainer: trainer, options: .init(workers: 2, nTrials: 40, timeout: nil))
        runnerBox.withLock { $0 = runner }
        let pool = TrainerPool(threads: 2)
        defer { pool.shutdown() }
        let log = EventLog()
        let summary = try await runner.run(pool: pool) { log.record($0) }
        #expect(summary.stopReason == "stopped")
        #expect(summary.trialsRun < 40)
        #expect(log.count("trialStarted") == summary.trialsRun)
        #expect(log.count("trialFinished") == summary.trialsRun)
        #expect(log.count("stopping") <= 1)
        #expect(log.all.first == "started" && log.all.last == "finished")
        let trials = try storage.trials(in: session.study.id, states: nil)
        #expect(trials.count == summary.trialsRun)
        #expect(trials.allSatisfy { $0.state == .complete })
    }

    @Test func aWorkerThatFindsTheBudgetUsedWaitsForRunningTrialsAndRunsTheirRetries() async throws {
        let storage = InMemoryStorage()
        let retry = RetryPolicy(maxRetries: 1, retryTrainerFailures: true)
        let session = try StudySession(spec: spec(name: "retries", trials: 4, retry: retry), storage: storage)
        // The last trial of the budget fails once, after the other worker has found the budget used.
        let trainer = ScriptedTrainer { number, _ in
            if number == 3 {
                Thread.sleep(forTimeInterval: 0.05)
                return .fail("first attempt fails")
            }
            return .value(Double(number))
        }
        let runner = StudyRunner(
            session: session, trainer: trainer, options: .init(workers: 2, nTrials: 4, timeout: nil))
        let pool = TrainerPool(threads: 2)
        defer { pool.shutdown() }
        let summary = try await runner.run(pool: pool)
        #expect(summary.stopReason == "budget reached")
        let trials = try storage.trials(in: session.study.id, states: nil)
        #expect(trials.map(\.state) == [.complete, .complete, .complete, .fail, .complete])
        #expect(trials.last?.retriedTrialNumber == 3)
        #expect(summary.totalTrials == 4)
    }

    @Test func moreWorkersThanPoolThreadsRunAsManyTrialsAtOnceAsThereAreThreads() async throws {
        let storage = InMemoryStorage()
        let session = try StudySession(spec: spec(name: "threads", trials: 12), storage: storage)
        let trainer = ScriptedTrainer(delay: 0.005) { number, _ in .value(Double(number)) }
        let runner = StudyRunner(
            session: session, trainer: trainer, options: .init(workers: 3, nTrials: 12, timeout: nil))
        let pool = TrainerPool(threads: 2)
        defer { pool.shutdown() }
        let summary = try await runner.run(pool: pool)
        #expect(summary.totalTrials == 12)
        #expect(trainer.maxConcurrent <= 2)
        let trials = try storage.trials(in: session.study.id, states: nil)
        #expect(trials.map(\.number) == Array(0..<12))
        #expect(trials.allSatisfy { $0.state == .complete })
    }

    /// Counts the removals `RetryChainCheckpoints` asks for.
    final class Discards: Sendable {
        private let chains = Mutex<[Int]>([])
        func record(_ chain: Int) { chains.withLock { $0.append(chain) } }
        var all: [Int] { chains.withLock { $0 } }
    }

    @Test func aFinishedFirstAttemptWithoutACheckpointRemovesNothing() throws {
        let storage = InMemoryStorage()
        let session = try StudySession(spec: spec(name: "checkpoints", trials: 3), storage: storage)
        let discards = Discards()
        let checkpoints = RetryChainCheckpoints(
            base: InMemoryCheckpointStore(), session: session, discard: { discards.record($0) })
        let plain = try session.ask()
        let checkpointed = try session.ask()
        let saved = TrainingCheckpoint(
            epoch: 1, parameters: [1], optimizerFirst: [0], optimizerSecond: [0], optimizerSteps: 1, lastValue: 0.5,
            bestValue: 0.5, bestEpoch: 1, bestTestValue: nil)
        try checkpoints.save(saved, forTrial: checkpointed.number)
        for trial in [plain, checkpointed] {
            let finished = try #require(try session.tell(trial: trial.id, state: .complete, value: 1))
            checkpoints.trialFinished(finished)
        }
        #expect(discards.all == [checkpointed.number])
    }

    @Test func aFinishedRetryRemovesItsChainsCheckpointEvenIfThisProcessNeverSavedIt() throws {
        let storage = InMemoryStorage()
        let session = try StudySession(spec: spec(name: "retry-chain", trials: 3), storage: storage)
        let discards = Discards()
        let checkpoints = RetryChainCheckpoints(
            base: InMemoryCheckpointStore(), session: session, discard: { discards.record($0) })
        let first = try session.ask()
        _ = try storage.failTrial(first.id, TrialFailure(retry: first.retryCopy()))
        try session.refresh()
        checkpoints.trialFinished(try #require(try storage.trial(first.id)))
        #expect(discards.all.isEmpty, "a FAIL attempt whose retry waits keeps the chain's checkpoint")
        let retry = try session.ask()
        #expect(retry.retriedTrialNumber == first.number)
        let finished = try #require(try session.tell(trial: retry.id, state: .complete, value: 1))
        checkpoints.trialFinished(finished)
        #expect(discards.all == [first.number])
    }
}
