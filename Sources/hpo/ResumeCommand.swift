import ArgumentParser
import Foundation

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a study from the definition stored with it, without its study file.",
        discussion: """
            Recovers trials left RUNNING by a crashed or killed run (re-queued with the same parameters), then runs \
            the study to its budget exactly as `hpo run STUDY.yaml` would: n_trials is the study's total, and the \
            sampler and scheduler continue from the stored trials.
            """)

    @Argument(help: "The study name.")
    var name: String

    @OptionGroup var storageOptions: StorageOptions

    @Option(help: "Trainer threads (default: the study's budget.workers).")
    var workers: Int?

    @Option(name: .customLong("n-trials"), help: "The study's total number of trials (default: budget.n_trials).")
    var nTrials: Int?

    @Option(help: "Stop starting trials after this long: 90s, 30m, 2h (default: budget.timeout).")
    var timeout: String?

    @Option(
        name: .customLong("stop-grace"),
        help: "After Ctrl-C, how long running trials may take to finish before they are re-queued (default 30s).")
    var stopGrace: String = "30s"

    func run() async throws {
        try await failing {
            let loaded = try preparedFromStorage(name: name, storage: storageOptions.storage)
            let settings = RunSettings(
                storage: storageOptions.storage, workers: workers, nTrials: nTrials, timeout: timeout,
                stopGrace: try parseStopGrace(stopGrace), allowChange: false)
            try await executeStudy(loaded, settings: settings)
        }
    }
}

func parseStopGrace(_ text: String) throws -> Double {
    guard let seconds = parseDuration(text) else {
        throw CommandError("--stop-grace: '\(text)' is not a duration; expected e.g. 30s, 2m or 0")
    }
    return seconds
}
