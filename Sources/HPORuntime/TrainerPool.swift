import COpenBLAS
import Foundation
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

    /// Starts `threads` worker threads. OpenBLAS is set to one thread per call: parallelism comes from the pool.
    public init(threads: Int) {
        threadCount = max(1, threads)
        openblas_set_num_threads(1)
        for index in 0..<threadCount {
            let thread = Thread { [self] in self.workLoop() }
            thread.name = "hpo-trainer-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// The number of jobs running now.
    public var busyThreads: Int { state.withLock { $0.busy } }

    /// Queues a job.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        state.withLock { $0.jobs.append(job) }
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on a pool thread and returns its result to the awaiting task.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Lets the threads finish their queued jobs and exit.
    public func shutdown() {
        condition.lock()
        state.withLock { $0.shuttingDown = true }
        condition.broadcast()
        condition.unlock()
    }

    private func workLoop() {
        openblas_set_num_threads(1)
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
