import Foundation

public enum StudyDirection: String, Sendable, Hashable, Codable {
    case minimize
    case maximize

    /// The name Optuna stores (`MINIMIZE` / `MAXIMIZE`).
    public var storageName: String { rawValue.uppercased() }

    /// True when `a` is strictly better than `b`.
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        self == .minimize ? a < b : a > b
    }
}

public enum TrialState: String, Sendable, Hashable, Codable, CaseIterable {
    case running = "RUNNING"
    case complete = "COMPLETE"
    case pruned = "PRUNED"
    case fail = "FAIL"
    case waiting = "WAITING"

    public var isFinished: Bool {
        switch self {
        case .complete, .pruned, .fail: return true
        case .running, .waiting: return false
        }
    }
}

/// Identifies a study in a storage.
public typealias StudyID = Int64
/// Identifies a trial in a storage (unique across studies, like Optuna's `trial_id`).
public typealias TrialID = Int64

/// One trial as stored: its parameters (internal doubles with their distributions),
/// result, intermediate values and attributes.
public struct Trial: Sendable, Hashable {
    public var id: TrialID
    public var number: Int
    public var state: TrialState
    public var value: Double?
    /// Internal representation of each parameter (a categorical stores its index).
    public var params: [String: Double]
    public var distributions: [String: Distribution]
    /// Intermediate values by step; NaN is allowed.
    public var intermediateValues: [Int: Double]
    public var datetimeStart: Date?
    public var datetimeComplete: Date?
    public var userAttributes: [String: JSONValue]
    public var systemAttributes: [String: JSONValue]

    public init(
        id: TrialID, number: Int, state: TrialState, value: Double? = nil,
        params: [String: Double] = [:], distributions: [String: Distribution] = [:],
        intermediateValues: [Int: Double] = [:], datetimeStart: Date? = nil, datetimeComplete: Date? = nil,
        userAttributes: [String: JSONValue] = [:], systemAttributes: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.number = number
        self.state = state
        self.value = value
        self.params = params
        self.distributions = distributions
        self.intermediateValues = intermediateValues
        self.datetimeStart = datetimeStart
        self.datetimeComplete = datetimeComplete
        self.userAttributes = userAttributes
        self.systemAttributes = systemAttributes
    }

    /// The external parameter values.
    public var assignment: Assignment {
        var values: [String: ParamValue] = [:]
        for (name, internalValue) in params {
            if let distribution = distributions[name] {
                values[name] = distribution.externalValue(of: internalValue)
            }
        }
        return Assignment(values)
    }

    /// The step of the last intermediate value, if any.
    public var lastStep: Int? { intermediateValues.keys.max() }

    /// Seconds between start and completion, when both are known.
    public var duration: TimeInterval? {
        guard let start = datetimeStart, let end = datetimeComplete else { return nil }
        return end.timeIntervalSince(start)
    }
}

/// The trials of a study seen by a sampler or a scheduler, in trial-number order.
public struct TrialHistory: Sendable {
    public var direction: StudyDirection
    public var trials: [Trial]

    public init(direction: StudyDirection, trials: [Trial]) {
        self.direction = direction
        self.trials = trials
    }

    public func trials(in states: Set<TrialState>) -> [Trial] {
        trials.filter { states.contains($0.state) }
    }

    /// The best COMPLETE trial (ties: the lower number).
    public var bestTrial: Trial? {
        var best: Trial?
        for trial in trials where trial.state == .complete {
            guard let value = trial.value else { continue }
            if let current = best, let currentValue = current.value {
                if direction.isBetter(value, than: currentValue) { best = trial }
            } else {
                best = trial
            }
        }
        return best
    }
}
