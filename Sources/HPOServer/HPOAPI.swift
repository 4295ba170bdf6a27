import Foundation
import HPOCore
import HPORuntime
import Hummingbird
import Logging
import ServiceLifecycle

/// The daemon's HTTP API, built apart from any `main` so that tests drive its router in-process.
public enum HPOAPI {
    /// What the server needs besides the study manager.
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        /// Required (as `Authorization: Bearer TOKEN`) by every request that changes anything; nil: none.
        public var token: String?
        /// The largest request body accepted.
        public var maxBodyBytes: Int

        public init(host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, maxBodyBytes: Int = 1 << 20) {
            self.host = host
            self.port = port
            self.token = token.flatMap { $0.isEmpty ? nil : $0 }
            self.maxBodyBytes = maxBodyBytes
        }

        /// True for the loopback addresses, which only this machine reaches.
        public var isLoopback: Bool {
            host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
        }

        /// A server reachable from other machines must have a token.
        public func validate() throws {
            guard !isLoopback, token == nil else { return }
            throw ServerError.tokenRequired(host: host)
        }
    }

    /// The router with every endpoint (see the README's "Daemon" section).
    public static func buildRouter(manager: StudyManager, settings: Settings) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let counters = RequestCounters()
        router.add(
            middleware: APIMiddleware(token: settings.token, maxBodyBytes: settings.maxBodyBytes, counters: counters))
        let routes = APIRoutes(manager: manager, maxBodyBytes: settings.maxBodyBytes, counters: counters)
        routes.register(on: router)
        return router
    }

    /// The application: the router served on `settings.host:port`, with the manager as a service that shuts down
    /// after the server (no new trials, running trials finish).
    public static func buildApplication(
        manager: StudyManager, settings: Settings, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        try settings.validate()
        let router = buildRouter(manager: manager, settings: settings)
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(settings.host, port: settings.port), serverName: "hpo"),
            services: [StudyManagerService(manager: manager)],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger)
    }
}

/// Errors of the server's setup, with messages for the user.
public enum ServerError: Error, Sendable, CustomStringConvertible {
    case tokenRequired(host: String)

    public var description: String {
        switch self {
        case .tokenRequired(let host):
            return
                "serving on \(host) makes the daemon reachable from other machines: set a token with --token or HPO_TOKEN"
        }
    }
}

/// Keeps the study manager running while the server runs; on graceful shutdown (SIGTERM, SIGINT) starts no new
/// trial and waits for the running ones.
struct StudyManagerService: Service {
    let manager: StudyManager

    func run() async throws {
        try? await gracefulShutdown()
        await manager.shutdown()
    }
}
