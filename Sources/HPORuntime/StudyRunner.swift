import Foundation
import HPOCore
import Logging
import Synchronization

/// What happened in a run, for progress displays and logs.
public enum RunEvent: Sendable {
    case started(study: String, existing: Int, target: Int?, workers: Int)
    case trialStarted(Trial)
    case trialFinished(Trial, best: Trial?)
    case stopping(reason: String)
    case finished(RunSummary)
}

public struct RunSummary: Sendable {
    public var studyName: String
    public var trialsRun: Int
    public var totalTrials: Int
    public var best: Trial?
    public var elapsed: TimeInterval
    public var stopReason: String
}

/// Runs a study to its budget: asks the sampler, trains trials on the pool's threads, records results as they
/// happen, and stops at `n_trials` (the study's total, counted across every process running the study), at the
/// timeout, or when asked to.
///
/// Each of `workers` pool threads (at most the pool's size) runs a worker loop for the whole run (`RunWorkers`):
/// start a trial (one worker at a time), train it, finish it, so a trial involves no hand-over between threads.
///
/// While it runs, a heartbeat thread writes the heartbeat of each running trial every `retry.heartbeat_interval`
/// and then recovers lost trials (their worker's process is gone, or their heartbeat is older than
/// `retry.grace_period`): each is failed and re-queued with the same parameters, as the retry policy allows.
/// Recovery also runs when the run starts. Once the budget is used, the run still waits for RUNNING trials of
/// other processes, so that a study left by a crashed process ends with every trial finished.
public final class StudyRunner: Sendable {
    public struct Options: Sendable {
        public var workers: Int
        public var nTrials: Int?
        public var timeout: TimeInterval?
        /// Whether `timeout` limits this run or the study's whole running time (see `TimeoutScope`).
        public var timeoutScope: TimeoutScope
        /// This process, as recorded with the trials it runs.
        public var worker: WorkerIdentity
        /// The clock of heartbeat recovery (tests pass a fixed one).
        public var now: @Sendable () -> Date
        /// The trainer's checkpoints, told when a trial finishes so that a finished chain's checkpoint goes.
        public var checkpoints: RetryChainCheckpoints?
        /// With one worker, whether a trial's finishing transaction commits on another thread while the next trial
        /// is proposed (see `RunWorkers`). The stored trials are the same either way.
        public var overlapsFinishes = true
        /// Seconds: while the last proposal took less, a finish is written in place (handing it over costs more than
        /// it saves); 0 hands every finish over.
        public var shortestOverlappedProposal: TimeInterval = 50e-6

        public init(
            workers: Int, nTrials: Int?, timeout: TimeInterval?, timeoutScope: TimeoutScope = .run,
            worker: WorkerIdentity = .current, now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.workers = workers
            self.nTrials = nTrials
            self.timeout = timeout
            self.timeoutScope = timeoutScope
            self.worker = worker
            self.now = now
        }
    }

    public let session: StudySession
    let trainer: any Trainer
    let options: Options
    let stopRequested = RunFlag()
    let cancelTrials = RunFlag()

    public init(session: StudySession, trainer: any Trainer, options: Options) {
        self.session = session
        self.trainer = trainer
        self.options = options
    }

    /// Asks the run to start no new trial; running trials finish.
    public func requestStop() { stopRequested.set() }

    /// Asks running trials to return as soon as they can (they check between minibatches); they are failed and
    /// re-queued, so the next run of the study trains them again (from their checkpoint when there is one).
    public func cancelRunningTrials() { cancelTrials.set() }

    public func run(pool: TrainerPool, events: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws
        -> RunSummary
    {
        let started = Date()
        let workers = max(1, options.workers)
        let session = self.session
        let options = self.options
        let worker = options.worker
        let policy = session.spec.retry
        let monitor = HeartbeatMonitor(
            interval: policy.heartbeatInterval,
            beat: { trial in try? session.storage.recordHeartbeat(of: trial) },
            tick: { [weak self] in
                guard let self else { return }
                _ = try? session.recoverLostTrials(now: options.now(), worker: worker, ownTrials: self.ownTrials)
            })
        self.monitor.withLock { $0 = monitor }
        defer { monitor.stop() }
        try session.recoverLostTrials(now: options.now(), worker: worker, ownTrials: [])
        var timeLimit = options.timeout
        if let timeout = options.timeout, options.timeoutScope == .study {
            timeLimit = max(0, timeout - session.runningTime(now: Date()))
        }
        let existing = session.trialsCounted
        events(.started(study: session.spec.name, existing: existing, target: options.nTrials, workers: workers))
        // Each worker asks, trains and tells on its own pool thread, trial after trial, so a trial costs no hop
        // between threads; the async side only waits for the workers to end.
        let loopCount = min(workers, pool.threadCount)
        let loops = RunWorkers(
            runner: self, monitor: monitor, started: started, timeLimit: timeLimit,
            longestPoll: min(1, max(0.01, policy.heartbeatInterval / 2)),
            overlapFinishes: loopCount == 1 && options.overlapsFinishes, events: events)
        defer { loops.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<loopCount {
                group.addTask { try await pool.run { loops.work() } }
            }
            try await group.waitForAll()
        }
        let outcome = loops.outcome
        if let error = outcome.error { throw error }
        try session.refresh()
        let summary = RunSummary(
            studyName: session.spec.name, trialsRun: outcome.launched, totalTrials: session.trialsCounted,
            best: session.bestTrial, elapsed: Date().timeIntervalSince(started), stopReason: outcome.stopReason)
        events(.finished(summary))
        return summary
    }

    /// The monitor of the current run (for the trials it runs).
    private let monitor = Mutex<HeartbeatMonitor?>(nil)

    /// The trials this runner is running now.
    var ownTrials: Set<TrialID> { monitor.withLock { $0?.trials ?? [] } }
}
