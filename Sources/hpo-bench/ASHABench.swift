import Foundation
import HPOAlgorithms
import HPOCore
import HPOTraining

/// `hpo-bench asha`: does ASHA save steps without losing the best result? On the `curve` objective (synthetic
/// learning curves), each seed runs the same study without early stopping and with ASHA, and the tables compare the
/// best final value (best COMPLETE trial) and the steps spent. Two comparisons:
///
/// - same trials (the target's comparison): ASHA runs as many trials as the no-pruning run;
/// - equal compute: ASHA asks new trials until it has spent `stepShare` of the no-pruning run's steps.
///
/// The study loop is run in process, one trial at a time: ask (the sampler over the in-memory history), train with
/// a reporter that asks the scheduler after every report and keeps its system attributes, tell. No storage and no
/// threads are involved, so the figures measure the algorithms only.
public enum ASHABenchmark {
    public struct Configuration: Sendable {
        public var seeds: [UInt64] = Array(1...10)
        /// As in `studies/curve-asha.yaml`: 30 trials of 27 steps.
        public var trials = 30
        public var steps = 27
        public var noise = 0.01
        public var minResource = 1
        public var reductionFactor = 3
        public var sampler = "tpe"
        /// The TPE pruned-trial rules compared (nil: the sampler's default); one table or line per rule.
        public var prunedTrials: [TPEPrunedTrials?] = [nil]
        /// `asha`, `hyperband` (`min_resource`, `max_resource` = steps, `reduction_factor`) or `median`.
        public var scheduler = "asha"
        /// Coordinates of the curve: 3 is `studies/curve-asha.yaml`'s space (x, y, log rate); otherwise d − 1
        /// linear coordinates and the log rate.
        public var dimensions = 3
        /// TPE's `adaptive` option (off: Optuna 5.0's TPE exactly).
        public var adaptive = true
        /// One line per rule and comparison instead of the tables.
        public var summaryOnly = false
        /// Largest allowed relative gap of ASHA's best final value to the no-pruning run's.
        public var qualityTolerance = 0.02
        /// Largest allowed share of the no-pruning run's steps.
        public var stepShare = 0.40
        /// Which comparisons to run and print, in this order.
        public var variants: [Variant] = [.sameTrials, .equalCompute, .sameConfigurations, .control]

        public init() {}
    }

    /// How ASHA's run is limited.
    public enum Variant: Sendable {
        /// As many trials as the no-pruning run.
        case sameTrials
        /// New trials until `stepShare` of the no-pruning run's steps are spent (the trial that crosses it is the
        /// last); judged on the gap only, since the share is the budget.
        case equalCompute
        /// The no-pruning run's configurations, in its order, under the scheduler (no sampler): what the scheduler
        /// alone loses, apart from how the sampler reacts to pruned trials.
        case sameConfigurations
        /// No early stopping against no early stopping with another sampler seed (and other noise): how often a
        /// method exactly as good lands within the tolerance by chance, the resolution of the per-seed test. Judged
        /// on the gap only.
        case control
    }

    /// The seed of the control run for `seed`.
    static func controlSeed(_ seed: UInt64) -> UInt64 { seed &+ 1_000_003 }

    /// What one study run spent and found.
    public struct RunSummary: Sendable {
        /// The best reported final value among COMPLETE trials.
        public var bestFinalValue: Double?
        /// The noiseless curve value at the last step of that trial: how good the chosen configuration really is.
        public var bestTrueValue: Double?
        public var trials: Int
        public var steps: Int
        public var pruned: Int
        public var complete: Int
        /// The configurations tried, in trial order.
        public var assignments: [Assignment] = []
    }

    static let usage = """
        usage: hpo-bench asha [--seeds N | --seeds A-B] [--trials N] [--steps N] [--noise X] [--dims D]
                              [--min-resource N] [--reduction-factor N] [--scheduler asha|hyperband|median]
                              [--sampler tpe|random] [--pruned-trials RULE,...]
                              [--same-trials | --equal-compute | --same-configurations | --control]
                              [--no-adaptive] [--summary]
        Runs the curve objective with and without early stopping for seeds 1...N (or A...B) and prints four
        comparisons: the scheduler with as many trials as the no-pruning run (--same-trials: only this one),
        the scheduler asking trials until it has spent 40 % of the no-pruning run's steps (--equal-compute:
        only this one), the scheduler on the no-pruning run's configurations, without a sampler
        (--same-configurations: only this one), and the no-pruning run against itself with another seed
        (--control: only this one; how often an equally good method passes by chance). --pruned-trials
        compares TPE's rules for pruned trials (default: the sampler's default; names: default, \(TPEPrunedTrials.allCases.map(\.rawValue).joined(separator: ", "))).
        --no-adaptive runs TPE as Optuna 5.0 does. --summary prints one line per rule and comparison.
        The exit status is 0 when every seed meets the targets of the first comparison printed.
        """

    /// Parses the arguments after `asha`, runs the benchmark, prints the table; returns the exit status (0 when
    /// every seed meets both targets, 1 when some does not, 2 on bad arguments).
    public static func main(arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return 0
        }
        do {
            let parsed = try parse(arguments)
            if !parsed.summaryOnly { print(rankCorrelationLine(parsed) + "\n") }
            var status: Int32?
            for rule in parsed.prunedTrials {
                var configuration = parsed
                configuration.prunedTrials = [rule]
                for variant in configuration.variants {
                    let rows = try configuration.seeds.map { try compare(seed: $0, variant, configuration) }
                    print(
                        configuration.summaryOnly
                            ? summaryLine(rows, variant, configuration) : table(rows, variant, configuration) + "\n")
                    status = status ?? (rows.allSatisfy { $0.meets(configuration) } ? 0 : 1)
                }
            }
            return status ?? 0
        } catch let error as BenchArgumentError {
            FileHandle.standardError.write(Data("hpo-bench asha: \(error)\n\(usage)\n".utf8))
            return 2
        } catch {
            FileHandle.standardError.write(Data("hpo-bench asha: \(error)\n".utf8))
            return 1
        }
    }

    struct BenchArgumentError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String]) throws -> Configuration {
        var configuration = Configuration()
        var remaining = arguments[...]
        func integer(_ name: String, minimum: Int) throws -> Int {
            guard let text = remaining.popFirst(), let value = Int(text), value >= minimum else {
                throw BenchArgumentError(description: "\(name) needs an integer >= \(minimum)")
            }
            return value
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--seeds":
                let text = remaining.first ?? ""
                let bounds = text.split(separator: "-").compactMap { UInt64($0) }
                if bounds.count == 2, bounds[0] <= bounds[1] {
                    remaining.removeFirst()
                    configuration.seeds = Array(bounds[0]...bounds[1])
                } else {
                    configuration.seeds = (1...UInt64(try integer(argument, minimum: 1))).map { $0 }
                }
            case "--dims": configuration.dimensions = try integer(argument, minimum: 1)
            case "--summary": configuration.summaryOnly = true
            case "--no-adaptive": configuration.adaptive = false
            case "--scheduler":
                guard let name = remaining.popFirst(), ["asha", "hyperband", "median"].contains(name) else {
                    throw BenchArgumentError(description: "--scheduler must be asha, hyperband or median")
                }
                configuration.scheduler = name
            case "--pruned-trials":
                let names = (remaining.popFirst() ?? "").split(separator: ",").map(String.init)
                configuration.prunedTrials = try names.map { name in
                    if name == "default" { return nil }
                    guard let rule = TPEPrunedTrials(rawValue: name) else {
                        throw BenchArgumentError(description: "--pruned-trials: unknown rule \(name)")
                    }
                    return rule
                }
                if configuration.prunedTrials.isEmpty {
                    throw BenchArgumentError(description: "--pruned-trials needs a comma-separated list of rules")
                }
            case "--trials": configuration.trials = try integer(argument, minimum: 1)
            case "--steps": configuration.steps = try integer(argument, minimum: 1)
            case "--min-resource": configuration.minResource = try integer(argument, minimum: 1)
            case "--reduction-factor": configuration.reductionFactor = try integer(argument, minimum: 2)
            case "--noise":
                guard let text = remaining.popFirst(), let value = Double(text), value >= 0 else {
                    throw BenchArgumentError(description: "--noise needs a number >= 0")
                }
                configuration.noise = value
            case "--equal-compute": configuration.variants = [.equalCompute]
            case "--same-trials": configuration.variants = [.sameTrials]
            case "--same-configurations": configuration.variants = [.sameConfigurations]
            case "--control": configuration.variants = [.control]
            case "--sampler":
                guard let name = remaining.popFirst(), ["tpe", "random"].contains(name) else {
                    throw BenchArgumentError(description: "--sampler must be tpe or random")
                }
                configuration.sampler = name
            default:
                throw BenchArgumentError(description: "unknown argument \(argument)")
            }
        }
        return configuration
    }

    /// One seed: the same study without early stopping and with ASHA.
    struct Comparison {
        var seed: UInt64
        var variant: Variant
        var full: RunSummary
        var asha: RunSummary

        var relativeGap: Double? {
            guard let reference = full.bestFinalValue, let value = asha.bestFinalValue else { return nil }
            return (value - reference) / max(abs(reference), 1e-12)
        }

        var relativeTrueGap: Double? {
            guard let reference = full.bestTrueValue, let value = asha.bestTrueValue else { return nil }
            return (value - reference) / max(abs(reference), 1e-12)
        }

        var stepShare: Double { Double(asha.steps) / Double(max(full.steps, 1)) }

        func meets(_ configuration: Configuration) -> Bool {
            guard let gap = relativeGap else { return false }
            switch variant {
            case .sameTrials, .sameConfigurations:
                return gap <= configuration.qualityTolerance && stepShare <= configuration.stepShare
            case .equalCompute, .control: return gap <= configuration.qualityTolerance
            }
        }
    }

    static func compare(seed: UInt64, _ variant: Variant, _ configuration: Configuration) throws -> Comparison {
        let full = try runStudy(scheduler: FIFOScheduler(), seed: seed, configuration)
        let asha: RunSummary
        switch variant {
        case .sameTrials:
            asha = try runStudy(scheduler: scheduler(configuration), seed: seed, configuration)
        case .equalCompute:
            asha = try runStudy(
                scheduler: scheduler(configuration), seed: seed, configuration, trialLimit: .max,
                stepLimit: Int(Double(full.steps) * configuration.stepShare))
        case .sameConfigurations:
            asha = try runStudy(
                scheduler: scheduler(configuration), seed: seed, configuration, replaying: full.assignments)
        case .control:
            asha = try runStudy(scheduler: FIFOScheduler(), seed: controlSeed(seed), configuration)
        }
        return Comparison(seed: seed, variant: variant, full: full, asha: asha)
    }

    /// The configured early-stopping scheduler.
    static func scheduler(_ configuration: Configuration) -> any TrialScheduler {
        switch configuration.scheduler {
        case "hyperband":
            var options = HyperbandOptions()
            options.minResource = configuration.minResource
            options.maxResource = .value(configuration.steps)
            options.reductionFactor = configuration.reductionFactor
            return HyperbandScheduler(options: options)
        case "median":
            return makeScheduler(.median())
        default:
            var options = ASHAOptions()
            options.minResource = .value(configuration.minResource)
            options.reductionFactor = configuration.reductionFactor
            return ASHAScheduler(options: options)
        }
    }

    /// The `curve` study of `studies/curve-asha.yaml`: x, y in [-3, 3], rate log-uniform in [1e-4, 1]; with
    /// `dimensions` d other than 3, x1 ... x(d−1) in [-3, 3] and the rate.
    static func space(_ configuration: Configuration) -> SearchSpace {
        let rate = ParameterSpec(name: "rate", distribution: .float(FloatDistribution(low: 1e-4, high: 1, log: true)))
        let names = configuration.dimensions == 3 ? ["x", "y"] : (1..<configuration.dimensions).map { "x\($0)" }
        return SearchSpace(
            names.map { ParameterSpec(name: $0, distribution: .float(FloatDistribution(low: -3, high: 3))) } + [rate])
    }

    /// Runs trials until `trialLimit` trials (default: the configured count) or, when given, until `stepLimit`
    /// steps are spent (the trial that crosses it is the last).
    static func runStudy(
        scheduler: any TrialScheduler, seed: UInt64, _ configuration: Configuration, trialLimit: Int? = nil,
        stepLimit: Int? = nil, replaying: [Assignment]? = nil
    ) throws -> RunSummary {
        let space = space(configuration)
        let trainer = try FunctionTrainer(
            options: [
                "objective": .string("curve"), "steps": .integer(configuration.steps),
                "noise": .number(configuration.noise),
            ], space: space)
        var options = TPEOptions()
        options.prunedTrials = configuration.prunedTrials.first ?? nil
        options.adaptive = configuration.adaptive
        let sampler: any Sampler = configuration.sampler == "tpe" ? TPESampler(options: options) : RandomSampler()
        let study = BenchStudy(name: "curve-asha-\(seed)", scheduler: scheduler)
        var assignments: [Assignment] = []
        var number = 0
        while number < replaying?.count ?? trialLimit ?? configuration.trials, study.summary.steps < stepLimit ?? .max {
            var generator = SeededGenerator(seed: seed, trialNumber: number)
            let assignment =
                try replaying.map { $0[number] }
                ?? sampler.suggest(trialNumber: number, in: space, history: study.history, using: &generator)
            assignments.append(assignment)
            study.start(number: number, assignment: assignment, space: space)
            var trainerSeeds = SeededGenerator(seed: seed, trialNumber: number, stream: 1)
            let reporter = BenchReporter(study: study, trialNumber: number, seed: trainerSeeds.next())
            let value = try trainer.train(assignment, reporter: reporter)
            study.finish(number: number, value: value)
            number += 1
        }
        var summary = study.summary
        summary.assignments = assignments
        summary.bestTrueValue = study.bestTrial.map { trueFinalValue($0.assignment, configuration) }
        return summary
    }

    /// The noiseless `curve` value at the last step for an assignment of `space` (unit coordinates as the
    /// function trainer scales them: linear for x and y, logarithmic for rate).
    static func trueFinalValue(_ assignment: Assignment, _ configuration: Configuration) -> Double {
        let units = space(configuration).parameters.map { spec -> Double in
            guard case .float(let domain) = spec.distribution, let value = assignment.double(spec.name) else {
                return 0.5
            }
            let transform: (Double) -> Double = domain.log ? { Foundation.log($0) } : { $0 }
            return (transform(value) - transform(domain.low)) / (transform(domain.high) - transform(domain.low))
        }
        return LearningCurve(unitCoordinates: units, steps: configuration.steps).value(atStep: configuration.steps)
    }

    /// The rungs of the configured ASHA below the last step.
    static func rungSteps(_ configuration: Configuration) -> [Int] {
        var steps: [Int] = []
        var step = configuration.minResource
        while step < configuration.steps {
            steps.append(step)
            step *= configuration.reductionFactor
        }
        return steps
    }

    /// How well the noiseless loss at each rung ranks configurations by their final loss (Spearman's rank
    /// correlation; 1 would make early stopping free of risk): over 2,000 random configurations (uniform in the
    /// unit cube of the space), and over the best tenth of them by final loss, where the search spends its time.
    static func rankCorrelationLine(_ configuration: Configuration) -> String {
        var generator = SeededGenerator(seed: 12_345)
        let curves = (0..<2000).map { _ in
            LearningCurve(
                unitCoordinates: (0..<configuration.dimensions).map { _ in Double.random(in: 0..<1, using: &generator)
                },
                steps: configuration.steps)
        }
        let best = curves.sorted { $0.value(atStep: configuration.steps) < $1.value(atStep: configuration.steps) }
            .prefix(curves.count / 10)
        func correlation(_ set: [LearningCurve], _ step: Int) -> String {
            let value = pearson(
                ranks(set.map { $0.value(atStep: step) }), ranks(set.map { $0.value(atStep: configuration.steps) }))
            return String(format: "%.2f", value)
        }
        let parts = rungSteps(configuration).map { step in
            "step \(step): \(correlation(curves, step)) (best tenth \(correlation(Array(best), step)))"
        }
        return "rank correlation of the noiseless loss at each rung with the final loss, 2,000 random "
            + "configurations: " + (parts.isEmpty ? "no rung below the last step" : parts.joined(separator: ", "))
    }

    /// Ranks 0..<n (ties are not expected for continuous values).
    static func ranks(_ values: [Double]) -> [Double] {
        var result = [Double](repeating: 0, count: values.count)
        for (rank, index) in values.indices.sorted(by: { values[$0] < values[$1] }).enumerated() {
            result[index] = Double(rank)
        }
        return result
    }

    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let count = Double(a.count)
        let meanA = a.reduce(0, +) / count
        let meanB = b.reduce(0, +) / count
        var covariance = 0.0
        var varianceA = 0.0
        var varianceB = 0.0
        for (x, y) in zip(a, b) {
            covariance += (x - meanA) * (y - meanB)
            varianceA += (x - meanA) * (x - meanA)
            varianceB += (y - meanB) * (y - meanB)
        }
        return covariance / max((varianceA * varianceB).squareRoot(), .leastNormalMagnitude)
    }

    /// The scheduler's name in the tables.
    static func schedulerLabel(_ configuration: Configuration) -> String {
        switch configuration.scheduler {
        case "hyperband": return "Hyperband"
        case "median": return "median"
        default: return "ASHA"
        }
    }

    /// The setting of one table or summary line.
    static func settingLine(_ variant: Variant, _ configuration: Configuration) -> String {
        let label = schedulerLabel(configuration)
        let rule = configuration.prunedTrials.first.flatMap { $0?.rawValue } ?? "default"
        return "curve objective, \(configuration.dimensions) dims, \(configuration.sampler) sampler"
            + (configuration.sampler == "tpe"
                ? " (pruned trials: \(rule)\(configuration.adaptive ? "" : ", adaptive off"))" : "")
            + ", \(configuration.trials) trials x \(configuration.steps) steps, noise \(configuration.noise); \(label)"
            + (configuration.scheduler == "median"
                ? "" : " min_resource \(configuration.minResource), reduction_factor \(configuration.reductionFactor)")
            + {
                switch variant {
                case .equalCompute:
                    return "; equal compute: \(label) asks trials until it has spent "
                        + "\(Int(configuration.stepShare * 100)) % of the no-pruning run's steps (ok: gap only)"
                case .sameTrials: return "; same trials: \(label) runs as many trials as the no-pruning run"
                case .sameConfigurations:
                    return "; same configurations: \(label) runs the no-pruning run's configurations, no sampler"
                case .control:
                    return "; control: the second column is no pruning again, with sampler seed + 1,000,003 and "
                        + "other noise (how often an equally good method passes; ok: gap only)"
                }
            }()
    }

    /// The means and counts over the seeds.
    static func summaryFigures(_ rows: [Comparison], _ variant: Variant, _ configuration: Configuration) -> String {
        func mean(_ values: [Double]) -> String {
            values.isEmpty ? "-" : String(format: "%+.2f %%", values.reduce(0, +) / Double(values.count) * 100)
        }
        let meanShare = rows.map(\.stepShare).reduce(0, +) / Double(max(rows.count, 1))
        let passed = rows.filter { $0.meets(configuration) }.count
        let trueWithin = rows.compactMap(\.relativeTrueGap).filter { $0 <= configuration.qualityTolerance }.count
        func meanValue(_ values: [Double?]) -> String {
            let known = values.compactMap { $0 }
            return known.isEmpty ? "-" : String(format: "%.5f", known.reduce(0, +) / Double(known.count))
        }
        return "mean true value of best \(meanValue(rows.map(\.full.bestTrueValue))) (no pruning) / "
            + "\(meanValue(rows.map(\.asha.bestTrueValue))); "
            + "mean gap \(mean(rows.compactMap(\.relativeGap))), mean true gap "
            + "\(mean(rows.compactMap(\.relativeTrueGap))), mean step share "
            + String(format: "%.1f %%", meanShare * 100)
            + "; \(passed)/\(rows.count) seeds within \(Int(configuration.qualityTolerance * 100)) % of the "
            + "no-pruning best"
            + (variant == .sameTrials || variant == .sameConfigurations
                ? " using <= \(Int(configuration.stepShare * 100)) % of its steps" : "")
            + "; true value within \(Int(configuration.qualityTolerance * 100)) % on \(trueWithin)/\(rows.count)"
    }

    static func summaryLine(_ rows: [Comparison], _ variant: Variant, _ configuration: Configuration) -> String {
        settingLine(variant, configuration) + "\n  " + summaryFigures(rows, variant, configuration)
    }

    static func table(_ rows: [Comparison], _ variant: Variant, _ configuration: Configuration) -> String {
        func format(_ value: Double?, _ digits: Int = 5) -> String {
            value.map { String(format: "%.\(digits)f", $0) } ?? "-"
        }
        let label = schedulerLabel(configuration)
        var lines = [
            settingLine(variant, configuration),
            "| seed | best (no pruning) | best (\(label)) | gap | true value of best (no pruning / \(label)) | true gap "
                + "| steps (no pruning) | steps (\(label)) | share | \(label) trials (pruned) | ok |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in rows {
            let gap = row.relativeGap.map { String(format: "%+.2f %%", $0 * 100) } ?? "-"
            let trueGap = row.relativeTrueGap.map { String(format: "%+.2f %%", $0 * 100) } ?? "-"
            lines.append(
                "| \(row.seed) | \(format(row.full.bestFinalValue)) | \(format(row.asha.bestFinalValue)) | \(gap) "
                    + "| \(format(row.full.bestTrueValue)) / \(format(row.asha.bestTrueValue)) | \(trueGap) "
                    + "| \(row.full.steps) | \(row.asha.steps) | \(String(format: "%.1f %%", row.stepShare * 100)) "
                    + "| \(row.asha.trials) (\(row.asha.pruned)) | \(row.meets(configuration) ? "yes" : "no") |")
        }
        lines.append(summaryFigures(rows, variant, configuration))
        return lines.joined(separator: "\n")
    }
}

/// The in-memory study of one benchmark run. Reports come from the trainer on the calling thread; the lock keeps
/// the reporter's `Sendable` promise.
private final class BenchStudy: @unchecked Sendable {
    let name: String
    let scheduler: any TrialScheduler
    private let lock = NSLock()
    // Guarded by `lock`.
    private var trials: [Trial] = []
    // Guarded by `lock`.
    private var pruned: Set<Int> = []

    init(name: String, scheduler: any TrialScheduler) {
        self.name = name
        self.scheduler = scheduler
    }

    var history: TrialHistory {
        lock.withLock { TrialHistory(direction: .minimize, trials: trials) }
    }

    func start(number: Int, assignment: Assignment, space: SearchSpace) {
        var params: [String: Double] = [:]
        var distributions: [String: Distribution] = [:]
        for spec in space.parameters {
            if let value = assignment[spec.name], let internalValue = spec.distribution.internalValue(of: value) {
                params[spec.name] = internalValue
                distributions[spec.name] = spec.distribution
            }
        }
        let trial = Trial(
            id: TrialID(number + 1), number: number, state: .running, params: params, distributions: distributions)
        lock.withLock { trials.append(trial) }
    }

    /// Records the report, asks the scheduler, stores its attributes, and returns its decision.
    func report(number: Int, step: Int, value: Double) -> SchedulerDecision {
        lock.withLock {
            guard let index = trials.firstIndex(where: { $0.number == number }) else { return .continue }
            if trials[index].intermediateValues[step] == nil { trials[index].intermediateValues[step] = value }
            let outcome = scheduler.decide(
                for: trials[index], studyName: name, history: TrialHistory(direction: .minimize, trials: trials))
            trials[index].systemAttributes.merge(outcome.systemAttributes) { _, new in new }
            if outcome.decision == .prune { pruned.insert(number) }
            return outcome.decision
        }
    }

    func finish(number: Int, value: Double) {
        lock.withLock {
            guard let index = trials.firstIndex(where: { $0.number == number }) else { return }
            trials[index].state = pruned.contains(number) ? .pruned : .complete
            trials[index].value = value.isNaN ? nil : value
        }
    }

    /// The COMPLETE trial with the best (lowest) reported value.
    var bestTrial: Trial? {
        lock.withLock { TrialHistory(direction: .minimize, trials: trials).bestTrial }
    }

    var summary: ASHABenchmark.RunSummary {
        lock.withLock {
            let complete = trials.filter { $0.state == .complete }
            return ASHABenchmark.RunSummary(
                bestFinalValue: complete.compactMap(\.value).min(), bestTrueValue: nil, trials: trials.count,
                steps: trials.map(\.intermediateValues.count).reduce(0, +), pruned: pruned.count,
                complete: complete.count)
        }
    }
}

private struct BenchReporter: TrialReporter {
    let study: BenchStudy
    let trialNumber: Int
    let seed: UInt64

    func report(step: Int, value: Double) -> SchedulerDecision {
        study.report(number: trialNumber, step: step, value: value)
    }

    func setUserAttribute(_ key: String, _ value: JSONValue) {}

    var isCancelled: Bool { false }
}
