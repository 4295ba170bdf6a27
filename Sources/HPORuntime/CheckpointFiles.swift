import Foundation
import HPOCore
import HPOTraining
import Synchronization

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
    /// Chains whose checkpoint this process saved or read: the only first attempts that can have one.
    private let touched = Mutex<Set<Int>>([])

    public init(base: any CheckpointStore, session: StudySession, discard: (@Sendable (Int) -> Void)? = nil) {
        self.base = base
        self.session = session
        self.discard = discard
    }

    public func checkpoint(forTrial trialNumber: Int) throws -> TrainingCheckpoint? {
        let chain = session.chainNumber(of: trialNumber)
        let found = try base.checkpoint(forTrial: chain)
        if found != nil { touched.withLock { _ = $0.insert(chain) } }
        return found
    }

    public func save(_ checkpoint: TrainingCheckpoint, forTrial trialNumber: Int) throws {
        let chain = session.chainNumber(of: trialNumber)
        touched.withLock { _ = $0.insert(chain) }
        try base.save(checkpoint, forTrial: chain)
    }

    /// Called when `trial` has finished: its chain's checkpoint goes unless a later attempt (a retry, waiting or
    /// already running) continues from it. A first attempt has a checkpoint only if it was saved here (its number
    /// is new to this study), so a trial of a trainer that never checkpoints costs no file-system call; a retry's
    /// chain may have one from an earlier process and is always cleaned up. Only a FAIL attempt can have been
    /// re-queued, so only then is the history searched for a later attempt.
    public func trialFinished(_ trial: Trial) {
        guard let discard else { return }
        let chain = trial.retriedTrialNumber ?? trial.number
        let saved = touched.withLock { $0.contains(chain) }
        guard saved || trial.retriedTrialNumber != nil else { return }
        if trial.state == .fail {
            let continued = session.history.trials.contains {
                $0.retriedTrialNumber == chain && $0.number > trial.number
            }
            if continued { return }
        }
        touched.withLock { _ = $0.remove(chain) }
        discard(chain)
    }
}

extension StudySession {
    /// The number of the first attempt of trial `number` (itself unless it is a retry).
    func chainNumber(of number: Int) -> Int {
        cache.row(number: number)?.retriedTrialNumber ?? number
    }
}
