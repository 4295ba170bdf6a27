import Foundation
import HPOCore
import Logging

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
/// happen, and stops at `n_trials` (the study's total), at the timeout, or when asked to.
public final class StudyRunner: Sendable {
    public struct Options: Sendable {
        public var workers: Int
        public var nTrials: Int?
        public var timeout: TimeInterval?

        public init(workers: Int, nTrials: Int?, timeout: TimeInterval?) {
            self.workers = workers
            self.nTrials = nTrials
            self.timeout = timeout
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

    /// Asks running trials to return as soon as they can (they check between minibatches).
    public func cancelRunningTrials() { cancelTrials.set() }

    public func run(pool: TrainerPool, events: @escaping @Sendable (RunEvent) -> Void = { _ in }) async throws
        -> RunSummary
    {
        let started = Date()
        let workers = max(1, options.workers)
        let existing = session.trialsCounted
        events(.started(study: session.spec.name, existing: existing, target: options.nTrials, workers: workers))
        var launched = 0
        var stopReason = "budget reached"
        try await withThrowingTaskGroup(of: Trial.self) { group in
            var running = 0
            func collect() async throws {
                if let finished = try await group.next() {
                    running -= 1
                    events(.trialFinished(finished, best: session.history.bestTrial))
                }
            }
            while true {
                if stopRequested.isSet {
                    stopReason = "stopped"
                    break
                }
                if let timeout = options.timeout, Date().timeIntervalSince(started) >= timeout {
                    stopReason = "timeout"
                    break
                }
                if running >= workers {
                    try await collect()
                    continue
                }
                try session.refresh()
                if let target = options.nTrials, session.trialsCounted >= target {
                    if running == 0 { break }
                    try await collect()
                    continue
                }
                let trial = try session.ask()
                launched += 1
                running += 1
                events(.trialStarted(trial))
                let session = self.session
                let trainer = self.trainer
                let cancel = self.cancelTrials
                group.addTask {
                    try await pool.run { session.execute(trial, trainer: trainer, cancellation: cancel) }
                }
            }
            if running > 0 { events(.stopping(reason: stopReason)) }
            while running > 0 { try await collect() }
        }
        try session.refresh()
        let summary = RunSummary(
            studyName: session.spec.name, trialsRun: launched, totalTrials: session.trialsCounted,
            best: session.history.bestTrial, elapsed: Date().timeIntervalSince(started), stopReason: stopReason)
        events(.finished(summary))
        return summary
    }
}
