import Foundation
import HPOCore
import Synchronization

/// One study opened on a storage: creates it or continues it, and asks, reports and tells its trials.
/// Shared by `hpo run` (many trials, in-process trainers) and by the ask/tell/report commands.
public final class StudySession: Sendable {
    public let spec: StudySpec
    public let storage: any StudyStorage
    public let study: StudyRecord
    /// The study's seed: the study file's, or one drawn at creation and stored with the study.
    public let seed: UInt64
    /// The study's sampler; replaced by a new one when the history it saw changes in a way histories never do
    /// otherwise (see `reloadAfterFailedFinish`).
    private let samplerSlot: Mutex<any Sampler>
    var sampler: any Sampler { samplerSlot.withLock { $0 } }
    let scheduler: any TrialScheduler
    let cache: StudyCache

    /// System attribute keys hpo stores with a study.
    public enum Key {
        public static let seed = "hpo:seed"
        public static let definition = "hpo:definition"
        public static let definitionHash = "hpo:definition_hash"
        public static let failReason = "fail_reason"
    }

    /// Opens the study named in `spec`, creating it with `systemAttributes` when it does not exist.
    public init(
        spec: StudySpec, storage: any StudyStorage, systemAttributes: [String: JSONValue] = [:]
    ) throws {
        self.spec = spec
        self.storage = storage
        var record = try storage.study(named: spec.name)
        if record == nil {
            var attributes = systemAttributes
            let seed = spec.sampler.seed ?? UInt64.random(in: 0...UInt64(Int64.max))
            attributes[Key.seed] = .integer(Int(truncatingIfNeeded: seed))
            do {
                record = try storage.createStudy(
                    name: spec.name, direction: spec.direction, systemAttributes: attributes)
            } catch StorageError.studyExists {
                record = try storage.study(named: spec.name)
            }
        }
        guard let record else { throw StorageError.studyNotFound(spec.name) }
        if record.direction != spec.direction {
            throw RuntimeError.directionMismatch(
                study: spec.name, stored: record.direction, requested: spec.direction)
        }
        var seed = spec.sampler.seed
        if seed == nil, case .integer(let stored)? = record.systemAttributes[Key.seed] {
            seed = UInt64(bitPattern: Int64(stored))
        }
        if seed == nil {
            // A study created by another program: derive a seed from its name and keep it.
            let derived = UInt64(truncatingIfNeeded: Self.stableHash(spec.name))
            try storage.setStudySystemAttribute(
                Key.seed, .integer(Int(truncatingIfNeeded: derived)), of: record.id)
            seed = derived
        }
        self.study = record
        self.seed = seed ?? 0
        self.samplerSlot = Mutex(Components.sampler(for: spec.sampler, seed: seed ?? 0))
        self.scheduler = Components.scheduler(for: spec.scheduler)
        self.cache = StudyCache(
            direction: spec.direction,
            retention: TrialRetention(
                sampler: spec.sampler, scheduler: spec.scheduler, timeoutScope: spec.budget.timeoutScope))
        try cache.refresh(from: storage, study: record.id)
    }

    /// The trials of the study as last read that its sampler and scheduler read: every unfinished trial and the
    /// finished ones in the states they read, in a compact form (see `TrialRetention`); storage has every trial.
    public var history: TrialHistory { cache.history }

    /// The best COMPLETE trial as last read (`history.bestTrial`, kept up to date rather than searched for).
    public var bestTrial: Trial? { cache.bestTrial }

    /// Re-reads what may have changed in storage (trials of other processes).
    public func refresh() throws {
        try cache.refresh(from: storage, study: study.id)
    }

    /// How much of `budget.n_trials` is used: every trial that is not WAITING, except retries, so a failed trial
    /// counts once together with its retries (as `StudyStorage.budgetedTrialCount` counts).
    public var trialsCounted: Int { cache.trialsCounted }

    /// Starts a new trial in one storage transaction: the oldest WAITING trial that may start (retries first in
    /// line), else the sampler's proposal. With a `budget` (the study's `n_trials`), no trial starts once the
    /// budget is used, counted across every process as `trialsCounted` counts (a retry may always start):
    /// `RuntimeError.budgetUsed` then. `systemAttributes` are written to the trial that starts, in the same
    /// transaction.
    public func ask(within budget: Int?, systemAttributes: [String: JSONValue] = [:]) throws -> Trial {
        try refresh()
        // The count only grows, so a full budget seen in a fresh read stays full: no write is needed to know it.
        if let budget, trialsCounted >= budget, cache.waitingCount == 0 {
            throw RuntimeError.budgetUsed(study: spec.name, nTrials: budget)
        }
        var proposal = try propose(salt: 0)
        proposal.systemAttributes.merge(systemAttributes) { _, new in new }
        guard let trial = try storage.startTrial(in: study.id, proposal, budget: budget) else {
            throw RuntimeError.budgetUsed(study: spec.name, nTrials: budget ?? 0)
        }
        cache.update([trial])
        return trial
    }

    /// Starts a new trial whatever the study's budget: `ask(within: nil)`.
    public func ask() throws -> Trial {
        try ask(within: nil)
    }

    /// Reads the study again after a finish whose trial the cache took finished (see `finish(deferring:)`) failed
    /// to commit. A sampler may keep what it derived from the finished trials it saw, taking them to be final; this
    /// one was not, so the sampler is replaced by a new one (which proposes as the old one would have, from a
    /// history that never showed the trial finished).
    func reloadAfterFailedFinish() throws {
        samplerSlot.withLock { $0 = Components.sampler(for: spec.sampler, seed: seed) }
        try cache.reload(from: storage, study: study.id)
    }

    /// The sampler's proposal for the next trial, as a RUNNING trial to create. `salt` (0 for a study run by one
    /// process) decorrelates processes that propose from the same history at the same moment.
    func propose(salt: UInt64) throws -> NewTrial {
        let history = cache.history
        let number = cache.trialCount
        var generator = SeededGenerator(seed: seed ^ salt, trialNumber: number)
        let assignment = try sampler.suggest(
            trialNumber: number, in: spec.space, history: history, using: &generator)
        var params: [String: Double] = [:]
        var distributions: [String: Distribution] = [:]
        for parameter in spec.space.parameters {
            guard let value = assignment[parameter.name] else { continue }
            guard let internalValue = parameter.distribution.internalValue(of: value) else {
                throw RuntimeError.invalidProposal(parameter: parameter.name, value: value.description)
            }
            params[parameter.name] = internalValue
            distributions[parameter.name] = parameter.distribution
        }
        return NewTrial(state: .running, params: params, distributions: distributions)
    }

    /// Records the value of `step` for a running trial and returns the scheduler's decision. The value and
    /// the scheduler's attributes are stored in one transaction.
    public func report(trial id: TrialID, step: Int, value: Double) throws -> SchedulerDecision {
        // The new value goes into the cached trial first, so the scheduler reads the study's history as it is
        // (no copy of it with one trial changed); it is taken out again if storing it fails.
        var added = false
        let cached = cache.modify(id) { cached in
            if cached.intermediateValues[step] == nil {
                cached.intermediateValues[step] = value
                added = true
            }
        }
        let outcome: SchedulerOutcome
        do {
            outcome = try decide(trial: id, step: step, value: value, cached: cached)
            try storage.recordReport(step: step, value: value, systemAttributes: outcome.systemAttributes, of: id)
        } catch {
            if added { cache.modify(id) { $0.intermediateValues[step] = nil } }
            throw error
        }
        let attributes = outcome.systemAttributes
        if !attributes.isEmpty {
            cache.modify(id) { cached in cached.systemAttributes.merge(attributes) { _, new in new } }
        }
        return outcome.decision
    }

    /// The scheduler's decision on a report of trial `id`, whose value is in the cache already when `cached`.
    private func decide(trial id: TrialID, step: Int, value: Double, cached: Bool) throws -> SchedulerOutcome {
        if cached, let trial = cache.trial(id) {
            guard trial.state == .running else {
                throw StorageError.trialNotRunning(number: trial.number, state: trial.state)
            }
            return scheduler.decide(for: trial, studyName: spec.name, history: cache.history)
        }
        // A trial the cache does not hold as unfinished (started by another process since the last refresh).
        guard var trial = try storage.trial(id) else { throw StorageError.trialNotFound("with id \(id)") }
        guard trial.state == .running else {
            throw StorageError.trialNotRunning(number: trial.number, state: trial.state)
        }
        if trial.intermediateValues[step] == nil { trial.intermediateValues[step] = value }
        var history = cache.history
        if let index = history.trials.firstIndex(where: { $0.id == id }) {
            history.trials[index] = trial
        } else {
            history.trials.append(trial)
        }
        return scheduler.decide(for: trial, studyName: spec.name, history: history)
    }

    /// Finishes a running trial. A PRUNED trial without a value takes its last reported value (as Optuna
    /// records it); a COMPLETE trial needs a finite value. With `retryFailure`, a trial that ends FAIL is re-queued
    /// in the same transaction when the study's retry policy allows another attempt. Returns the finished trial as
    /// stored, whole (nil when it failed and was re-queued).
    @discardableResult
    public func tell(
        trial id: TrialID, state: TrialState, value: Double?, failReason: String? = nil,
        userAttributes: [String: JSONValue] = [:], retryFailure: Bool = false
    ) throws -> Trial? {
        try finish(
            trial: id, state: state, value: value, failReason: failReason, userAttributes: userAttributes,
            retryFailure: retryFailure, runningHere: false)
    }

    /// `tell`. With `runningHere` (a trial this process started and trained, every report of it made through this
    /// session), the trial is taken from the cache, where it is whole and up to date, and finished without a read:
    /// storage still checks inside the finishing transaction that it is RUNNING. Otherwise it is read from storage,
    /// since other processes may have reported on it.
    ///
    /// With `deferring`, a trial finished as held (no retry to insert) is not written here: the cache takes its
    /// finished form at once, and `deferring` receives the transaction to commit later (see `FinishWriter`), before
    /// any other write of this session.
    func finish(
        trial id: TrialID, state: TrialState, value: Double?, failReason: String?,
        userAttributes: [String: JSONValue], retryFailure: Bool, runningHere: Bool,
        deferring: ((PreparedFinish) -> Void)? = nil
    ) throws -> Trial? {
        let held = runningHere ? cache.trial(id).flatMap { $0.state == .running ? $0 : nil } : nil
        guard let trial = try held ?? storage.trial(id) else { throw StorageError.trialNotFound("with id \(id)") }
        guard trial.state == .running else {
            throw StorageError.trialNotRunning(number: trial.number, state: trial.state)
        }
        var value = value
        var state = state
        var reason = failReason
        switch state {
        case .complete:
            guard let finite = value, finite.isFinite else {
                state = .fail
                reason = reason ?? "the objective returned \(value.map { "\($0)" } ?? "no value"), not a finite number"
                value = nil
                break
            }
            value = finite
        case .pruned:
            if value == nil, let step = trial.lastStep, let last = trial.intermediateValues[step], !last.isNaN {
                value = last
            }
            if let pruned = value, pruned.isNaN { value = nil }
        case .fail:
            value = nil
        case .running, .waiting:
            throw RuntimeError.notAFinalState(state)
        }
        let reasonAttributes: [String: JSONValue] = reason.map { [Key.failReason: .string($0)] } ?? [:]
        if state == .fail, retryFailure, let retry = retryCopy(of: trial, counted: true) {
            let outcome = try storage.failTrial(
                id, TrialFailure(systemAttributes: reasonAttributes, userAttributes: userAttributes, retry: retry))
            guard case .failed = outcome else {
                throw StorageError.trialNotRunning(number: trial.number, state: .fail)
            }
            try refresh()
            return nil
        }
        let finished: Trial
        if let held, let deferring, let storage = storage as? any HeldTrialFinishing {
            let prepared = storage.prepareFinish(
                held: held, state: state, value: value, userAttributes: userAttributes,
                systemAttributes: reasonAttributes)
            finished = prepared.trial
            cache.update([finished])
            deferring(prepared)
            return finished
        } else if let held, let storage = storage as? any HeldTrialFinishing {
            finished = try storage.finishTrial(
                held: held, state: state, value: value, userAttributes: userAttributes,
                systemAttributes: reasonAttributes)
        } else {
            finished = try storage.finishTrial(
                id, state: state, value: value, userAttributes: userAttributes, systemAttributes: reasonAttributes)
        }
        cache.update([finished])
        return finished
    }

    /// The generator seed handed to a trainer for trial `number` (independent of the sampler's stream).
    public func trainerSeed(forTrial number: Int) -> UInt64 {
        var generator = SeededGenerator(seed: seed, trialNumber: number, stream: 1)
        return generator.next()
    }

    /// FNV-1a of a string: stable across runs and platforms.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash & 0x7fff_ffff_ffff_ffff
    }
}

/// Errors of the runtime, with messages for the user.
public enum RuntimeError: Error, Sendable, CustomStringConvertible {
    case directionMismatch(study: String, stored: StudyDirection, requested: StudyDirection)
    case invalidProposal(parameter: String, value: String)
    case notAFinalState(TrialState)
    case noTrainer(study: String)
    /// `budget.n_trials` trials have started: no further trial starts.
    case budgetUsed(study: String, nTrials: Int)
    case interrupted

    public var description: String {
        switch self {
        case .directionMismatch(let study, let stored, let requested):
            return
                "study '\(study)' is stored with direction \(stored.rawValue), the study file says \(requested.rawValue)"
        case .invalidProposal(let parameter, let value):
            return "the sampler proposed \(value) for '\(parameter)', which is outside its domain"
        case .notAFinalState(let state):
            return "\(state.rawValue) is not a final state: use complete, pruned or fail"
        case .noTrainer(let study):
            return "study '\(study)' has no trainer: drive it from outside with `hpo ask` and `hpo tell`"
        case .budgetUsed(let study, let nTrials):
            return
                "study '\(study)' has used its budget of \(nTrials) trial\(nTrials == 1 ? "" : "s") (budget.n_trials): no trial was started"
        case .interrupted:
            return "interrupted"
        }
    }
}
