import Foundation
import HPOAlgorithms
import HPOCore
import Testing

/// One trace of `Fixtures/pruner_traces.jsonl`: Optuna 5.0's decision after every report of a random study.
private struct PrunerTrace: Decodable {
    struct Config: Decodable {
        var type: String
        var minResource: Int?
        var maxResource: Int?
        var reductionFactor: Int?
        var minEarlyStoppingRate: Int?
        var bootstrapCount: Int?
        var nStartupTrials: Int?
        var nWarmupSteps: Int?
        var intervalSteps: Int?
        var nMinTrials: Int?
    }

    struct Event: Decodable {
        var op: String
        var trial: Int
        var step: Int?
        var value: String?
        var state: String?
        var optuna: String?
    }

    var seed: Int
    var type: String
    var name: String
    var direction: String
    var config: Config
    var events: [Event]
}

private enum TraceError: Error, CustomStringConvertible {
    case malformed(seed: Int, String)

    var description: String {
        switch self {
        case .malformed(let seed, let what): return "trace \(seed): \(what)"
        }
    }
}

extension PrunerTrace.Config {
    func schedulerSpec() throws -> SchedulerSpec {
        switch type {
        case "asha":
            var options = ASHAOptions()
            options.minResource = minResource.map(ResourceSetting.value) ?? .auto
            options.reductionFactor = reductionFactor ?? options.reductionFactor
            options.minEarlyStoppingRate = minEarlyStoppingRate ?? options.minEarlyStoppingRate
            options.bootstrapCount = bootstrapCount ?? options.bootstrapCount
            return .asha(options)
        case "hyperband":
            var options = HyperbandOptions()
            options.minResource = minResource ?? options.minResource
            options.maxResource = maxResource.map(ResourceSetting.value) ?? .auto
            options.reductionFactor = reductionFactor ?? options.reductionFactor
            return .hyperband(options)
        case "median":
            var options = PercentileOptions()
            options.nStartupTrials = nStartupTrials ?? options.nStartupTrials
            options.nWarmupSteps = nWarmupSteps ?? options.nWarmupSteps
            options.intervalSteps = intervalSteps ?? options.intervalSteps
            options.nMinTrials = nMinTrials ?? options.nMinTrials
            return .median(options)
        default:
            throw TraceError.malformed(seed: -1, "unknown scheduler type \(type)")
        }
    }
}

/// The outcome of replaying one trace: reports compared, and the disagreements (event index and description).
private struct ReplayResult {
    var reports = 0
    var disagreements: [String] = []
}

/// Replays a trace as storage and runtime would: trials are created on `ask`, each report is added to its trial,
/// the scheduler decides over the history, its system attributes are written to the trial, and `tell` finishes
/// the trial (a PRUNED trial takes its last non-NaN reported value, as Optuna records it).
private func replay(_ trace: PrunerTrace) throws -> ReplayResult {
    guard let direction = StudyDirection(rawValue: trace.direction) else {
        throw TraceError.malformed(seed: trace.seed, "direction \(trace.direction)")
    }
    let scheduler = makeScheduler(try trace.config.schedulerSpec())
    var trials: [Int: Trial] = [:]
    var result = ReplayResult()
    for (index, event) in trace.events.enumerated() {
        switch event.op {
        case "ask":
            trials[event.trial] = Trial(id: TrialID(event.trial + 1), number: event.trial, state: .running)
        case "report":
            guard var trial = trials[event.trial], let step = event.step, let text = event.value,
                let value = Double(text), let expected = event.optuna
            else { throw TraceError.malformed(seed: trace.seed, "event \(index)") }
            if trial.intermediateValues[step] == nil { trial.intermediateValues[step] = value }
            trials[event.trial] = trial
            let history = TrialHistory(direction: direction, trials: trials.values.sorted { $0.number < $1.number })
            let outcome = scheduler.decide(for: trial, studyName: trace.name, history: history)
            trial.systemAttributes.merge(outcome.systemAttributes) { _, new in new }
            trials[event.trial] = trial
            result.reports += 1
            if outcome.decision.rawValue != expected {
                result.disagreements.append(
                    "seed \(trace.seed) event #\(index) trial \(event.trial) step \(step) value \(text): "
                        + "optuna=\(expected) hpo=\(outcome.decision.rawValue)")
            }
        case "tell":
            guard var trial = trials[event.trial] else {
                throw TraceError.malformed(seed: trace.seed, "tell of unknown trial at event \(index)")
            }
            if event.state == "complete" {
                trial.state = .complete
                trial.value = event.value.flatMap(Double.init)
            } else {
                trial.state = .pruned
                trial.value = trial.lastStep.flatMap { trial.intermediateValues[$0] }.flatMap { $0.isNaN ? nil : $0 }
            }
            trials[event.trial] = trial
        default:
            throw TraceError.malformed(seed: trace.seed, "unknown op \(event.op)")
        }
    }
    return result
}

private func loadTraces(_ name: String) throws -> [PrunerTrace] {
    guard let url = Bundle.module.url(forResource: name, withExtension: "jsonl", subdirectory: "Fixtures")
    else { throw TraceError.malformed(seed: -1, "Fixtures/\(name).jsonl is not in the test bundle") }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
        try decoder.decode(PrunerTrace.self, from: Data(line.utf8))
    }
}

/// Replays every trace of a fixture, prints the agreement per scheduler type, and returns the total number of reports
/// and the first disagreement of each trace that has one.
private func replayAll(_ traces: [PrunerTrace], label: String) throws -> (reports: Int, disagreements: [String]) {
    var reports: [String: Int] = [:]
    var agreeing: [String: Int] = [:]
    var failedTraces: [String: Int] = [:]
    var disagreements: [String] = []
    for trace in traces {
        let result = try replay(trace)
        reports[trace.type, default: 0] += result.reports
        agreeing[trace.type, default: 0] += result.reports - result.disagreements.count
        if !result.disagreements.isEmpty { failedTraces[trace.type, default: 0] += 1 }
        disagreements += result.disagreements.prefix(1)
    }
    for type in reports.keys.sorted() {
        let total = reports[type] ?? 0
        let agree = agreeing[type] ?? 0
        let rate = String(format: "%.4f", Double(agree) / Double(max(total, 1)) * 100)
        print(
            "\(label) \(type): \(agree)/\(total) decisions agree (\(rate) %), "
                + "\(failedTraces[type] ?? 0) traces with a disagreement")
    }
    return (reports.values.reduce(0, +), disagreements)
}

@Suite struct PrunerTraceConformanceTests {
    @Test func everyDecisionAgreesWithOptunaOnTheRecordedTraces() throws {
        let traces = try loadTraces("pruner_traces")
        #expect(traces.count == 300)
        let (reports, disagreements) = try replayAll(traces, label: "pruner traces")
        #expect(reports > 20_000)
        #expect(disagreements.isEmpty, "first disagreements: \(disagreements.prefix(10))")
    }

    /// 90 traces exported with `pruner_conformance.py --export ... --traces 90 --inf --seed 11`: about 2 % of the
    /// reports are +-infinity (ASHA ranks them like any value; the median of values with an infinity is NaN, so
    /// nothing is pruned on it).
    @Test func everyDecisionAgreesWithOptunaOnTracesWithInfinities() throws {
        let traces = try loadTraces("pruner_traces_inf")
        #expect(traces.count == 90)
        let (reports, disagreements) = try replayAll(traces, label: "pruner traces with infinities")
        #expect(reports > 5_000)
        #expect(disagreements.isEmpty, "first disagreements: \(disagreements.prefix(10))")
    }
}
