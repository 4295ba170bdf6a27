import Foundation
import HPOCore
import HPOTraining
import Synchronization

/// `hpo-bench mlp`: time per epoch of hpo's MLP on the bundled digits data set, against scikit-learn's
/// `MLPClassifier` with the same architecture, batch size, optimizer and learning rate (run in the same process
/// through `scripts/bench_mlp_sklearn.py`, with the Python of `--python`, `$PYTHON` or `python3`), and trials per
/// minute of the MLP trainer with 1 and 2 worker threads.
public enum MLPBenchmark {
    public struct Configuration: Sendable {
        public var hiddenLayers = 2
        public var hiddenUnits = 128
        public var batchSize = 32
        public var epochs = 20
        public var learningRate = 0.001
        public var optimizer = "adam"
        public var activation = "relu"
        public var repeats = 3
        /// Trials run for the trials-per-minute figures (each of `epochs` epochs).
        public var throughputTrials = 8
        public var python: String?
        public var script = "scripts/bench_mlp_sklearn.py"

        public init() {}
    }

    static let usage = """
        usage: hpo-bench mlp [--hidden-layers N] [--hidden-units N] [--batch-size N] [--epochs N] [--lr X]
                             [--optimizer adam|sgd|momentum] [--activation relu|tanh] [--repeats N]
                             [--throughput-trials N] [--python PATH] [--script PATH]
        """

    /// Runs the benchmark and prints its figures; returns the exit status.
    public static func main(arguments: [String]) -> Int32 {
        do {
            let configuration = try parse(arguments)
            try run(configuration)
            return 0
        } catch {
            FileHandle.standardError.write(Data("hpo-bench mlp: \(error)\n".utf8))
            return 2
        }
    }

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String]) throws -> Configuration {
        var configuration = Configuration()
        var iterator = arguments.makeIterator()
        func value(_ flag: String) throws -> String {
            guard let text = iterator.next() else { throw UsageError(description: "\(flag) needs a value\n\(usage)") }
            return text
        }
        func int(_ flag: String) throws -> Int {
            guard let number = Int(try value(flag)), number >= 1 else {
                throw UsageError(description: "\(flag) must be an integer >= 1")
            }
            return number
        }
        while let flag = iterator.next() {
            switch flag {
            case "--hidden-layers": configuration.hiddenLayers = try int(flag)
            case "--hidden-units": configuration.hiddenUnits = try int(flag)
            case "--batch-size": configuration.batchSize = try int(flag)
            case "--epochs": configuration.epochs = try int(flag)
            case "--repeats": configuration.repeats = try int(flag)
            case "--throughput-trials": configuration.throughputTrials = try int(flag)
            case "--lr":
                guard let rate = Double(try value(flag)), rate > 0 else {
                    throw UsageError(description: "--lr must be a number > 0")
                }
                configuration.learningRate = rate
            case "--optimizer": configuration.optimizer = try value(flag)
            case "--activation": configuration.activation = try value(flag)
            case "--python": configuration.python = try value(flag)
            case "--script": configuration.script = try value(flag)
            case "--help", "-h": throw UsageError(description: usage)
            default: throw UsageError(description: "unknown argument \(flag)\n\(usage)")
            }
        }
        return configuration
    }

    /// A reporter that keeps nothing.
    final class QuietReporter: TrialReporter {
        let trialNumber: Int
        let seed: UInt64
        init(trialNumber: Int) {
            self.trialNumber = trialNumber
            seed = UInt64(trialNumber) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        }
        func report(step: Int, value: Double) -> SchedulerDecision { .continue }
        func setUserAttribute(_ key: String, _ value: JSONValue) {}
        var isCancelled: Bool { false }
    }

    static func trainer(_ configuration: Configuration) throws -> any Trainer {
        let options: [String: JSONValue] = [
            "dataset": .string("digits"), "epochs": .integer(configuration.epochs),
            "hidden_layers": .integer(configuration.hiddenLayers), "hidden_units": .integer(configuration.hiddenUnits),
            "batch_size": .integer(configuration.batchSize), "lr": .number(configuration.learningRate),
            "optimizer": .string(configuration.optimizer), "activation": .string(configuration.activation),
        ]
        return try TrainerFactory.makeTrainer(
            TrainerSpec(type: "mlp", options: options), space: SearchSpace([]), direction: .maximize,
            metric: "accuracy", dataSeed: 0)
    }

    static func run(_ configuration: Configuration) throws {
        BLAS.setThreadCount(1)
        let trainer = try trainer(configuration)
        print(
            "MLP on digits: \(configuration.hiddenLayers)x\(configuration.hiddenUnits) \(configuration.activation), "
                + "\(configuration.optimizer) lr \(configuration.learningRate), batch \(configuration.batchSize), "
                + "\(configuration.epochs) epochs, best of \(configuration.repeats); OpenBLAS threads: \(BLAS.threadCount)"
        )
        var best = Double.infinity
        var bestCPU = Double.infinity
        var accuracy = Double.nan
        for repeatIndex in 0..<configuration.repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let startCPU = threadCPUSeconds()
            accuracy = try trainer.train(Assignment(), reporter: QuietReporter(trialNumber: repeatIndex))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds / Double(configuration.epochs))
            bestCPU = min(bestCPU, (threadCPUSeconds() - startCPU) / Double(configuration.epochs))
        }
        print(
            String(
                format: "hpo:          %8.2f ms/epoch wall, %8.2f ms/epoch CPU (validation accuracy %.4f)", best * 1000,
                bestCPU * 1000, accuracy))
        if let sklearn = sklearnSecondsPerEpoch(configuration) {
            print(
                String(
                    format: "scikit-learn: %8.2f ms/epoch wall, %8.2f ms/epoch CPU (%@)", sklearn.seconds * 1000,
                    sklearn.cpuSeconds * 1000, sklearn.detail))
            print(
                String(
                    format: "speed-up of hpo over scikit-learn: %.2fx wall, %.2fx CPU", sklearn.seconds / best,
                    sklearn.cpuSeconds / bestCPU))
        }
        let one = try trialsPerMinute(trainer, workers: 1, trials: configuration.throughputTrials)
        let two = try trialsPerMinute(trainer, workers: 2, trials: configuration.throughputTrials)
        print(String(format: "trials per minute: 1 worker %.1f, 2 workers %.1f (ratio %.2f)", one, two, two / one))
    }

    /// CPU time of the calling thread (what the figures are least disturbed in by other work on the machine).
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func sklearnSecondsPerEpoch(
        _ configuration: Configuration
    ) -> (seconds: Double, cpuSeconds: Double, detail: String)? {
        let python = configuration.python ?? ProcessInfo.processInfo.environment["PYTHON"] ?? "python3"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            python, configuration.script, "--json", "--hidden-layers", "\(configuration.hiddenLayers)",
            "--hidden-units", "\(configuration.hiddenUnits)", "--batch-size", "\(configuration.batchSize)",
            "--epochs", "\(configuration.epochs)", "--lr", "\(configuration.learningRate)", "--optimizer",
            configuration.optimizer, "--activation", configuration.activation, "--repeats", "\(configuration.repeats)",
        ]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            print("scikit-learn: not measured (\(python) could not be started: \(error))")
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let seconds = object["seconds_per_epoch"] as? Double,
            let cpuSeconds = object["cpu_seconds_per_epoch"] as? Double
        else {
            print("scikit-learn: not measured (\(python) \(configuration.script) failed; is scikit-learn installed?)")
            return nil
        }
        let version = object["version"] as? String ?? "?"
        let accuracy = object["validation_accuracy"] as? Double ?? .nan
        return (seconds, cpuSeconds, String(format: "%@, validation accuracy %.4f", version, accuracy))
    }

    /// Runs `trials` trials on `workers` threads and returns trials per minute.
    static func trialsPerMinute(_ trainer: any Trainer, workers: Int, trials: Int) throws -> Double {
        let next = Atomic<Int>(0)
        let failure = Mutex<String?>(nil)
        let group = DispatchGroup()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<workers {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while true {
                    let number = next.add(1, ordering: .relaxed).oldValue
                    guard number < trials else { return }
                    do {
                        _ = try trainer.train(Assignment(), reporter: QuietReporter(trialNumber: 100 + number))
                    } catch {
                        failure.withLock { $0 = "\(error)" }
                    }
                }
            }
            thread.start()
        }
        group.wait()
        if let message = failure.withLock({ $0 }) { throw UsageError(description: message) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(trials) / seconds * 60
    }
}
