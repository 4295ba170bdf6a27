import Foundation
import HPOCore
import Testing

@testable import HPOAlgorithms

private func estimator(_ distribution: Distribution, _ values: [Double]) -> ParzenEstimator {
    ParzenEstimator(
        domains: [ParzenDomain(distribution)], observations: [values],
        observationWeights: Array(repeating: 1, count: values.count), settings: ParzenSettings())
}

private func expectClose(_ actual: [Double], _ expected: [Double], tolerance: Double = 1e-6) {
    #expect(actual.count == expected.count)
    for (a, e) in zip(actual, expected) {
        #expect(abs(a - e) <= tolerance, "\(actual) != \(expected)")
    }
}

/// The estimator test vectors of Optuna 5.0 (spec §2.7).
@Suite struct ParzenEstimatorTests {
    @Test func threeFloatObservationsGiveNeighbourBandwidthsAndDensities() throws {
        let model = estimator(.float(FloatDistribution(low: 0, high: 1)), [0.2, 0.5, 0.9])
        expectClose(model.weights, [0.25, 0.25, 0.25, 0.25])
        let kernels = try #require(model.centresAndBandwidths(axis: 0))
        expectClose(kernels.mu, [0.2, 0.5, 0.9, 0.5])
        expectClose(kernels.sigma, [0.3, 0.4, 0.4, 1.0])
        expectClose(model.logDensity(of: [[0.3, 0.95]]), [0.0909326, -0.1687103])
    }

    @Test func oneObservationUsesItsLargerDistanceToTheBounds() throws {
        let model = estimator(.float(FloatDistribution(low: 0, high: 1)), [0.5])
        expectClose(model.weights, [0.5, 0.5])
        let kernels = try #require(model.centresAndBandwidths(axis: 0))
        expectClose(kernels.mu, [0.5, 0.5])
        expectClose(kernels.sigma, [0.5, 1.0])
    }

    @Test func logFloatsWorkInLogSpace() throws {
        let model = estimator(.float(FloatDistribution(low: 1e-4, high: 0.1, log: true)), [1e-3, 1e-2])
        let kernels = try #require(model.centresAndBandwidths(axis: 0))
        expectClose(kernels.mu, [-6.907755, -4.605170, -5.756463])
        expectClose(kernels.sigma, [2.302585, 2.302585, 6.907755])
    }

    @Test func steppedIntsWidenByHalfAStepAndUseCellMasses() throws {
        let model = estimator(.int(IntDistribution(low: 0, high: 10, step: 2)), [2, 4, 10])
        let kernels = try #require(model.centresAndBandwidths(axis: 0))
        expectClose(kernels.mu, [2, 4, 10, 5])
        expectClose(kernels.sigma, [2.4, 6, 6, 12])
        expectClose(model.logDensity(of: [[0, 2, 4, 10]]), [-1.8337590, -1.5875666, -1.6342863, -2.0236735])
    }

    @Test func categoricalKernelsAddThePriorShareToEveryChoice() throws {
        let choices: [ParamValue] = [.string("a"), .string("b"), .string("c")]
        let model = estimator(.categorical(CategoricalDistribution(choices: choices)), [0, 0, 2])
        let rows = try #require(model.categoricalRows(axis: 0))
        let third = 1.0 / 3
        expectClose(
            rows.flatMap { $0 },
            [
                0.714286, 0.142857, 0.142857, 0.714286, 0.142857, 0.142857, 0.142857, 0.142857, 0.714286,
                third, third, third,
            ])
        expectClose(model.logDensity(of: [[0, 1, 2]]), [-0.7419373, -1.6582281, -1.0986123])
    }

    @Test func noObservationsLeaveThePriorAlone() throws {
        let model = estimator(.float(FloatDistribution(low: -2, high: 2)), [])
        expectClose(model.weights, [1])
        let kernels = try #require(model.centresAndBandwidths(axis: 0))
        expectClose(kernels.mu, [0])
        expectClose(kernels.sigma, [4])
    }

    @Test func magicClipRaisesDuplicateBandwidthsToTheFloor() throws {
        let model = estimator(.float(FloatDistribution(low: 0, high: 1)), [0.5, 0.5, 0.5, 0.5])
        let kernels = try #require(model.centresAndBandwidths(axis: 0))
        // Floor (H − L) / min(100, n + 2) = 1/6; the duplicates' gaps are 0.
        #expect(kernels.sigma.prefix(4).contains { abs($0 - 1.0 / 6) < 1e-12 })
        #expect(kernels.sigma.allSatisfy { $0 >= 1.0 / 6 - 1e-12 })
    }

    @Test func samplesStayInsideTheDomainAndOnTheGrid() {
        let domains = [
            ParzenDomain(.float(FloatDistribution(low: 1e-5, high: 1, log: true))),
            ParzenDomain(.int(IntDistribution(low: 1, high: 100, log: true))),
            ParzenDomain(.float(FloatDistribution(low: -1, high: 1, step: 0.25))),
            ParzenDomain(.categorical(CategoricalDistribution(choices: [.int(1), .int(2), .int(3)]))),
        ]
        let model = ParzenEstimator(
            domains: domains, observations: [[1e-5, 0.5], [1, 100], [-1, 0.25], [0, 2]], observationWeights: [1, 1],
            settings: ParzenSettings())
        var generator = SeededGenerator(seed: 3)
        let points = model.sample(count: 5_000, using: &generator)
        #expect(points[0].allSatisfy { $0 >= 1e-5 && $0 <= 1 })
        #expect(points[1].allSatisfy { $0 >= 1 && $0 <= 100 && $0 == $0.rounded() })
        #expect(points[2].allSatisfy { value in (0...8).contains { abs(-1 + Double($0) * 0.25 - value) < 1e-12 } })
        #expect(Set(points[3]).isSubset(of: [0, 1, 2]))
        #expect(points[1].contains(1) && points[1].contains(100))
    }

    @Test func samplesFollowTheMixtureDensity() {
        // The mean of the draws matches the mixture mean computed from its kernels.
        let model = estimator(.float(FloatDistribution(low: 0, high: 10)), [1, 2, 8])
        for seed: UInt64 in [1, 2, 3] {
            var generator = SeededGenerator(seed: seed)
            let draws = model.sample(count: 20_000, using: &generator)[0]
            let below = Double(draws.filter { $0 < 3 }.count) / 20_000
            // Numerical integral of the density on [0, 3].
            let grid = stride(from: 0.0005, to: 3, by: 0.001).map { $0 }
            let mass = model.logDensity(of: [grid]).reduce(0) { $0 + exp($1) * 0.001 }
            #expect(abs(below - mass) < 0.015)
        }
    }
}

@Suite struct TruncatedNormalTests {
    @Test func logGaussMassIsStableFarInBothTails() {
        #expect(abs(TruncatedNormal.logGaussMass(-1, 1) - Foundation.log(0.6826894921370859)) < 1e-12)
        // Mass of [30, 31]: dominated by the lower end, log Φ(−30) ≈ −454.3212.
        let far = TruncatedNormal.logGaussMass(30, 31)
        #expect(abs(far - TruncatedNormal.logNdtr(-30)) < 1e-9)
        #expect(abs(TruncatedNormal.logNdtr(-30) - -454.321_243_956_343_27) < 1e-9)
        #expect(TruncatedNormal.logGaussMass(-41, -40).isFinite)
        #expect(abs(TruncatedNormal.logNdtr(-20) - -203.917_155_371_097_3) < 1e-9)
        #expect(abs(TruncatedNormal.logNdtr(-40) - -804.608_442_013_753_9) < 1e-9)
    }

    @Test func logNdtrIsContinuousAcrossItsBranches() {
        for x in [-20.0, 6.0] {
            let left = TruncatedNormal.logNdtr(x.nextDown)
            let right = TruncatedNormal.logNdtr(x.nextUp)
            #expect(abs(left - right) <= 1e-12 * max(1, abs(left)))
        }
    }

    @Test func quantileInvertsTheTruncatedCDF() {
        for (a, b) in [(-1.0, 2.0), (-5.0, 0.5), (-0.1, 30.0), (-40.0, 0.0), (-3.0, -2.5), (2.0, 9.0)] {
            let mass = TruncatedNormal.ndtr(b) - TruncatedNormal.ndtr(a)
            for u in [0.001, 0.1, 0.5, 0.9, 0.999] {
                let x = TruncatedNormal.quantile(u, lower: a, upper: b)
                #expect(x >= a && x <= b)
                let cdf = (TruncatedNormal.ndtr(x) - TruncatedNormal.ndtr(a)) / mass
                #expect(abs(cdf - u) < 1e-9, "a=\(a) b=\(b) u=\(u) x=\(x)")
            }
        }
    }

    @Test func inverseNdtrIsAccurateToFullPrecision() {
        for p in [1e-300, 1e-20, 1e-5, 0.01, 0.3, 0.5, 0.7, 0.975, 1 - 1e-10] {
            let x = TruncatedNormal.inverseNdtr(p)
            let logBack = x < 0 ? TruncatedNormal.logNdtr(x) : log1p(-TruncatedNormal.ndtr(-x))
            #expect(abs(logBack - Foundation.log(p)) <= 1e-12 * max(1, abs(Foundation.log(p))), "p=\(p)")
        }
    }
}
