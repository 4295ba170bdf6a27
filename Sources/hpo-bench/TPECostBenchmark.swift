import Foundation
import HPOAlgorithms
import HPOCore

/// The time of one TPE proposal after N completed trials, for the 10-parameter space (8 floats, one
/// log int, one 4-way categorical), in multivariate and univariate mode.
///
/// "warm" is the steady state of a study runner: the sampler has proposed for the study before, so its cache
/// only takes in the newest trial. "cold" is a fresh sampler (a new process): it reads the whole history first.
/// Neither includes reading trials from storage. Times are the calling thread's CPU time.
///
/// After the table it prints a digest of the proposals made at each size (the bit patterns of their internal values):
/// two builds that print the same digests proposed the same trials, so a change meant to be faster only can be checked
/// to leave the proposals as they were.
enum TPECostBenchmark {
    static let usage = """
        usage: hpo-bench tpe [--sizes 100,1000,10000] [--repeats N] [--adaptive true|false] [--cold true|false]
                             [--modes multivariate,univariate] [--history random|tpe]
          prints the median time of one ask at each number of completed trials
          --history tpe: the completed trials are TPE's own proposals on the sphere (sum of the squares of the
          numerical parameters), as in a real run, where the candidates and g's kernels gather in the good region
          (default: random proposals of the benchmark's objective)
        """

    struct Configuration {
        var sizes = [100, 1_000, 10_000]
        var repeats = 30
        var adaptive = true
        var cold = true
        var modes = [true, false]
        /// Whether the completed trials are TPE's own proposals on the sphere rather than random ones.
        var tpeHistory = false
    }

    static func main(arguments: [String]) -> Int32 {
        do {
            let configuration = try parse(arguments)
            run(configuration)
            return 0
        } catch {
            FileHandle.standardError.write(Data("hpo-bench tpe: \(error)\n".utf8))
            return 2
        }
    }

    static func parse(_ arguments: [String]) throws -> Configuration {
        var configuration = Configuration()
        var iterator = arguments.makeIterator()
        func value(_ flag: String) throws -> String {
            guard let text = iterator.next() else { throw BenchUsageError("\(flag) needs a value\n\(usage)") }
            return text
        }
        while let flag = iterator.next() {
            switch flag {
            case "--sizes":
                let text = try value(flag)
                let sizes = text.split(separator: ",").compactMap { Int($0) }
                guard !sizes.isEmpty, sizes.count == text.split(separator: ",").count, sizes.allSatisfy({ $0 > 0 })
                else { throw BenchUsageError("--sizes: expected positive integers separated by commas, got '\(text)'") }
                configuration.sizes = sizes
            case "--repeats":
                let text = try value(flag)
                guard let repeats = Int(text), repeats > 0 else {
                    throw BenchUsageError("--repeats: expected a positive integer, got '\(text)'")
                }
                configuration.repeats = repeats
            case "--adaptive":
                let text = try value(flag)
                guard let adaptive = Bool(text) else {
                    throw BenchUsageError("--adaptive: expected true or false, got '\(text)'")
                }
                configuration.adaptive = adaptive
            case "--cold":
                let text = try value(flag)
                guard let cold = Bool(text) else {
                    throw BenchUsageError("--cold: expected true or false, got '\(text)'")
                }
                configuration.cold = cold
            case "--modes":
                let text = try value(flag)
                let names = text.split(separator: ",").map(String.init)
                guard !names.isEmpty, names.allSatisfy({ $0 == "multivariate" || $0 == "univariate" }) else {
                    throw BenchUsageError("--modes: expected multivariate and/or univariate, got '\(text)'")
                }
                configuration.modes = names.map { $0 == "multivariate" }
            case "--history":
                let text = try value(flag)
                guard text == "random" || text == "tpe" else {
                    throw BenchUsageError("--history: expected random or tpe, got '\(text)'")
                }
                configuration.tpeHistory = text == "tpe"
            case "--help", "-h":
                throw BenchUsageError(usage)
            default:
                throw BenchUsageError("unknown option '\(flag)'\n\(usage)")
            }
        }
        return configuration
    }

    static let space: SearchSpace = {
        var parameters = (0..<8).map {
            ParameterSpec(name: "x\($0)", distribution: .float(FloatDistribution(low: -5, high: 5)))
        }
        parameters.append(
            ParameterSpec(name: "units", distribution: .int(IntDistribution(low: 1, high: 100, log: true))))
        parameters.append(
            ParameterSpec(
                name: "kind",
                distribution: .categorical(
                    CategoricalDistribution(choices: ["a", "b", "c", "d"].map { .string($0) }))))
        return SearchSpace(parameters)
    }()

    /// A trivial objective of the space, so that the split has something to rank.
    static func objective(_ assignment: Assignment) -> Double {
        var sum = 0.0
        for i in 0..<8 {
            let x = assignment.double("x\(i)") ?? 0
            sum += (x - 1) * (x - 1)
        }
        sum += Foundation.log(assignment.double("units") ?? 1)
        if assignment["kind"] == .string("b") { sum -= 1 }
        return sum
    }

    /// `count` completed trials proposed at random.
    static func history(count: Int, seed: UInt64) -> [Trial] {
        let sampler = RandomSampler()
        let empty = TrialHistory(direction: .minimize, trials: [])
        return (0..<count).map { number in
            var generator = SeededGenerator(seed: seed, trialNumber: number)
            let assignment =
                (try? sampler.suggest(trialNumber: number, in: space, history: empty, using: &generator))
                ?? Assignment()
            return trial(number: number, assignment: assignment)
        }
    }

    /// The sum of the squares of the numerical parameters (the objective of a sphere run of the space).
    static func sphere(_ assignment: Assignment) -> Double {
        var sum = 0.0
        for i in 0..<8 {
            let x = assignment.double("x\(i)") ?? 0
            sum += x * x
        }
        let units = assignment.double("units") ?? 1
        return sum + units * units
    }

    /// `count` completed trials proposed by `sampler` itself, valued by the sphere.
    static func tpeHistory(count: Int, sampler: TPESampler, seed: UInt64) -> [Trial] {
        var trials: [Trial] = []
        for number in 0..<count {
            var generator = SeededGenerator(seed: seed, trialNumber: number)
            let history = TrialHistory(direction: .minimize, trials: trials)
            let assignment =
                (try? sampler.suggest(trialNumber: number, in: space, history: history, using: &generator))
                ?? Assignment()
            trials.append(trial(number: number, assignment: assignment, sphere: true))
        }
        return trials
    }

    static func trial(number: Int, assignment: Assignment, sphere useSphere: Bool = false) -> Trial {
        let stored = space.internalParameters(of: assignment)
        return Trial(
            id: TrialID(number + 1), number: number, state: .complete,
            value: useSphere ? sphere(assignment) : objective(assignment), params: stored.params,
            distributions: stored.distributions)
    }

    static func run(_ configuration: Configuration) {
        print(
            "TPE: time of one ask (median over \(configuration.repeats) asks), 10 parameters, adaptive: "
                + "\(configuration.adaptive)"
                + (configuration.tpeHistory ? ", history: TPE's own proposals on the sphere" : ""))
        let names = configuration.modes.map { $0 ? "multivariate" : "univariate" }
        print("completed" + names.map { "  \($0) warm  \($0) cold" }.joined())
        var digests: [String] = []
        for size in configuration.sizes {
            var digest = ProposalDigest()
            var cells: [String] = []
            for multivariate in configuration.modes {
                var options = TPEOptions()
                options.multivariate = multivariate
                options.adaptive = configuration.adaptive
                let timing = measure(
                    size: size, options: options, repeats: configuration.repeats, cold: configuration.cold,
                    tpeHistory: configuration.tpeHistory, digest: &digest)
                let width = multivariate ? 14 : 12
                cells.append(String(format: "%\(width).3f ms", timing.warm * 1000))
                cells.append(String(format: "%\(width).3f ms", timing.cold * 1000))
            }
            print(String(format: "%9d", size) + cells.joined(separator: " "))
            digests.append(String(format: "%016llx", digest.value))
        }
        print("proposals digest: " + digests.joined(separator: " "))
    }

    /// FNV-1a over the bit patterns of the proposals' internal values, parameters in the space's order.
    struct ProposalDigest {
        private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ assignment: Assignment) {
            let stored = space.internalParameters(of: assignment).params
            for parameter in space.parameters {
                var bits = stored[parameter.name]?.bitPattern ?? UInt64.max
                for _ in 0..<8 {
                    value = (value ^ (bits & 0xff)) &* 0x100_0000_01b3
                    bits >>= 8
                }
            }
        }
    }

    /// Median seconds of a warm ask (the sampler has seen the study up to the previous trial) and of a cold one.
    static func measure(
        size: Int, options: TPEOptions, repeats: Int, cold measureCold: Bool, tpeHistory useTPE: Bool = false,
        digest: inout ProposalDigest
    ) -> (warm: Double, cold: Double) {
        let sampler = TPESampler(options: options)
        var trials = useTPE ? tpeHistory(count: size, sampler: sampler, seed: 1) : history(count: size, seed: 1)
        var warm: [Double] = []
        var cold: [Double] = []
        // Brings the sampler's cache up to the study first, as a runner that has been proposing does.
        var warmup = SeededGenerator(seed: 2, trialNumber: size)
        _ = try? sampler.suggest(
            trialNumber: size, in: space, history: TrialHistory(direction: .minimize, trials: trials),
            using: &warmup)
        for k in 0..<repeats {
            let number = trials.count
            let history = TrialHistory(direction: .minimize, trials: trials)
            var generator = SeededGenerator(seed: 2, trialNumber: number)
            let start = threadCPUNanoseconds()
            let assignment =
                (try? sampler.suggest(trialNumber: number, in: space, history: history, using: &generator))
                ?? Assignment()
            warm.append(Double(threadCPUNanoseconds() - start) / 1e9)
            digest.add(assignment)
            if measureCold && k < max(3, repeats / 5) {
                let fresh = TPESampler(options: options)
                var again = SeededGenerator(seed: 2, trialNumber: number)
                let coldStart = threadCPUNanoseconds()
                _ = try? fresh.suggest(trialNumber: number, in: space, history: history, using: &again)
                cold.append(Double(threadCPUNanoseconds() - coldStart) / 1e9)
            }
            trials.append(trial(number: number, assignment: assignment, sphere: useTPE))
        }
        return (median(warm), median(cold))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

/// CPU time of the calling thread in nanoseconds: unlike wall time, it does not count the time other
/// processes of a shared machine take the core away.
func threadCPUNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// A usage error of a benchmark subcommand, with its message.
struct BenchUsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
