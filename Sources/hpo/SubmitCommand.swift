import ArgumentParser
import Foundation
import HPOCore

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Send a study to a running daemon, which creates it (or continues it) and runs it.")

    @Argument(help: "The study file (YAML), then Hydra-style overrides.")
    var studyFile: String

    @Argument(help: "Overrides applied to the study file (the daemon composes it).")
    var overrides: [String] = []

    @OptionGroup var serverOptions: ServerOptions

    @Flag(
        name: .customLong("allow-change"),
        help: "Continue a stored study whose definition widened a domain (recorded in the study's history).")
    var allowChange = false

    @Flag(help: "Print the daemon's JSON answer.")
    var json = false

    func run() async throws {
        try await failing {
            let url = URL(fileURLWithPath: studyFile).standardizedFileURL
            let text: String
            do {
                text = try String(contentsOf: url, encoding: .utf8)
            } catch {
                throw CommandError("\(studyFile): cannot read the study file: \(error.localizedDescription)")
            }
            let body = JSONValue.object([
                "study": .string(text), "overrides": .array(overrides.map(JSONValue.string)),
                "study_file": .string(url.path), "allow_change": .bool(allowChange),
            ])
            let (_, answer) = try await serverOptions.client().send("POST", "studies", json: body)
            if json {
                print(answer.jsonText)
                return
            }
            for warning in answer["warnings"].flatMap(arrayOf) ?? [] {
                printStandardError("hpo: warning: \(warning.stringValue ?? warning.jsonText)")
            }
            let name = answer["name"]?.stringValue ?? "?"
            let outcome = (answer["outcome"]?.stringValue ?? "submitted").replacingOccurrences(of: "_", with: " ")
            print("study \(name): \(outcome), \(answer["status"]?.stringValue ?? "unknown")")
        }
    }
}

func arrayOf(_ value: JSONValue) -> [JSONValue]? {
    if case .array(let items) = value { return items }
    return nil
}
