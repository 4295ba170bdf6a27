import Foundation
import HPOAlgorithms
import HPOCore
import HPORuntime
import HPOStorage
import Testing

/// A study's session keeps finished trials in a compact form (what its sampler and scheduler read): these tests
/// check that the compact form drops what it should and that proposals and decisions stay those made from the whole
/// stored trials.
@Suite("Finished trials kept in memory")
struct TrialRetentionTests {
    static let space = SearchSpace([
        ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: -5, high: 5))),
        ParameterSpec(name: "layers", distribution: .int(IntDistribution(low: 1, high: 4))),
    ])

    func spec(
        _ sampler: SamplerSpec.Kind, _ scheduler: SchedulerSpec, seed: UInt64, timeoutScope: TimeoutScope = .run
    ) -> StudySpec {
        var budget = Budget()
        budget.timeoutScope = timeoutScope
        return StudySpec(
            name: "retention", direction: .minimize, sampler: SamplerSpec(kind: sampler, seed: seed),
            scheduler: scheduler, budget: budget, space: Self.space)
    }

    static func tpe(startup: Int) -> SamplerSpec.Kind {
        var options = TPEOptions()
        options.nStartupTrials = startup
        return .tpe(options)
    }

    static func median(startup: Int) -> SchedulerSpec {
        var options = PercentileOptions()
        options.nStartupTrials = startup
        return .median(options)
    }

    /// The sampler a study of seed `seed` runs, made afresh.
    static func referenceSampler(_ kind: SamplerSpec.Kind, seed: UInt64) -> any Sampler {
        switch kind {
        case .random: return RandomSampler()
        case .tpe(let options): return TPESampler(options: options, studySeed: seed)
        }
    }

    /// Runs `trials` trials through ask / report / tell (two at a time, so that RUNNING trials are part of the
    /// history), checking each proposal and decision against the sampler and scheduler given the whole stored
    /// history; returns the session and its storage.
    func runStudy(
        _ sampler: SamplerSpec.Kind, _ scheduler: SchedulerSpec, seed: UInt64, trials: Int = 40,
        timeoutScope: TimeoutScope = .run
    ) throws -> (StudySession, InMemoryStorage) {
        let storage = InMemoryStorage()
        let spec = spec(sampler, scheduler, seed: seed, timeoutScope: timeoutScope)
        let session = try StudySession(spec: spec, storage: storage)
        let referenceScheduler = makeScheduler(scheduler)
        var outcomes = SeededGenerator(seed: seed &+ 99)
        var open: [Trial] = []
        for _ in 0..<trials {
            let stored = try storage.trials(in: session.study.id, states: nil)
            let number = stored.count
            var generator = SeededGenerator(seed: session.seed, trialNumber: number)
            let expected = try Self.referenceSampler(sampler, seed: session.seed).suggest(
                trialNumber: number, in: Self.space, history: TrialHistory(direction: .minimize, trials: stored),
                using: &generator)
            let trial = try session.ask()
            #expect(trial.assignment == expected, "trial \(number): the proposal differs from the whole history's")
            open.append(trial)
            guard open.count == 2 else { continue }
            let current = open.removeFirst()
            try finish(current, session: session, storage: storage, scheduler: referenceScheduler, using: &outcomes)
        }
        for trial in open {
            try finish(trial, session: session, storage: storage, scheduler: referenceScheduler, using: &outcomes)
        }
        return (session, storage)
    }

    private func finish(
        _ trial: Trial, session: StudySession, storage: InMemoryStorage, scheduler: any TrialScheduler,
        using generator: inout SeededGenerator
    ) throws {
        let x = trial.params["x"] ?? 0
        var pruned = false
        for step in 0..<4 {
            let value = x * x + 1 / Double(step + 1) + Double.random(in: 0..<0.5, using: &generator)
            var whole = try #require(try storage.trial(trial.id))
            whole.intermediateValues[step] = value
            let stored = try storage.trials(in: session.study.id, states: nil).map { $0.id == trial.id ? whole : $0 }
            let expected = scheduler.decide(
                for: whole, studyName: session.spec.name, history: TrialHistory(direction: .minimize, trials: stored))
            let decision = try session.report(trial: trial.id, step: step, value: value)
            #expect(decision == expected.decision, "trial \(trial.number) step \(step)")
            if decision == .prune {
                pruned = true
                break
            }
        }
        let attributes: [String: JSONValue] = ["note": .string("trial \(trial.number)")]
        let finished: Trial?
        // Some trials are told PRUNED without a prune decision, so that every study has PRUNED trials.
        if pruned || trial.number % 7 == 2 {
            finished = try session.tell(trial: trial.id, state: .pruned, value: nil, userAttributes: attributes)
        } else if trial.number % 4 == 1 {
            finished = try session.tell(
                trial: trial.id, state: .fail, value: nil, failReason: "a failure", userAttributes: attributes)
        } else {
            finished = try session.tell(trial: trial.id, state: .complete, value: x * x, userAttributes: attributes)
        }
        // tell returns the trial whole, as stored.
        #expect(finished == (try storage.trial(trial.id)))
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomSamplerWithMedianKeepsOnlyTheCompleteTrialsWithTheirIntermediateValues(seed: UInt64) throws {
        let (session, storage) = try runStudy(.random, Self.median(startup: 3), seed: seed, trials: 120)
        let all = try storage.trials(in: session.study.id, states: nil)
        // PRUNED and FAIL trials keep no row: the median scheduler reads COMPLETE trials only.
        let stored = all.filter { $0.state == .complete }
        let history = session.history.trials
        #expect(history.map(\.id) == stored.map(\.id))
        #expect(history.map(\.state) == stored.map(\.state))
        #expect(history.map(\.value) == stored.map(\.value))
        #expect(session.trialsCounted == all.count)
        let best = try #require(TrialHistory(direction: .minimize, trials: stored).bestTrial)
        #expect(all.contains { $0.state == .pruned } && all.contains { $0.state == .fail })
        for (kept, whole) in zip(history, stored) {
            if kept.id == best.id {
                #expect(kept == whole, "the best trial is kept whole")
                continue
            }
            #expect(kept.params.isEmpty && kept.distributions.isEmpty)
            #expect(kept.userAttributes.isEmpty && kept.systemAttributes.isEmpty)
            #expect(kept.datetimeStart == whole.datetimeStart && kept.datetimeComplete == whole.datetimeComplete)
            #expect(kept.intermediateValues == whole.intermediateValues)
        }
        #expect(session.history.bestTrial == best)
        #expect(session.bestTrial == best)
    }

    @Test(arguments: [1, 2] as [UInt64])
    func randomSamplerWithoutSchedulerKeepsNoFinishedTrial(seed: UInt64) throws {
        let (session, storage) = try runStudy(.random, .none, seed: seed, trials: 60)
        let all = try storage.trials(in: session.study.id, states: nil)
        #expect(all.count == 60 && all.allSatisfy(\.state.isFinished))
        #expect(session.history.trials.isEmpty)
        #expect(session.trialsCounted == 60)
        #expect(session.bestTrial == TrialHistory(direction: .minimize, trials: all).bestTrial)
        // The next trial still gets the next number (and the proposal the whole history gives, as `runStudy`
        // checked for every trial).
        #expect(try session.ask().number == 60)
    }

    @Test func studyTimeoutScopeKeepsARowForEveryTrial() throws {
        let (session, storage) = try runStudy(.random, .none, seed: 3, trials: 20, timeoutScope: .study)
        let stored = try storage.trials(in: session.study.id, states: nil)
        #expect(session.history.trials.map(\.id) == stored.map(\.id))
        #expect(session.history.trials.map(\.datetimeComplete) == stored.map(\.datetimeComplete))
        #expect(session.history.trials.map(\.datetimeStart) == stored.map(\.datetimeStart))
    }

    @Test(arguments: [1, 2] as [UInt64])
    func tpeWithASHAKeepsParametersLastValueAndRungAttributes(seed: UInt64) throws {
        var asha = ASHAOptions()
        asha.minResource = .value(1)
        asha.reductionFactor = 2
        let (session, storage) = try runStudy(Self.tpe(startup: 5), .asha(asha), seed: seed)
        let stored = try storage.trials(in: session.study.id, states: nil)
        let history = session.history.trials
        let best = try #require(TrialHistory(direction: .minimize, trials: stored).bestTrial)
        for (kept, whole) in zip(history, stored) where kept.id != best.id {
            #expect(kept.params == whole.params && kept.distributions == whole.distributions)
            #expect(kept.userAttributes.isEmpty)
            #expect(kept.systemAttributes["fail_reason"] == nil)
            let rungs = whole.systemAttributes.filter { $0.key.hasPrefix("completed_rung_") }
            #expect(kept.systemAttributes == rungs)
            // TPE ranks PRUNED trials by their last value; ASHA's `auto` resource reads COMPLETE trials' last step.
            let last = whole.state == .fail ? nil : whole.lastStep
            #expect(kept.intermediateValues == (last.map { [$0: whole.intermediateValues[$0] ?? .nan] } ?? [:]))
        }
    }

    @Test(arguments: [4, 5] as [UInt64])
    func tpeWithoutSchedulerKeepsParametersAndOnlyThePrunedTrialsLastValue(seed: UInt64) throws {
        let (session, storage) = try runStudy(Self.tpe(startup: 6), .none, seed: seed)
        let stored = try storage.trials(in: session.study.id, states: nil)
        let best = try #require(session.history.bestTrial)
        #expect(stored.contains { $0.state == .pruned })
        for (kept, whole) in zip(session.history.trials, stored) where kept.id != best.id {
            #expect(kept.params == whole.params && kept.distributions == whole.distributions)
            let last = whole.state == .pruned ? whole.lastStep : nil
            #expect(kept.intermediateValues == (last.map { [$0: whole.intermediateValues[$0] ?? .nan] } ?? [:]))
        }
    }

    @Test func tpeWithMedianProposesAndDecidesAsFromTheWholeHistory() throws {
        _ = try runStudy(Self.tpe(startup: 4), Self.median(startup: 2), seed: 7)
    }

    @Test func trialsOfAnotherProcessAreReadWholeUntilTheyFinish() throws {
        let storage = InMemoryStorage()
        let spec = spec(.random, .median(PercentileOptions()), seed: 5)
        let session = try StudySession(spec: spec, storage: storage)
        let other = try StudySession(spec: spec, storage: storage)
        let trial = try other.ask()
        try storage.setTrialUserAttributes(["owner": .string("other")], of: trial.id)
        try session.refresh()
        #expect(session.history.trials.first?.userAttributes == ["owner": .string("other")])
        #expect(try session.report(trial: trial.id, step: 0, value: 1) == .continue)
        try other.tell(trial: trial.id, state: .complete, value: 1)
        try session.refresh()
        // The best trial is kept whole; a worse COMPLETE one in its kept form (its values, not its attributes).
        #expect(session.history.trials.first == (try storage.trial(trial.id)))
        let worse = try other.ask()
        try storage.setTrialUserAttributes(["owner": .string("other")], of: worse.id)
        #expect(try session.report(trial: worse.id, step: 0, value: 2) == .continue)
        try other.tell(trial: worse.id, state: .complete, value: 2)
        try session.refresh()
        let kept = try #require(session.history.trials.last)
        #expect(kept.id == worse.id && kept.state == .complete && kept.value == 2)
        #expect(kept.userAttributes.isEmpty && kept.intermediateValues == [0: 2])
        // A PRUNED trial of the other process leaves no row once it is read finished, only its count.
        let second = try other.ask()
        try session.refresh()
        #expect(session.history.trials.map(\.id) == [trial.id, worse.id, second.id])
        try other.tell(trial: second.id, state: .pruned, value: nil)
        try session.refresh()
        #expect(session.history.trials.map(\.id) == [trial.id, worse.id])
        #expect(session.trialsCounted == 3)
        #expect(try session.ask().number == 3)
    }
}
