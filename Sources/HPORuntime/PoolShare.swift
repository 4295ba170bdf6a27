import Synchronization

/// Hands the threads of a shared `TrainerPool` to the studies that want them, one slot at a time, in the order they
/// asked. Each study's run loop waits for at most one slot at a time, so the order of the waiting line is
/// round-robin over the studies: none of them can take the whole pool while others wait.
public final class PoolShare: Sendable {
    private struct Waiter {
        var ticket: UInt64
        var owner: String
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var free: Int
        var waiters: [Waiter] = []
        var nextTicket: UInt64 = 0
        /// Owners whose next wait must return false at once (withdrawn while not waiting yet).
        var withdrawn: Set<String> = []
    }

    private let state: Mutex<State>
    /// The number of slots (the pool's threads).
    public let capacity: Int

    public init(slots: Int) {
        capacity = max(1, slots)
        state = Mutex(State(free: max(1, slots)))
    }

    /// Slots handed out now.
    public var inUse: Int { state.withLock { capacity - $0.free } }

    /// Studies waiting for a slot now.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Waits for a slot for `owner`. Returns true with a slot that the caller must `release()`, or false without one
    /// when `withdraw(owner:)` was called (the study paused or stopped).
    public func acquire(owner: String) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let granted: Bool? = state.withLock { state in
                if state.withdrawn.remove(owner) != nil { return false }
                if state.free > 0, state.waiters.isEmpty {
                    state.free -= 1
                    return true
                }
                state.nextTicket += 1
                state.waiters.append(Waiter(ticket: state.nextTicket, owner: owner, continuation: continuation))
                return nil
            }
            if let granted { continuation.resume(returning: granted) }
        }
    }

    /// Gives a slot back: to the first study in line, or to the free count.
    public func release() {
        let next: Waiter? = state.withLock { state in
            if state.waiters.isEmpty {
                state.free = min(capacity, state.free + 1)
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.continuation.resume(returning: true)
    }

    /// Wakes `owner`'s wait without a slot (its next `acquire` returns false if it is not waiting now).
    public func withdraw(owner: String) {
        let removed: [Waiter] = state.withLock { state in
            let mine = state.waiters.filter { $0.owner == owner }
            if mine.isEmpty {
                state.withdrawn.insert(owner)
            } else {
                state.waiters.removeAll { $0.owner == owner }
            }
            return mine
        }
        for waiter in removed { waiter.continuation.resume(returning: false) }
    }

    /// Forgets a pending withdrawal of `owner` (the study runs again).
    public func clearWithdrawal(owner: String) {
        _ = state.withLock { $0.withdrawn.remove(owner) }
    }
}
