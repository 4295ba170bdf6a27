import Foundation

/// Runs one deferred job at a time on its own thread, so that a run with one worker proposes the next trial while
/// the last trial's finishing transaction commits (`RunWorkers`).
///
/// A job is submitted, then settled before the next write: `settle()` returns once the job has run. If the writer
/// thread has not taken the job yet, `settle()` runs it on the calling thread instead of waiting for the thread to
/// wake, so a job is never slower than running it in place. Jobs run in submission order, one at a time; at most
/// one is waiting.
final class FinishWriter: @unchecked Sendable {
    // `job`, `busy` and `closed` are read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var job: (@Sendable () -> Void)?
    private var busy = false
    private var closed = false

    init() {
        let thread = Thread { [self] in loop() }
        thread.name = "hpo.finish"
        thread.start()
    }

    /// Hands `job` to the writer thread. The previous job must have been settled.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        precondition(self.job == nil && !busy && !closed, "FinishWriter: a job is submitted before the last settled")
        self.job = job
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once the submitted job (if any) has run: runs it here when the writer thread has not started it.
    func settle() {
        condition.lock()
        if let job {
            self.job = nil
            condition.unlock()
            job()
            return
        }
        while busy { condition.wait() }
        condition.unlock()
    }

    /// Settles the last job and ends the writer thread.
    func close() {
        settle()
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        condition.lock()
        while true {
            while job == nil, !closed { condition.wait() }
            guard let next = job else { break }
            job = nil
            busy = true
            condition.unlock()
            next()
            condition.lock()
            busy = false
            condition.broadcast()
        }
        condition.unlock()
    }
}
