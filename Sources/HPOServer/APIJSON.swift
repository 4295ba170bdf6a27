import Foundation
import HPOConfig
import HPOCore
import HPORuntime
import HPOStorage

/// The JSON shapes of the API.
enum APIJSON {
    /// A trial: number, state, value, parameters (external values), intermediate values, attributes and times.
    /// The fields `hpo trials --format json` prints, plus `system_attrs`, `datetime_complete` and `fail_reason`.
    static func trial(_ trial: Trial) -> JSONValue {
        var members = TrialJSON.sharedMembers(of: trial)
        members["number"] = .integer(trial.number)
        members["value"] = trial.value.map(number) ?? .null
        members["system_attrs"] = .object(trial.systemAttributes)
        members["datetime_start"] = trial.datetimeStart.map(date) ?? .null
        members["datetime_complete"] = trial.datetimeComplete.map(date) ?? .null
        return .object(members)
    }

    /// `{"trial": N, "params": {...}}`, as `hpo ask` prints it.
    static func asked(_ trial: Trial) -> JSONValue {
        var params: [String: JSONValue] = [:]
        for (name, value) in trial.assignment.values { params[name] = value.json }
        return .object(["trial": .integer(trial.number), "params": .object(params)])
    }

    /// A study: definition, status, counts by state, best trial and progress.
    static func study(_ overview: StudyOverview, detailed: Bool) -> JSONValue {
        var counts: [String: JSONValue] = [:]
        for state in TrialState.allCases { counts[state.rawValue.lowercased()] = .integer(overview.counts[state] ?? 0) }
        let total = overview.counts.values.reduce(0, +)
        var members: [String: JSONValue] = [
            "name": .string(overview.record.name),
            "direction": .string(overview.record.direction.rawValue),
            "status": .string(overview.run?.status.rawValue ?? "foreign"),
            "trials": .integer(total),
            "counts": .object(counts),
            "best_value": overview.best?.value.map(number) ?? .null,
            "best_trial": overview.best.map { .integer($0.number) } ?? .null,
            "progress": .object([
                "n_trials": overview.spec?.budget.nTrials.map(JSONValue.integer) ?? .null,
                "counted": .integer(overview.trialsCounted),
                "fraction": overview.progress.map(JSONValue.number) ?? .null,
                "running": .integer(overview.counts[.running] ?? 0),
                "workers": overview.spec.map { .integer($0.budget.workers) } ?? .null,
            ]),
            "error": overview.run?.error.map(JSONValue.string) ?? .null,
            "stop_reason": overview.run?.stopReason.map(JSONValue.string) ?? .null,
        ]
        if detailed {
            members["definition"] = overview.spec?.definitionJSON ?? .null
            members["best"] = overview.best.map(trial) ?? .null
        }
        return .object(members)
    }

    static func number(_ value: Double) -> JSONValue {
        value.isNaN ? .null : .number(value)
    }

    static func date(_ date: Date) -> JSONValue {
        .string(
            ISO8601DateFormatter.string(
                from: date, timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds]))
    }
}
