import Foundation
import Testing

/// Runs the built `hpo` binary as a user would, in a fresh working directory (removed with the harness).
final class CLIHarness: Sendable {
    let directory: URL
    let binary: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hpo-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        binary = try Self.findBinary()
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// `$HPO_BIN`, else the `hpo` built next to the test executable or bundle, else `.build/debug/hpo`.
    static func findBinary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["HPO_BIN"] {
            return URL(fileURLWithPath: path, relativeTo: repositoryRoot)
        }
        // The test executable's own folder first: the build folder it was built in (any --build-path).
        var candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent("hpo")
        ]
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("hpo"))
        }
        candidates.append(repositoryRoot.appendingPathComponent(".build/debug/hpo"))
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        throw HarnessError(message: "the hpo binary was not found; run `swift build` first or set HPO_BIN")
    }

    struct HarnessError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func write(_ name: String, _ contents: String) throws {
        try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Runs `hpo` with `arguments`, its environment being the test's with `environment` added.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = directory
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    func json(_ arguments: [String]) throws -> Any {
        let result = try run(arguments)
        guard result.status == 0 else {
            throw HarnessError(message: "hpo \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8), options: [.fragmentsAllowed])
    }
}
