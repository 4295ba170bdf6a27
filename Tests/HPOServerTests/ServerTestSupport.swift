import Foundation
import HPOCore
import HPORuntime
import HPOServer
import HPOStorage
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A daemon in-process: a study manager on a storage, and its router under HummingbirdTesting.
struct TestDaemon {
    let manager: StudyManager
    let settings: HPOAPI.Settings

    init(
        storage: any StudyStorage = InMemoryStorage(), workers: Int = 2, token: String? = nil,
        maxBodyBytes: Int = 1 << 20, heartbeatInterval: TimeInterval = 5,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        var logger = Logger(label: "hpo.test")
        logger.logLevel = .critical
        manager = StudyManager(
            storage: storage,
            configuration: StudyManager.Configuration(
                workers: workers, workingDirectory: FileManager.default.temporaryDirectory, shutdownGrace: 30,
                heartbeatInterval: heartbeatInterval, now: now),
            logger: logger)
        settings = HPOAPI.Settings(token: token, maxBodyBytes: maxBodyBytes)
    }

    /// Runs `body` against the router, then shuts the manager down (running trials finish).
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: HPOAPI.buildRouter(manager: manager, settings: settings))
        do {
            try await app.test(.router) { client in try await body(client) }
        } catch {
            await manager.shutdown()
            throw error
        }
        await manager.shutdown()
    }
}

/// A parsed answer.
struct Answer {
    var status: HTTPResponse.Status
    var text: String
    var json: JSONValue

    var error: String? { json["error"]?.stringValue }
}

extension TestClientProtocol {
    /// Sends a request (a JSON body as `application/json`, text as YAML) and parses the answer.
    func call(
        _ method: HTTPRequest.Method, _ uri: String, json: JSONValue? = nil, text: String? = nil,
        contentType: String? = nil, token: String? = nil
    ) async throws -> Answer {
        var headers = HTTPFields()
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: json.jsonText)
        } else if let text {
            headers[.contentType] = contentType ?? "application/yaml"
            body = ByteBuffer(string: text)
        }
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            let text = String(buffer: response.body)
            return Answer(status: response.status, text: text, json: (try? JSONValue(parsing: text)) ?? .null)
        }
    }

    /// Polls `GET /studies/{name}` until `done` holds, for at most `attempts` × 50 ms; returns the last answer.
    func waitForStudy(
        _ name: String, attempts: Int = 600, until done: (JSONValue) -> Bool
    ) async throws -> JSONValue {
        var last = JSONValue.null
        for _ in 0..<attempts {
            last = try await call(.get, "/studies/\(name)").json
            if done(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        return last
    }
}

enum Studies {
    /// A study driven from outside (no trainer).
    static func external(_ name: String, direction: String = "minimize", nTrials: Int = 10) -> String {
        """
        version: 1
        name: \(name)
        direction: \(direction)
        sampler: {type: random, seed: 3}
        budget: {n_trials: \(nTrials)}
        space:
          x: {type: float, low: -5.0, high: 5.0}
          n: {type: int, low: 1, high: 4}
        """
    }

    /// A study with an in-process trainer: the sphere function, each trial sleeping `delay` seconds.
    static func sphere(_ name: String, nTrials: Int, workers: Int, delay: String = "0", seed: Int = 5) -> String {
        """
        version: 1
        name: \(name)
        direction: minimize
        sampler: {type: random, seed: \(seed)}
        trainer: {type: function, objective: sphere, step_delay: \(delay)}
        budget: {n_trials: \(nTrials), workers: \(workers)}
        space:
          x: {type: float, low: -5.0, high: 5.0}
          y: {type: float, low: -5.0, high: 5.0}
        """
    }
}

extension JSONValue {
    var intValue: Int? {
        if case .integer(let value) = self { return value }
        return nil
    }
}
