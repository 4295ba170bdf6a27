import ArgumentParser
import Foundation
import HPOCore
import HPOStorage

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check study files (and their trainer settings) without running them.")

    @Argument(help: "Study files; arguments containing '=' or starting with '~' are overrides applied to each.")
    var arguments: [String]

    @Option(name: .customLong("config-dir"), help: "Where config groups live (default: configs/ near the study).")
    var configDirectory: String?

    func run() async throws {
        let files = arguments.filter { !isOverride($0) }
        let overrides = arguments.filter(isOverride)
        guard !files.isEmpty else {
            printError("validate needs at least one study file")
            throw ExitCode(2)
        }
        var failures = 0
        for file in files {
            do {
                let loaded = try loadStudy(path: file, overrides: overrides, configDirectory: configDirectory)
                if let trainer = loaded.spec.trainer { _ = try makeTrainer(trainer, loaded: loaded) }
                print("\(file): ok (\(loaded.spec.name), \(loaded.spec.space.parameters.count) parameters)")
            } catch {
                failures += 1
                printStandardError("\(error)")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

func isOverride(_ argument: String) -> Bool {
    argument.contains("=") || argument.hasPrefix("~")
}
