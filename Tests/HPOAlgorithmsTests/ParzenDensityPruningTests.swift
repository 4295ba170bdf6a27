import Foundation
import HPOCore
import Testing

@testable import HPOAlgorithms

/// The mixture density drops kernels that cannot matter before it evaluates their costly terms; these tests check
/// it against the plain sum over every kernel, term by term.
@Suite struct ParzenDensityPruningTests {
    static let distributions: [Distribution] = [
        .float(FloatDistribution(low: -5, high: 5)),
        .float(FloatDistribution(low: 1e-5, high: 1, log: true)),
        .float(FloatDistribution(low: 0, high: 1, step: 0.1)),
        .int(IntDistribution(low: 1, high: 100, log: true)),
        .int(IntDistribution(low: 0, high: 20, step: 2)),
        .categorical(CategoricalDistribution(choices: ["a", "b", "c", "d"].map { .string($0) })),
    ]

    /// log Σₖ wₖ·Πₐ pₖ(xₐ), summed naively over every kernel.
    static func bruteForce(_ model: ParzenEstimator, point: [Double]) -> Double {
        var terms = model.weights.map { Foundation.log($0) }
        for axis in point.indices {
            let axisTerms = model.axisLogTerms(axis: axis, value: point[axis])
            for k in terms.indices { terms[k] += axisTerms[k] }
        }
        let maximum = terms.max() ?? -.infinity
        guard maximum > -.infinity else { return -.infinity }
        return maximum + Foundation.log(terms.reduce(0) { $0 + exp($1 - maximum) })
    }

    static func model(axes: [Int], observations count: Int, seed: UInt64) -> ParzenEstimator {
        var generator = SeededGenerator(seed: seed)
        let domains = axes.map { ParzenDomain(distributions[$0]) }
        // Observations clustered around a point, as TPE's are, plus a few spread over the whole domain.
        let centre = axes.map { _ in generator.nextUnit() }
        let observations = axes.enumerated().map { slot, axis in
            (0..<count).map { i -> Double in
                let unit =
                    i % 5 == 0
                    ? generator.nextUnit() : min(max(centre[slot] + 0.1 * (generator.nextUnit() - 0.5), 0), 1)
                return distributions[axis].internalValue(atUnit: unit)
            }
        }
        let weights = (0..<count).map { _ in 0.1 + generator.nextUnit() }
        var settings = ParzenSettings()
        settings.clipCount = count * 4
        return ParzenEstimator(
            domains: domains, observations: observations, observationWeights: weights, settings: settings)
    }

    @Test(arguments: [[0, 1, 2], [0, 3, 5], [0, 1, 2, 3, 4, 5], [3, 4], [5], [3], [0]])
    func prunedDensityEqualsTheSumOverEveryKernel(axes: [Int]) {
        for seed in UInt64(1)...4 {
            for count in [3, 40, 400] {
                let model = Self.model(axes: axes, observations: count, seed: seed)
                var generator = SeededGenerator(seed: seed + 100)
                // Points from the model itself (near its kernels) and uniform ones (mostly far from them).
                var points = model.sample(count: 12, using: &generator)
                for (slot, axis) in axes.enumerated() {
                    for _ in 0..<12 {
                        points[slot].append(Self.distributions[axis].internalValue(atUnit: generator.nextUnit()))
                    }
                }
                let densities = model.logDensity(of: points)
                for j in densities.indices {
                    let expected = Self.bruteForce(model, point: points.map { $0[j] })
                    #expect(
                        abs(densities[j] - expected) <= 1e-9 * max(1, abs(expected)),
                        "axes \(axes), seed \(seed), \(count) observations, point \(j): \(densities[j]) vs \(expected)")
                }
            }
        }
    }
}

extension Distribution {
    /// The internal value at a unit position of the domain (log scale for log domains, snapped to the grid).
    fileprivate func internalValue(atUnit unit: Double) -> Double {
        let domain = ParzenDomain(self)
        switch domain {
        case .numeric(let axis):
            return axis.internalValue(of: axis.lower + unit * (axis.upper - axis.lower))
        case .categorical(let count):
            return Double(min(Int(unit * Double(count)), count - 1))
        }
    }
}
