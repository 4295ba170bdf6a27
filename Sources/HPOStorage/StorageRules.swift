import HPOCore

/// The checks both storages make before a write, so that they refuse the same things with the same messages.
enum StorageRules {
    /// A new trial: every parameter has a distribution and a finite internal value; it starts RUNNING or
    /// WAITING, or finished without a value (COMPLETE needs one, so it is made by finishing a RUNNING trial).
    static func check(_ trial: NewTrial) throws(StorageError) {
        if trial.state == .complete {
            throw StorageError.database("a trial cannot be created COMPLETE: create it RUNNING, then finish it")
        }
        for name in trial.params.keys.sorted() {
            guard trial.distributions[name] != nil else {
                throw StorageError.database("parameter '\(name)' has no distribution")
            }
            if let value = trial.params[name], !value.isFinite {
                throw StorageError.database("parameter '\(name)' is \(value), not a finite number")
            }
        }
    }

    /// A final state: COMPLETE, PRUNED or FAIL, and a COMPLETE trial has a value that is not NaN.
    static func checkFinish(number: Int, state: TrialState, value: Double?) throws(StorageError) {
        guard state.isFinished else {
            throw StorageError.database("trial \(number) cannot finish as \(state.rawValue)")
        }
        if state == .complete, value == nil || value?.isNaN == true {
            throw StorageError.database("trial \(number) cannot be COMPLETE without a value (NaN is no value)")
        }
    }
}
