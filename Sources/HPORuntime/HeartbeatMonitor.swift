import Foundation
import Synchronization

/// A dedicated OS thread that, every `interval` seconds, writes the heartbeat of each trial this process runs and
/// then runs `tick` (the run's recovery of lost trials). It never runs on Swift's cooperative pool, so a pool busy
/// with training or a blocked task cannot delay a heartbeat.
final class HeartbeatMonitor: Sendable {
    private struct State {
        var trials: Set<Int64> = []
        var stopped = false
    }

    private let state = Mutex(State())
    /// Wakes the thread early when the monitor stops; `state` is read while it is held.
    private let condition = NSCondition()
    let interval: TimeInterval

    /// Starts the thread. `beat` writes one trial's heartbeat; `tick` runs after each round of heartbeats.
    /// Errors are the callbacks' to handle: a failed heartbeat is retried at the next round.
    init(
        interval: TimeInterval, beat: @escaping @Sendable (Int64) -> Void, tick: @escaping @Sendable () -> Void
    ) {
        self.interval = max(0.01, interval)
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
        condition.lock()
        state.withLock { $0.stopped = true }
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps one interval; false once stopped.
    private func waitForNextRound() -> Bool {
        let deadline = Date().addingTimeInterval(interval)
        condition.lock()
        defer { condition.unlock() }
        while !state.withLock({ $0.stopped }) {
            if !condition.wait(until: deadline) { break }
        }
        return !state.withLock { $0.stopped }
    }
}
