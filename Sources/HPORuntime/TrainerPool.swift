import Foundation
import HPOTraining
import Synchronization

/// A fixed set of dedicated OS threads that run blocking work (training on BLAS, storage writes), so that long
/// CPU work never occupies Swift's cooperative pool. Jobs are taken in submission order.
public final class TrainerPool: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var shuttingDown = false
        var busy = 0
    }

    /// The queue and its condition share one `NSCondition`; `state` is only touched while it is held.
    private let condition = NSCondition()
    private let state = Mutex(State())
    public let threadCount: Int

    /// Starts `threads` worker threads. OpenBLAS is set to one thread per call (parallelism comes from the pool),
    /// without restarting helper threads that `BLAS.stopHelperThreads` ended.
    public init(threads: Int) {
        threadCount = max(1, threads)
        BLAS.useOneThreadPerCall()
        for index in 0..<threadCount {
            let thread = Thread { [self] in self.workLoop() }
            thread.name = "hpo-trainer-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// The number of jobs running now.
    public var busyThreads: Int { state.withLock { $0.busy } }

    /// Queues a job; false (the job is dropped, never run) once `shutdown()` was called. The check and the append
    /// are one step under the queue's lock, so a job is either refused here or run by a thread before it exits:
    /// none is queued after the threads are gone (a caller awaiting it would wait forever).
    @discardableResult
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        let queued: Bool = state.withLock { state in
            guard !state.shuttingDown else { return false }
            state.jobs.append(job)
            return true
        }
        if queued { condition.signal() }
        condition.unlock()
        return queued
    }

    /// Runs `body` on a pool thread and returns its result to the awaiting task; throws
    /// `TrainerPoolError.shutDown` without running it once the pool is shut down.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let queued = submit {
                continuation.resume(with: Result { try body() })
            }
            if !queued { continuation.resume(throwing: TrainerPoolError.shutDown) }
        }
    }

    /// Lets the threads finish the jobs queued so far and exit; later jobs are refused (`submit`, `run`).
    public func shutdown() {
        condition.lock()
        state.withLock { $0.shuttingDown = true }
        condition.broadcast()
        condition.unlock()
    }

    private func workLoop() {
        BLAS.useOneThreadPerCall()
        while true {
            condition.lock()
            var job: (@Sendable () -> Void)?
            while job == nil {
                let next: (job: (@Sendable () -> Void)?, exit: Bool) = state.withLock { state in
                    if state.head < state.jobs.count {
                        let job = state.jobs[state.head]
                        state.head += 1
                        if state.head > 64, state.head * 2 > state.jobs.count {
                            state.jobs.removeFirst(state.head)
                            state.head = 0
                        }
                        state.busy += 1
                        return (job, false)
                    }
                    return (nil, state.shuttingDown)
                }
                if let found = next.job {
                    job = found
                } else if next.exit {
                    condition.unlock()
                    return
                } else {
                    condition.wait()
                }
            }
            condition.unlock()
            job?()
            state.withLock { $0.busy -= 1 }
        }
    }
}

/// Why a `TrainerPool` did not run a job.
public enum TrainerPoolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The pool was shut down before the job was queued.
    case shutDown

    public var description: String {
        switch self {
        case .shutDown: return "the thread pool is shut down: no further work runs on it"
        }
    }
}
