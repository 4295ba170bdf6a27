import Foundation
import HPOConfig
import HPOCore
import HPORuntime
import HPOStorage
import HPOTestSupport
import Testing

@Suite("Resuming a study: scheduler decisions, definition changes")
struct ResumeTests {
    func spec(high: Double = 1, choices: [String] = ["a", "b"], direction: StudyDirection = .minimize) -> StudySpec {
        var asha = ASHAOptions()
        asha.minResource = .value(1)
        asha.reductionFactor = 2
        return StudySpec(
            name: "resumed", direction: direction, sampler: SamplerSpec(kind: .random, seed: 9),
            scheduler: .asha(asha), budget: Budget(nTrials: 14),
            space: SearchSpace([
                ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: 0, high: high))),
                ParameterSpec(
                    name: "kind",
                    distribution: .categorical(CategoricalDistribution(choices: choices.map(ParamValue.string)))),
            ]))
    }

    /// The learning curve of trial `number`: some trials are clearly worse, so ASHA prunes.
    func curve(_ number: Int) -> [Double] {
        let level = Double((number * 7) % 5)
        return (1...8).map { level + 1.0 / Double($0) }
    }

    /// Runs 14 trials through ask/report/tell, opening a new storage connection and session (a restarted
    /// process) before each (trial, step) in `restarts`; returns every decision in order.
    func decisions(
        open: () throws -> any StudyStorage, restarts: Set<[Int]>
    ) throws -> [[SchedulerDecision]] {
        var session = try StudySession(spec: spec(), storage: try open())
        var all: [[SchedulerDecision]] = []
        for number in 0..<14 {
            if restarts.contains([number, 0]) { session = try StudySession(spec: spec(), storage: try open()) }
            let trial = try session.ask()
            #expect(trial.number == number)
            var trialDecisions: [SchedulerDecision] = []
            for (index, value) in curve(number).enumerated() {
                if index > 0, restarts.contains([number, index]) {
                    session = try StudySession(spec: spec(), storage: try open())
                }
                let decision = try session.report(trial: trial.id, step: index + 1, value: value)
                trialDecisions.append(decision)
                if decision == .prune { break }
            }
            let pruned = trialDecisions.last == .prune
            try session.tell(
                trial: trial.id, state: pruned ? .pruned : .complete, value: pruned ? nil : curve(number).last)
            all.append(trialDecisions)
        }
        return all
    }

    @Test func ashaStudyResumedFromStorageDecidesAsAnUninterruptedRun() throws {
        let memory = InMemoryStorage()
        let uninterrupted = try decisions(open: { memory }, restarts: [])
        #expect(uninterrupted.contains { $0.last == .prune }, "the scenario must prune")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hpo-resume-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("study.db").path
        let resumed = try decisions(
            open: { try SQLiteStorage(path: path) }, restarts: [[3, 0], [6, 2], [9, 1], [11, 0], [12, 4]])
        #expect(resumed == uninterrupted)
    }

    func storedStudy(_ spec: StudySpec) throws -> InMemoryStorage {
        let storage = InMemoryStorage()
        _ = try StudySession(
            spec: spec, storage: storage,
            systemAttributes: [
                StudyDefinitionKey.definition: spec.definitionJSON,
                StudyDefinitionKey.definitionHash: .string(spec.definitionHash),
            ])
        return storage
    }

    @Test func identicalDefinitionContinuesWithoutRecordingAnything() throws {
        let storage = try storedStudy(spec())
        let diff = try DefinitionCheck.reconcile(spec(), storage: storage, allowChange: false)
        #expect(diff?.isEmpty == true)
        #expect(try storage.study(named: "resumed")?.systemAttributes[DefinitionCheck.historyKey] == nil)
    }

    @Test func widenedRangeIsRefusedWithAReadableDiffUnlessAllowed() throws {
        let storage = try storedStudy(spec())
        let wider = spec(high: 2, choices: ["a", "b", "c"])
        do {
            try DefinitionCheck.reconcile(wider, storage: storage, allowChange: false)
            Issue.record("a widened space was accepted without --allow-change")
        } catch let error as DefinitionChangeError {
            let message = "\(error)"
            #expect(message.contains("~ space.x.high: 1 -> 2 (widening)") || message.contains("space.x.high"))
            #expect(message.contains("space.kind.choices"))
            #expect(message.contains("--allow-change"))
        }
        let diff = try #require(try DefinitionCheck.reconcile(wider, storage: storage, allowChange: true))
        #expect(diff.compatibility == .widening)
        let study = try #require(try storage.study(named: "resumed"))
        guard case .array(let history)? = study.systemAttributes[DefinitionCheck.historyKey],
            case .object(let entry)? = history.first
        else {
            Issue.record("no history recorded")
            return
        }
        #expect(history.count == 1)
        #expect(entry["compatibility"] == .string("widening"))
        #expect(try DefinitionCheck.storedSpec(of: study) == wider)
        // The stored definition is now the wider one: continuing with it needs no flag.
        #expect(try DefinitionCheck.reconcile(wider, storage: storage, allowChange: false)?.isEmpty == true)
    }

    @Test func narrowedRangeOrNewDirectionIsRefusedEvenWhenChangesAreAllowed() throws {
        let storage = try storedStudy(spec(high: 2))
        for changed in [spec(high: 1), spec(high: 2, direction: .maximize)] {
            #expect(throws: DefinitionChangeError.self) {
                try DefinitionCheck.reconcile(changed, storage: storage, allowChange: true)
            }
        }
    }

    @Test func budgetChangeIsAcceptedAndRecorded() throws {
        let storage = try storedStudy(spec())
        var more = spec()
        more.budget.nTrials = 40
        let diff = try #require(try DefinitionCheck.reconcile(more, storage: storage, allowChange: false))
        #expect(diff.compatibility == .compatible)
        let study = try #require(try storage.study(named: "resumed"))
        #expect(try DefinitionCheck.storedSpec(of: study).budget.nTrials == 40)
    }
}
