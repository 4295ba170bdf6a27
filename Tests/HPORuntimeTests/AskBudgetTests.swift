import Foundation
import HPOCore
import HPORuntime
import HPOStorage
import Testing

@Suite("ask within the study's budget")
struct AskBudgetTests {
    func spec(trials: Int?) -> StudySpec {
        StudySpec(
            name: "budget", direction: .minimize, sampler: SamplerSpec(kind: .random, seed: 11),
            budget: Budget(nTrials: trials),
            space: SearchSpace([ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: 0, high: 1)))]))
    }

    func budgetUsed(_ body: () throws -> Trial) -> Bool {
        do {
            _ = try body()
            return false
        } catch RuntimeError.budgetUsed(let study, let nTrials) {
            return study == "budget" && nTrials == 3
        } catch {
            return false
        }
    }

    @Test func askBeyondTheBudgetFailsAcrossSessionsOnTheSameStorage() throws {
        let storage = InMemoryStorage()
        let first = try StudySession(spec: spec(trials: 3), storage: storage)
        let second = try StudySession(spec: spec(trials: 3), storage: storage)
        let a = try first.ask(within: 3)
        _ = try second.ask(within: 3)
        try first.tell(trial: a.id, state: .complete, value: 0.5)
        _ = try first.ask(within: 3)
        #expect(budgetUsed { try second.ask(within: 3) })
        #expect(budgetUsed { try first.ask(within: 3) })
        #expect(try storage.countTrials(in: first.study.id, states: nil) == 3)
        // Without a budget, ask goes on.
        #expect(try first.ask(within: nil).number == 3)
    }

    @Test func aRetryStartsBeyondTheBudgetAndAnEnqueuedTrialDoesNot() throws {
        let storage = InMemoryStorage()
        let session = try StudySession(spec: spec(trials: 3), storage: storage)
        var started: [Trial] = []
        for _ in 0..<3 { started.append(try session.ask(within: 3)) }
        let failed = started[1]
        let outcome = try storage.failTrial(failed.id, TrialFailure(retry: failed.retryCopy()))
        guard case .failed(let retry?) = outcome else {
            Issue.record("no retry was added: \(outcome)")
            return
        }
        _ = try storage.createTrial(
            in: session.study.id,
            NewTrial(state: .waiting, params: ["x": 0.5], distributions: failed.distributions))
        let resumed = try session.ask(within: 3)
        #expect(resumed.id == retry.id)
        #expect(resumed.params == failed.params)
        #expect(resumed.state == .running)
        #expect(budgetUsed { try session.ask(within: 3) })
        #expect(try storage.trials(in: session.study.id, states: [.waiting]).count == 1)
    }

    @Test func anEnqueuedTrialIsClaimedWithinTheBudget() throws {
        let storage = InMemoryStorage()
        let session = try StudySession(spec: spec(trials: 3), storage: storage)
        let enqueued = try storage.createTrial(
            in: session.study.id,
            NewTrial(
                state: .waiting, params: ["x": 0.25], distributions: ["x": .float(FloatDistribution(low: 0, high: 1))]))
        let trial = try session.ask(within: 3)
        #expect(trial.id == enqueued.id)
        #expect(trial.params == ["x": 0.25])
        #expect(trial.state == .running)
    }
}
