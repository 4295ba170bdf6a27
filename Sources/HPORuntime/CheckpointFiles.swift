import Foundation
import HPOCore
import HPOTraining

/// Checkpoints kept as files, one per trial (`trial-<number>.plist` in `directory`), so that a trial lost with its
/// process continues from its last epoch in the next run. Each save replaces the file atomically: a crash while
/// saving leaves the previous checkpoint.
public struct FileCheckpointStore: CheckpointStore {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The checkpoint folder of a study stored in the SQLite file at `databasePath`:
    /// `<databasePath>.checkpoints/<study name>/`.
    public init(databasePath: String, study: String) {
        let safe = study.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
        directory = URL(fileURLWithPath: databasePath + ".checkpoints").appendingPathComponent(String(safe))
    }

    func file(_ trialNumber: Int) -> URL { directory.appendingPathComponent("trial-\(trialNumber).plist") }

    public func checkpoint(forTrial trialNumber: Int) throws -> TrainingCheckpoint? {
        guard let data = try? Data(contentsOf: file(trialNumber)) else { return nil }
        // A checkpoint that cannot be read (another version's format) is ignored: the trial starts over.
        return try? PropertyListDecoder().decode(TrainingCheckpoint.self, from: data)
    }

    public func save(_ checkpoint: TrainingCheckpoint, forTrial trialNumber: Int) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary
        try encoder.encode(checkpoint).write(to: file(trialNumber), options: .atomic)
    }

    public func remove(forTrial trialNumber: Int) {
        try? FileManager.default.removeItem(at: file(trialNumber))
    }
}

/// A checkpoint store shared by the attempts of a trial: every retry of a trial reads and writes the checkpoint of
/// the first attempt (its chain's number), so a re-queued trial continues where the lost attempt stopped.
public final class RetryChainCheckpoints: CheckpointStore {
    let base: any CheckpointStore
    /// Removes the checkpoint of a chain once it is finished (nil: checkpoints are kept).
    let discard: (@Sendable (Int) -> Void)?
    private let session: StudySession

    public init(base: any CheckpointStore, session: StudySession, discard: (@Sendable (Int) -> Void)? = nil) {
        self.base = base
        self.session = session
        self.discard = discard
    }

    public func checkpoint(forTrial trialNumber: Int) throws -> TrainingCheckpoint? {
        try base.checkpoint(forTrial: session.chainNumber(of: trialNumber))
    }

    public func save(_ checkpoint: TrainingCheckpoint, forTrial trialNumber: Int) throws {
        try base.save(checkpoint, forTrial: session.chainNumber(of: trialNumber))
    }

    /// Called when `trial` has finished: its chain's checkpoint goes unless a later attempt (a retry, waiting or
    /// already running) continues from it.
    public func trialFinished(_ trial: Trial) {
        guard let discard else { return }
        let chain = trial.retriedTrialNumber ?? trial.number
        let continued = session.history.trials.contains { $0.retriedTrialNumber == chain && $0.number > trial.number }
        if !continued { discard(chain) }
    }
}

extension StudySession {
    /// The number of the first attempt of trial `number` (itself unless it is a retry).
    func chainNumber(of number: Int) -> Int {
        let trials = history.trials
        if trials.indices.contains(number), trials[number].number == number {
            return trials[number].retriedTrialNumber ?? number
        }
        return trials.first { $0.number == number }?.retriedTrialNumber ?? number
    }
}
