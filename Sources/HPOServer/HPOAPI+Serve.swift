import Foundation
import HPOCore
import HPORuntime
import Hummingbird
import Logging

extension HPOAPI {
    /// Runs the daemon until SIGTERM or SIGINT: loads the storage's studies (resuming the unfinished ones), serves
    /// the API, then shuts down gracefully (no new trials; running trials finish within the manager's grace period).
    /// `onListening` receives the bound port (useful with port 0).
    public static func serve(
        storage: any StudyStorage, configuration: StudyManager.Configuration, settings: Settings,
        logLevel: Logger.Level = .info, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        try settings.validate()
        AllocatorSettings.apply()
        var logger = Logger(label: "hpo.daemon") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        let manager = StudyManager(storage: storage, configuration: configuration, logger: logger)
        let report = try await manager.startStoredStudies()
        logger.info(
            "storage loaded: \(report.resumed.count) stud(ies) resumed, \(report.loaded.count) idle, \(report.recoveredTrials) lost trial(s) retried"
        )
        for (name, reason) in report.skipped.sorted(by: { $0.key < $1.key }) {
            logger.notice("study \(name) not run: \(reason)")
        }
        let app = try buildApplication(
            manager: manager, settings: settings, logger: logger, onServerRunning: { port in onListening(port) })
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
