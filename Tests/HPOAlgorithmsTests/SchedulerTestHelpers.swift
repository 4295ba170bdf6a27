import HPOCore

/// A trial for scheduler tests: its reports by step, the rung values it already recorded, and its state.
func schedulerTrial(
    _ number: Int, _ state: TrialState = .running, reports: [Int: Double] = [:], rungs: [Double] = [],
    attributes: [String: JSONValue] = [:]
) -> Trial {
    var systemAttributes = attributes
    for (rung, value) in rungs.enumerated() {
        systemAttributes["completed_rung_\(rung)"] = .number(value)
    }
    let value = state == .complete ? reports.max { $0.key < $1.key }?.value : nil
    return Trial(
        id: TrialID(number + 1), number: number, state: state, value: value, intermediateValues: reports,
        systemAttributes: systemAttributes)
}

extension TrialScheduler {
    /// Decides for `trial` against `others` (the trial itself is added to the history, as the runtime passes it).
    func decide(
        _ trial: Trial, among others: [Trial], direction: StudyDirection = .minimize, studyName: String = "study"
    ) -> SchedulerOutcome {
        let trials = (others + [trial]).sorted { $0.number < $1.number }
        return decide(for: trial, studyName: studyName, history: TrialHistory(direction: direction, trials: trials))
    }
}

/// Trials `first..<first + values.count`, each RUNNING with rung 0 recorded at the given value.
func rungZeroTrials(_ values: [Double], first: Int = 0) -> [Trial] {
    values.enumerated().map { offset, value in
        schedulerTrial(first + offset, reports: [1: value], rungs: [value])
    }
}
