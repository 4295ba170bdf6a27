import Synchronization

/// Wakes one waiting task when something it watches changed. A signal sent while nobody waits is kept, so the next
/// `wait()` returns at once: no wake-up is lost between a check and the wait that follows it.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal (or at once if one came since the last wait). One waiter at a time: a second
    /// waiter replaces the first, which returns as if signalled.
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (resumeNow, replaced): (Bool, CheckedContinuation<Void, Never>?) = state.withLock { state in
                if state.pending {
                    state.pending = false
                    return (true, nil)
                }
                let earlier = state.waiter
                state.waiter = continuation
                return (false, earlier)
            }
            replaced?.resume()
            if resumeNow { continuation.resume() }
        }
    }
}
