import ArgumentParser
import Foundation
import HPOCore
import HPORuntime
import HPOStorage
import HPOTraining

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Sweep a study: create it or continue it until its budget (n_trials is the study's total).")

    @Argument(help: "The study file (YAML), then Hydra-style overrides: group=option, a.b=value, +a.b=value, ~a.b.")
    var studyFile: String

    @Argument(help: "Overrides applied to the study file.")
    var overrides: [String] = []

    @OptionGroup var storageOptions: StorageOptions

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("config-dir"), help: "Where config groups live (default: configs/ near the study).")
    var configDirectory: String?

    @Flag(name: .customLong("print-config"), help: "Print the composed study and exit.")
    var printConfig = false

    @Flag(
        name: .customLong("allow-change"),
        help: "Continue a stored study whose definition differs from this file (recorded in its history).")
    var allowChange = false

    func run() async throws {
        // First, before the study is composed: OpenBLAS's idle helper threads spin from the moment it loads.
        BLAS.stopHelperThreads()
        try await failing {
            let loaded = try loadStudy(path: studyFile, overrides: overrides, configDirectory: configDirectory)
            if printConfig {
                print(loaded.composedText)
                return
            }
            let settings = try runOptions.settings(storage: storageOptions.storage, allowChange: allowChange)
            try await executeStudy(loaded, settings: settings)
        }
    }
}

func summaryText(_ summary: RunSummary, space: SearchSpace) -> String {
    var lines = [
        "study \(summary.studyName): \(summary.trialsRun) trials run now, \(summary.totalTrials) in all "
            + "(\(summary.stopReason), \(formatDuration(summary.elapsed)))"
    ]
    if let best = summary.best, let value = best.value {
        lines.append("best trial \(best.number): value \(value) params \(paramsJSON(best, space: space))")
        for (key, attribute) in best.userAttributes.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(key): \(attribute.jsonText)")
        }
    } else {
        lines.append("no trial has completed yet")
    }
    return lines.joined(separator: "\n")
}

func parseDurationOption(_ text: String) throws -> Double {
    guard let seconds = parseDuration(text) else {
        throw CommandError("--timeout: '\(text)' is not a duration; expected \(DurationParser.expectation)")
    }
    return seconds
}

/// `90`, `90s`, `30m`, `2h`, `1h30m`, `500ms` → seconds: the syntax of durations in study files.
func parseDuration(_ text: String) -> Double? {
    DurationParser.seconds(in: text)
}

func formatDuration(_ seconds: TimeInterval) -> String {
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    let whole = Int(seconds.rounded())
    if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
    return String(format: "%dh%02dm%02ds", whole / 3600, (whole % 3600) / 60, whole % 60)
}
