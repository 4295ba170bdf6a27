import Foundation
import HPOCore
import Testing

@testable import HPORuntime

/// `StudyCache` applied updates that arrive out of order, as concurrent requests on one study deliver them.
@Suite("Study cache")
struct StudyCacheTests {
    static func trial(_ id: TrialID, _ state: TrialState, value: Double? = nil) -> Trial {
        Trial(id: id, number: Int(id), state: state, value: value, intermediateValues: [0: 1])
    }

    @Test(arguments: [
        TrialRetention(sampler: SamplerSpec(kind: .random), scheduler: .median(PercentileOptions())),
        TrialRetention(sampler: SamplerSpec(kind: .random), scheduler: .none), TrialRetention.whole,
    ])
    func aStaleRunningFormReadBeforeATellIsIgnored(retention: TrialRetention) {
        let cache = StudyCache(direction: .minimize, retention: retention)
        cache.update([Self.trial(0, .running), Self.trial(1, .running)])
        // One request finishes trial 0 (pruned) and trial 1 (complete); a refresh that read both while they were
        // running applies its result afterwards.
        cache.update([Self.trial(0, .pruned, value: 1), Self.trial(1, .complete, value: 2)])
        cache.update([Self.trial(0, .running), Self.trial(1, .running)])
        #expect(cache.countsByState[.running] == 0)
        #expect(cache.countsByState[.pruned] == 1 && cache.countsByState[.complete] == 1)
        #expect(cache.trialsCounted == 2 && cache.trialCount == 2)
        #expect(cache.unfinishedTrials.isEmpty)
        let rowsFinished = cache.history.trials.allSatisfy { $0.state.isFinished }
        #expect(rowsFinished)
        #expect(cache.bestTrial?.id == 1)
    }

    @Test(arguments: [
        TrialRetention(sampler: SamplerSpec(kind: .random), scheduler: .median(PercentileOptions())),
        TrialRetention(sampler: SamplerSpec(kind: .random), scheduler: .none), TrialRetention.whole,
    ])
    func trialsAskedConcurrentlyAreCountedWhateverOrderTheirUpdatesCome(retention: TrialRetention) {
        let cache = StudyCache(direction: .minimize, retention: retention)
        // Trial 1 is started and its update applied before trial 0's (two asks at once).
        cache.update([Self.trial(1, .running)])
        cache.update([Self.trial(0, .running)])
        cache.update([Self.trial(1, .pruned, value: 1)])
        // A refresh that read trial 0 finished before its own tell applies it.
        cache.update([Self.trial(0, .pruned, value: 1)])
        cache.update([Self.trial(0, .pruned, value: 1)])
        #expect(cache.countsByState[.running] == 0 && cache.countsByState[.pruned] == 2)
        #expect(cache.trialsCounted == 2 && cache.trialCount == 2)
    }

    @Test(arguments: [
        TrialRetention(sampler: SamplerSpec(kind: .random), scheduler: .median(PercentileOptions())),
        TrialRetention(sampler: SamplerSpec(kind: .random), scheduler: .none), TrialRetention.whole,
    ])
    func aStaleWaitingFormReadBeforeAStartIsIgnored(retention: TrialRetention) {
        let cache = StudyCache(direction: .minimize, retention: retention)
        // A retry is queued (WAITING), a run starts it; a refresh that read it while it waited applies its result
        // afterwards, then the run's report and tell arrive.
        cache.update([Self.trial(0, .fail), Self.trial(1, .waiting)])
        cache.update([Self.trial(1, .running)])
        cache.update([Self.trial(1, .waiting)])
        #expect(cache.countsByState[.running] == 1 && cache.countsByState[.waiting, default: 0] == 0)
        #expect(cache.unfinishedTrials.map(\.state) == [.running])
        cache.update([Self.trial(1, .complete, value: 3)])
        #expect(cache.countsByState[.complete] == 1 && cache.countsByState[.running] == 0)
        #expect(cache.unfinishedTrials.isEmpty)
    }
}
