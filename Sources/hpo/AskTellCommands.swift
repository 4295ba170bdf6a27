import ArgumentParser
import Foundation
import HPOCore
import HPORuntime
import HPOStorage

/// The study file and storage that ask, tell and report act on.
struct StudyFileOptions: ParsableArguments {
    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @OptionGroup var storageOptions: StorageOptions

    func openSession() throws -> StudySession {
        let loaded = try loadStudy(path: studyFile, overrides: [], configDirectory: nil)
        let storage = try openStorage(storageOptions.storage)
        return try StudySession(spec: loaded.spec, storage: storage, systemAttributes: loaded.systemAttributes)
    }

    func runningTrial(_ number: Int, in session: StudySession) throws -> Trial {
        guard let trial = try session.storage.trial(number: number, in: session.study.id) else {
            throw CommandError("study '\(session.spec.name)' has no trial \(number)")
        }
        return trial
    }
}

struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Start a trial and print {\"trial\": N, \"params\": {...}} (creates the study on first use).",
        discussion: """
            The trial starts in one storage transaction, within the study's budget.n_trials (counted across every \
            process; a failed trial and its retries count once). Once the budget is used, ask prints an error and \
            exits with status \(budgetUsedStatus.rawValue).
            """)

    /// The exit status of an ask once the study's budget is used (other errors exit with 1).
    static let budgetUsedStatus = ExitCode(3)

    @OptionGroup var options: StudyFileOptions

    func run() async throws {
        try await failing {
            let session = try options.openSession()
            let trial: Trial
            do {
                trial = try session.ask(within: session.spec.budget.nTrials)
            } catch let error as RuntimeError {
                guard case .budgetUsed = error else { throw error }
                printError("\(error)")
                throw Self.budgetUsedStatus
            }
            print(askJSON(trial, space: session.spec.space))
        }
    }
}

struct TellCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tell",
        abstract: "Finish a trial with its value (--value V), or as --state pruned|fail.")

    @OptionGroup var options: StudyFileOptions

    @Option(help: "The trial number that `ask` printed.")
    var trial: Int

    @Option(parsing: .unconditional, help: "The objective value (a pruned trial without one keeps its last report).")
    var value: String?

    @Option(help: "complete (default with --value), pruned or fail.")
    var state: String?

    func run() async throws {
        try await failing {
            let session = try options.openSession()
            let target = try options.runningTrial(trial, in: session)
            let parsedValue = try value.map { try parseNumber($0, option: "--value") }
            let finalState: TrialState
            switch state?.lowercased() {
            case nil, "complete":
                guard parsedValue != nil else {
                    throw CommandError("tell needs --value V, or --state pruned|fail")
                }
                finalState = .complete
            case "pruned": finalState = .pruned
            case "fail", "failed": finalState = .fail
            case let other?:
                throw CommandError("--state: '\(other)' is not a final state; expected complete, pruned or fail")
            }
            try session.tell(
                trial: target.id, state: finalState, value: parsedValue,
                failReason: finalState == .fail ? "reported as failed through tell" : nil)
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Record an intermediate value of a running trial; prints {\"decision\": \"continue\"|\"prune\"}.")

    @OptionGroup var options: StudyFileOptions

    @Option(help: "The trial number that `ask` printed.")
    var trial: Int

    @Option(help: "The step (epoch) of the value, an integer >= 0.")
    var step: Int

    @Option(parsing: .unconditional, help: "The intermediate value.")
    var value: String

    func run() async throws {
        try await failing {
            guard step >= 0 else { throw CommandError("--step: must be an integer >= 0, got \(step)") }
            let session = try options.openSession()
            let target = try options.runningTrial(trial, in: session)
            let decision = try session.report(
                trial: target.id, step: step, value: try parseNumber(value, option: "--value"))
            print(JSONValue.object(["decision": .string(decision.rawValue)]).jsonText)
        }
    }
}

/// Parses a number as Python's `repr` writes it, plus inf/nan spellings.
func parseNumber(_ text: String, option: String) throws -> Double {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    switch trimmed.lowercased() {
    case "inf", "+inf", "infinity", "+infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    case "nan": return .nan
    default:
        guard let number = Double(trimmed) else {
            throw CommandError("\(option): '\(text)' is not a number")
        }
        return number
    }
}

/// `{"trial": N, "params": {...}}` with params in the space's order.
func askJSON(_ trial: Trial, space: SearchSpace) -> String {
    "{\"trial\": \(trial.number), \"params\": \(paramsJSON(trial, space: space))}"
}

/// The external parameter values as a JSON object, in the space's order (then any others by name).
/// Written straight from the trial's parameters (`hpo run` logs it for every trial).
func paramsJSON(_ trial: Trial, space: SearchSpace) -> String {
    var text = ""
    text.reserveCapacity(32 * trial.params.count + 2)
    appendParamsJSON(trial, space: space, to: &text)
    return text
}

/// Appends `paramsJSON(trial, space:)` to `text`.
func appendParamsJSON(_ trial: Trial, space: SearchSpace, to text: inout String) {
    text += "{"
    var written = 0
    func write(_ name: String) {
        guard let value = trial.params[name], let distribution = trial.distributions[name] else { return }
        if written > 0 { text += ", " }
        JSONValue.string(name).write(to: &text)
        text += ": "
        distribution.externalValue(of: value).json.write(to: &text)
        written += 1
    }
    for parameter in space.parameters { write(parameter.name) }
    if written < trial.params.count {
        for name in trial.params.keys.sorted() where space[name] == nil { write(name) }
    }
    text += "}"
}
