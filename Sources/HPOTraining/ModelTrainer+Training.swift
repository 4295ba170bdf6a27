import Foundation
import HPOCore

extension ModelTrainer {
    /// Trains one trial. Reports the validation metric after each epoch (step = epoch number, from 1); stops on a
    /// `.prune` decision, returning the last reported value; checks for cancellation before every minibatch and
    /// throws `TrainingError.cancelled`. Stores the test metric as the user attribute `test_<metric>`.
    public func train(_ assignment: Assignment, reporter: TrialReporter) throws -> Double {
        try fit(assignment, reporter: reporter).value
    }

    /// Trains one trial and returns its value with the trained network.
    func fit(_ assignment: Assignment, reporter: TrialReporter) throws -> (value: Double, network: Network) {
        let run = try TrainingRun(trainer: self, hyperparameters: hyperparameters(for: assignment), reporter: reporter)
        return (try run.execute(), run.network)
    }

    /// The metric of `partition` under the network's current parameters.
    func evaluate(_ network: Network, on partition: Partition) -> Double {
        let outputs = network.predict(partition.features, rows: partition.rowCount)
        switch data.task {
        case .classification:
            return metric.classification(logits: outputs, labels: partition.labels, classes: data.classCount)
        case .regression:
            let predictions = outputs.map { Double($0) * data.targetScale + data.targetMean }
            return metric.regression(predictions: predictions, targets: partition.targets)
        }
    }
}

/// One trial's training: the network, its optimizer and the loop over epochs and minibatches.
struct TrainingRun {
    let trainer: ModelTrainer
    let h: Hyperparameters
    let reporter: TrialReporter
    let network: Network
    let optimizer: Optimizer
    let batchSize: Int

    init(trainer: ModelTrainer, hyperparameters: Hyperparameters, reporter: TrialReporter) throws {
        self.trainer = trainer
        self.h = hyperparameters
        self.reporter = reporter
        let data = trainer.data
        let outputs = data.task == .classification ? data.classCount : 1
        let sizes = [data.featureCount] + Array(repeating: h.hiddenUnits, count: h.hiddenLayers) + [outputs]
        batchSize = min(h.batchSize, data.train.rowCount)
        network = Network(
            sizes: sizes, activation: h.activation, dropout: Float(h.dropout), capacity: max(batchSize, 256))
        optimizer = Optimizer(kind: h.optimizer, parameterCount: network.parameters.count, momentum: h.momentum)
    }

    private var isClassification: Bool { trainer.data.task == .classification }

    private func isBetter(_ a: Double, than b: Double) -> Bool {
        trainer.metric.direction == .maximize ? a > b : a < b
    }

    func execute() throws -> Double {
        let data = trainer.data
        let epochs = trainer.epochs
        var startEpoch = 0
        var last = Double.nan
        var best = Double.nan
        var bestEpoch = 0
        var bestTest: Double?
        if let saved = try trainer.checkpoints?.checkpoint(forTrial: reporter.trialNumber),
            saved.parameters.count == network.parameters.count, saved.epoch <= epochs
        {
            network.parameters.copy(from: saved.parameters)
            optimizer.restore(first: saved.optimizerFirst, second: saved.optimizerSecond, steps: saved.optimizerSteps)
            startEpoch = saved.epoch
            (last, best, bestEpoch, bestTest) = (saved.lastValue, saved.bestValue, saved.bestEpoch, saved.bestTestValue)
        } else {
            var generator = SeededGenerator(seed: h.initSeed ?? reporter.seed, trialNumber: 0, stream: 1)
            network.initialise(using: &generator)
        }
        let rows = data.train.rowCount
        let batchesPerEpoch = (rows + batchSize - 1) / batchSize
        let targets = data.train.targets.map { Float(($0 - data.targetMean) / data.targetScale) }
        for epoch in startEpoch..<epochs {
            let loss = try trainEpoch(epoch, batchesPerEpoch: batchesPerEpoch, targets: targets)
            let value = trainer.evaluate(network, on: data.validation)
            guard loss.isFinite, value.isFinite else {
                throw TrainingError.diverged(
                    epoch: epoch + 1,
                    detail: "the \(loss.isFinite ? "validation \(trainer.metric.rawValue)" : "training loss") "
                        + "is not finite (lr \(h.learningRate); a smaller lr may help)")
            }
            last = value
            if epoch == 0 || isBetter(value, than: best) {
                best = value
                bestEpoch = epoch + 1
                if trainer.selection == .best && data.test.rowCount > 0 {
                    bestTest = trainer.evaluate(network, on: data.test)
                }
            }
            try saveCheckpoint(epoch: epoch + 1, last: last, best: best, bestEpoch: bestEpoch, bestTest: bestTest)
            if reporter.report(step: epoch + 1, value: value) == .prune { return value }
        }
        let testValue: Double?
        if trainer.selection == .best {
            testValue = bestTest
            reporter.setUserAttribute("best_epoch", .integer(bestEpoch))
        } else {
            testValue = data.test.rowCount > 0 ? trainer.evaluate(network, on: data.test) : nil
        }
        if let testValue { reporter.setUserAttribute("test_\(trainer.metric.rawValue)", .number(testValue)) }
        return trainer.selection == .best ? best : last
    }

    /// One pass over the training rows in a seeded order; returns the summed training loss.
    private func trainEpoch(_ epoch: Int, batchesPerEpoch: Int, targets: [Float]) throws -> Double {
        let data = trainer.data
        let rows = data.train.rowCount
        let columns = data.featureCount
        var generator = SeededGenerator(seed: reporter.seed, trialNumber: epoch, stream: 2)
        var order = Array(0..<rows)
        PreparedData.shuffle(&order, using: &generator)
        let labels = data.train.labels
        var loss = 0.0
        let totalIterations = batchesPerEpoch * trainer.epochs
        let stepSize = h.stepSize ?? max(1, trainer.epochs / 3)
        try data.train.features.withUnsafeBufferPointer { features in
            guard let base = features.baseAddress else { return }
            for batch in 0..<batchesPerEpoch {
                if reporter.isCancelled { throw TrainingError.cancelled }
                let start = batch * batchSize
                let count = min(batchSize, rows - start)
                for row in 0..<count {
                    (network.input + row * columns).update(from: base + order[start + row] * columns, count: columns)
                }
                network.forward(rows: count, training: true, generator: &generator)
                if isClassification {
                    loss += network.seedSoftmaxCrossEntropy(rows: count) { labels[order[start + $0]] }
                } else {
                    loss += network.seedSquaredError(rows: count) { targets[order[start + $0]] }
                }
                network.backward(rows: count)
                applyWeightDecay()
                let rate = h.schedule.rate(
                    base: h.learningRate, epoch: epoch, iteration: epoch * batchesPerEpoch + batch,
                    totalIterations: totalIterations, stepSize: stepSize, gamma: h.gamma)
                optimizer.update(network.parameters, gradients: network.gradients, rate: rate)
            }
        }
        return loss
    }

    /// Adds `weight_decay * w` to the gradient of every weight (not the biases).
    private func applyWeightDecay() {
        guard h.weightDecay > 0 else { return }
        for layer in 1...network.layerCount {
            let offset = network.weightOffsets[layer]
            BLAS.axpy(
                count: network.sizes[layer - 1] * network.sizes[layer], alpha: Float(h.weightDecay),
                x: network.parameters.pointer + offset, y: network.gradients.pointer + offset)
        }
    }

    private func saveCheckpoint(epoch: Int, last: Double, best: Double, bestEpoch: Int, bestTest: Double?) throws {
        guard let store = trainer.checkpoints else { return }
        let state = optimizer.state
        try store.save(
            TrainingCheckpoint(
                epoch: epoch, parameters: network.parameters.array, optimizerFirst: state.first,
                optimizerSecond: state.second, optimizerSteps: state.steps, lastValue: last, bestValue: best,
                bestEpoch: bestEpoch, bestTestValue: bestTest),
            forTrial: reporter.trialNumber)
    }
}
