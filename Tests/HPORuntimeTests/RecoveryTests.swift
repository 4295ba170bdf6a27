import Foundation
import HPOCore
import HPORuntime
import HPOStorage
import HPOTestSupport
import HPOTraining
import Synchronization
import Testing

@Suite("Lost trials, retries, budgets across processes, interruption")
struct RecoveryTests {
    /// A worker on another host: never known to be gone, only its heartbeat tells.
    let remote = WorkerIdentity(host: "elsewhere.invalid", pid: 4242)
    let local = WorkerIdentity.current

    func spec(name: String = "recovery", trials: Int = 6, retry: RetryPolicy = RetryPolicy()) -> StudySpec {
        var spec = StudySpec(
            name: name, direction: .minimize, sampler: SamplerSpec(kind: .random, seed: 3),
            budget: Budget(nTrials: trials, workers: 1),
            space: SearchSpace([ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: 0, high: 1)))]))
        spec.retry = retry
        return spec
    }

    /// A RUNNING trial as `hpo run` on `worker` starts it.
    func startRemoteTrial(_ storage: any StudyStorage, _ session: StudySession, worker: WorkerIdentity) throws -> Trial
    {
        var proposal = NewTrial(
            state: .running, params: ["x": 0.25],
            distributions: ["x": .float(FloatDistribution(low: 0, high: 1))])
        proposal.systemAttributes[StudySession.RunKey.worker] = worker.json
        return try #require(try storage.startTrial(in: session.study.id, proposal, budget: nil))
    }

    @Test func trialWhoseHeartbeatOutlivesTheGracePeriodIsFailedAndRequeuedWithItsParameters() throws {
        let clock = ManualClock()
        let storage = InMemoryStorage(now: { clock.now })
        let session = try StudySession(spec: spec(), storage: storage)
        let lost = try startRemoteTrial(storage, session, worker: remote)
        _ = try storage.recordReport(step: 1, value: 0.5, systemAttributes: [:], of: lost.id)
        clock.advance(by: 20)
        try storage.recordHeartbeat(of: lost.id)
        clock.advance(by: 29)
        #expect(try session.recoverLostTrials(now: clock.now, worker: local).isEmpty)
        #expect(try storage.trial(lost.id)?.state == .running)
        clock.advance(by: 2)
        let failed = try session.recoverLostTrials(now: clock.now, worker: local)
        #expect(failed.map(\.id) == [lost.id])
        let stored = try #require(try storage.trial(lost.id))
        #expect(stored.state == .fail)
        let reason = try #require(stored.systemAttributes["fail_reason"]?.stringValue)
        #expect(reason.hasPrefix("worker lost: no heartbeat since"))
        let retry = try #require(try storage.trials(in: session.study.id, states: [.waiting]).first)
        #expect(retry.params == lost.params)
        #expect(retry.retriedTrialNumber == lost.number)
        #expect(retry.retryHistory == [lost.number])
        #expect(retry.intermediateValues == [1: 0.5])
        #expect(retry.systemAttributes[StudySession.RunKey.worker] == nil)
        // The failed trial and its waiting retry count once toward n_trials.
        try session.refresh()
        #expect(session.trialsCounted == 1)
        #expect(try storage.budgetedTrialCount(in: session.study.id) == 1)
    }

    @Test func trialOfAProcessGoneFromThisHostIsRecoveredWithoutWaitingForTheGracePeriod() throws {
        let clock = ManualClock()
        let storage = InMemoryStorage(now: { clock.now })
        let session = try StudySession(spec: spec(), storage: storage)
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        let gone = WorkerIdentity(host: local.host, pid: exited.processIdentifier)
        let lost = try startRemoteTrial(storage, session, worker: gone)
        let alive = try startRemoteTrial(storage, session, worker: WorkerIdentity(host: local.host, pid: getpid()))
        let failed = try session.recoverLostTrials(now: clock.now, worker: local)
        #expect(failed.map(\.id) == [lost.id])
        #expect(try storage.trial(alive.id)?.state == .running)
        #expect(
            try storage.trial(lost.id)?.systemAttributes["fail_reason"]?.stringValue?.contains("has exited") == true)
    }

    @Test func trialsWithoutAWorkerAreNeverTakenAsLost() throws {
        let clock = ManualClock()
        let storage = InMemoryStorage(now: { clock.now })
        let session = try StudySession(spec: spec(), storage: storage)
        let askTell = try session.ask()
        clock.advance(by: 3600)
        #expect(try session.recoverLostTrials(now: clock.now, worker: local).isEmpty)
        #expect(try storage.trial(askTell.id)?.state == .running)
    }

    @Test(arguments: [0, 1, 3])
    func aTrialIsRetriedAtMostMaxRetriesTimes(maxRetries: Int) throws {
        let clock = ManualClock()
        let storage = InMemoryStorage(now: { clock.now })
        let session = try StudySession(
            spec: spec(retry: RetryPolicy(maxRetries: maxRetries, heartbeatInterval: 1, gracePeriod: 5)),
            storage: storage)
        _ = try startRemoteTrial(storage, session, worker: remote)
        var attempts = 1
        while true {
            clock.advance(by: 10)
            #expect(try session.recoverLostTrials(now: clock.now, worker: local).count == 1)
            var claim = NewTrial()
            claim.systemAttributes[StudySession.RunKey.worker] = remote.json
            // The retry starts even though the budget (1) is used: it is the same trial again.
            guard let retry = try storage.startTrial(in: session.study.id, claim, budget: 1) else { break }
            #expect(retry.retriedTrialNumber == 0)
            attempts += 1
        }
        #expect(attempts == maxRetries + 1)
        let trials = try storage.trials(in: session.study.id, states: nil)
        #expect(trials.count == maxRetries + 1)
        #expect(trials.allSatisfy { $0.state == .fail })
        #expect(trials.last?.retryHistory == Array(0..<maxRetries))
        try session.refresh()
        #expect(session.trialsCounted == 1)
    }

    @Test func trainerFailuresAreRetriedOnlyWhenThePolicySaysSo() async throws {
        for retryTrainerFailures in [false, true] {
            let storage = InMemoryStorage()
            let policy = RetryPolicy(maxRetries: 2, retryTrainerFailures: retryTrainerFailures)
            let session = try StudySession(spec: spec(name: "flaky", trials: 3, retry: policy), storage: storage)
            let attempts = Counter()
            // Trial 0's first two attempts fail; everything else completes.
            let trainer = ScriptedTrainer { _, assignment in
                attempts.increment() <= 2 ? .fail("flaky") : .value(assignment.double("x") ?? 0)
            }
            let runner = StudyRunner(
                session: session, trainer: trainer, options: .init(workers: 1, nTrials: 3, timeout: nil))
            let pool = TrainerPool(threads: 1)
            defer { pool.shutdown() }
            let summary = try await runner.run(pool: pool)
            #expect(summary.totalTrials == 3)
            let trials = try storage.trials(in: session.study.id, states: nil)
            #expect(trials.filter { $0.state == .fail }.count == 2)
            #expect(trials.filter { $0.state == .complete }.count == (retryTrainerFailures ? 3 : 1))
            #expect(trials.contains { $0.retriedTrialNumber != nil } == retryTrainerFailures)
        }
    }

    @Test func interruptedTrialsAreRequeuedWithoutUsingARetry() async throws {
        let storage = InMemoryStorage()
        let session = try StudySession(
            spec: spec(name: "interrupted", trials: 4, retry: RetryPolicy(maxRetries: 0)), storage: storage)
        let trainer = CancellableTrainer()
        let runner = StudyRunner(
            session: session, trainer: trainer, options: .init(workers: 2, nTrials: 4, timeout: nil))
        let pool = TrainerPool(threads: 2)
        defer { pool.shutdown() }
        async let summary = runner.run(pool: pool)
        while trainer.started.value < 2 { try await Task.sleep(for: .milliseconds(5)) }
        runner.requestStop()
        runner.cancelRunningTrials()
        let result = try await summary
        #expect(result.stopReason == "stopped")
        let trials = try storage.trials(in: session.study.id, states: nil)
        let failed = trials.filter { $0.state == .fail }
        #expect(failed.count == 2)
        #expect(failed.allSatisfy { $0.systemAttributes["fail_reason"]?.stringValue?.hasPrefix("interrupted") == true })
        let waiting = trials.filter { $0.state == .waiting }
        #expect(waiting.count == 2)
        #expect(Set(waiting.compactMap(\.retriedTrialNumber)) == Set(failed.map(\.number)))
        #expect(waiting.allSatisfy { $0.systemAttributes[StudySession.RunKey.retries] == .integer(0) })
        // The next run trains them again (max_retries 0 does not apply to interruptions) and completes the study.
        let next = StudyRunner(
            session: try StudySession(spec: spec(name: "interrupted", trials: 4), storage: storage),
            trainer: ScriptedTrainer { _, _ in .value(1) }, options: .init(workers: 2, nTrials: 4, timeout: nil))
        let finished = try await next.run(pool: pool)
        #expect(finished.totalTrials == 4)
        let final = try storage.trials(in: session.study.id, states: nil)
        #expect(final.filter { $0.state == .complete }.count == 4)
        #expect(final.filter { $0.state == .waiting || $0.state == .running }.isEmpty)
    }

    @Test func severalRunnersOnOneFileRespectTheBudgetInTotal() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hpo-budget-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("study.db").path
        let pool = TrainerPool(threads: 4)
        defer { pool.shutdown() }
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<4 {
                // Each runner has its own storage connection and identity, as separate processes would.
                let storage = try SQLiteStorage(path: path)
                let session = try StudySession(spec: spec(name: "shared", trials: 23), storage: storage)
                let worker = WorkerIdentity(host: "test", pid: Int32(1000 + index))
                let runner = StudyRunner(
                    session: session, trainer: ScriptedTrainer(delay: 0.002) { _, _ in .value(1) },
                    options: .init(workers: 1, nTrials: 23, timeout: nil, worker: worker))
                group.addTask { try await runner.run(pool: pool).trialsRun }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts.reduce(0, +) == 23)
        let storage = try SQLiteStorage(path: path)
        let study = try #require(try storage.study(named: "shared"))
        let trials = try storage.trials(in: study.id, states: nil)
        #expect(trials.map(\.number) == Array(0..<23))
        #expect(
            trials.allSatisfy { $0.state == .complete }, "\(trials.map { ($0.number, $0.state, $0.systemAttributes) })")
    }

    @Test func retriesReadAndWriteTheCheckpointOfTheirFirstAttempt() throws {
        let clock = ManualClock()
        let storage = InMemoryStorage(now: { clock.now })
        let session = try StudySession(spec: spec(), storage: storage)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hpo-checkpoints-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = FileCheckpointStore(directory: directory)
        let checkpoints = RetryChainCheckpoints(base: files, session: session, discard: { files.remove(forTrial: $0) })
        let lost = try startRemoteTrial(storage, session, worker: remote)
        let saved = TrainingCheckpoint(
            epoch: 3, parameters: [1, 2], optimizerFirst: [0, 0], optimizerSecond: [0, 0], optimizerSteps: 6,
            lastValue: 0.5, bestValue: 0.4, bestEpoch: 2, bestTestValue: nil)
        try checkpoints.save(saved, forTrial: lost.number)
        clock.advance(by: 60)
        try session.recoverLostTrials(now: clock.now, worker: local)
        let retry = try #require(try storage.startTrial(in: session.study.id, NewTrial(), budget: 1))
        try session.refresh()
        #expect(try checkpoints.checkpoint(forTrial: retry.number) == saved)
        // While a retry waits the checkpoint stays; once the chain is finished it goes.
        checkpoints.trialFinished(try #require(try storage.trial(lost.id)))
        #expect(try files.checkpoint(forTrial: lost.number) == saved)
        try session.tell(trial: retry.id, state: .complete, value: 0.3)
        checkpoints.trialFinished(try #require(try storage.trial(retry.id)))
        #expect(try files.checkpoint(forTrial: lost.number) == nil)
    }

    @Test func runningTimeIsTheUnionOfTrialIntervals() throws {
        let clock = ManualClock()
        let storage = InMemoryStorage(now: { clock.now })
        let session = try StudySession(spec: spec(), storage: storage)
        let first = try session.ask()
        clock.advance(by: 10)
        let second = try session.ask()
        clock.advance(by: 5)
        try session.tell(trial: first.id, state: .complete, value: 1)
        clock.advance(by: 5)
        try session.tell(trial: second.id, state: .complete, value: 1)
        clock.advance(by: 100)
        let third = try session.ask()
        clock.advance(by: 7)
        try session.refresh()
        // [0, 15] ∪ [10, 20] is 20 s, then 7 s of the running third trial; the idle 100 s do not count.
        #expect(session.runningTime(now: clock.now) == 27)
        _ = third
    }
}

/// A count shared with trainer threads.
final class Counter: Sendable {
    private let count = Mutex(0)

    var value: Int { count.withLock { $0 } }

    /// Adds one and returns the new count.
    @discardableResult
    func increment() -> Int {
        count.withLock { count in
            count += 1
            return count
        }
    }
}

/// Trains until cancelled, then throws as the built-in trainers do.
final class CancellableTrainer: Trainer {
    let started = Counter()

    struct Cancelled: Error {}

    func train(_ assignment: Assignment, reporter: TrialReporter) throws -> Double {
        started.increment()
        var step = 0
        while !reporter.isCancelled {
            _ = reporter.report(step: step, value: 1)
            step += 1
            Thread.sleep(forTimeInterval: 0.002)
        }
        throw Cancelled()
    }
}
