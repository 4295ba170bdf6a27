import Foundation
import Testing

/// Which shared libraries an `hpo` process loads, as the dynamic loader reports them (`LD_DEBUG=files`): OpenBLAS
/// only when a trainer calls it, libcurl never.
@Suite("shared libraries an hpo process loads")
struct LibraryLoadingTests {
    /// The loader's report of every file it opened, and the result of the command.
    func loads(_ cli: CLIHarness, _ arguments: [String]) throws -> (CLIHarness.Result, String) {
        let log = cli.directory.appendingPathComponent("loader-\(UUID().uuidString).log")
        let result = try cli.run(arguments, environment: ["LD_DEBUG": "files", "LD_DEBUG_OUTPUT": log.path])
        // The loader appends the process id to the file name.
        let files = try FileManager.default.contentsOfDirectory(atPath: cli.directory.path)
            .filter { $0.hasPrefix(log.lastPathComponent) }
        var text = ""
        for file in files {
            text += try String(contentsOf: cli.directory.appendingPathComponent(file), encoding: .utf8)
        }
        return (result, text)
    }

    @Test func aFunctionStudyRunsWithoutOpenBLASOrLibcurl() throws {
        #if os(Linux)
            let cli = try CLIHarness()
            let parts = [
                "name: plain", "direction: minimize", "sampler: {type: random, seed: 1}",
                "trainer: {type: function, objective: sphere}", "budget: {n_trials: 3, workers: 1}",
                "space: {x: {type: float, low: -1.0, high: 1.0}}",
            ]
            try cli.write("study.yaml", parts.joined(separator: "\n") + "\n")
            let (result, loaded) = try loads(cli, ["run", "study.yaml", "--storage", "sqlite:///plain.db"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(loaded.contains("libsqlite3"))
            #expect(!loaded.contains("libopenblas"))
            #expect(!loaded.contains("libcurl"))
        #endif
    }

    @Test func aNetworkStudyLoadsOpenBLASWhenItTrains() throws {
        #if os(Linux)
            let cli = try CLIHarness()
            let study = CLIHarness.repositoryRoot.appendingPathComponent("studies/breast-cancer-mlp.yaml").path
            let (result, loaded) = try loads(
                cli,
                [
                    "run", study, "budget.n_trials=1", "budget.workers=1", "trainer.epochs=2",
                    "--storage", "sqlite:///mlp.db",
                ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("trial 0 COMPLETE"))
            #expect(loaded.contains("file=libopenblas"))
        #endif
    }
}
