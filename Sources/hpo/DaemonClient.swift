import ArgumentParser
import Foundation
import HPOCore
import HPOStorage

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A small HTTP client of a running daemon (`hpo serve`), for `submit` and `status`.
struct DaemonClient {
    let base: URL
    let token: String?

    /// `--server URL` (default: $HPO_SERVER, else http://127.0.0.1:8080) and `--token` (default: $HPO_TOKEN).
    init(server: String?, token: String?) throws {
        let environment = ProcessInfo.processInfo.environment
        let text = server ?? environment["HPO_SERVER"] ?? "http://127.0.0.1:8080"
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw CommandError("--server: '\(text)' is not an http:// URL of a daemon (e.g. http://127.0.0.1:8080)")
        }
        self.base = url
        self.token = token ?? environment["HPO_TOKEN"]
    }

    /// Sends a request and returns the status and the body parsed as JSON; an answer of 400 or more becomes a
    /// `CommandError` with the daemon's message.
    func send(_ method: String, _ path: String, json: JSONValue? = nil) async throws -> (status: Int, body: JSONValue) {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        request.timeoutInterval = 60
        if let json {
            request.httpBody = Data(json.jsonText.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token, !token.isEmpty { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CommandError("cannot reach the daemon at \(base.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let text = String(decoding: data, as: UTF8.self)
        let body = (try? JSONValue(parsing: text)) ?? .string(text)
        if status >= 400 {
            let message = body["error"]?.stringValue ?? text
            throw CommandError("the daemon answered \(status): \(message)")
        }
        return (status, body)
    }
}

/// `--server` and `--token`, shared by the commands that talk to a daemon.
struct ServerOptions: ParsableArguments {
    @Option(help: "The daemon's URL (default: $HPO_SERVER, else http://127.0.0.1:8080).")
    var server: String?

    @Option(help: "The daemon's token, if it has one (default: $HPO_TOKEN).")
    var token: String?

    func client() throws -> DaemonClient { try DaemonClient(server: server, token: token) }
}
