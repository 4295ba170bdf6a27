import Foundation
import Synchronization

/// The state of a model trial after a whole epoch, enough to continue it bit for bit: the generators of each epoch
/// are derived from the trial's seed and the epoch number, so no generator state needs saving.
public struct TrainingCheckpoint: Sendable, Hashable, Codable {
    /// Epochs completed.
    public var epoch: Int
    public var parameters: [Float]
    public var optimizerFirst: [Float]
    public var optimizerSecond: [Float]
    public var optimizerSteps: Int
    /// The value reported for `epoch`.
    public var lastValue: Double
    public var bestValue: Double
    public var bestEpoch: Int
    /// The test metric at `bestEpoch` (nil without a test part or when the trainer selects the final epoch).
    public var bestTestValue: Double?

    public init(
        epoch: Int, parameters: [Float], optimizerFirst: [Float], optimizerSecond: [Float], optimizerSteps: Int,
        lastValue: Double, bestValue: Double, bestEpoch: Int, bestTestValue: Double?
    ) {
        self.epoch = epoch
        self.parameters = parameters
        self.optimizerFirst = optimizerFirst
        self.optimizerSecond = optimizerSecond
        self.optimizerSteps = optimizerSteps
        self.lastValue = lastValue
        self.bestValue = bestValue
        self.bestEpoch = bestEpoch
        self.bestTestValue = bestTestValue
    }
}

/// Where a model trainer keeps one checkpoint per trial (the latest). Called from the trainer's thread.
public protocol CheckpointStore: Sendable {
    func checkpoint(forTrial trialNumber: Int) throws -> TrainingCheckpoint?
    func save(_ checkpoint: TrainingCheckpoint, forTrial trialNumber: Int) throws
}

/// Checkpoints kept in memory (tests, and runs that only resume within one process).
public final class InMemoryCheckpointStore: CheckpointStore {
    private let checkpoints = Mutex<[Int: TrainingCheckpoint]>([:])

    public init() {}

    public func checkpoint(forTrial trialNumber: Int) -> TrainingCheckpoint? {
        checkpoints.withLock { $0[trialNumber] }
    }

    public func save(_ checkpoint: TrainingCheckpoint, forTrial trialNumber: Int) {
        checkpoints.withLock { $0[trialNumber] = checkpoint }
    }
}
