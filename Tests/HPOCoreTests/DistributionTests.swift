import HPOCore
import Testing

@Suite("Distributions and their internal representation")
struct DistributionTests {
    @Test func floatKeepsItsValueAndRejectsOutOfRange() {
        let domain = Distribution.float(FloatDistribution(low: 1e-4, high: 0.1, log: true))
        #expect(domain.internalValue(of: .double(0.01)) == 0.01)
        #expect(domain.internalValue(of: .int(1)) == nil)
        #expect(domain.internalValue(of: .double(0.2)) == nil)
        #expect(domain.internalValue(of: .string("0.01")) == nil)
        #expect(domain.externalValue(of: 0.05) == .double(0.05))
    }

    @Test func steppedHighIsCutDownToTheGrid() {
        let float = FloatDistribution(low: 0, high: 1, step: 0.3)
        #expect(abs(float.high - 0.9) < 1e-12)
        #expect(float.contains(0.6))
        #expect(!float.contains(0.5))
        #expect(FloatDistribution(low: 0, high: 0.3, step: 0.1).high == 0.3)
        #expect(FloatDistribution(low: 0.1, high: 1.0, step: 0.3).high == 1.0)
        let int = IntDistribution(low: 2, high: 17, step: 2)
        #expect(int.high == 16)
        #expect(int.contains(8))
        #expect(!int.contains(9))
    }

    @Test func intStoresTheIntegerAsADouble() {
        let domain = Distribution.int(IntDistribution(low: 1, high: 1000, log: true))
        #expect(domain.internalValue(of: .int(3)) == 3.0)
        #expect(domain.internalValue(of: .double(3.0)) == 3.0)
        #expect(domain.internalValue(of: .double(3.5)) == nil)
        #expect(domain.internalValue(of: .int(0)) == nil)
        #expect(domain.externalValue(of: 3.0) == .int(3))
    }

    @Test func categoricalStoresTheIndexOfItsChoice() {
        let domain = Distribution.categorical(
            CategoricalDistribution(choices: [.string("adam"), .int(2), .bool(true), .null]))
        #expect(domain.internalValue(of: .string("adam")) == 0)
        #expect(domain.internalValue(of: .double(2.0)) == 1)
        #expect(domain.internalValue(of: .bool(true)) == 2)
        #expect(domain.internalValue(of: .null) == 3)
        #expect(domain.internalValue(of: .string("sgd")) == nil)
        #expect(domain.externalValue(of: 2) == .bool(true))
        #expect(domain.containsInternal(3))
        #expect(!domain.containsInternal(4))
        #expect(!domain.containsInternal(1.5))
    }
}

@Suite("Search spaces with conditional parameters")
struct SearchSpaceTests {
    let space = SearchSpace([
        ParameterSpec(
            name: "momentum", distribution: .float(FloatDistribution(low: 0, high: 1)),
            conditions: [ParameterCondition(parameter: "optimizer", values: [.string("sgd")])]),
        ParameterSpec(
            name: "nesterov",
            distribution: .categorical(CategoricalDistribution(choices: [.bool(true), .bool(false)])),
            conditions: [ParameterCondition(parameter: "momentum_kind", values: [.string("classic")])]),
        ParameterSpec(
            name: "momentum_kind",
            distribution: .categorical(CategoricalDistribution(choices: [.string("classic"), .string("none")])),
            conditions: [ParameterCondition(parameter: "optimizer", values: [.string("sgd")])]),
        ParameterSpec(
            name: "optimizer",
            distribution: .categorical(CategoricalDistribution(choices: [.string("sgd"), .string("adam")]))),
    ])

    @Test func parentsComeBeforeTheirChildren() {
        let names = space.names
        let position = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
        #expect(position["optimizer"]! < position["momentum"]!)
        #expect(position["optimizer"]! < position["momentum_kind"]!)
        #expect(position["momentum_kind"]! < position["nesterov"]!)
        #expect(space.isConditional)
    }

    @Test func validationRequiresExactlyTheActiveParameters() {
        #expect(space.validate(Assignment(["optimizer": .string("adam")])))
        #expect(!space.validate(Assignment(["optimizer": .string("adam"), "momentum": .double(0.5)])))
        #expect(
            space.validate(
                Assignment([
                    "optimizer": .string("sgd"), "momentum": .double(0.5), "momentum_kind": .string("classic"),
                    "nesterov": .bool(true),
                ])))
        #expect(
            !space.validate(
                Assignment(["optimizer": .string("sgd"), "momentum": .double(0.5), "momentum_kind": .string("classic")])
            ))
        #expect(!space.validate(Assignment(["optimizer": .string("rmsprop")])))
        #expect(!space.validate(Assignment(["optimizer": .string("adam"), "unknown": .int(1)])))
    }
}

@Suite("Seeded generators")
struct SeededGeneratorTests {
    @Test func sameSeedAndTrialGiveTheSameStream() {
        var first = SeededGenerator(seed: 7, trialNumber: 3)
        var second = SeededGenerator(seed: 7, trialNumber: 3)
        #expect((0..<100).map { _ in first.next() } == (0..<100).map { _ in second.next() })
    }

    @Test func trialsAndStreamsAreIndependent() {
        var base = SeededGenerator(seed: 7, trialNumber: 3)
        var otherTrial = SeededGenerator(seed: 7, trialNumber: 4)
        var otherStream = SeededGenerator(seed: 7, trialNumber: 3, stream: 1)
        let values = (0..<8).map { _ in base.next() }
        #expect(values != (0..<8).map { _ in otherTrial.next() })
        #expect(values != (0..<8).map { _ in otherStream.next() })
    }

    @Test func unitDrawsAreUniformOverSeveralSeeds() {
        for seed in UInt64(1)...5 {
            var generator = SeededGenerator(seed: seed)
            let draws = (0..<20_000).map { _ in generator.nextUnit() }
            #expect(draws.allSatisfy { $0 >= 0 && $0 < 1 })
            let mean = draws.reduce(0, +) / Double(draws.count)
            #expect(abs(mean - 0.5) < 0.01)
            let lowQuarter = Double(draws.filter { $0 < 0.25 }.count) / Double(draws.count)
            #expect(abs(lowQuarter - 0.25) < 0.015)
        }
    }
}

@Suite("Trial history")
struct TrialHistoryTests {
    @Test func bestTrialFollowsTheDirectionAndIgnoresUnfinishedTrials() {
        let trials = [
            Trial(id: 1, number: 0, state: .complete, value: 3),
            Trial(id: 2, number: 1, state: .pruned, value: -10),
            Trial(id: 3, number: 2, state: .complete, value: 1),
            Trial(id: 4, number: 3, state: .running),
            Trial(id: 5, number: 4, state: .complete, value: 1),
        ]
        #expect(TrialHistory(direction: .minimize, trials: trials).bestTrial?.number == 2)
        #expect(TrialHistory(direction: .maximize, trials: trials).bestTrial?.number == 0)
        #expect(TrialHistory(direction: .minimize, trials: []).bestTrial == nil)
    }
}
