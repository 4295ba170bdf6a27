import ArgumentParser
import Foundation
import HPOCore
import HPORuntime
import HPOStorage

struct StudiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studies", abstract: "List the studies in a storage with their trial counts and best value.")

    @OptionGroup var storageOptions: StorageOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        try await failing {
            let storage = try openStorage(storageOptions.storage)
            var rows: [JSONValue] = []
            for study in try storage.allStudies() {
                var counts: [String: JSONValue] = [:]
                var total = 0
                for state in TrialState.allCases {
                    let count = try storage.countTrials(in: study.id, states: [state])
                    counts[state.rawValue.lowercased()] = .integer(count)
                    total += count
                }
                let best = try storage.bestTrial(in: study.id)
                rows.append(
                    .object([
                        "name": .string(study.name), "direction": .string(study.direction.rawValue),
                        "trials": .integer(total), "states": .object(counts),
                        "best_value": best?.value.map(JSONValue.number) ?? .null,
                        "best_trial": best.map { .integer($0.number) } ?? .null,
                    ]))
            }
            if json {
                print(JSONValue.array(rows).jsonText)
                return
            }
            if rows.isEmpty {
                print("no studies in \(storageOptions.storage)")
                return
            }
            var table = [["name", "direction", "trials", "complete", "pruned", "fail", "running", "best"]]
            for row in rows {
                let states = row["states"]
                table.append([
                    row["name"]?.stringValue ?? "", row["direction"]?.stringValue ?? "",
                    cell(row["trials"]), cell(states?["complete"]), cell(states?["pruned"]), cell(states?["fail"]),
                    cell(states?["running"]), cell(row["best_value"]),
                ])
            }
            print(renderTable(table))
        }
    }
}

struct BestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "best", abstract: "Show the best trial of a study: value, parameters, attributes.")

    @Argument(help: "The study name.")
    var name: String

    @OptionGroup var storageOptions: StorageOptions

    @Flag(help: "Print one JSON object: trial, value, params, state, duration_s, user_attrs.")
    var json = false

    func run() async throws {
        try await failing {
            let storage = try openStorage(storageOptions.storage)
            guard let study = try storage.study(named: name) else { throw StorageError.studyNotFound(name) }
            guard let best = try storage.bestTrial(in: study.id) else {
                throw CommandError("study '\(name)' has no completed trial yet")
            }
            let space = storedSpace(of: study)
            var object = trialJSON(best, space: space, numberKey: "trial")
            if json {
                if case .object(var members) = object, let overrides = study.systemAttributes["hpo:overrides"] {
                    members["overrides"] = overrides
                    object = .object(members)
                }
                print(object.jsonText)
                return
            }
            print("study \(name) (\(study.direction.rawValue))")
            print("best trial \(best.number): value \(best.value.map { "\($0)" } ?? "-")")
            for parameter in orderedParams(best, space: space) {
                print("  \(parameter.name) = \(parameter.value.json.jsonText)")
            }
            for (key, value) in best.userAttributes.sorted(by: { $0.key < $1.key }) {
                print("  [\(key)] \(value.jsonText)")
            }
            if let duration = best.duration { print("duration \(formatDuration(duration))") }
            if case .array(let overrides)? = study.systemAttributes["hpo:overrides"], !overrides.isEmpty {
                print("overrides: " + overrides.compactMap(\.stringValue).joined(separator: " "))
            }
        }
    }
}

struct TrialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trials", abstract: "List the trials of a study.")

    @Argument(help: "The study name.")
    var name: String

    @OptionGroup var storageOptions: StorageOptions

    @Option(help: "table, csv or json.")
    var format: String = "table"

    @Option(help: "Only trials in this state: complete, pruned, fail, running, waiting.")
    var state: String?

    func run() async throws {
        try await failing {
            let storage = try openStorage(storageOptions.storage)
            guard let study = try storage.study(named: name) else { throw StorageError.studyNotFound(name) }
            var states: Set<TrialState>?
            if let state {
                guard let parsed = TrialState(rawValue: state.uppercased()) else {
                    throw CommandError(
                        "--state: '\(state)' is not a state; expected complete, pruned, fail, running or waiting")
                }
                states = [parsed]
            }
            let trials = try storage.trials(in: study.id, states: states)
            let space = storedSpace(of: study)
            switch format.lowercased() {
            case "json":
                print(JSONValue.array(trials.map { trialJSON($0, space: space, numberKey: "number") }).jsonText)
            case "csv", "table":
                let names = parameterColumns(trials, space: space)
                var rows = [["number", "state", "value", "duration_s"] + names]
                for trial in trials {
                    let assignment = trial.assignment
                    rows.append(
                        [
                            "\(trial.number)", trial.state.rawValue, trial.value.map { "\($0)" } ?? "",
                            trial.duration.map { String(format: "%.3f", $0) } ?? "",
                        ]
                            + names.map { assignment[$0]?.description ?? "" })
                }
                print(format.lowercased() == "csv" ? renderCSV(rows) : renderTable(rows))
            default:
                throw CommandError("--format: '\(format)' is not a format; expected table, csv or json")
            }
        }
    }
}

/// The JSON object of one trial, as `best --json` and `trials --format json` print it.
func trialJSON(_ trial: Trial, space: SearchSpace?, numberKey: String) -> JSONValue {
    var members = TrialJSON.sharedMembers(of: trial)
    members[numberKey] = .integer(trial.number)
    members["value"] = trial.value.map(JSONValue.number) ?? .null
    members["datetime_start"] = trial.datetimeStart.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null
    return .object(members)
}

func orderedParams(_ trial: Trial, space: SearchSpace?) -> [(name: String, value: ParamValue)] {
    let assignment = trial.assignment
    let order = space?.names ?? []
    let known = order.filter { assignment[$0] != nil }
    let rest = assignment.values.keys.filter { !order.contains($0) }.sorted()
    return (known + rest).compactMap { name in assignment[name].map { (name, $0) } }
}

func parameterColumns(_ trials: [Trial], space: SearchSpace?) -> [String] {
    var seen = Set<String>()
    for trial in trials { seen.formUnion(trial.params.keys) }
    let order = space?.names ?? []
    return order.filter { seen.contains($0) } + seen.subtracting(order).sorted()
}

func cell(_ value: JSONValue?) -> String {
    switch value {
    case .integer(let number)?: return "\(number)"
    case .number(let number)?: return String(format: "%.6g", number)
    case .string(let text)?: return text
    default: return "-"
    }
}

func renderTable(_ rows: [[String]]) -> String {
    guard let header = rows.first else { return "" }
    var widths = header.map(\.count)
    for row in rows {
        for (index, text) in row.enumerated() where index < widths.count {
            widths[index] = max(widths[index], text.count)
        }
    }
    return rows.map { row in
        row.enumerated().map { index, text in text.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
}

func renderCSV(_ rows: [[String]]) -> String {
    rows.map { row in
        row.map { text in
            text.contains(",") || text.contains("\"") || text.contains("\n")
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }.joined(separator: ",")
    }.joined(separator: "\n")
}
