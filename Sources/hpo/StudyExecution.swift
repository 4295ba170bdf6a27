import ArgumentParser
import Foundation
import HPOConfig
import HPOCore
import HPORuntime
import HPOStorage
import HPOTraining

/// How `hpo run` and `hpo resume` run a study, beyond its definition.
struct RunSettings {
    var storage: String
    var workers: Int?
    var nTrials: Int?
    var timeout: String?
    /// After the first Ctrl-C / SIGTERM, seconds running trials may take to finish before they are cancelled
    /// and re-queued.
    var stopGrace: Double
    /// Continue a study whose stored definition differs (recorded in its history).
    var allowChange: Bool
}

/// The options `hpo run` and `hpo resume` share.
struct RunOptions: ParsableArguments {
    @Option(help: "Trainer threads (default: the study's budget.workers).")
    var workers: Int?

    @Option(name: .customLong("n-trials"), help: "The study's total number of trials (default: budget.n_trials).")
    var nTrials: Int?

    @Option(help: "Stop starting trials after this long: 90s, 30m, 2h (default: budget.timeout).")
    var timeout: String?

    @Option(
        name: .customLong("stop-grace"),
        help: "After Ctrl-C, how long running trials may take to finish before they are re-queued (default 30s).")
    var stopGrace: String = "30s"

    func settings(storage: String, allowChange: Bool) throws -> RunSettings {
        guard let grace = parseDuration(stopGrace) else {
            throw CommandError("--stop-grace: '\(stopGrace)' is not a duration; expected e.g. 30s, 2m or 0")
        }
        return RunSettings(
            storage: storage, workers: workers, nTrials: nTrials, timeout: timeout, stopGrace: grace,
            allowChange: allowChange)
    }
}

/// The study system attribute naming the directory against which the trainer's relative paths were resolved
/// when the study was created, so that `hpo resume` finds the same data.
let dataRootKey = "hpo:data_root"

/// Runs a study to its budget: checks its definition against the stored one, recovers trials lost by earlier
/// runs, trains, and prints the summary. Shared by `hpo run` and `hpo resume`.
func executeStudy(_ loaded: PreparedStudy, settings: RunSettings) async throws {
    guard let trainerSpec = loaded.spec.trainer else {
        throw RuntimeError.noTrainer(study: loaded.spec.name)
    }
    if let workers = settings.workers, workers < 1 { throw CommandError("--workers: must be an integer >= 1") }
    if let nTrials = settings.nTrials, nTrials < 1 { throw CommandError("--n-trials: must be an integer >= 1") }
    let timeoutSeconds = try settings.timeout.map { try parseDurationOption($0) } ?? loaded.spec.budget.timeout
    // Trainer options are checked before the storage is touched; the trainer that runs uses the
    // study's stored seed for its data split, so every trial of the study sees the same split.
    let validationSeed = loaded.spec.sampler.seed ?? 0
    _ = try makeTrainer(trainerSpec, loaded: loaded, dataSeed: validationSeed)
    let storage = try openStorage(settings.storage)
    if let diff = try DefinitionCheck.reconcile(loaded.spec, storage: storage, allowChange: settings.allowChange),
        !diff.isEmpty
    {
        printStandardError("hpo: the study's definition changed (\(diff.compatibility)), recorded in its history:")
        for change in diff.changes { printStandardError("  \(change)") }
    }
    var attributes = loaded.systemAttributes
    attributes[dataRootKey] = .string(URL(fileURLWithPath: loaded.file).deletingLastPathComponent().path)
    let session = try StudySession(spec: loaded.spec, storage: storage, systemAttributes: attributes)
    // Model trainers checkpoint each epoch next to the database, so a lost or interrupted trial continues from
    // its last epoch; a finished trial's checkpoint is removed.
    let checkpoints: RetryChainCheckpoints
    if case .sqlite(let path, _) = try StorageURL(parsing: settings.storage) {
        let files = FileCheckpointStore(databasePath: path, study: loaded.spec.name)
        checkpoints = RetryChainCheckpoints(base: files, session: session, discard: { files.remove(forTrial: $0) })
    } else {
        checkpoints = RetryChainCheckpoints(base: InMemoryCheckpointStore(), session: session)
    }
    let trainer = try makeTrainer(trainerSpec, loaded: loaded, dataSeed: session.seed, checkpoints: checkpoints)
    var options = StudyRunner.Options(
        workers: settings.workers ?? loaded.spec.budget.workers,
        nTrials: settings.nTrials ?? loaded.spec.budget.nTrials,
        timeout: timeoutSeconds, timeoutScope: loaded.spec.budget.timeoutScope)
    options.checkpoints = checkpoints
    if options.nTrials == nil, options.timeout == nil {
        throw CommandError(
            "\(loaded.file): budget: set budget.n_trials or budget.timeout (or --n-trials / --timeout)")
    }
    let runner = StudyRunner(session: session, trainer: trainer, options: options)
    let pool = TrainerPool(threads: options.workers)
    defer { pool.shutdown() }
    let progress = ProgressDisplay(
        interactive: isatty(STDERR_FILENO) == 1, space: loaded.spec.space, direction: loaded.spec.direction)
    let grace = settings.stopGrace
    let signals = SignalHandler {
        runner.requestStop()
        progress.note(
            "stopping: no new trials; running trials may finish within \(formatDuration(grace)), then they are "
                + "re-queued (Ctrl-C again to quit now; the next run recovers them)")
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { runner.cancelRunningTrials() }
    }
    defer { signals.cancel() }
    let summary = try await runner.run(pool: pool) { event in progress.handle(event) }
    (storage as? SQLiteStorage)?.compactLog()
    progress.finish()
    print(summaryText(summary, space: loaded.spec.space))
}

/// A study continued from its stored definition: the study as `executeStudy` takes it.
func preparedFromStorage(name: String, storage url: String) throws -> PreparedStudy {
    let storage = try openStorage(url)
    guard let record = try storage.study(named: name) else { throw StorageError.studyNotFound(name) }
    let spec = try DefinitionCheck.storedSpec(of: record)
    var root = FileManager.default.currentDirectoryPath
    if case .string(let stored)? = record.systemAttributes[dataRootKey] { root = stored }
    let file = URL(fileURLWithPath: root).appendingPathComponent("\(name) (stored definition)").path
    return PreparedStudy(
        file: file, spec: spec, composedText: spec.definitionText, systemAttributes: [:])
}
