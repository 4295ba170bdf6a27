import ArgumentParser
import Foundation
import HPOTraining

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

    @OptionGroup var runOptions: RunOptions

    func run() async throws {
        BLAS.stopHelperThreads()  // as `hpo run` does, before anything else
        try await failing {
            let loaded = try preparedFromStorage(name: name, storage: storageOptions.storage)
            let settings = try runOptions.settings(storage: storageOptions.storage, allowChange: false)
            try await executeStudy(loaded, settings: settings)
        }
    }
}
