import Foundation
import HPOConfig
import HPOCore
import HPOTraining
import Logging
import Synchronization

/// A study definition sent to the daemon: the text of a study file (YAML, or JSON, which YAML reads too) with
/// Hydra-style overrides.
public struct StudySubmission: Sendable, Hashable {
    public var text: String
    public var overrides: [String]
    /// Where the study file is on the daemon's machine, if it is there: it locates `configs/` and the trainer's
    /// relative data paths. Nil: the daemon's working directory.
    public var studyFile: String?
    /// Continue a stored study whose definition widened a domain or changed otherwise compatibly with its
    /// trials (see `DefinitionCheck`); the change is recorded in the study's history.
    public var allowChange: Bool

    public init(text: String, overrides: [String] = [], studyFile: String? = nil, allowChange: Bool = false) {
        self.text = text
        self.overrides = overrides
        self.studyFile = studyFile
        self.allowChange = allowChange
    }
}

/// What a submission did.
public struct SubmitResult: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        /// A new study was created (and started, when it has a trainer).
        case created
        /// A stored study was continued (started again, or its budget changed).
        case continued
        /// The study runs already with that definition.
        case alreadyRunning = "already_running"
    }

    public var name: String
    public var outcome: Outcome
    public var status: StudyStatus
    public var warnings: [String]
}

/// The daemon's runtime: several studies at once on one shared `TrainerPool`, each capped at its `budget.workers`
/// and sharing the pool's threads round-robin (`PoolShare`); pause, resume and stop; ask / report / tell for
/// trainers outside the process; resume of unfinished studies at start and a graceful shutdown.
///
/// Blocking storage and sampler work runs on a small pool of its own threads (`ioPool`), so that neither the
/// cooperative pool nor a training-filled trainer pool delays it.
public final class StudyManager: Sendable {
    public struct Configuration: Sendable {
        /// Trainer threads shared by every study.
        public var workers: Int
        /// Threads for storage and sampler work of requests and run loops.
        public var ioThreads: Int
        /// Where relative study files, `configs/` and data paths are resolved.
        public var workingDirectory: URL
        /// How long a shutdown waits for running trials; after it they stay RUNNING and are retried at the next
        /// start.
        public var shutdownGrace: TimeInterval
        /// Seconds between heartbeats of the trials the daemon runs, and between checks for lost trials.
        public var heartbeatInterval: TimeInterval
        /// The clock lost trials are judged by (the storage's clock writes their heartbeats).
        public var now: @Sendable () -> Date

        public init(
            workers: Int, ioThreads: Int = 2,
            workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            shutdownGrace: TimeInterval = 300, heartbeatInterval: TimeInterval = 5,
            now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.workers = max(1, workers)
            self.ioThreads = max(1, ioThreads)
            self.workingDirectory = workingDirectory
            self.shutdownGrace = shutdownGrace
            self.heartbeatInterval = heartbeatInterval
            self.now = now
        }
    }

    /// Study system attributes the daemon stores.
    public enum Key {
        /// The folder relative data paths of the trainer are resolved against.
        public static let dataRoot = "hpo:data_root"
        /// `running`, `paused`, `stopped` or `finished`: what the daemon does with the study when it starts.
        public static let daemonState = "hpo:daemon_state"
    }

    struct Registry {
        var studies: [String: ManagedStudy] = [:]
        /// Studies whose memory was released (`releaseIfIdle`): what is kept of them until they are loaded again.
        var released: [String: ReleasedStudy] = [:]
        /// The run loop of each study that has one, with the id `startLoop` gave it.
        var loops: [String: RunLoopEntry] = [:]
        /// Run loops started so far (the next one's id is one more).
        var loopCount: UInt64 = 0
        var submitting: Set<String> = []
        var shuttingDown = false
    }

    struct RunLoopEntry {
        var id: UInt64
        var task: Task<Void, Never>
    }

    public let storage: any StudyStorage
    public let configuration: Configuration
    public let trainerPool: TrainerPool
    let ioPool: TrainerPool
    public let share: PoolShare
    public let metrics: RuntimeMetrics
    let logger: Logger
    let registry = Mutex(Registry())
    /// Writes the heartbeats of the trials the daemon trains and recovers lost trials of the running studies.
    let heartbeats: HeartbeatMonitor
    /// When this manager started (its configuration's clock): clients could not reach a daemon that was down, so
    /// their silence counts from here at the earliest.
    let startedAt: Date

    public init(storage: any StudyStorage, configuration: Configuration, logger: Logger) {
        self.startedAt = configuration.now()
        self.storage = storage
        self.configuration = configuration
        self.trainerPool = TrainerPool(threads: configuration.workers)
        self.ioPool = TrainerPool(threads: configuration.ioThreads)
        self.share = PoolShare(slots: configuration.workers)
        self.metrics = RuntimeMetrics()
        self.logger = logger
        let tick = Deferred<Void>()
        let interval = Deferred<TimeInterval>()
        self.heartbeats = HeartbeatMonitor(
            interval: { interval() ?? configuration.heartbeatInterval },
            beat: { trial in try? storage.recordHeartbeat(of: trial) },
            tick: { tick() })
        interval.set { [weak self] in self?.heartbeatInterval ?? configuration.heartbeatInterval }
        tick.set { [weak self] in
            self?.recoverLostTrialsOfOtherWorkers()
            self?.failSilentRemoteTrials()
        }
    }

    /// Fails and re-queues RUNNING trials of the loaded studies whose worker (another process on the same
    /// storage) is gone or silent past the study's grace period. Runs on the heartbeat thread.
    func recoverLostTrialsOfOtherWorkers() {
        let studies = registry.withLock { $0.studies.values.filter(\.hasTrainer) }
        let own = heartbeats.trials
        for study in studies {
            _ = try? study.session.recoverLostTrials(now: configuration.now(), worker: .current, ownTrials: own)
        }
    }

    /// Fails and re-queues RUNNING trials asked with heartbeats through the API whose client fell silent past the
    /// study's grace period (`StudySession.failSilentRemoteTrials`), in every loaded study. Runs on the heartbeat
    /// thread. Silence counts from the daemon's start at the earliest: a client cannot report to a daemon that is
    /// down, so after a restart every remote trial has a whole grace period to show it is alive. A study that this
    /// leaves idle (its last trial failed without a retry, its budget used) is released as after a tell.
    func failSilentRemoteTrials() {
        let studies = registry.withLock { Array($0.studies.values) }
        for study in studies {
            let now = configuration.now()
            guard now.timeIntervalSince(startedAt) > study.spec.retry.gracePeriod,
                let failed = try? study.session.failSilentRemoteTrials(now: now)
            else { continue }
            for trial in failed {
                metrics.recordFinish(.fail)
                logger.info("study \(study.name): trial \(trial.number) failed: its remote worker fell silent")
            }
            if !failed.isEmpty, Self.looksIdle(study) {
                Task { [weak self] in await self?.releaseIfIdle(study) }
            }
        }
    }

    /// Runs blocking storage or sampler work on the manager's I/O threads; `ManagerError.shuttingDown` once
    /// `shutdown()` has stopped them (work handed to stopped threads would never run, and its caller never resume).
    public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await ioPool.run(body)
        } catch TrainerPoolError.shutDown {
            throw ManagerError.shuttingDown
        }
    }

    /// The studies the daemon has loaded, by name.
    public var loadedStudies: [ManagedStudy] {
        registry.withLock { Array($0.studies.values) }.sorted { $0.name < $1.name }
    }

    // MARK: Start

    /// What `startStoredStudies` found.
    public struct StartReport: Sendable, Hashable {
        public var resumed: [String] = []
        public var loaded: [String] = []
        /// Studies that could not be loaded, with the reason.
        public var skipped: [String: String] = [:]
        /// Trials lost with an earlier daemon: failed, and retried as new WAITING trials.
        public var recoveredTrials = 0
    }

    /// Loads every study of the storage that has a stored definition. Studies with a trainer that were neither
    /// paused, stopped nor finished start running again; their RUNNING trials, lost with the process that ran them,
    /// are failed and retried first.
    public func startStoredStudies() async throws -> StartReport {
        let records = try await blocking { [storage] in try storage.allStudies() }
        var report = StartReport()
        for record in records {
            guard let definition = record.systemAttributes[StudyDefinitionKey.definition] else {
                report.skipped[record.name] = "no stored definition"
                continue
            }
            do {
                let spec = try StudySpec(definitionJSON: definition, source: "stored definition of '\(record.name)'")
                let status = Self.storedStatus(of: record)
                let study = try await open(spec: spec, record: record, systemAttributes: [:], status: status)
                if study.hasTrainer {
                    let lost = try await blocking {
                        try study.session.recoverLostTrials(
                            now: self.configuration.now(), worker: .current, ownTrials: [])
                    }
                    report.recoveredTrials += lost.count
                    if !lost.isEmpty {
                        logger.info(
                            "study \(record.name): trials \(lost.map(\.number)) were lost with their worker; failed and re-queued as the retry policy allows"
                        )
                    }
                }
                register(study)
                if study.hasTrainer, status == .running {
                    startLoop(study)
                    report.resumed.append(record.name)
                } else {
                    report.loaded.append(record.name)
                    await releaseIfIdle(study)
                }
            } catch {
                report.skipped[record.name] = "\(error)"
                logger.warning("study \(record.name) not loaded: \(error)")
            }
        }
        return report
    }

    static func storedStatus(of record: StudyRecord) -> StudyStatus {
        switch record.systemAttributes[Key.daemonState]?.stringValue {
        case "paused": return .paused
        case "stopped": return .stopped
        case "finished": return .finished
        default: return .running
        }
    }

    /// Opens the session of a study (creating it when needed) and builds its trainer, on the I/O threads.
    func open(
        spec: StudySpec, record: StudyRecord?, systemAttributes: [String: JSONValue], status: StudyStatus,
        restoring run: RunState? = nil
    ) async throws -> ManagedStudy {
        let storage = self.storage
        let defaultRoot = configuration.workingDirectory.path
        return try await blocking {
            let session = try StudySession(spec: spec, storage: storage, systemAttributes: systemAttributes)
            let root =
                (record ?? session.study).systemAttributes[Key.dataRoot]?.stringValue
                ?? systemAttributes[Key.dataRoot]?.stringValue ?? defaultRoot
            let trainer = try spec.trainer.map { trainerSpec in
                try TrainerFactory.makeTrainer(
                    trainerSpec, space: spec.space, direction: spec.direction, metric: spec.metric,
                    dataRoot: URL(fileURLWithPath: root, isDirectory: true), dataSeed: session.seed)
            }
            return ManagedStudy(session: session, trainer: trainer, status: status, restoring: run)
        }
    }

    func register(_ study: ManagedStudy) {
        registry.withLock { registry in
            registry.studies[study.name] = study
            registry.released[study.name] = nil
        }
        wakeHeartbeatsIfFaster(study)
    }

    /// A study that asks for heartbeats more often than the daemon's interval shortens the current wait.
    private func wakeHeartbeatsIfFaster(_ study: ManagedStudy) {
        if study.spec.retry.heartbeatInterval < configuration.heartbeatInterval { heartbeats.wake() }
    }

    /// How often the heartbeat thread runs: the daemon's interval, or the shortest `retry.heartbeat_interval` of
    /// the loaded studies when that is shorter, so that the trials the daemon trains beat as often as their study
    /// asks (another process on the storage judges them by the study's grace period) and silent remote trials are
    /// noticed within their grace period.
    var heartbeatInterval: TimeInterval {
        let shortest = registry.withLock { $0.studies.values.map(\.spec.retry.heartbeatInterval).min() }
        return min(configuration.heartbeatInterval, shortest ?? configuration.heartbeatInterval)
    }

    /// The loaded study named `name`; a study stored since the daemon started (by another program) is loaded on
    /// first use, without running it, and so is a released one (`releaseIfIdle`), with the run state it had.
    public func study(named name: String) async throws -> ManagedStudy {
        if let study = registry.withLock({ $0.studies[name] }) { return study }
        guard let record = try await blocking({ [storage] in try storage.study(named: name) }) else {
            throw ManagerError.studyNotFound(name)
        }
        guard let definition = record.systemAttributes[StudyDefinitionKey.definition] else {
            throw ManagerError.noStoredDefinition(name)
        }
        let spec = try StudySpec(definitionJSON: definition, source: "stored definition of '\(name)'")
        var status = Self.storedStatus(of: record)
        if status == .running { status = .stopped }
        let released = registry.withLock { $0.released[name] }
        let study = try await open(
            spec: spec, record: record, systemAttributes: [:], status: status, restoring: released?.run)
        let (loaded, added) = registry.withLock { registry -> (ManagedStudy, Bool) in
            if let existing = registry.studies[name] { return (existing, false) }
            registry.studies[name] = study
            registry.released[name] = nil
            return (study, true)
        }
        if added { wakeHeartbeatsIfFaster(study) }
        return loaded
    }

    // MARK: Submit

    /// Composes and validates a study definition, creates the study or continues the stored one, and starts it
    /// when it has a trainer. A stored study continues when its definition is the same or differs only in budget,
    /// retry policy or description (or, with `allowChange`, widens a domain); any other difference is refused with
    /// a `DefinitionChangeError` that lists the changes.
    public func submit(_ submission: StudySubmission) async throws -> SubmitResult {
        let workingDirectory = configuration.workingDirectory
        let file = URL(
            fileURLWithPath: submission.studyFile ?? "submitted-study.yaml", relativeTo: workingDirectory
        ).standardizedFileURL
        let composed = try await blocking {
            try StudyComposer(workingDirectory: workingDirectory).compose(
                yaml: submission.text, studyFile: file, overrides: submission.overrides)
        }
        let name = composed.spec.name
        try registry.withLock { registry in
            if registry.shuttingDown { throw ManagerError.shuttingDown }
            guard registry.submitting.insert(name).inserted else {
                throw ManagerError.invalidState("study '\(name)' is being submitted by another request")
            }
        }
        let result: Result<SubmitResult, any Error>
        do {
            result = .success(try await submitReserved(composed, file: file, allowChange: submission.allowChange))
        } catch {
            result = .failure(error)
        }
        let registered = registry.withLock { registry in
            registry.submitting.remove(name)
            return registry.studies[name]
        }
        // A release refused while the submission held the name (its run loop may have ended meanwhile, with
        // nothing left to trigger one later) is tried again now.
        if let registered { await releaseIfIdle(registered) }
        return try result.get()
    }

    /// `submit` once the study's name is reserved for this submission.
    private func submitReserved(
        _ composed: ComposedStudy, file: URL, allowChange: Bool
    ) async throws -> SubmitResult {
        let spec = composed.spec
        let name = spec.name
        let warnings = composed.warnings.map { "\($0)" }
        // A released study is loaded again, so that it is continued as if it had stayed loaded.
        if registry.withLock({ $0.released[name] != nil }) { _ = try await study(named: name) }
        let loaded = registry.withLock { $0.studies[name] }
        if let loaded, loaded.spec == spec {
            if loaded.state.withLock({ $0.loopActive && $0.request == .run }) || !loaded.hasTrainer {
                return SubmitResult(
                    name: name, outcome: .alreadyRunning, status: loaded.runState.status, warnings: warnings)
            }
            let status = try await resume(name)
            return SubmitResult(name: name, outcome: .continued, status: status, warnings: warnings)
        }
        if let loaded, loaded.state.withLock({ $0.loopActive }) {
            throw ManagerError.invalidState(
                "study '\(name)' is running with another definition: stop it (POST /studies/\(name)/stop), then submit again"
            )
        }
        // An accepted change is stored and recorded in the study's history.
        let storage = self.storage
        let record = try await blocking {
            try DefinitionCheck.reconcile(spec, storage: storage, allowChange: allowChange)
            return try storage.study(named: name)
        }
        var attributes = composed.systemAttributes
        attributes[Key.dataRoot] = .string(file.deletingLastPathComponent().path)
        attributes[Key.daemonState] = .string(StudyStatus.running.rawValue)
        let study = try await open(spec: spec, record: nil, systemAttributes: attributes, status: .running)
        if record != nil {
            // A continued study takes the new definition (budget, description) and is marked running again.
            let id = study.session.study.id
            let stored = attributes
            try await blocking {
                for (key, value) in stored { try storage.setStudySystemAttribute(key, value, of: id) }
            }
        }
        register(study)
        if study.hasTrainer { startLoop(study) }
        logger.info("study \(name): \(record == nil ? "created" : "continued") (\(study.runState.status.rawValue))")
        return SubmitResult(
            name: name, outcome: record == nil ? .created : .continued, status: study.runState.status,
            warnings: warnings)
    }

    // MARK: Control

    /// Starts no new trial of the study until `resume`; running trials finish. Remembered across restarts.
    @discardableResult
    public func pause(_ name: String) async throws -> StudyStatus {
        try await controlling(name) { study in try await self.pause(study) }
    }

    private func pause(_ study: ManagedStudy) async throws -> StudyStatus {
        let name = study.name
        let changed: Bool = try study.state.withLock { state in
            switch state.status {
            case .paused: return false
            case .running:
                state.request = .pause
                state.status = .paused
                return true
            default:
                throw ManagerError.invalidState(
                    "study '\(name)' is \(state.status.rawValue): only a running study can be paused")
            }
        }
        if changed {
            study.wake.signal()
            share.withdraw(owner: name)
            try await persist(.paused, of: study)
        }
        return .paused
    }

    /// Starts a paused, stopped or finished study again (a finished one ends at once unless its budget grew).
    @discardableResult
    public func resume(_ name: String) async throws -> StudyStatus {
        try await controlling(name) { study in try await self.resume(study) }
    }

    private func resume(_ study: ManagedStudy) async throws -> StudyStatus {
        let name = study.name
        try registry.withLock { if $0.shuttingDown { throw ManagerError.shuttingDown } }
        let needsLoop: Bool = study.state.withLock { state in
            state.status = .running
            state.error = nil
            if state.loopActive {
                state.request = .run
                return false
            }
            return true
        }
        share.clearWithdrawal(owner: name)
        study.wake.signal()
        try await persist(.running, of: study)
        if needsLoop { startLoop(study) }
        return study.runState.status
    }

    /// Stops the study: no new trial starts; running trials finish. Remembered across restarts.
    @discardableResult
    public func stop(_ name: String) async throws -> StudyStatus {
        try await controlling(name) { study in try await self.stop(study) }
    }

    private func stop(_ study: ManagedStudy) async throws -> StudyStatus {
        let name = study.name
        let active: Bool = study.state.withLock { state in
            state.request = .stop
            if !state.loopActive, state.status != .finished { state.status = .stopped }
            return state.loopActive
        }
        study.wake.signal()
        share.withdraw(owner: name)
        try await persist(.stopped, of: study)
        return active ? .running : study.runState.status
    }

    /// Runs a control action on the study `name`, which must have a trainer (`using`).
    private func controlling(
        _ name: String, _ action: (ManagedStudy) async throws -> StudyStatus
    ) async throws -> StudyStatus {
        try await using(name) { study in
            guard study.hasTrainer else {
                throw ManagerError.invalidState(
                    "study '\(name)' has no trainer: it is driven from outside through ask / report / tell")
            }
            return try await action(study)
        }
    }

    func persist(_ status: StudyStatus, of study: ManagedStudy) async throws {
        let storage = self.storage
        let id = study.session.study.id
        try await blocking { try storage.setStudySystemAttribute(Key.daemonState, .string(status.rawValue), of: id) }
    }

    // MARK: Shutdown

    /// Starts no new trial in any study and waits for running trials, at most `configuration.shutdownGrace`
    /// seconds; trials still running then are cancelled and re-queued (they run again, without using a retry, when
    /// the daemon starts again). Studies keep their stored state, so those that ran resume at the next start.
    public func shutdown() async {
        let (studies, loops) = registry.withLock { registry in
            registry.shuttingDown = true
            return (Array(registry.studies.values), registry.loops.values.map(\.task))
        }
        for study in studies {
            let active: Bool = study.state.withLock { state in
                guard state.loopActive else { return false }
                state.request = .shutdown
                return true
            }
            if active {
                study.wake.signal()
                share.withdraw(owner: study.name)
            }
        }
        let running = studies.reduce(0) { $0 + $1.running }
        if running > 0 { logger.info("shutting down: waiting for \(running) running trial(s)") }
        let grace = configuration.shutdownGrace
        if await Self.waitForAll(loops, seconds: grace) { return stopThreads() }
        logger.warning("shutdown grace of \(grace)s passed: cancelling running trials, which are re-queued")
        for study in studies { study.cancelTrials.set() }
        if !(await Self.waitForAll(loops, seconds: 30)) {
            logger.warning("trials still running are recovered as lost when the daemon starts again")
        }
        stopThreads()
    }

    private func stopThreads() {
        heartbeats.stop()
        trainerPool.shutdown()
        ioPool.shutdown()
    }
}

extension StudyManager {
    /// Waits for every task, at most `seconds`; false when time ran out first.
    static func waitForAll(_ tasks: [Task<Void, Never>], seconds: TimeInterval) async -> Bool {
        await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            Task {
                for task in tasks { await task.value }
                once.resume(returning: true)
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                once.resume(returning: false)
            }
        }
    }
}

/// A continuation resumed by whichever of several tasks comes first; the others do nothing.
final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(returning value: Value) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}

/// A callback set after the object that calls it is built (one that needs `self`); nil until it is set.
final class Deferred<Result>: Sendable {
    private let body = Mutex<(@Sendable () -> Result)?>(nil)

    func set(_ body: @escaping @Sendable () -> Result) { self.body.withLock { $0 = body } }

    func callAsFunction() -> Result? { body.withLock { $0 }?() }
}
