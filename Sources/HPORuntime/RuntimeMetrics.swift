import Foundation
import HPOCore
import Synchronization

/// Counters of the daemon's runtime, for `/metrics`: ask latency as a histogram, trials finished (in all and over
/// the last minute), by state.
public final class RuntimeMetrics: Sendable {
    /// Upper bounds (seconds) of the ask latency histogram's buckets; the last bucket is +Inf.
    public static let askBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    /// How far back `trialsPerSecond` looks.
    public static let rateWindow: TimeInterval = 60

    private struct State {
        var askCounts = [Int](repeating: 0, count: RuntimeMetrics.askBuckets.count + 1)
        var askSum = 0.0
        var askTotal = 0
        var finishedByState: [TrialState: Int] = [:]
        /// Finishes per whole second, in a ring indexed by the second modulo its length.
        var ring = [(second: Int, count: Int)](repeating: (-1, 0), count: Int(RuntimeMetrics.rateWindow))
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date
    public let started: Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
        self.started = now()
    }

    /// Records one ask that took `seconds`.
    public func recordAsk(seconds: Double) {
        let bucket = Self.askBuckets.firstIndex { seconds <= $0 } ?? Self.askBuckets.count
        state.withLock { state in
            state.askCounts[bucket] += 1
            state.askSum += seconds
            state.askTotal += 1
        }
    }

    /// Records a trial that finished in `trialState`.
    public func recordFinish(_ trialState: TrialState) {
        let time = now()
        state.withLock { state in
            state.finishedByState[trialState, default: 0] += 1
            let second = Int(time.timeIntervalSince1970)
            let slot = second % state.ring.count
            if state.ring[slot].second != second { state.ring[slot] = (second, 0) }
            state.ring[slot].count += 1
        }
    }

    public struct Snapshot: Sendable {
        /// Cumulative counts per bucket of `askBuckets`, then +Inf.
        public var askCumulative: [Int]
        public var askSum: Double
        public var askTotal: Int
        public var finishedByState: [TrialState: Int]
        /// Trials finished per second over the last `rateWindow` seconds (or since the start, when shorter).
        public var trialsPerSecond: Double
        public var uptime: TimeInterval
    }

    public var snapshot: Snapshot {
        let time = now()
        return state.withLock { state in
            var cumulative: [Int] = []
            var running = 0
            for count in state.askCounts {
                running += count
                cumulative.append(running)
            }
            let oldest = Int(time.timeIntervalSince1970) - state.ring.count
            let recent = state.ring.filter { $0.second > oldest }.reduce(0) { $0 + $1.count }
            let window = min(Self.rateWindow, max(time.timeIntervalSince(started), 1))
            return Snapshot(
                askCumulative: cumulative, askSum: state.askSum, askTotal: state.askTotal,
                finishedByState: state.finishedByState, trialsPerSecond: Double(recent) / window,
                uptime: time.timeIntervalSince(started))
        }
    }
}
