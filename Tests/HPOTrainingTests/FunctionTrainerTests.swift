import Foundation
import HPOCore
import Testing

@testable import HPOTraining

private func floats(_ bounds: [(String, Double, Double)]) -> SearchSpace {
    SearchSpace(
        bounds.map { ParameterSpec(name: $0.0, distribution: .float(FloatDistribution(low: $0.1, high: $0.2))) })
}

private func function(_ objective: String, space: SearchSpace, extra: [String: JSONValue] = [:]) throws -> any Trainer {
    var options = extra
    options["objective"] = .string(objective)
    return try TrainerFactory.makeTrainer(
        TrainerSpec(type: "function", options: options), space: space, direction: .minimize)
}

private func assignment(_ values: [String: Double]) -> Assignment {
    Assignment(values.mapValues { .double($0) })
}

@Suite struct FunctionTrainerTests {
    @Test func braninMinimumIsAtItsThreeKnownPoints() throws {
        let trainer = try function("branin", space: floats([("x", -5, 10), ("y", 0, 15)]))
        for (x, y) in [(-Double.pi, 12.275), (Double.pi, 2.275), (9.42478, 2.475)] {
            let value = try trainer.train(assignment(["x": x, "y": y]), reporter: RecordingReporter())
            #expect(abs(value - 0.397887) < 1e-5)
        }
        let elsewhere = try trainer.train(assignment(["x": 0, "y": 0]), reporter: RecordingReporter())
        #expect(elsewhere > 1)
    }

    @Test func hartmann6MinimumIsMinus3Point32237() throws {
        let names = (1...6).map { "x\($0)" }
        let trainer = try function("hartmann6", space: floats(names.map { ($0, 0, 1) }))
        let optimum = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]
        let value = try trainer.train(
            assignment(Dictionary(uniqueKeysWithValues: zip(names, optimum))), reporter: RecordingReporter())
        #expect(abs(value - -3.32237) < 1e-4)
        let centre = try trainer.train(
            assignment(Dictionary(uniqueKeysWithValues: names.map { ($0, 0.5) })), reporter: RecordingReporter())
        #expect(centre > value + 0.1)
    }

    @Test func rosenbrockAndSphereAreZeroAtTheirOptimaInAnyDimension() throws {
        for dimension in [2, 3, 7] {
            let names = (0..<dimension).map { "p\($0)" }
            let space = floats(names.map { ($0, -5, 5) })
            let rosenbrock = try function("rosenbrock", space: space)
            let sphere = try function("sphere", space: space)
            let ones = assignment(Dictionary(uniqueKeysWithValues: names.map { ($0, 1.0) }))
            let zeros = assignment(Dictionary(uniqueKeysWithValues: names.map { ($0, 0.0) }))
            #expect(try rosenbrock.train(ones, reporter: RecordingReporter()) == 0)
            #expect(try rosenbrock.train(zeros, reporter: RecordingReporter()) == Double(dimension - 1))
            #expect(try sphere.train(zeros, reporter: RecordingReporter()) == 0)
            #expect(try sphere.train(ones, reporter: RecordingReporter()) == Double(dimension))
        }
    }

    @Test func fixedDimensionObjectivesRejectASpaceThatDoesNotFit() {
        let three = floats([("a", 0, 1), ("b", 0, 1), ("c", 0, 1)])
        #expect(throws: TrainingError.self) { try function("branin", space: three) }
        do {
            _ = try function("hartmann6", space: three)
            Issue.record("hartmann6 accepted a 3-D space")
        } catch {
            #expect(
                "\(error)" == "trainer.objective: hartmann6 takes exactly 6 float or int parameters, the space has 3")
        }
        #expect(throws: TrainingError.self) { try function("rosenbrock", space: floats([("a", 0, 1)])) }
    }

    @Test func optionErrorsNameTheKeyPathAndTheAllowedValues() {
        let space = floats([("a", 0, 1)])
        func message(_ options: [String: JSONValue], type: String = "function") -> String {
            do {
                _ = try TrainerFactory.makeTrainer(
                    TrainerSpec(type: type, options: options), space: space, direction: .minimize)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message(["objective": .string("ackley")]).hasPrefix("trainer.objective: must be one of sphere, branin"))
        #expect(message([:]).hasPrefix("trainer.objective: is required"))
        #expect(
            message(["objective": .string("curve"), "steps": .integer(0)]) == "trainer.steps: must be an integer >= 1")
        #expect(
            message(["objective": .string("sphere"), "steps": .integer(5)]).contains("applies only to objective curve"))
        #expect(
            message(["objective": .string("sphere"), "step_delay": .string("soon")]).hasPrefix("trainer.step_delay:"))
        #expect(
            message(["objective": .string("sphere"), "epoch": .integer(3)]).hasPrefix("trainer.epoch: unknown option"))
        #expect(message([:], type: "xgboost").hasPrefix("trainer.type: must be one of function, mlp"))
    }

    @Test func durationsAcceptNumbersAndUnits() {
        #expect(TrainerOptions.parseDuration("50ms") == 0.05)
        #expect(TrainerOptions.parseDuration("2s") == 2)
        #expect(TrainerOptions.parseDuration("1.5m") == 90)
        #expect(TrainerOptions.parseDuration("0.25") == 0.25)
        #expect(TrainerOptions.parseDuration("-1s") == nil)
        #expect(TrainerOptions.parseDuration("fast") == nil)
    }

    @Test func curveReportsEveryStepAndEndsAtTheFloorAtTheCentres() throws {
        let space = floats([("a", 0, 1), ("b", 0, 1)])
        let trainer = try function("curve", space: space, extra: ["steps": .integer(80), "noise": .number(0)])
        let centres = assignment(["a": LearningCurve.centre(0), "b": LearningCurve.centre(1)])
        let reporter = RecordingReporter()
        let value = try trainer.train(centres, reporter: reporter)
        #expect(reporter.reports.map(\.step) == Array(1...80))
        #expect(value == reporter.reports.last?.value)
        let values = reporter.reports.map(\.value)
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 > $1 })
        #expect(values[0] > 5 * LearningCurve.floor)
        #expect(value >= LearningCurve.floor && value < LearningCurve.floor * 1.01)
        let far = try trainer.train(assignment(["a": 1, "b": 1]), reporter: RecordingReporter())
        #expect(value < far)
    }

    @Test func curveTimeScaleIsAFractionOfTheRun() {
        let u = [0.3, 0.6, 0.8]
        let short = LearningCurve(unitCoordinates: u, steps: 20)
        let long = LearningCurve(unitCoordinates: u, steps: 200)
        for step in [1, 5, 13, 20] {
            #expect(abs(short.value(atStep: step) - long.value(atStep: step * 10)) < 1e-12)
        }
        #expect(long.value(atStep: 5) > short.value(atStep: 5))
    }

    @Test func noCurveEndsBelowTheFloorAndTheBestConvergesByTheLastStep() {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<500 {
            let u = (0..<3).map { _ in Double.random(in: 0...1, using: &generator) }
            let curve = LearningCurve(unitCoordinates: u, steps: 27)
            #expect(curve.value(atStep: 27) > LearningCurve.floor)
            #expect(curve.asymptote >= LearningCurve.floor)
        }
        let best = LearningCurve(unitCoordinates: (0..<3).map(LearningCurve.centre), steps: 27)
        #expect(best.asymptote == LearningCurve.floor)
        #expect(best.value(atStep: 27) - best.asymptote < 2e-3 * LearningCurve.floor)
    }

    @Test func fasterButWorseConfigurationsLeadEarlyAndAreOvertaken() {
        let centres = (0..<3).map(LearningCurve.centre)
        let best = LearningCurve(unitCoordinates: centres, steps: 27)
        let above = LearningCurve(unitCoordinates: centres.map { $0 + 0.1 }, steps: 27)
        let below = LearningCurve(unitCoordinates: centres.map { $0 - 0.1 }, steps: 27)
        #expect(above.timeScale < best.timeScale && best.timeScale < below.timeScale)
        #expect(above.value(atStep: 1) < best.value(atStep: 1))
        #expect(above.value(atStep: 27) > best.value(atStep: 27))
        #expect(below.value(atStep: 1) > best.value(atStep: 1) && below.value(atStep: 27) > best.value(atStep: 27))
        let poor = LearningCurve(unitCoordinates: [0, 0, 0], steps: 27)
        #expect(poor.timeScale > below.timeScale)
    }

    /// Early losses rank random configurations much as the final ones do, though not exactly (curves cross).
    @Test func earlyLossesMostlyRankConfigurationsAsTheFinalOnes() {
        for seed: UInt64 in [1, 2, 3] {
            var generator = SeededGenerator(seed: seed)
            let curves = (0..<400).map { _ in
                LearningCurve(
                    unitCoordinates: (0..<3).map { _ in Double.random(in: 0...1, using: &generator) }, steps: 27)
            }
            var concordant = 0
            var pairs = 0
            for i in 0..<curves.count {
                for j in (i + 1)..<curves.count {
                    let early = curves[i].value(atStep: 3) < curves[j].value(atStep: 3)
                    let final = curves[i].value(atStep: 27) < curves[j].value(atStep: 27)
                    concordant += early == final ? 1 : 0
                    pairs += 1
                }
            }
            let share = Double(concordant) / Double(pairs)
            #expect(share > 0.7 && share < 0.99, "seed \(seed): \(share)")
        }
    }

    @Test func curveNoiseIsSeededByTheReporter() throws {
        let trainer = try function("curve", space: floats([("a", 0, 1)]), extra: ["steps": .integer(10)])
        let point = assignment(["a": 0.3])
        let first = try trainer.train(point, reporter: RecordingReporter(seed: 7))
        let again = try trainer.train(point, reporter: RecordingReporter(seed: 7))
        let other = try trainer.train(point, reporter: RecordingReporter(seed: 8))
        #expect(first == again)
        #expect(first != other)
    }

    @Test func curveStopsOnPruneAndReturnsTheLastReport() throws {
        let trainer = try function("curve", space: floats([("a", 0, 1)]))
        let reporter = RecordingReporter(pruneAtStep: 4)
        let value = try trainer.train(assignment(["a": 0.5]), reporter: reporter)
        #expect(reporter.reports.count == 4)
        #expect(value == reporter.reports[3].value)
    }

    @Test func curveStopsWhenCancelled() throws {
        let trainer = try function(
            "curve", space: floats([("a", 0, 1)]), extra: ["step_delay": .string("1ms"), "steps": .integer(100)])
        let reporter = RecordingReporter(cancelAfterChecks: 5)
        #expect(throws: TrainingError.cancelled) { try trainer.train(assignment(["a": 0.5]), reporter: reporter) }
        #expect(reporter.reports.count < 10)
    }

    @Test func paramsOptionPicksCoordinatesAndSkipsCategoricals() throws {
        let space = SearchSpace([
            ParameterSpec(name: "kind", distribution: .categorical(CategoricalDistribution(choices: [.string("a")]))),
            ParameterSpec(name: "x", distribution: .float(FloatDistribution(low: -1, high: 1))),
            ParameterSpec(name: "n", distribution: .int(IntDistribution(low: 0, high: 4))),
        ])
        let all = try function("sphere", space: space)
        let point = Assignment(["kind": .string("a"), "x": .double(0.5), "n": .int(2)])
        #expect(try all.train(point, reporter: RecordingReporter()) == 4.25)
        let onlyX = try function("sphere", space: space, extra: ["params": .array([.string("x")])])
        #expect(try onlyX.train(point, reporter: RecordingReporter()) == 0.25)
        #expect(throws: TrainingError.self) {
            try function("sphere", space: space, extra: ["params": .array([.string("kind")])])
        }
    }
}
