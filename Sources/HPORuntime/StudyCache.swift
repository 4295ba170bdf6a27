import HPOCore
import Synchronization

/// The trials of one study kept in memory, refreshed from storage by reading only what can have changed
/// (trials newer than the newest known one, and the unfinished ones), so an ask never re-reads the study.
final class StudyCache: Sendable {
    private struct State {
        var trialsByNumber: [Int: Trial] = [:]
        var ordered: [Trial] = []
        var indexByID: [TrialID: Int] = [:]
        var maxID: TrialID = -1
        var dirtyOrder = false
        /// Trials that are not WAITING, and those of them that retry a failed one: their difference is the budget
        /// used (as `StudyStorage.budgetedTrialCount` counts it).
        var notWaiting = 0
        var retries = 0
        var best: Trial?
    }

    private let state = Mutex(State())
    let direction: StudyDirection

    init(direction: StudyDirection) {
        self.direction = direction
    }

    /// Reads new and unfinished trials from storage.
    func refresh(from storage: any StudyStorage, study: StudyID) throws {
        let (after, unfinished) = state.withLock { state in
            (state.maxID, state.ordered.filter { !$0.state.isFinished }.map(\.id))
        }
        let changed = try storage.trials(in: study, after: after, refreshing: unfinished)
        update(changed)
    }

    /// Replaces or adds trials.
    func update(_ trials: [Trial]) {
        guard !trials.isEmpty else { return }
        state.withLock { state in
            for trial in trials {
                if let index = state.indexByID[trial.id] {
                    Self.count(state.ordered[index], into: &state, sign: -1)
                    state.ordered[index] = trial
                } else {
                    state.indexByID[trial.id] = state.ordered.count
                    if let last = state.ordered.last, last.number > trial.number { state.dirtyOrder = true }
                    state.ordered.append(trial)
                }
                state.maxID = max(state.maxID, trial.id)
                Self.count(trial, into: &state, sign: 1)
                if trial.state == .complete, let value = trial.value {
                    if let best = state.best, let bestValue = best.value,
                        !direction.isBetter(value, than: bestValue)
                            && !(value == bestValue && trial.number < best.number)
                    {
                        continue
                    }
                    state.best = trial
                }
            }
            if state.dirtyOrder {
                state.ordered.sort { $0.number < $1.number }
                state.indexByID = Dictionary(
                    uniqueKeysWithValues: state.ordered.enumerated().map { ($0.element.id, $0.offset) })
                state.dirtyOrder = false
            }
        }
    }

    private static func count(_ trial: Trial, into state: inout State, sign: Int) {
        if trial.state != .waiting { state.notWaiting += sign }
        if trial.state != .waiting, trial.retriedTrialNumber != nil { state.retries += sign }
    }

    /// How much of `budget.n_trials` is used: every trial that is not WAITING, except retries, so a failed trial
    /// counts once together with its retries. Kept up to date as trials change, not recounted.
    var trialsCounted: Int { state.withLock { $0.notWaiting - $0.retries } }

    /// The best COMPLETE trial seen so far (ties: the lower number).
    var bestTrial: Trial? { state.withLock { $0.best } }

    /// Changes one cached trial in place.
    func modify(_ id: TrialID, _ body: (inout Trial) -> Void) {
        state.withLock { state in
            if let index = state.indexByID[id] { body(&state.ordered[index]) }
        }
    }

    func trial(_ id: TrialID) -> Trial? {
        state.withLock { state in state.indexByID[id].map { state.ordered[$0] } }
    }

    var history: TrialHistory {
        TrialHistory(direction: direction, trials: state.withLock { $0.ordered })
    }
}
