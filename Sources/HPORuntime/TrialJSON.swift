import HPOCore

/// The JSON members of a trial that `hpo trials --format json`, `hpo best --json` and the daemon's API write alike;
/// each adds its own number key, value and times.
public enum TrialJSON {
    /// `state`, `params` (external values), `intermediate_values` (NaN as null), `user_attrs` and `duration_s`.
    public static func sharedMembers(of trial: Trial) -> [String: JSONValue] {
        var params: [String: JSONValue] = [:]
        for (name, value) in trial.assignment.values { params[name] = value.json }
        var intermediate: [String: JSONValue] = [:]
        for (step, value) in trial.intermediateValues { intermediate["\(step)"] = value.isNaN ? .null : .number(value) }
        return [
            "state": .string(trial.state.rawValue),
            "params": .object(params),
            "intermediate_values": .object(intermediate),
            "user_attrs": .object(trial.userAttributes),
            "duration_s": trial.duration.map(JSONValue.number) ?? .null,
        ]
    }
}
