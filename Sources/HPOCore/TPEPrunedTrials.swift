/// How TPE learns from PRUNED trials (`sampler: {pruned_trials: ...}`). Without pruned trials every rule is the
/// same, so a study without early stopping samples exactly as before.
public enum TPEPrunedTrials: String, Sendable, Hashable, CaseIterable {
    /// Optuna 5.0: COMPLETE trials fill the good set first, by value; PRUNED trials take what is left of its
    /// quota, furthest step first, then best last value. A pruned trial counts as much as a complete one.
    case optuna
    /// Optuna's split, but a pruned trial counts as the share of the run it saw (its last step over the longest
    /// run in the study): its kernel's weight in l or g is that share, and `adaptive`'s bandwidth floor counts it
    /// as that share of an observation. A trial stopped at the first rung of 27 steps barely repels proposals
    /// from its region, where a slow configuration that would have ended well may lie.
    case seen
}

extension TPEOptions {
    /// The rule in force: `prunedTrials` when set, else `optuna` (also with `adaptive` on: `seen` helped on
    /// synthetic learning curves under ASHA and Hyperband but not under the median scheduler nor on an MLP, see
    /// `docs/schedulers.md`).
    public var resolvedPrunedTrials: TPEPrunedTrials {
        prunedTrials ?? .optuna
    }
}
