import ArgumentParser
import Foundation
import HPOCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the studies of a running daemon: status, trials by state, progress and best value.")

    @Argument(help: "One study to show in detail (default: all, as a table).")
    var name: String?

    @OptionGroup var serverOptions: ServerOptions

    @Flag(help: "Print the daemon's JSON answer.")
    var json = false

    func run() async throws {
        try await failing {
            let client = try serverOptions.client()
            if let name {
                let path = "studies/" + (name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)
                let (_, study) = try await client.send("GET", path)
                print(json ? study.jsonText : detailText(study))
                return
            }
            let (_, answer) = try await client.send("GET", "studies")
            if json {
                print(answer.jsonText)
                return
            }
            let studies = answer["studies"].flatMap(arrayOf) ?? []
            if studies.isEmpty {
                print("no studies in the daemon at \(client.base.absoluteString)")
                return
            }
            var rows = [["name", "status", "trials", "complete", "pruned", "fail", "running", "progress", "best"]]
            for study in studies {
                let counts = study["counts"]
                rows.append([
                    study["name"]?.stringValue ?? "", study["status"]?.stringValue ?? "", cell(study["trials"]),
                    cell(counts?["complete"]), cell(counts?["pruned"]), cell(counts?["fail"]),
                    cell(counts?["running"]), progressText(study["progress"]), cell(study["best_value"]),
                ])
            }
            print(renderTable(rows))
        }
    }

    private func progressText(_ progress: JSONValue?) -> String {
        guard let progress else { return "-" }
        let counted = cell(progress["counted"])
        guard case .integer(let target)? = progress["n_trials"] else { return counted }
        return "\(counted)/\(target)"
    }

    private func detailText(_ study: JSONValue) -> String {
        var lines = [
            "study \(study["name"]?.stringValue ?? "?") (\(study["direction"]?.stringValue ?? "?")): "
                + "\(study["status"]?.stringValue ?? "?"), \(progressText(study["progress"])) trials"
        ]
        if let counts = study["counts"], case .object(let members) = counts {
            lines.append(
                "  " + members.sorted { $0.key < $1.key }.map { "\($0.key) \(cell($0.value))" }.joined(separator: ", "))
        }
        if let best = study["best"], best != .null {
            lines.append(
                "  best trial \(cell(best["number"])): value \(cell(best["value"])) params \(best["params"]?.jsonText ?? "{}")"
            )
        }
        if let error = study["error"]?.stringValue { lines.append("  error: \(error)") }
        return lines.joined(separator: "\n")
    }
}
