import Foundation
import HPOCore
import Synchronization

/// A trainer whose behaviour tests script per trial number: a value, a failure, a delay, reports per step.
public final class ScriptedTrainer: Trainer {
    public enum Step: Sendable {
        case value(Double)
        case fail(String)
        /// Reports `values` as steps 0, 1, ... and returns the last one (stopping early on `.prune`).
        case curve([Double])
    }

    private struct State {
        var running = 0
        var maxRunning = 0
        var started: [Int] = []
    }

    private let script: @Sendable (Int, Assignment) -> Step
    private let delay: TimeInterval
    private let state = Mutex(State())

    public init(delay: TimeInterval = 0, script: @escaping @Sendable (Int, Assignment) -> Step) {
        self.delay = delay
        self.script = script
    }

    /// The most trials that ran at the same moment.
    public var maxConcurrent: Int { state.withLock { $0.maxRunning } }
    public var startedTrials: [Int] { state.withLock { $0.started } }

    public struct ScriptedFailure: Error, CustomStringConvertible {
        public var description: String
    }

    public func train(_ assignment: Assignment, reporter: TrialReporter) throws -> Double {
        state.withLock { state in
            state.running += 1
            state.maxRunning = max(state.maxRunning, state.running)
            state.started.append(reporter.trialNumber)
        }
        defer { state.withLock { $0.running -= 1 } }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        switch script(reporter.trialNumber, assignment) {
        case .value(let value):
            return value
        case .fail(let message):
            throw ScriptedFailure(description: message)
        case .curve(let values):
            var last = Double.nan
            for (step, value) in values.enumerated() {
                last = value
                if reporter.report(step: step, value: value) == .prune { break }
            }
            return last
        }
    }
}
