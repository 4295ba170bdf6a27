import HPOCore
import Synchronization

/// The trials of one study kept in memory, refreshed from storage by reading only what can have changed
/// (trials newer than the newest known one, and the unfinished ones), so an ask never re-reads the study.
///
/// Unfinished (RUNNING, WAITING) trials are kept whole. A finished trial keeps only what `retention` names (what
/// the study's sampler and scheduler read), except the best COMPLETE trial, kept whole, and the last few finished
/// trials, whose whole form `trial(_:)` returns to whoever finished them. So memory grows by a compact row per
/// finished trial, not by whole trials with their attributes and every intermediate value.
final class StudyCache: Sendable {
    private struct State {
        /// The trials of the study in number order: the unfinished ones, and the finished ones whose state the
        /// study's components read (`TrialRetention.keepsRow`), in their kept form, except the best one.
        var ordered: [Trial] = []
        /// Finished trials without a row in `ordered` (counted, not kept).
        var unkept = 0
        /// The numbers of the trials read so far, in any state.
        var seen = SeenNumbers()
        /// Unfinished trials: id → number.
        var unfinished: [TrialID: Int] = [:]
        var maxID: TrialID = -1
        /// Trials that are not WAITING, and those of them that retry a failed one: their difference is the budget
        /// used (as `StudyStorage.budgetedTrialCount` counts it).
        var notWaiting = 0
        var retries = 0
        var counts: [TrialState: Int] = [:]
        var best: Trial?
        /// The study's distributions, shared by the kept form of every trial that has the same ones.
        var distributions: [String: Distribution]?
        /// The last finished trials, whole, newest last.
        var recent: [Trial] = []
    }

    /// How many finished trials `trial(_:)` returns whole.
    static let recentCapacity = 16

    private let state = Mutex(State())
    let direction: StudyDirection
    let retention: TrialRetention

    init(direction: StudyDirection, retention: TrialRetention = .whole) {
        self.direction = direction
        self.retention = retention
    }

    /// Reads new and unfinished trials from storage.
    func refresh(from storage: any StudyStorage, study: StudyID) throws {
        let (after, unfinished) = state.withLock { state in (state.maxID, Array(state.unfinished.keys)) }
        let changed = try storage.trials(in: study, after: after, refreshing: unfinished)
        update(changed)
    }

    /// Forgets every trial and reads the study again: for a cache that took a trial's finished form before
    /// storage had it, when storing it failed.
    func reload(from storage: any StudyStorage, study: StudyID) throws {
        state.withLock { $0 = State() }
        try refresh(from: storage, study: study)
    }

    /// Replaces or adds trials.
    func update(_ trials: [Trial]) {
        guard !trials.isEmpty else { return }
        let retention = self.retention
        let direction = self.direction
        state.withLock { state in
            var dirtyOrder = false
            let formerBest = state.best
            for trial in trials {
                // An unfinished form of a trial already seen finished is stale (a refresh read it before a
                // concurrent tell finished it): finished states are final, so it is ignored rather than bringing
                // back a RUNNING trial that is over.
                if !trial.state.isFinished, state.seen.contains(trial.number), state.unfinished[trial.id] == nil {
                    continue
                }
                // Likewise a WAITING form of a trial already seen RUNNING (a refresh on the heartbeat thread that
                // read a retry before a run started it): a trial never goes back to WAITING.
                if trial.state == .waiting, let number = state.unfinished[trial.id],
                    let index = Self.position(of: trial.id, number: number, in: state),
                    state.ordered[index].state == .running
                {
                    continue
                }
                let seenBefore = state.seen.contains(trial.number)
                state.seen.insert(trial.number)
                if trial.state.isFinished, !retention.keepsRow(trial.state) {
                    Self.finishWithoutRow(trial, in: &state, direction: direction, seenBefore: seenBefore)
                    continue
                }
                let row: Trial
                if trial.state.isFinished {
                    row = retention.kept(trial, distributions: &state.distributions)
                    state.unfinished.removeValue(forKey: trial.id)
                    Self.remember(trial, in: &state)
                } else {
                    row = trial
                    state.unfinished[trial.id] = trial.number
                }
                if trial.id <= state.maxID, let index = Self.position(of: trial.id, number: trial.number, in: state) {
                    Self.count(state.ordered[index], into: &state, sign: -1)
                    state.ordered[index] = row
                } else {
                    if let last = state.ordered.last, last.number > trial.number { dirtyOrder = true }
                    state.ordered.append(row)
                }
                state.maxID = max(state.maxID, trial.id)
                Self.count(trial, into: &state, sign: 1)
                Self.considerForBest(trial, in: &state, direction: direction)
            }
            if dirtyOrder { state.ordered.sort { $0.number < $1.number } }
            // The best trial is kept whole; the one it replaced goes back to its kept form.
            if let best = state.best, best.id != formerBest?.id {
                if let former = formerBest,
                    let index = Self.position(of: former.id, number: former.number, in: state)
                {
                    state.ordered[index] = retention.kept(former, distributions: &state.distributions)
                }
                if let index = Self.position(of: best.id, number: best.number, in: state) {
                    state.ordered[index] = best
                }
            }
        }
    }

    /// A finished trial whose state no component reads: counted (and considered for the best trial and the recent
    /// ones), with no row; the row it had while unfinished goes. A finished trial read before (seen, and not
    /// unfinished) is already counted. `seen` already holds the trial's number.
    private static func finishWithoutRow(
        _ trial: Trial, in state: inout State, direction: StudyDirection, seenBefore: Bool
    ) {
        if let number = state.unfinished.removeValue(forKey: trial.id) {
            if let index = position(of: trial.id, number: number, in: state) {
                count(state.ordered[index], into: &state, sign: -1)
                state.ordered.remove(at: index)
            }
        } else if seenBefore {
            return
        }
        remember(trial, in: &state)
        state.unkept += 1
        state.maxID = max(state.maxID, trial.id)
        count(trial, into: &state, sign: 1)
        considerForBest(trial, in: &state, direction: direction)
    }

    /// Keeps a finished trial whole among the last few (`trial(_:)` returns it to whoever finished it).
    private static func remember(_ trial: Trial, in state: inout State) {
        state.recent.removeAll { $0.id == trial.id }
        state.recent.append(trial)
        if state.recent.count > recentCapacity { state.recent.removeFirst() }
    }

    /// Makes a COMPLETE `trial` the best one if its value is better (ties: the lower number).
    private static func considerForBest(_ trial: Trial, in state: inout State, direction: StudyDirection) {
        guard trial.state == .complete, let value = trial.value else { return }
        if let best = state.best, let bestValue = best.value,
            !direction.isBetter(value, than: bestValue) && !(value == bestValue && trial.number < best.number)
        {
            return
        }
        state.best = trial
    }

    /// Where the trial `id` (numbered `number`) is in `ordered`: at its number, as a rule.
    private static func position(of id: TrialID, number: Int, in state: State) -> Int? {
        let ordered = state.ordered
        if ordered.indices.contains(number), ordered[number].id == id { return number }
        var low = 0
        var high = ordered.count
        while low < high {
            let middle = (low + high) / 2
            if ordered[middle].number < number { low = middle + 1 } else { high = middle }
        }
        if ordered.indices.contains(low), ordered[low].id == id { return low }
        return ordered.lastIndex { $0.id == id }
    }

    private static func count(_ trial: Trial, into state: inout State, sign: Int) {
        state.counts[trial.state, default: 0] += sign
        if trial.state != .waiting { state.notWaiting += sign }
        if trial.state != .waiting, trial.retriedTrialNumber != nil { state.retries += sign }
    }

    /// How much of `budget.n_trials` is used: every trial that is not WAITING, except retries, so a failed trial
    /// counts once together with its retries. Kept up to date as trials change, not recounted.
    var trialsCounted: Int { state.withLock { $0.notWaiting - $0.retries } }

    /// How many trials are WAITING.
    var waitingCount: Int { state.withLock { $0.counts[.waiting] ?? 0 } }

    /// The number of trials in each state (every state present, zero when none).
    var countsByState: [TrialState: Int] {
        state.withLock { state in
            Dictionary(uniqueKeysWithValues: TrialState.allCases.map { ($0, state.counts[$0] ?? 0) })
        }
    }

    /// The best COMPLETE trial seen so far (ties: the lower number), whole.
    var bestTrial: Trial? { state.withLock { $0.best } }

    /// Changes one cached unfinished trial in place; false when the cache holds no unfinished trial `id`.
    @discardableResult
    func modify(_ id: TrialID, _ body: (inout Trial) -> Void) -> Bool {
        state.withLock { state in
            guard let number = state.unfinished[id], let index = Self.position(of: id, number: number, in: state)
            else { return false }
            body(&state.ordered[index])
            return true
        }
    }

    /// An unfinished trial, or one of the last finished ones, whole; nil otherwise (read it from storage).
    func trial(_ id: TrialID) -> Trial? {
        state.withLock { state in
            if let number = state.unfinished[id], let index = Self.position(of: id, number: number, in: state) {
                return state.ordered[index]
            }
            return state.recent.last { $0.id == id }
        }
    }

    /// The highest trial id read: a refresh reads the trials above it (and the unfinished ones).
    var newestID: TrialID { state.withLock { $0.maxID } }

    /// The unfinished (RUNNING, WAITING) trials, whole, in number order: what a run checks before each start,
    /// without going through the finished ones.
    var unfinishedTrials: [Trial] {
        state.withLock { state in
            state.unfinished.compactMap { id, number in
                Self.position(of: id, number: number, in: state).map { state.ordered[$0] }
            }
            .sorted { $0.number < $1.number }
        }
    }

    /// The trial numbered `number` as cached (finished trials in their kept form), if the cache has a row for it.
    func row(number: Int) -> Trial? {
        state.withLock { state in
            let ordered = state.ordered
            if ordered.indices.contains(number), ordered[number].number == number { return ordered[number] }
            var low = 0
            var high = ordered.count
            while low < high {
                let middle = (low + high) / 2
                if ordered[middle].number < number { low = middle + 1 } else { high = middle }
            }
            return ordered.indices.contains(low) && ordered[low].number == number ? ordered[low] : nil
        }
    }

    /// How many trials the study has (rows and finished trials without one): the next trial's number.
    var trialCount: Int { state.withLock { $0.ordered.count + $0.unkept } }

    /// The trials the study's components read, in number order: every unfinished trial and the finished ones
    /// whose state they read (`TrialRetention.keepsRow`), in their kept form (the best one whole).
    var history: TrialHistory {
        TrialHistory(direction: direction, trials: state.withLock { $0.ordered })
    }
}

/// A set of trial numbers read, for numbers that are dense: those below `below` all, and the few above it that
/// came out of order (concurrent asks apply their trials in any order). Its size stays that of the disorder.
struct SeenNumbers: Sendable {
    private(set) var below = 0
    private var above: Set<Int> = []

    func contains(_ number: Int) -> Bool { number < below || above.contains(number) }

    mutating func insert(_ number: Int) {
        guard number >= below else { return }
        guard number == below else {
            above.insert(number)
            return
        }
        below += 1
        while above.remove(below) != nil { below += 1 }
    }
}
