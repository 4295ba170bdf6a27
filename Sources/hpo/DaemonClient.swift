import ArgumentParser
import Foundation
import HPOCore
import HPOStorage
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP client of a running daemon (`hpo serve`), for `submit` and `status`.
///
/// Plain HTTP/1.1 over SwiftNIO (already linked for the daemon), one connection per request: the daemon speaks
/// nothing else, and Foundation's URLSession would load libcurl and some thirty shared libraries into every `hpo`
/// process, which costs each start about 10 ms whether or not it talks to a daemon.
struct DaemonClient {
    let base: URL
    let token: String?

    /// How long a request may take, from the connection to the end of the answer.
    static let timeout = TimeAmount.seconds(60)

    /// `--server URL` (default: $HPO_SERVER, else http://127.0.0.1:8080) and `--token` (default: $HPO_TOKEN).
    init(server: String?, token: String?) throws {
        let environment = ProcessInfo.processInfo.environment
        let text = server ?? environment["HPO_SERVER"] ?? "http://127.0.0.1:8080"
        guard let url = URL(string: text), url.scheme == "http", let host = url.host, !host.isEmpty else {
            throw CommandError("--server: '\(text)' is not an http:// URL of a daemon (e.g. http://127.0.0.1:8080)")
        }
        self.base = url
        self.token = token ?? environment["HPO_TOKEN"]
    }

    /// Sends a request and returns the status and the body parsed as JSON; an answer of 400 or more becomes a
    /// `CommandError` with the daemon's message.
    /// `path` is relative to the server URL's path and already percent-encoded (`studies/a%20b`).
    func send(_ method: String, _ path: String, json: JSONValue? = nil) async throws -> (status: Int, body: JSONValue) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Connection", value: "close")
        let body = json.map { Array($0.jsonText.utf8) }
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: "\(body.count)")
        }
        if let token, !token.isEmpty { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let answer: HTTPAnswer
        do {
            answer = try await HTTPAnswer.fetch(
                host: base.host ?? "", port: base.port ?? 80,
                head: HTTPRequestHead(
                    version: .http1_1, method: HTTPMethod(rawValue: method), uri: requestTarget(path),
                    headers: headers),
                body: body, timeout: Self.timeout)
        } catch {
            throw CommandError("cannot reach the daemon at \(base.absoluteString): \(Self.describe(error))")
        }
        let text = String(decoding: answer.body, as: UTF8.self)
        let parsed = (try? JSONValue(parsing: text)) ?? .string(text)
        if answer.status >= 400 {
            let message = parsed["error"]?.stringValue ?? text
            throw CommandError("the daemon answered \(answer.status): \(message)")
        }
        return (answer.status, parsed)
    }

    /// `host` or `host:port` as the URL gives them (an IPv6 address in brackets).
    private var hostHeader: String {
        let host = base.host ?? ""
        let shown = host.contains(":") ? "[\(host)]" : host
        return base.port.map { "\(shown):\($0)" } ?? shown
    }

    /// What goes on the request line: the server URL's path, then `path` as given (it is percent-encoded once,
    /// by the caller, so a study named `a b` is asked for as `studies/a%20b`).
    func requestTarget(_ path: String) -> String {
        var prefix = URLComponents(url: base, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? ""
        while prefix.hasSuffix("/") { prefix.removeLast() }
        return prefix + "/" + path
    }

    /// A connection or transfer error in a few words: the system's message for a refused or reset connection,
    /// the name that did not resolve, or the time that ran out.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let failure = error.connectionErrors.first { return describe(failure.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve host '\(error.host)'" }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode))
        case ChannelError.connectTimeout(let time):
            return "no connection within \(time.nanoseconds / 1_000_000_000) s"
        case let error as HTTPAnswer.Failure:
            return error.message
        case HTTPParserError.invalidEOFState:
            return HTTPAnswer.Failure.closedEarly.message
        case let error as HTTPParserError:
            return "the answer is not valid HTTP/1.1 (\(error))"
        default:
            return "\(error)"
        }
    }
}

/// The status and body of one HTTP/1.1 exchange on its own connection (body by length, chunks or close alike:
/// NIO's HTTP parser reads all three).
struct HTTPAnswer: Sendable {
    var status: Int
    var body: [UInt8]

    struct Failure: Error {
        var message: String

        static let closedEarly = Failure(message: "the connection closed before the answer was complete")
    }

    static func fetch(host: String, port: Int, head: HTTPRequestHead, body: [UInt8]?, timeout: TimeAmount)
        async throws -> HTTPAnswer
    {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        // Closing the connection ends the loop below; the flag tells a timeout from the daemon closing early.
        let timedOut = Atomic<Bool>(false)
        let deadline = channel.channel.eventLoop.scheduleTask(in: timeout) { [channel] in
            timedOut.store(true, ordering: .relaxed)
            channel.channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(.head(head))
                if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await outbound.write(.end(nil))
                var answer = HTTPAnswer(status: 0, body: [])
                for try await part in inbound {
                    switch part {
                    case .head(let responseHead):
                        answer.status = Int(responseHead.status.code)
                    case .body(let buffer):
                        answer.body += buffer.readableBytesView
                    case .end:
                        return answer
                    }
                }
                throw Failure.closedEarly
            }
        } catch {
            if timedOut.load(ordering: .relaxed) {
                throw Failure(message: "no answer within \(timeout.nanoseconds / 1_000_000_000) s")
            }
            throw error
        }
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
