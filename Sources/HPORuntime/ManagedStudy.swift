import Foundation
import HPOCore
import Synchronization

/// Where a study stands in the daemon.
public enum StudyStatus: String, Sendable, Hashable, Codable {
    /// Its run loop starts trials on the pool.
    case running
    /// Starts no new trial until resumed; running trials finish.
    case paused
    /// Stopped by request; running trials finish. Resuming starts it again.
    case stopped
    /// Its budget is used (or its timeout passed).
    case finished
    /// No trainer: driven from outside through ask / report / tell.
    case external
    /// The run loop ended on an error (the message is in the study's overview).
    case failed
}

/// What a study's run loop is asked to do.
enum RunRequest: Sendable, Hashable {
    case run
    case pause
    case stop
    /// The daemon shuts down: like `stop`, but the study resumes when the daemon starts again.
    case shutdown
}

/// One study the daemon knows: its session, its trainer (nil for a study driven from outside), and the state of its
/// run loop. State shared with the loop and the trial tasks is under `state`'s lock.
public final class ManagedStudy: Sendable {
    struct State {
        var request: RunRequest = .run
        var status: StudyStatus
        var loopActive = false
        var running = 0
        var launchedThisRun = 0
        var runStarted: Date?
        var error: String?
        var stopReason: String?
        /// API requests (ask, report, tell, control) working on this study now: it is not released meanwhile.
        var inUse = 0
        /// The manager released this object's memory (`StudyManager.releaseIfIdle`): it is no longer the
        /// registered study, and a request that finds it so looks the study up again.
        var released = false
    }

    public let session: StudySession
    let trainer: (any Trainer)?
    /// The most trials of this study that run at once (`budget.workers`).
    public let workerCap: Int
    let cancelTrials = RunFlag()
    let wake = WakeSignal()
    let state: Mutex<State>

    /// `restoring` gives back the run state a released study had (status, stop reason, error, last run).
    init(session: StudySession, trainer: (any Trainer)?, status: StudyStatus, restoring run: RunState? = nil) {
        self.session = session
        self.trainer = trainer
        self.workerCap = max(1, session.spec.budget.workers)
        var state = State(status: trainer == nil ? .external : status)
        if let run, trainer != nil {
            state.status = run.status
            state.launchedThisRun = run.launchedThisRun
            state.runStarted = run.runStarted
            state.error = run.error
            state.stopReason = run.stopReason
        }
        self.state = Mutex(state)
    }

    public var name: String { session.spec.name }
    public var spec: StudySpec { session.spec }
    public var hasTrainer: Bool { trainer != nil }

    /// A snapshot of the run loop's state.
    public var runState: RunState {
        state.withLock { state in
            RunState(
                status: state.status, runningTrials: state.running, launchedThisRun: state.launchedThisRun,
                runStarted: state.runStarted, error: state.error, stopReason: state.stopReason)
        }
    }

    var request: RunRequest { state.withLock { $0.request } }
    var running: Int { state.withLock { $0.running } }

    /// Marks a request working on the study; false when the study was released (look it up again).
    func beginUse() -> Bool {
        state.withLock { state in
            guard !state.released else { return false }
            state.inUse += 1
            return true
        }
    }

    func endUse() {
        state.withLock { $0.inUse -= 1 }
    }

    func trialLaunched() {
        state.withLock { state in
            state.running += 1
            state.launchedThisRun += 1
        }
    }

    func trialEnded() {
        state.withLock { $0.running -= 1 }
        wake.signal()
    }
}

/// What `GET /studies/{name}` shows of a study's run.
public struct RunState: Sendable, Hashable {
    public var status: StudyStatus
    public var runningTrials: Int
    public var launchedThisRun: Int
    public var runStarted: Date?
    public var error: String?
    public var stopReason: String?
}
