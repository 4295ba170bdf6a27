import Foundation
import HPOCore
import Testing

@testable import HPOTraining

@Suite struct NetworkTests {
    /// The mean loss of the current parameters on `inputs`.
    private func loss(_ network: Network, inputs: [Float], rows: Int, labels: [Int]?, targets: [Float]?) -> Double {
        var generator = SeededGenerator(seed: 0)
        network.input.update(from: inputs, count: inputs.count)
        network.forward(rows: rows, training: false, generator: &generator)
        if let labels {
            return network.seedSoftmaxCrossEntropy(rows: rows) { labels[$0] } / Double(rows)
        }
        return network.seedSquaredError(rows: rows) { targets?[$0] ?? 0 } / Double(rows)
    }

    private func checkGradients(sizes: [Int], activation: Activation, classification: Bool, seed: UInt64) {
        let rows = 5
        let network = Network(sizes: sizes, activation: activation, dropout: 0, capacity: rows)
        var generator = SeededGenerator(seed: seed)
        network.initialise(using: &generator)
        // Non-zero biases, so their gradients are exercised too.
        for layer in 1...network.layerCount {
            for unit in 0..<sizes[layer] {
                network.parameters[network.biasOffsets[layer] + unit] = Float(generator.nextUnit() - 0.5)
            }
        }
        let inputs = (0..<(rows * sizes[0])).map { _ in Float(generator.nextUnit() * 4 - 2) }
        let labels = classification ? (0..<rows).map { $0 % sizes[sizes.count - 1] } : nil
        let targets = classification ? nil : (0..<rows).map { _ in Float(generator.nextUnit() * 2 - 1) }
        _ = loss(network, inputs: inputs, rows: rows, labels: labels, targets: targets)
        let signs = network.hiddenSigns(rows: rows)
        network.backward(rows: rows)
        let analytic = network.gradients.array
        let epsilon: Float = 1e-2
        var worst = 0.0
        var checked = 0
        for index in 0..<network.parameters.count {
            let original = network.parameters[index]
            network.parameters[index] = original + epsilon
            let up = loss(network, inputs: inputs, rows: rows, labels: labels, targets: targets)
            let upSigns = network.hiddenSigns(rows: rows)
            network.parameters[index] = original - epsilon
            let down = loss(network, inputs: inputs, rows: rows, labels: labels, targets: targets)
            let crossesKink = network.hiddenSigns(rows: rows) != signs || upSigns != signs
            network.parameters[index] = original
            // Relu is not differentiable at 0: a difference across a kink says nothing about the gradient.
            if crossesKink { continue }
            checked += 1
            let numeric = (up - down) / (2 * Double(epsilon))
            let error = abs(numeric - Double(analytic[index])) / max(1e-2, abs(numeric) + abs(Double(analytic[index])))
            worst = max(worst, error)
        }
        #expect(worst < 2e-2, "worst relative gradient error \(worst) for \(activation) \(sizes)")
        #expect(checked > network.parameters.count * 3 / 4)
    }

    @Test(arguments: [Activation.tanh, .gelu, .relu])
    func backpropagationMatchesFiniteDifferences(activation: Activation) {
        for seed: UInt64 in [1, 2, 3] {
            checkGradients(sizes: [3, 4, 5, 3], activation: activation, classification: true, seed: seed)
            checkGradients(sizes: [3, 6, 1], activation: activation, classification: false, seed: seed)
        }
    }

    @Test func gradientOfALinearModelMatchesFiniteDifferences() {
        checkGradients(sizes: [4, 3], activation: .relu, classification: true, seed: 9)
        checkGradients(sizes: [4, 1], activation: .relu, classification: false, seed: 9)
    }

    @Test func softmaxCrossEntropyStaysFiniteOnExtremeLogits() {
        let network = Network(sizes: [1, 3], activation: .relu, dropout: 0, capacity: 2)
        let logits: [Float] = [1e30, -1e30, 0, -3e4, 3e4, 88]
        network.output.update(from: logits, count: logits.count)
        let loss = network.seedSoftmaxCrossEntropy(rows: 2) { [0, 0][$0] }
        // Row 0: the label has the largest logit, loss 0. Row 1: the label trails the largest by 6e4.
        #expect(loss.isFinite)
        #expect(abs(loss - 6e4) < 1)
        let network2 = Network(sizes: [1, 3], activation: .relu, dropout: 0, capacity: 2)
        network2.output.update(from: logits, count: logits.count)
        _ = network2.seedSoftmaxCrossEntropy(rows: 2) { [0, 0][$0] }
        network2.backward(rows: 2)
        #expect(network2.gradients.array.allSatisfy { $0.isFinite })
        let metricLoss = Metric.logLoss.classification(logits: logits, labels: [1, 2], classes: 3)
        #expect(metricLoss.isFinite)
        #expect(abs(metricLoss - (2e30 + 3e4 - 88) / 2) / 1e30 < 1e-6)
        let accuracy = Metric.accuracy.classification(logits: logits, labels: [0, 1], classes: 3)
        #expect(accuracy == 1)
    }

    @Test func metricsMatchHandComputedValues() {
        // Predictions: 0, 1, 1, 2 for labels 0, 1, 2, 2.
        let logits: [Float] = [5, 0, 0, 0, 5, 0, 0, 5, 0, 0, 0, 5]
        let labels = [0, 1, 2, 2]
        #expect(Metric.accuracy.classification(logits: logits, labels: labels, classes: 3) == 0.75)
        // F1: class 0 = 1, class 1 = 2/3, class 2 = 2/3.
        let f1 = Metric.f1Macro.classification(logits: logits, labels: labels, classes: 3)
        #expect(abs(f1 - (1 + 2.0 / 3 + 2.0 / 3) / 3) < 1e-12)
        #expect(Metric.rmse.regression(predictions: [1, 2, 3], targets: [1, 2, 5]) == (4.0 / 3).squareRoot())
        #expect(Metric.r2.regression(predictions: [1, 2, 3], targets: [1, 2, 3]) == 1)
        #expect(Metric.r2.regression(predictions: [2, 2, 2], targets: [1, 2, 3]) == 0)
    }

    @Test func blasMultiplyMatchesTheDefinition() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]  // 2×3
        let b: [Float] = [7, 8, 9, 10, 11, 12]  // 3×2
        #expect(BLAS.multiply(a, b, m: 2, k: 3, n: 2) == [58, 64, 139, 154])
    }
}

@Suite struct BLASLoadingTests {
    @Test func theFirstCallLoadsOpenBLASWithOneThreadPerCall() {
        let product = BLAS.multiply([1, 2, 3, 4], [5, 6, 7, 8], m: 2, k: 2, n: 2)
        #expect(product == [19, 22, 43, 50])
        #expect(BLAS.isLoaded)
        #expect(BLAS.threadCount == 1)
    }
}
