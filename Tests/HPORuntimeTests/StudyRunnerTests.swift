import Foundation
import HPOCore
import HPORuntime
import HPOStorage
import HPOTestSupport
import Testing

@Suite("StudyRunner and TrainerPool")
struct StudyRunnerTests {
    func spec(name: String = "runner", trials: Int = 8, workers: Int = 2) -> StudySpec {
        StudySpec(
            name: name, direction: .minimize, sampler: SamplerSpec(kind: .random, seed: 11),
            budget: Budget(nTrials: trials, workers: workers),
            space: SearchSpace([ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: 0, high: 1)))]))
    }

    @Test func poolRunsTrialsInParallel() async throws {
        let storage = InMemoryStorage()
        let session = try StudySession(spec: spec(), storage: storage)
        let trainer = ScriptedTrainer(delay: 0.05) { _, assignment in .value(assignment.double("x") ?? 0) }
        let runner = StudyRunner(
            session: session, trainer: trainer, options: .init(workers: 2, nTrials: 8, timeout: nil))
        let pool = TrainerPool(threads: 2)
        defer { pool.shutdown() }
        let summary = try await runner.run(pool: pool)
        #expect(summary.totalTrials == 8)
        #expect(trainer.maxConcurrent == 2)
        let trials = try storage.trials(in: session.study.id, states: nil)
        #expect(trials.map(\.number) == Array(0..<8))
        #expect(trials.allSatisfy { $0.state == .complete })
    }

    @Test func failingTrainerMakesFailTrialsAndTheStudyGoesOn() async throws {
        let storage = InMemoryStorage()
        let session = try StudySession(spec: spec(name: "failing", trials: 9), storage: storage)
        let trainer = ScriptedTrainer { number, _ in
            switch number % 3 {
            case 0: return .fail("diverged at epoch 2")
            case 1: return .value(.nan)
            default: return .value(Double(number))
            }
        }
        let runner = StudyRunner(
            session: session, trainer: trainer, options: .init(workers: 2, nTrials: 9, timeout: nil))
        let pool = TrainerPool(threads: 2)
        defer { pool.shutdown() }
        let summary = try await runner.run(pool: pool)
        #expect(summary.totalTrials == 9)
        let trials = try storage.trials(in: session.study.id, states: nil)
        #expect(trials.filter { $0.state == .fail }.count == 6)
        #expect(trials.filter { $0.state == .complete }.count == 3)
        let thrown = try #require(trials.first { $0.number == 0 })
        #expect(thrown.systemAttributes["fail_reason"] == .string("diverged at epoch 2"))
        #expect(thrown.value == nil)
        let nan = try #require(trials.first { $0.number == 1 })
        #expect(nan.systemAttributes["fail_reason"]?.stringValue?.contains("nan") == true)
        #expect(summary.best?.number == 2)
    }

    @Test func continuingAStudyAddsOnlyTheMissingTrials() async throws {
        let storage = InMemoryStorage()
        let trainer = ScriptedTrainer { _, assignment in .value(assignment.double("x") ?? 0) }
        let pool = TrainerPool(threads: 2)
        defer { pool.shutdown() }
        for target in [5, 5, 7] {
            let session = try StudySession(spec: spec(name: "continued", trials: target), storage: storage)
            let runner = StudyRunner(
                session: session, trainer: trainer, options: .init(workers: 2, nTrials: target, timeout: nil))
            _ = try await runner.run(pool: pool)
            #expect(try storage.countTrials(in: session.study.id, states: nil) == target)
        }
    }

    @Test func seededStudyProposesTheSameTrialsWhateverTheWorkerCount() async throws {
        var proposals: [[Double]] = []
        for workers in [1, 2] {
            let storage = InMemoryStorage()
            let session = try StudySession(spec: spec(name: "seeded", trials: 10, workers: workers), storage: storage)
            let trainer = ScriptedTrainer { _, assignment in .value(assignment.double("x") ?? 0) }
            let runner = StudyRunner(
                session: session, trainer: trainer, options: .init(workers: workers, nTrials: 10, timeout: nil))
            let pool = TrainerPool(threads: workers)
            _ = try await runner.run(pool: pool)
            pool.shutdown()
            proposals.append(try storage.trials(in: session.study.id, states: nil).compactMap { $0.params["x"] })
        }
        #expect(proposals[0] == proposals[1])
    }

    @Test func prunedTrialKeepsItsLastReportedValue() async throws {
        let storage = InMemoryStorage()
        var study = spec(name: "pruning", trials: 12, workers: 1)
        var asha = ASHAOptions()
        asha.minResource = .value(1)
        asha.reductionFactor = 2
        study.scheduler = .asha(asha)
        let session = try StudySession(spec: study, storage: storage)
        let trainer = ScriptedTrainer { number, _ in
            let base = Double(number % 4)
            return .curve((0..<8).map { base + 1.0 / Double($0 + 1) })
        }
        let runner = StudyRunner(
            session: session, trainer: trainer, options: .init(workers: 1, nTrials: 12, timeout: nil))
        let pool = TrainerPool(threads: 1)
        defer { pool.shutdown() }
        _ = try await runner.run(pool: pool)
        let trials = try storage.trials(in: session.study.id, states: nil)
        let pruned = trials.filter { $0.state == .pruned }
        #expect(!pruned.isEmpty)
        for trial in pruned {
            let last = try #require(trial.lastStep)
            #expect(trial.value == trial.intermediateValues[last])
            #expect(trial.systemAttributes.keys.contains { $0.hasPrefix("completed_rung_") })
        }
    }
}
