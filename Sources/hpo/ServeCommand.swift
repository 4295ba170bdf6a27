import ArgumentParser
import Foundation
import HPORuntime
import HPOServer
import HPOTraining

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Run the daemon: many studies on one trainer pool, with an HTTP API (see the README's Daemon section).")

    @OptionGroup var storageOptions: StorageOptions

    @Option(help: "The address to listen on; any other than loopback needs a token.")
    var host: String = "127.0.0.1"

    @Option(help: "The port (0: any free port; the one chosen is printed).")
    var port: Int = 8080

    @Option(help: "Trainer threads shared by all studies (default: the number of cores).")
    var workers: Int?

    @Option(help: "Required by requests that change anything, as 'Authorization: Bearer TOKEN' (default: $HPO_TOKEN).")
    var token: String?

    @Option(
        name: .customLong("shutdown-grace"),
        help: "Seconds a shutdown waits for running trials; the ones still running are retried at the next start.")
    var shutdownGrace: Double = 300

    @Option(name: .customLong("max-body"), help: "The largest request body accepted, in bytes.")
    var maxBody: Int = 1 << 20

    func run() async throws {
        // As `hpo run` does, before anything else: OpenBLAS's idle helper threads spin from the moment it loads, and
        // the trainer pool's threads each make their BLAS calls on one thread.
        BLAS.stopHelperThreads()
        try await failing {
            if let workers, workers < 1 { throw CommandError("--workers: must be an integer >= 1") }
            guard (0...65535).contains(port) else { throw CommandError("--port: must be between 0 and 65535") }
            guard maxBody >= 1024 else { throw CommandError("--max-body: must be at least 1024 bytes") }
            let settings = HPOAPI.Settings(
                host: host, port: port, token: token ?? ProcessInfo.processInfo.environment["HPO_TOKEN"],
                maxBodyBytes: maxBody)
            try settings.validate()
            let storage = try openStorage(storageOptions.storage)
            let configuration = StudyManager.Configuration(
                workers: workers ?? ProcessInfo.processInfo.activeProcessorCount, shutdownGrace: shutdownGrace)
            let host = self.host
            try await HPOAPI.serve(storage: storage, configuration: configuration, settings: settings) { port in
                FileHandle.standardOutput.write(Data("hpo: serving on http://\(host):\(port)\n".utf8))
            }
        }
    }
}
