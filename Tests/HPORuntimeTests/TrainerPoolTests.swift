import Foundation
import HPORuntime
import Synchronization
import Testing

/// The dedicated threads of `TrainerPool`: jobs queued before a shutdown still run, and work offered after it is
/// refused rather than queued for threads that are gone.
@Suite("Trainer pool")
struct TrainerPoolTests {
    @Test func workOfferedAfterShutdownIsRefusedWhetherOrNotTheThreadsHaveExited() async throws {
        let pool = TrainerPool(threads: 2)
        #expect(try await pool.run { 41 + 1 } == 42)
        pool.shutdown()
        // Right after the shutdown (threads may still be alive) and once they have surely exited: the same answer.
        for attempt in 0..<40 {
            if attempt == 20 { try await Task.sleep(for: .milliseconds(200)) }
            let ran = Mutex(false)
            await #expect(throws: TrainerPoolError.shutDown) {
                try await pool.run { ran.withLock { $0 = true } }
            }
            #expect(!ran.withLock { $0 })
            #expect(!pool.submit { ran.withLock { $0 = true } })
        }
    }

    @Test func jobsQueuedBeforeShutdownStillRun() async throws {
        let pool = TrainerPool(threads: 1)
        let gate = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        // The only thread is held, so the next job waits in the queue while the pool shuts down.
        #expect(
            pool.submit {
                holding.signal()
                gate.wait()
            })
        holding.wait()
        let ran = DispatchSemaphore(value: 0)
        #expect(pool.submit { ran.signal() })
        pool.shutdown()
        gate.signal()
        let finished = await Task.detached { ran.wait(timeout: .now() + 60) == .success }.value
        #expect(finished)
    }
}
