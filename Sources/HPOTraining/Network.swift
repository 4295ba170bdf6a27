import Foundation
import HPOCore

/// The activation of the hidden layers of an MLP.
public enum Activation: String, Sendable, Hashable, CaseIterable {
    case relu
    case tanh
    case gelu
}

/// A fully connected network (any number of hidden layers, possibly none) with its parameters, gradients and the
/// buffers of one minibatch, trained on one thread.
///
/// Parameters live in one flat buffer: for each layer its weights (`inputs × outputs`, row-major, so a layer
/// computes `Z = A · W + b` for a row-major batch `A`) followed by its biases. The output layer is linear: the
/// caller seeds the gradient of its loss (`seedSoftmaxCrossEntropy` or `seedSquaredError`).
final class Network {
    let sizes: [Int]
    let activation: Activation
    /// Probability of zeroing a hidden unit while training (inverted dropout).
    let dropout: Float
    /// The largest batch the buffers hold.
    let capacity: Int
    let parameters: FloatBuffer
    let gradients: FloatBuffer
    let weightOffsets: [Int]
    let biasOffsets: [Int]
    /// `outputs[0]` is the input batch; `outputs[l]` the output of layer `l` (the linear outputs for the last one).
    private let outputs: [FloatBuffer]
    /// Pre-activations of the hidden layers (index `l` for layer `l`; index 0 unused).
    let preActivations: [FloatBuffer]
    /// Gradients of the loss with respect to each layer's pre-activation (index 0 unused).
    private let deltas: [FloatBuffer]
    private let masks: [FloatBuffer]
    private let ones: FloatBuffer

    var layerCount: Int { sizes.count - 1 }
    var outputCount: Int { sizes[sizes.count - 1] }
    var inputCount: Int { sizes[0] }
    var input: UnsafeMutablePointer<Float> { outputs[0].pointer }
    /// The linear outputs of the last forward pass (`rows × outputCount`).
    var output: UnsafeMutablePointer<Float> { outputs[layerCount].pointer }

    static func parameterCount(_ sizes: [Int]) -> Int {
        zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
    }

    init(sizes: [Int], activation: Activation, dropout: Float, capacity: Int) {
        self.sizes = sizes
        self.activation = activation
        self.dropout = dropout
        self.capacity = capacity
        var weightOffsets: [Int] = [0]
        var biasOffsets: [Int] = [0]
        var offset = 0
        for layer in 1..<sizes.count {
            weightOffsets.append(offset)
            offset += sizes[layer - 1] * sizes[layer]
            biasOffsets.append(offset)
            offset += sizes[layer]
        }
        self.weightOffsets = weightOffsets
        self.biasOffsets = biasOffsets
        parameters = FloatBuffer(count: offset)
        gradients = FloatBuffer(count: offset)
        outputs = sizes.map { FloatBuffer(count: capacity * $0) }
        preActivations = sizes.map { FloatBuffer(count: capacity * $0) }
        deltas = sizes.map { FloatBuffer(count: capacity * $0) }
        masks = sizes.map { FloatBuffer(count: capacity * $0, value: 1) }
        ones = FloatBuffer(count: capacity, value: 1)
    }

    /// Draws the weights from N(0, gain / fan_in) (gain 2 for relu and gelu, 1 for tanh and the output layer);
    /// biases start at zero.
    func initialise(using generator: inout SeededGenerator) {
        parameters.fill(0)
        for layer in 1...layerCount {
            let fanIn = sizes[layer - 1]
            let hidden = layer < layerCount
            let gain = hidden && activation != .tanh ? 2.0 : 1.0
            let deviation = (gain / Double(fanIn)).squareRoot()
            let start = weightOffsets[layer]
            for index in start..<(start + fanIn * sizes[layer]) {
                parameters[index] = Float(deviation * generator.nextGaussian())
            }
        }
    }

    /// Runs the batch in `input` (`rows` rows) through the network. While training, draws dropout masks.
    func forward(rows: Int, training: Bool, generator: inout SeededGenerator) {
        let keep = 1 - dropout
        for layer in 1...layerCount {
            let inputs = sizes[layer - 1]
            let units = sizes[layer]
            let hidden = layer < layerCount
            let z = hidden ? preActivations[layer].pointer : outputs[layer].pointer
            let bias = parameters.pointer + biasOffsets[layer]
            for row in 0..<rows { (z + row * units).update(from: bias, count: units) }
            BLAS.gemm(
                m: rows, n: units, k: inputs, a: outputs[layer - 1].pointer, lda: inputs,
                b: parameters.pointer + weightOffsets[layer], ldb: units, beta: 1, c: z, ldc: units)
            guard hidden else { continue }
            let a = outputs[layer].pointer
            let count = rows * units
            switch activation {
            case .relu:
                for i in 0..<count { a[i] = max(z[i], 0) }
            case .tanh:
                for i in 0..<count { a[i] = Foundation.tanh(z[i]) }
            case .gelu:
                for i in 0..<count { a[i] = Self.gelu(z[i]) }
            }
            if training && dropout > 0 {
                let mask = masks[layer].pointer
                let scale = 1 / keep
                for i in 0..<count {
                    mask[i] = Float(generator.nextUnit()) < keep ? scale : 0
                    a[i] *= mask[i]
                }
            } else {
                masks[layer].fill(1)
            }
        }
    }

    /// Which hidden pre-activations of the last forward pass are positive (where relu's derivative is 1).
    func hiddenSigns(rows: Int) -> [Bool] {
        guard layerCount > 1 else { return [] }
        return (1..<layerCount).flatMap { layer in
            (0..<(rows * sizes[layer])).map { preActivations[layer][$0] > 0 }
        }
    }

    private static let geluScale: Float = 0.797_884_56  // sqrt(2 / pi)

    /// GELU, tanh approximation.
    @inline(__always)
    static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + Foundation.tanh(geluScale * (x + 0.044_715 * x * x * x)))
    }

    @inline(__always)
    static func geluDerivative(_ x: Float) -> Float {
        let t = Foundation.tanh(geluScale * (x + 0.044_715 * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * geluScale * (1 + 3 * 0.044_715 * x * x)
    }

    /// Seeds the output gradient with softmax cross-entropy averaged over the batch; returns the summed loss.
    func seedSoftmaxCrossEntropy(rows: Int, labels: (Int) -> Int) -> Double {
        let classes = outputCount
        let logits = output
        let delta = deltas[layerCount].pointer
        let scale = 1 / Float(rows)
        var loss = 0.0
        for row in 0..<rows {
            let z = logits + row * classes
            let d = delta + row * classes
            var largest = z[0]
            for j in 1..<classes { largest = max(largest, z[j]) }
            var sum: Float = 0
            for j in 0..<classes {
                d[j] = Foundation.exp(z[j] - largest)
                sum += d[j]
            }
            let label = labels(row)
            loss -= Double(z[label] - largest) - Foundation.log(Double(sum))
            let inverse = 1 / sum
            for j in 0..<classes { d[j] = d[j] * inverse * scale }
            d[label] -= scale
        }
        return loss
    }

    /// Seeds the output gradient with half the squared error averaged over the batch; returns the summed loss.
    func seedSquaredError(rows: Int, targets: (Int) -> Float) -> Double {
        let delta = deltas[layerCount].pointer
        let scale = 1 / Float(rows)
        var loss = 0.0
        for row in 0..<rows {
            let difference = output[row] - targets(row)
            loss += 0.5 * Double(difference * difference)
            delta[row] = difference * scale
        }
        return loss
    }

    /// Fills `gradients` from the seeded output gradient of the last forward pass.
    func backward(rows: Int) {
        for layer in stride(from: layerCount, through: 1, by: -1) {
            let inputs = sizes[layer - 1]
            let units = sizes[layer]
            let delta = deltas[layer].pointer
            let previous = outputs[layer - 1].pointer
            BLAS.gemm(
                transposeA: true, m: inputs, n: units, k: rows, a: previous, lda: inputs, b: delta, ldb: units,
                c: gradients.pointer + weightOffsets[layer], ldc: units)
            BLAS.gemv(
                transpose: true, m: rows, n: units, a: delta, lda: units, x: ones.pointer,
                y: gradients.pointer + biasOffsets[layer])
            guard layer > 1 else { continue }
            let previousDelta = deltas[layer - 1].pointer
            BLAS.gemm(
                transposeB: true, m: rows, n: inputs, k: units, a: delta, lda: units,
                b: parameters.pointer + weightOffsets[layer], ldb: units, c: previousDelta, ldc: inputs)
            let z = preActivations[layer - 1].pointer
            let a = previous
            let mask = masks[layer - 1].pointer
            let count = rows * inputs
            switch activation {
            case .relu:
                var i = 0
                while i + 8 <= count {
                    let positive = UnsafeRawPointer(z + i).loadUnaligned(as: SIMD8<Float>.self) .> 0
                    let gradient = UnsafeRawPointer(previousDelta + i).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(previousDelta + i).storeBytes(
                        of: gradient.replacing(with: 0, where: .!positive), as: SIMD8<Float>.self)
                    i += 8
                }
                while i < count {
                    if z[i] <= 0 { previousDelta[i] = 0 }
                    i += 1
                }
            case .tanh:
                for i in 0..<count {
                    let t = mask[i] != 0 ? a[i] / mask[i] : Foundation.tanh(z[i])
                    previousDelta[i] *= 1 - t * t
                }
            case .gelu:
                for i in 0..<count { previousDelta[i] *= Self.geluDerivative(z[i]) }
            }
            if dropout > 0 {
                for i in 0..<count { previousDelta[i] *= mask[i] }
            }
        }
    }

    /// The linear outputs for every row of `features` (`rows × inputCount`), computed in batches of `capacity`.
    func predict(_ features: [Float], rows: Int) -> [Float] {
        var result = [Float](repeating: 0, count: rows * outputCount)
        var generator = SeededGenerator(seed: 0)
        features.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            var start = 0
            while start < rows {
                let count = min(capacity, rows - start)
                input.update(from: base + start * inputCount, count: count * inputCount)
                forward(rows: count, training: false, generator: &generator)
                for i in 0..<(count * outputCount) { result[start * outputCount + i] = output[i] }
                start += count
            }
        }
        return result
    }
}
