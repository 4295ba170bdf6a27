import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `hpo serve` process on loopback, on a port the system picks, with a small HTTP client for it.
final class DaemonProcess {
    let process = Process()
    let port: Int
    private let output: Pipe
    /// Kept so that the daemon's working directory outlives it.
    private let harness: CLIHarness

    /// Starts the daemon in the harness's directory and waits for the line that names its port.
    init(_ harness: CLIHarness, arguments: [String]) throws {
        self.harness = harness
        process.executableURL = harness.binary
        process.arguments = ["serve", "--port", "0"] + arguments
        process.currentDirectoryURL = harness.directory
        output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var text = ""
        var found: Int?
        while found == nil {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: "serving on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if text[range.upperBound...].contains("\n") { found = Int(digits) }
            }
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            throw CLIHarness.HarnessError(
                message:
                    "the daemon did not start (\(harness.binary.path), status \(process.terminationStatus)): \(text)")
        }
        port = found
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Sends a request and parses the JSON answer.
    func request(_ method: String, _ path: String, body: String? = nil) async throws -> (Int, Any) {
        guard let url = URL(string: url + path) else { throw CLIHarness.HarnessError(message: "bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
    }

    func study(_ name: String) async throws -> [String: Any] {
        let (_, body) = try await request("GET", "/studies/\(name)")
        return body as? [String: Any] ?? [:]
    }

    func trials(_ name: String) async throws -> [[String: Any]] {
        let (_, body) = try await request("GET", "/studies/\(name)/trials?limit=1000")
        return (body as? [String: Any])?["trials"] as? [[String: Any]] ?? []
    }

    /// Polls until every study in `names` is finished, for at most `seconds`.
    func waitUntilFinished(_ names: [String], seconds: Double = 120) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var done = true
            for name in names where try await study(name)["status"] as? String != "finished" { done = false }
            if done { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Sends SIGTERM and waits for the process to exit; returns its status.
    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
