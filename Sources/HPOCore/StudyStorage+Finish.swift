extension StudyStorage {
    /// Sets the system attributes, then finishes the trial, then reads it back: correct for any storage, though
    /// not atomic. Storages that can do it in one transaction implement the requirement themselves.
    public func finishTrial(
        _ trial: TrialID, state: TrialState, value: Double?, userAttributes: [String: JSONValue],
        systemAttributes: [String: JSONValue]
    ) throws -> Trial {
        if let current = try self.trial(trial), current.state != .running {
            throw StorageError.trialNotRunning(number: current.number, state: current.state)
        }
        if !systemAttributes.isEmpty { try setTrialSystemAttributes(systemAttributes, of: trial) }
        try finishTrial(trial, state: state, value: value, userAttributes: userAttributes)
        guard let finished = try self.trial(trial) else { throw StorageError.trialNotFound("with id \(trial)") }
        return finished
    }
}
