import Foundation
import HPOAlgorithms
import HPOCore
import Testing

private func draws(
    _ count: Int, of space: SearchSpace, seed: UInt64 = 7
) throws -> [Assignment] {
    let sampler = RandomSampler()
    let history = TrialHistory(direction: .minimize, trials: [])
    return try (0..<count).map { number in
        var generator = SeededGenerator(seed: seed, trialNumber: number)
        return try sampler.suggest(trialNumber: number, in: space, history: history, using: &generator)
    }
}

private func floatSpace(_ name: String, _ domain: FloatDistribution) -> SearchSpace {
    SearchSpace([ParameterSpec(name: name, distribution: .float(domain))])
}

@Suite struct RandomSamplerTests {
    @Test func uniformFloatsStayInsideBoundsAndCoverThem() throws {
        let values = try draws(10_000, of: floatSpace("x", FloatDistribution(low: -2, high: 3))).compactMap {
            $0.double("x")
        }
        #expect(values.count == 10_000)
        #expect(values.allSatisfy { $0 >= -2 && $0 < 3 })
        let mean = values.reduce(0, +) / Double(values.count)
        #expect(abs(mean - 0.5) < 0.05)
        let lowTenth = values.filter { $0 < -1.5 }.count
        #expect(abs(Double(lowTenth) / 10_000 - 0.1) < 0.015)
    }

    @Test func logFloatsAreUniformInLogSpace() throws {
        for seed: UInt64 in [1, 2, 3] {
            let values = try draws(
                10_000, of: floatSpace("lr", FloatDistribution(low: 1e-5, high: 1, log: true)), seed: seed
            )
            .compactMap { $0.double("lr") }
            #expect(values.allSatisfy { $0 >= 1e-5 && $0 <= 1 })
            let logs = values.map { Foundation.log10($0) }.sorted()
            let median = logs[logs.count / 2]
            // The median of log10 is the middle of [-5, 0]; a linear-uniform draw would give about -0.3.
            #expect(abs(median - -2.5) < 0.1)
            let belowMinusFour = logs.filter { $0 < -4 }.count
            #expect(abs(Double(belowMinusFour) / 10_000 - 0.2) < 0.02)
        }
    }

    @Test func steppedFloatsLieExactlyOnTheGridAndReachBothEnds() throws {
        let domain = FloatDistribution(low: 0.1, high: 1.0, step: 0.15)
        let values = try draws(10_000, of: floatSpace("x", domain)).compactMap { $0.double("x") }
        let grid = (0...6).map { 0.1 + Double($0) * 0.15 }
        #expect(values.allSatisfy { value in grid.contains(value) })
        let counts = Dictionary(grouping: values, by: { $0 }).mapValues(\.count)
        #expect(counts.count == 7)
        #expect(counts.values.allSatisfy { abs(Double($0) / 10_000 - 1.0 / 7) < 0.02 })
    }

    @Test func intsHitBothInclusiveBoundsUniformly() throws {
        let space = SearchSpace([ParameterSpec(name: "n", distribution: .int(IntDistribution(low: 3, high: 8)))])
        let assignments = try draws(10_000, of: space)
        var counts: [Int: Int] = [:]
        for assignment in assignments {
            guard case .int(let value) = assignment["n"] else {
                Issue.record("n is not an int: \(String(describing: assignment["n"]))")
                continue
            }
            counts[value, default: 0] += 1
        }
        #expect(Set(counts.keys) == Set(3...8))
        #expect(counts.values.allSatisfy { abs(Double($0) / 10_000 - 1.0 / 6) < 0.02 })
    }

    @Test func steppedIntsStayOnTheirGrid() throws {
        let space = SearchSpace([
            ParameterSpec(name: "n", distribution: .int(IntDistribution(low: 2, high: 11, step: 3)))
        ])
        let values = try draws(5_000, of: space).compactMap { $0.double("n") }
        #expect(Set(values) == [2, 5, 8, 11])
    }

    @Test func logIntsFavourSmallValuesAndCoverBothEnds() throws {
        let space = SearchSpace([
            ParameterSpec(name: "units", distribution: .int(IntDistribution(low: 1, high: 100, log: true)))
        ])
        let values = try draws(10_000, of: space).compactMap { $0.double("units") }
        #expect(values.allSatisfy { $0 >= 1 && $0 <= 100 && $0 == $0.rounded() })
        #expect(values.contains(1) && values.contains(100))
        // Each integer gets the log-width of [v - 0.5, v + 0.5]: 1 has ln(1.5/0.5) / ln(100.5/0.5).
        let ones = Double(values.filter { $0 == 1 }.count) / 10_000
        #expect(abs(ones - Foundation.log(3) / Foundation.log(201)) < 0.02)
        let sorted = values.sorted()
        #expect(sorted[sorted.count / 2] < 20)
    }

    @Test func categoricalsDrawEveryChoiceEquallyOften() throws {
        let choices: [ParamValue] = [.string("a"), .int(2), .bool(true), .double(0.5)]
        let space = SearchSpace([
            ParameterSpec(name: "c", distribution: .categorical(CategoricalDistribution(choices: choices)))
        ])
        let values = try draws(10_000, of: space).compactMap { $0["c"] }
        for choice in choices {
            let share = Double(values.filter { $0 == choice }.count) / 10_000
            #expect(abs(share - 0.25) < 0.02)
        }
    }

    @Test func conditionalParametersAppearOnlyWhenTheirParentAllowsThem() throws {
        let model = ParameterSpec(
            name: "model",
            distribution: .categorical(CategoricalDistribution(choices: [.string("a"), .string("b")])))
        let depth = ParameterSpec(
            name: "depth", distribution: .int(IntDistribution(low: 1, high: 4)),
            conditions: [ParameterCondition(parameter: "model", values: [.string("b")])])
        let width = ParameterSpec(
            name: "width", distribution: .float(FloatDistribution(low: 0, high: 1)),
            conditions: [ParameterCondition(parameter: "depth", values: [.int(4)])])
        // Children listed first: the space orders parents before them.
        let space = SearchSpace([width, depth, model])
        let assignments = try draws(10_000, of: space)
        var deep = 0
        for assignment in assignments {
            #expect(space.validate(assignment))
            let isB = assignment["model"] == .string("b")
            #expect((assignment["depth"] != nil) == isB)
            #expect((assignment["width"] != nil) == (assignment["depth"] == .int(4)))
            if assignment["width"] != nil { deep += 1 }
        }
        #expect(abs(Double(deep) / 10_000 - 0.125) < 0.02)
    }

    @Test func sameSeedGivesSameAssignmentsAndOtherSeedsDiffer() throws {
        let space = SearchSpace([
            ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: 0, high: 1))),
            ParameterSpec(name: "n", distribution: .int(IntDistribution(low: 0, high: 1000))),
        ])
        #expect(try draws(50, of: space, seed: 11) == draws(50, of: space, seed: 11))
        #expect(try draws(50, of: space, seed: 11) != draws(50, of: space, seed: 12))
    }

    @Test func singleValueDomainsGiveTheirOnlyValue() throws {
        let space = SearchSpace([
            ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: 2, high: 2))),
            ParameterSpec(name: "n", distribution: .int(IntDistribution(low: 5, high: 5))),
            ParameterSpec(
                name: "c", distribution: .categorical(CategoricalDistribution(choices: [.string("only")]))),
        ])
        for assignment in try draws(100, of: space) {
            #expect(assignment == Assignment(["x": .double(2), "n": .int(5), "c": .string("only")]))
        }
    }
}
