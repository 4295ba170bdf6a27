import Foundation
import HPOCore
import Synchronization

/// `hpo-bench storage`: how fast the storages write and read trials, alone and with several writers on one
/// file. Prints figures; asserts only that numbering stayed dense and unique.
///
/// Options: `--trials N` (default 2000), `--writers W` (default 4, each with its own connection pool, as separate
/// processes would have), `--synchronous normal|full|off` (default normal), `--folder PATH` (default: a new
/// temporary folder, removed afterwards).
public enum StorageBenchmark {
    public struct Configuration: Sendable {
        public var trials = 2000
        public var writers = 4
        public var synchronous = SQLiteStorage.Options.Synchronous.normal
        public var folder: String?

        public init() {}
    }

    static let usage = """
        usage: hpo-bench storage [--trials N] [--writers W] [--synchronous normal|full|off] [--folder PATH]
          --trials N         trials written by each measurement (default 2000)
          --writers W        concurrent writers on one file, each with its own connection pool (default 4)
          --synchronous S    SQLite synchronous setting (default normal)
          --folder PATH      where the database files go (default: a temporary folder, removed afterwards)
        """

    /// Parses `arguments`, runs, prints the report; returns the exit status.
    public static func main(arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return 0
        }
        do {
            for line in try run(try parse(arguments)) { print(line) }
            return 0
        } catch {
            FileHandle.standardError.write(Data("hpo-bench storage: \(error)\n".utf8))
            return 1
        }
    }

    static func parse(_ arguments: [String]) throws -> Configuration {
        var configuration = Configuration()
        var index = 0
        func value(_ name: String) throws -> String {
            index += 1
            guard index < arguments.count else { throw StorageError.database("\(name) needs a value") }
            return arguments[index]
        }
        func number(_ name: String) throws -> Int {
            let text = try value(name)
            guard let number = Int(text), number > 0 else {
                throw StorageError.database("\(name): '\(text)' is not a positive whole number")
            }
            return number
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--trials": configuration.trials = try number("--trials")
            case "--writers": configuration.writers = try number("--writers")
            case "--synchronous":
                let level = try value("--synchronous")
                guard let parsed = SQLiteStorage.Options.Synchronous(rawValue: level.uppercased()) else {
                    throw StorageError.database("--synchronous: '\(level)' is not full, normal or off")
                }
                configuration.synchronous = parsed
            case "--folder": configuration.folder = try value("--folder")
            default: throw StorageError.database("unknown option '\(arguments[index])'\n\(usage)")
            }
            index += 1
        }
        return configuration
    }

    /// Runs the benchmark and returns its report, one line per figure.
    public static func run(_ configuration: Configuration) throws -> [String] {
        let folder =
            configuration.folder
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("hpo-storage-bench-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { if configuration.folder == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let options = SQLiteStorage.Options(synchronous: configuration.synchronous)
        let count = configuration.trials
        var lines = ["storage benchmark: \(count) trials, synchronous=\(options.synchronous.rawValue.lowercased())"]

        let memory = InMemoryStorage()
        let memoryRate = try writeTrials(memory, study: "memory", count: count)
        lines.append(String(format: "in-memory  create+finish: %8.0f trials/s", memoryRate))

        let sqlite = try SQLiteStorage(path: folder + "/single.db", options: options)
        let sqliteRate = try writeTrials(sqlite, study: "single", count: count)
        lines.append(String(format: "sqlite     create+finish: %8.0f trials/s (2 transactions each)", sqliteRate))

        guard let study = try sqlite.study(named: "single") else { return lines }
        lines.append(contentsOf: try readFigures(sqlite, study: study.id, count: count))
        lines.append(try concurrentFigure(folder: folder, options: options, configuration: configuration))
        return lines
    }

    private static let space: [String: Distribution] = [
        "x": .float(FloatDistribution(low: -5, high: 5)), "n": .int(IntDistribution(low: 1, high: 10)),
        "opt": .categorical(CategoricalDistribution(choices: [.string("adam"), .string("sgd")])),
    ]

    /// Creates and finishes `count` trials in a new study; returns trials per second.
    private static func writeTrials(_ storage: any StudyStorage, study name: String, count: Int) throws -> Double {
        let study = try storage.createStudy(name: name, direction: .minimize, systemAttributes: [:])
        let start = Date()
        for index in 0..<count {
            let params = ["x": Double(index % 100) / 10 - 5, "n": Double(index % 10 + 1), "opt": Double(index % 2)]
            let trial = try storage.createTrial(in: study.id, NewTrial(params: params, distributions: space))
            try storage.finishTrial(trial.id, state: .complete, value: Double(index), userAttributes: [:])
        }
        return Double(count) / Date().timeIntervalSince(start)
    }

    private static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = Date()
        try body()
        return Date().timeIntervalSince(start)
    }

    private static func readFigures(_ storage: SQLiteStorage, study: StudyID, count: Int) throws -> [String] {
        var loaded = 0
        let all = try seconds { loaded = try storage.trials(in: study, states: nil).count }
        let lookups = 200
        let byNumber = try seconds {
            for index in 0..<lookups { _ = try storage.trial(number: (index * 7919) % count, in: study) }
        }
        let best = try seconds { for _ in 0..<20 { _ = try storage.bestTrial(in: study) } }
        let ids = try storage.trials(in: study, states: [.complete]).map(\.id)
        let cursor = ids.dropLast(10).last ?? 0
        let incremental = try seconds {
            for _ in 0..<20 { _ = try storage.trials(in: study, after: cursor, refreshing: Array(ids.prefix(4))) }
        }
        return [
            String(format: "read all %d trials: %.1f ms", loaded, all * 1000),
            String(format: "trial(number:in:): %.3f ms each", byNumber * 1000 / Double(lookups)),
            String(format: "bestTrial: %.2f ms each", best * 1000 / 20),
            String(format: "trials(after:refreshing:) of 14 trials: %.3f ms each", incremental * 1000 / 20),
        ]
    }

    /// Several writers, each with its own pool on one file, add trials until the study has `trials` in all.
    private static func concurrentFigure(
        folder: String, options: SQLiteStorage.Options, configuration: Configuration
    ) throws -> String {
        let path = folder + "/shared.db"
        let setup = try SQLiteStorage(path: path, options: options)
        let study = try setup.createStudy(name: "shared", direction: .minimize, systemAttributes: [:])
        let target = configuration.trials
        let errors = Mutex<[String]>([])
        let elapsed = seconds {
            DispatchQueue.concurrentPerform(iterations: configuration.writers) { _ in
                do {
                    let storage = try SQLiteStorage(path: path, options: options)
                    while try storage.countTrials(in: study.id, states: nil) < target {
                        let trial = try storage.createTrial(
                            in: study.id, NewTrial(params: ["x": 1, "n": 2, "opt": 0], distributions: space))
                        try storage.finishTrial(trial.id, state: .complete, value: 1, userAttributes: [:])
                    }
                } catch {
                    errors.withLock { $0.append("\(error)") }
                }
            }
        }
        let trials = try setup.trials(in: study.id, states: nil)
        let dense = trials.map(\.number) == Array(0..<trials.count)
        let failures = errors.withLock { $0 }
        let rate = String(format: "%.2f s = %.0f trials/s", elapsed, Double(trials.count) / elapsed)
        return "\(configuration.writers) writers on one file: \(trials.count) trials in \(rate), numbers "
            + (dense ? "dense and unique" : "NOT DENSE") + ", \(failures.count) errors"
            + (failures.first.map { " (first: \($0))" } ?? "")
    }
}
