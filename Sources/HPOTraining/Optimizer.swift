import Foundation

/// The update rule of the minibatch loop.
public enum OptimizerKind: String, Sendable, Hashable, CaseIterable {
    case sgd
    case momentum
    case adam
}

/// How the learning rate changes over training.
public enum LearningRateSchedule: String, Sendable, Hashable, CaseIterable {
    /// The same rate throughout.
    case constant
    /// Half a cosine from `lr` down to 0 over all minibatches.
    case cosine
    /// `lr * lr_gamma^floor(epoch / lr_step_size)` (epochs counted from 0).
    case step

    func rate(
        base: Double, epoch: Int, iteration: Int, totalIterations: Int, stepSize: Int, gamma: Double
    ) -> Double {
        switch self {
        case .constant:
            return base
        case .cosine:
            let progress = Double(iteration) / Double(max(totalIterations, 1))
            return base * 0.5 * (1 + cos(Double.pi * progress))
        case .step:
            return base * pow(gamma, Double(epoch / max(stepSize, 1)))
        }
    }
}

/// Optimizer state over a flat parameter buffer: velocity (momentum) or first and second moments (Adam).
final class Optimizer {
    let kind: OptimizerKind
    let momentum: Float
    let beta1: Float = 0.9
    let beta2: Float = 0.999
    let epsilon: Float = 1e-8
    let first: FloatBuffer
    let second: FloatBuffer
    /// Number of updates made (Adam's bias correction).
    private(set) var steps = 0

    init(kind: OptimizerKind, parameterCount: Int, momentum: Double) {
        self.kind = kind
        self.momentum = Float(momentum)
        first = FloatBuffer(count: kind == .sgd ? 0 : parameterCount)
        second = FloatBuffer(count: kind == .adam ? parameterCount : 0)
    }

    /// The state as arrays (for checkpoints): the moments and the update count.
    var state: (first: [Float], second: [Float], steps: Int) { (first.array, second.array, steps) }

    func restore(first: [Float], second: [Float], steps: Int) {
        self.first.copy(from: first)
        self.second.copy(from: second)
        self.steps = steps
    }

    /// One update of `parameters` by `gradients` at learning rate `rate`.
    func update(_ parameters: FloatBuffer, gradients: FloatBuffer, rate: Double) {
        steps += 1
        let p = parameters.pointer
        let g = gradients.pointer
        let count = parameters.count
        let lr = Float(rate)
        switch kind {
        case .sgd:
            BLAS.axpy(count: count, alpha: -lr, x: g, y: p)
        case .momentum:
            let v = first.pointer
            let mu = momentum
            var i = 0
            while i + 8 <= count {
                let velocity = SIMD8(repeating: mu) * Self.load(v + i) + Self.load(g + i)
                Self.store(velocity, at: v + i)
                Self.store(Self.load(p + i) - SIMD8(repeating: lr) * velocity, at: p + i)
                i += 8
            }
            while i < count {
                v[i] = mu * v[i] + g[i]
                p[i] -= lr * v[i]
                i += 1
            }
        case .adam:
            let m = first.pointer
            let v = second.pointer
            let b1 = beta1
            let b2 = beta2
            let correction1 = 1 - pow(Double(b1), Double(steps))
            let correction2 = 1 - pow(Double(b2), Double(steps))
            let stepSize = Float(rate * correction2.squareRoot() / correction1)
            let eps = epsilon
            var i = 0
            while i + 8 <= count {
                let gradient = Self.load(g + i)
                let mean = SIMD8(repeating: b1) * Self.load(m + i) + SIMD8(repeating: 1 - b1) * gradient
                let square =
                    SIMD8(repeating: b2) * Self.load(v + i) + SIMD8(repeating: 1 - b2) * gradient * gradient
                Self.store(mean, at: m + i)
                Self.store(square, at: v + i)
                let step = SIMD8(repeating: stepSize) * mean / (square.squareRoot() + SIMD8(repeating: eps))
                Self.store(Self.load(p + i) - step, at: p + i)
                i += 8
            }
            while i < count {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                p[i] -= stepSize * m[i] / (v[i].squareRoot() + eps)
                i += 1
            }
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ value: SIMD8<Float>, at pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}
