import Foundation
import Synchronization

/// A dedicated OS thread that, every `interval` seconds, writes the heartbeat of each trial this process runs and
/// then runs `tick` (the run's recovery of lost trials). It never runs on Swift's cooperative pool, so a pool busy
/// with training or a blocked task cannot delay a heartbeat. The interval is read again before each wait, so an owner
/// whose studies change (the daemon) can follow the shortest interval they ask for; `wake()` starts a round at once.
final class HeartbeatMonitor: Sendable {
    private struct State {
        var trials: Set<Int64> = []
        var stopped = false
        var woken = false
    }

    private let state = Mutex(State())
    /// Wakes the thread early when the monitor stops or is woken; `state` is read while it is held.
    private let condition = NSCondition()
    private let interval: @Sendable () -> TimeInterval

    /// Starts the thread with a fixed interval. `beat` writes one trial's heartbeat; `tick` runs after each round
    /// of heartbeats. Errors are the callbacks' to handle: a failed heartbeat is retried at the next round.
    convenience init(
        interval: TimeInterval, beat: @escaping @Sendable (Int64) -> Void, tick: @escaping @Sendable () -> Void
    ) {
        self.init(interval: { interval }, beat: beat, tick: tick)
    }

    /// Starts the thread; `interval` is called before each wait (at least 0.01 s is waited).
    init(
        interval: @escaping @Sendable () -> TimeInterval, beat: @escaping @Sendable (Int64) -> Void,
        tick: @escaping @Sendable () -> Void
    ) {
        self.interval = interval
        let thread = Thread { [self] in
            while waitForNextRound() {
                for trial in state.withLock({ $0.trials }).sorted() { beat(trial) }
                tick()
            }
        }
        thread.name = "hpo-heartbeat"
        thread.start()
    }

    /// The trials whose heartbeats are written.
    var trials: Set<Int64> { state.withLock { $0.trials } }

    func add(_ trial: Int64) { state.withLock { _ = $0.trials.insert(trial) } }

    func remove(_ trial: Int64) { state.withLock { _ = $0.trials.remove(trial) } }

    /// Ends the thread after its current round.
    func stop() {
        signal { $0.stopped = true }
    }

    /// Starts a round now (after the current one, if one runs); the interval is read again after it.
    func wake() {
        signal { $0.woken = true }
    }

    private func signal(_ change: (inout State) -> Void) {
        condition.lock()
        state.withLock { change(&$0) }
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps one interval, or until woken; false once stopped.
    private func waitForNextRound() -> Bool {
        let deadline = Date().addingTimeInterval(max(0.01, interval()))
        condition.lock()
        defer { condition.unlock() }
        while true {
            let (stopped, woken) = state.withLock { state in
                defer { state.woken = false }
                return (state.stopped, state.woken)
            }
            if stopped { return false }
            if woken || !condition.wait(until: deadline) { return true }
        }
    }
}
