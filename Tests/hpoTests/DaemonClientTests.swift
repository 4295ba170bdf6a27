import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A loopback server that answers one connection with fixed bytes and keeps the request it read, to see how
/// `hpo status` and `hpo submit` talk HTTP: bodies by length, by chunks or until the close, error answers.
final class ScriptedServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)
    /// Written by the server thread before it signals `done`; read only after `done`.
    private let request = RequestBox()

    private final class RequestBox: @unchecked Sendable {
        var text = ""
    }

    /// Listens on a port the system picks; `answer` is written once the request's head and body have arrived.
    init(answer: String) throws {
        (listener, port) = try Self.loopbackSocket(listening: true)
        let (listener, done, request) = (listener, done, request)
        Thread {
            let connection = accept(listener, nil, nil)
            if connection >= 0 {
                request.text = Self.readRequest(connection)
                var bytes = Array(answer.utf8)
                _ = write(connection, &bytes, bytes.count)
                close(connection)
            }
            done.signal()
        }.start()
    }

    /// The request as the server read it (head and body), once the client has sent it.
    func waitForRequest() -> String {
        done.wait()
        close(listener)
        return request.text
    }

    /// A loopback port that was free a moment ago and that nothing listens on (bound, then closed).
    static func portNobodyListensOn() throws -> Int {
        let (socket, port) = try loopbackSocket(listening: false)
        close(socket)
        return port
    }

    /// A TCP socket bound to 127.0.0.1 on a port the system picks, and that port.
    private static func loopbackSocket(listening: Bool) throws -> (Int32, Int) {
        let handle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(handle, pointer, length) == 0 && (!listening || listen(handle, 1) == 0)
                    && getsockname(handle, pointer, &length) == 0
            }
        }
        guard handle >= 0, ready else { throw CLIHarness.HarnessError(message: "cannot bind a loopback socket") }
        return (handle, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// Reads the head, then as many body bytes as its Content-Length gives.
    private static func readRequest(_ connection: Int32) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length =
                    head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length {
                    return text
                }
            }
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { return text }
            received += buffer[0..<count]
        }
    }
}

@Suite(.serialized) struct DaemonClientTests {
    static let studies = #"{"studies": [{"name": "alpha", "status": "running", "trials": 3}]}"#

    func status(_ answer: String, _ extra: [String] = []) throws -> (CLIHarness.Result, String) {
        let harness = try CLIHarness()
        let server = try ScriptedServer(answer: answer)
        let result = try harness.run(["status", "--json", "--server", "http://127.0.0.1:\(server.port)"] + extra)
        return (result, server.waitForRequest())
    }

    @Test func readsABodyGivenByContentLength() throws {
        let body = Self.studies
        let (result, request) = try status(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)",
            ["--token", "s3cret"])
        #expect(result.status == 0)
        #expect(result.stdout.contains(#""name": "alpha""#))
        #expect(request.hasPrefix("GET /studies HTTP/1.1\r\n"))
        #expect(request.contains("Authorization: Bearer s3cret\r\n"))
        #expect(request.contains("Host: 127.0.0.1:"))
    }

    @Test func readsAChunkedBody() throws {
        let body = Self.studies
        let first = String(body.prefix(10))
        let rest = String(body.dropFirst(10))
        let chunks =
            String(first.utf8.count, radix: 16) + "\r\n\(first)\r\n" + String(rest.utf8.count, radix: 16)
            + "\r\n\(rest)\r\n0\r\n\r\n"
        let (result, _) = try status("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
        #expect(result.status == 0)
        #expect(result.stdout.contains(#""trials": 3"#))
    }

    @Test func readsABodyThatEndsWithTheConnection() throws {
        let (result, _) = try status("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + Self.studies)
        #expect(result.status == 0)
        #expect(result.stdout.contains(#""status": "running""#))
    }

    @Test func anErrorAnswerGivesTheDaemonsMessage() throws {
        let body = #"{"error": "no study named 'beta'"}"#
        let (result, request) = try status(
            "HTTP/1.1 404 Not Found\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)", [])
        #expect(result.status == 1)
        #expect(result.stderr == "hpo: error: the daemon answered 404: no study named 'beta'\n")
        #expect(request.hasPrefix("GET /studies HTTP/1.1\r\n"))
    }

    @Test func anErrorAnswerThatIsNotJSONGivesItsText() throws {
        let (result, _) = try status("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom")
        #expect(result.status == 1)
        #expect(result.stderr == "hpo: error: the daemon answered 500: boom\n")
    }

    @Test func anAnswerCutShortIsAnError() throws {
        let (result, _) = try status("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"studies\"")
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot reach the daemon at http://127.0.0.1:"))
        #expect(result.stderr.contains("the connection closed before the answer was complete"))
    }

    @Test func submitPostsTheStudyAsJSON() throws {
        let harness = try CLIHarness()
        try harness.write("s.yaml", "name: s\n")
        let answer = #"{"name": "s", "outcome": "created", "status": "running"}"#
        let server = try ScriptedServer(
            answer: "HTTP/1.1 201 Created\r\nContent-Length: \(answer.utf8.count)\r\n\r\n\(answer)")
        let result = try harness.run(["submit", "s.yaml", "x=1", "--server", "http://127.0.0.1:\(server.port)"])
        let request = server.waitForRequest()
        #expect(result.status == 0)
        #expect(result.stdout == "study s: created, running\n")
        #expect(request.hasPrefix("POST /studies HTTP/1.1\r\n"))
        #expect(request.contains("Content-Type: application/json\r\n"))
        let body = request.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(json?["study"] as? String == "name: s\n")
        #expect(json?["overrides"] as? [String] == ["x=1"])
    }

    @Test func aStudyNameIsPercentEncodedInThePath() throws {
        let body = #"{"name": "a b", "status": "running"}"#
        let (result, request) = try status(
            "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)", ["a b"])
        #expect(result.status == 0)
        #expect(request.hasPrefix("GET /studies/a%20b HTTP/1.1\r\n"))
    }

    @Test func aRefusedConnectionSaysSo() throws {
        let port = try ScriptedServer.portNobodyListensOn()
        let harness = try CLIHarness()
        let result = try harness.run(["status", "--server", "http://127.0.0.1:\(port)"])
        #expect(result.status == 1)
        #expect(
            result.stderr == "hpo: error: cannot reach the daemon at http://127.0.0.1:\(port): Connection refused\n")
    }

    @Test func onlyPlainHTTPIsAccepted() throws {
        let harness = try CLIHarness()
        let result = try harness.run(["status", "--server", "https://127.0.0.1:1"])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "hpo: error: --server: 'https://127.0.0.1:1' is not an http:// URL of a daemon "
                + "(e.g. http://127.0.0.1:8080)\n")
    }
}
