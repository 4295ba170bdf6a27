import ArgumentParser
import Foundation

@main
struct HPOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hpo",
        abstract: "Hyperparameter search: sweeps a study, persists every trial in SQLite, stops hopeless trials early.",
        subcommands: [
            RunCommand.self, ResumeCommand.self, StudiesCommand.self, BestCommand.self, TrialsCommand.self,
            ValidateCommand.self, AskCommand.self, TellCommand.self, ReportCommand.self, ServeCommand.self,
            SubmitCommand.self, StatusCommand.self,
        ]
    )
}

/// `--storage URL`, shared by every command that reads or writes studies.
struct StorageOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where studies live: sqlite:///relative.db, sqlite:////absolute.db (options: ?synchronous=full).",
            valueName: "url"))
    var storage: String = "sqlite:///hpo.db"
}

/// Prints an error as one line on stderr and exits non-zero: the way every command fails.
func failing<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as CleanExit {
        throw error
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("hpo: error: \(message)\n".utf8))
}

func printStandardError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Errors the commands raise themselves.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
