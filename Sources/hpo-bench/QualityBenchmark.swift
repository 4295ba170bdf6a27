import Foundation
import HPOAlgorithms
import HPOCore

/// Sample efficiency of sampler variants on test functions: mean simple regret after a budget of trials over
/// seeds, run in process (no storage), as the bench harness's `efficiency.py` measures it.
struct QualityBenchmark {
    struct Variant {
        let name: String
        /// A fresh sampler for a run with the given seed.
        let sampler: (UInt64) -> any Sampler
    }

    var seeds = 20
    var seedOffset = 0
    var budgets = [25, 50, 100]
    var suites: [String] = ["public", "holdout"]
    var functions: Set<String>? = nil
    var variants: [Variant] = QualityBenchmark.defaultVariants
    /// When set, every run's regret is written there as CSV (function, variant, seed, budget, regret).
    var perSeedPath: String? = nil

    static let usage = """
        usage: hpo-bench tpe-quality [--seeds N] [--seed-offset K] [--budgets 25,50,100] [--suites public,holdout]
                                     [--functions a,b] [--variants a,b] [--per-seed FILE.csv]
          mean simple regret of hpo's TPE (adaptive), its Optuna-5.0 baseline (adaptive off), the
          independent baseline (multivariate off) and random sampling, run in process, with the average rank;
          --variants runs only the named ones (hpo_tpe, optuna_like, indep_like, random), --per-seed writes
          every run's regret (function, variant, seed, budget, regret) for paired comparisons; with hpo_tpe and
          optuna_like and 20 seeds or more, each row also counts the blocks of 20 consecutive seeds in which
          hpo_tpe's mean regret is more than 10% above optuna_like's
        """

    static func main(arguments: [String]) -> Int32 {
        do {
            var benchmark = QualityBenchmark()
            var iterator = arguments.makeIterator()
            func value(_ flag: String) throws -> String {
                guard let text = iterator.next() else { throw BenchUsageError("\(flag) needs a value\n\(usage)") }
                return text
            }
            func list(_ flag: String) throws -> [String] {
                try value(flag).split(separator: ",").map(String.init)
            }
            while let flag = iterator.next() {
                switch flag {
                case "--seeds":
                    let text = try value(flag)
                    guard let seeds = Int(text), seeds > 0 else {
                        throw BenchUsageError("--seeds: expected a positive integer, got '\(text)'")
                    }
                    benchmark.seeds = seeds
                case "--seed-offset":
                    let text = try value(flag)
                    guard let offset = Int(text), offset >= 0 else {
                        throw BenchUsageError("--seed-offset: expected a non-negative integer, got '\(text)'")
                    }
                    benchmark.seedOffset = offset
                case "--budgets":
                    let budgets = try list(flag).compactMap { Int($0) }.filter { $0 > 0 }
                    guard !budgets.isEmpty else { throw BenchUsageError("--budgets: expected positive integers") }
                    benchmark.budgets = budgets.sorted()
                case "--suites":
                    let suites = try list(flag)
                    guard suites.allSatisfy({ $0 == "public" || $0 == "holdout" }) else {
                        throw BenchUsageError("--suites: expected public and/or holdout")
                    }
                    benchmark.suites = suites
                case "--functions":
                    benchmark.functions = Set(try list(flag))
                case "--variants":
                    let names = try list(flag)
                    let known = Set(benchmark.variants.map(\.name))
                    if let unknown = names.first(where: { !known.contains($0) }) {
                        throw BenchUsageError("--variants: unknown variant '\(unknown)'\n\(usage)")
                    }
                    benchmark.variants = benchmark.variants.filter { names.contains($0.name) }
                case "--per-seed":
                    benchmark.perSeedPath = try value(flag)
                case "--help", "-h":
                    throw BenchUsageError(usage)
                default:
                    throw BenchUsageError("unknown option '\(flag)'\n\(usage)")
                }
            }
            try benchmark.execute()
            return 0
        } catch let error as BenchUsageError {
            FileHandle.standardError.write(Data("hpo-bench tpe-quality: \(error)\n".utf8))
            return 2
        } catch {
            FileHandle.standardError.write(Data("hpo-bench tpe-quality: \(error)\n".utf8))
            return 1
        }
    }

    static var defaultVariants: [Variant] {
        var optuna = TPEOptions()
        optuna.adaptive = false
        var independent = optuna
        independent.multivariate = false
        return [
            // As `hpo run` makes it: with the study's seed, from which the startup design is drawn.
            Variant(name: "hpo_tpe", sampler: { TPESampler(options: TPEOptions(), studySeed: $0) }),
            Variant(name: "optuna_like", sampler: { _ in TPESampler(options: optuna) }),
            Variant(name: "indep_like", sampler: { _ in TPESampler(options: independent) }),
            Variant(name: "random", sampler: { _ in RandomSampler() }),
        ]
    }

    /// The best value found within each budget, for one run.
    static func run(
        _ problem: QualityProblem, sampler: any Sampler, seed: UInt64, budgets: [Int]
    ) throws -> [Double] {
        var trials: [Trial] = []
        var best = Double.infinity
        var result: [Double] = []
        let total = budgets.max() ?? 0
        for number in 0..<total {
            var generator = SeededGenerator(seed: seed, trialNumber: number)
            let history = TrialHistory(direction: .minimize, trials: trials)
            let assignment = try sampler.suggest(
                trialNumber: number, in: problem.space, history: history, using: &generator)
            let value = problem.evaluate(assignment)
            best = min(best, value)
            let stored = problem.space.internalParameters(of: assignment)
            trials.append(
                Trial(
                    id: TrialID(number + 1), number: number, state: .complete, value: value, params: stored.params,
                    distributions: stored.distributions))
            if budgets.contains(number + 1) { result.append(best - problem.optimum) }
        }
        return result
    }

    func execute() throws {
        var problems: [QualityProblem] = []
        if suites.contains("public") { problems += PublicSuite.problems }
        if suites.contains("holdout") { problems += HoldoutSuite.problems }
        if let functions { problems = problems.filter { functions.contains($0.name) } }
        // ranks[budget][variant] summed over functions.
        var rankSums = Array(repeating: Array(repeating: 0.0, count: variants.count), count: budgets.count)
        var wins = Array(repeating: Array(repeating: 0, count: variants.count), count: budgets.count)
        var perSeed = "function,variant,seed,budget,regret\n"
        print("mean simple regret over \(seeds) seeds; columns: " + variants.map(\.name).joined(separator: ", "))
        // The issue's rule "no function more than 10% worse than Optuna's default", as runs of 20 seeds meet it.
        let blockRule = variants.firstIndex { $0.name == "hpo_tpe" }.flatMap { hpo in
            variants.firstIndex { $0.name == "optuna_like" }.map { (hpo: hpo, optuna: $0) }
        }
        var failingBlocks = Array(repeating: 0, count: budgets.count)
        var blockCount = 0
        for problem in problems {
            var sums = Array(repeating: Array(repeating: 0.0, count: variants.count), count: budgets.count)
            // regrets[variant][budget][seed]
            var regretsOf = Array(repeating: Array(repeating: [Double](), count: budgets.count), count: variants.count)
            let start = Date()
            for (v, variant) in variants.enumerated() {
                for seed in 0..<seeds {
                    let runSeed = UInt64(seedOffset + seed)
                    let regrets = try Self.run(
                        problem, sampler: variant.sampler(runSeed), seed: runSeed, budgets: budgets)
                    for b in budgets.indices {
                        sums[b][v] += regrets[b] / Double(seeds)
                        regretsOf[v][b].append(regrets[b])
                    }
                    if perSeedPath != nil {
                        for b in budgets.indices {
                            perSeed += "\(problem.name),\(variant.name),\(seedOffset + seed),\(budgets[b]),"
                            perSeed += "\(regrets[b])\n"
                        }
                    }
                }
            }
            for b in budgets.indices {
                let row = sums[b]
                for v in row.indices {
                    let rank = 1 + Double(row.count { $0 < row[v] }) + 0.5 * Double(row.count { $0 == row[v] } - 1)
                    rankSums[b][v] += rank
                    if rank == 1 { wins[b][v] += 1 }
                }
                let cells = row.map { String(format: "%10.4g", $0) }.joined(separator: " ")
                var line = padded(problem.name) + String(format: " B=%-4d", budgets[b]) + cells
                if let rule = blockRule, seeds >= Self.blockSeeds {
                    let failing = Self.failingBlocks(regretsOf[rule.hpo][b], against: regretsOf[rule.optuna][b])
                    failingBlocks[b] += failing
                    line += "   \(failing) of \(seeds / Self.blockSeeds) blocks"
                }
                print(line)
            }
            blockCount += seeds / Self.blockSeeds
            FileHandle.standardError.write(
                Data("  (\(problem.name): \(String(format: "%.1f", Date().timeIntervalSince(start))) s)\n".utf8))
        }
        for b in budgets.indices {
            let ranks = rankSums[b].map { String(format: "%10.2f", $0 / Double(max(problems.count, 1))) }
            print(padded("average rank") + String(format: " B=%-4d", budgets[b]) + ranks.joined(separator: " "))
        }
        if blockRule != nil, seeds >= Self.blockSeeds {
            for b in budgets.indices {
                print(
                    "B=\(budgets[b]): blocks of \(Self.blockSeeds) consecutive seeds in which hpo_tpe's mean regret is more "
                        + "than 10% above optuna_like's: \(failingBlocks[b]) of \(blockCount)")
            }
        }
        if let perSeedPath { try Data(perSeed.utf8).write(to: URL(fileURLWithPath: perSeedPath)) }
    }
}

extension QualityBenchmark {
    /// The number of seeds of a run of the public comparison.
    static let blockSeeds = 20

    /// The blocks of `blockSeeds` consecutive seeds in which the mean of `regrets` is more than 10% above the mean
    /// of `reference` (the same seeds, in order).
    static func failingBlocks(_ regrets: [Double], against reference: [Double]) -> Int {
        stride(from: 0, to: Swift.min(regrets.count, reference.count) - blockSeeds + 1, by: blockSeeds).count { start in
            let block = start..<(start + blockSeeds)
            return regrets[block].reduce(0, +) > 1.1 * reference[block].reduce(0, +)
        }
    }
}

/// `text` left-aligned in a column of `width` characters.
func padded(_ text: String, _ width: Int = 20) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
