import Foundation
import HPOCore
import Testing

@testable import HPOTraining

func makeModel(
    _ type: String, _ options: [String: JSONValue], space: SearchSpace = SearchSpace([]),
    direction: StudyDirection = .maximize, metric: String? = nil, dataSeed: UInt64 = 1,
    checkpoints: (any CheckpointStore)? = nil
) throws -> ModelTrainer {
    let trainer = try TrainerFactory.makeTrainer(
        TrainerSpec(type: type, options: options), space: space, direction: direction, metric: metric,
        dataRoot: nil, dataSeed: dataSeed, checkpoints: checkpoints)
    guard let model = trainer as? ModelTrainer else { throw TrainingError.cancelled }
    return model
}

func errorMessage(_ body: () throws -> Any) -> String {
    do {
        _ = try body()
        return "no error"
    } catch { return "\(error)" }
}

/// Writes `text` to a fresh temporary CSV file.
func temporaryCSV(_ text: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hpo-\(UUID().uuidString).csv")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}

@Suite struct ModelTrainerTests {
    @Test func linearRegressionRecoversKnownWeights() throws {
        let weights = [2.0, -3.0, 0.5]
        var generator = SeededGenerator(seed: 5)
        var lines = ["a,b,c,label"]
        for _ in 0..<300 {
            let x = (0..<3).map { _ in generator.nextUnit() * 10 - 5 }
            let y = zip(weights, x).reduce(1.0) { $0 + $1.0 * $1.1 }
            lines.append((x + [y]).map { String($0) }.joined(separator: ","))
        }
        let url = try temporaryCSV(lines.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(at: url) }
        let trainer = try makeModel(
            "linear_regression",
            ["dataset": .string(url.path), "epochs": .integer(60), "lr": .number(0.02), "metric": .string("rmse")],
            direction: .minimize)
        let (value, network) = try trainer.fit(Assignment(), reporter: RecordingReporter())
        #expect(value < 1e-2)
        let data = trainer.data
        for (index, weight) in weights.enumerated() {
            let learnt = Double(network.parameters[index]) * data.targetScale / Double(data.featureScale[index])
            #expect(abs(learnt - weight) < 1e-2, "weight \(index): \(learnt) vs \(weight)")
        }
        let r2 = try makeModel(
            "linear_regression", ["dataset": .string(url.path), "epochs": .integer(60), "lr": .number(0.02)],
            direction: .maximize)
        #expect(try r2.train(Assignment(), reporter: RecordingReporter()) > 0.9999)
    }

    @Test func splitIsStratifiedSeededAndTheSameForEveryTrial() throws {
        let first = try makeModel("logistic_regression", ["dataset": .string("digits")], dataSeed: 42)
        let second = try makeModel("logistic_regression", ["dataset": .string("digits")], dataSeed: 42)
        let other = try makeModel("logistic_regression", ["dataset": .string("digits")], dataSeed: 43)
        #expect(first.data == second.data)
        #expect(first.data.validation.indices != other.data.validation.indices)
        let data = first.data
        #expect(data.train.rowCount + data.validation.rowCount + data.test.rowCount == 1797)
        let all = Set(data.train.indices).union(data.validation.indices).union(data.test.indices)
        #expect(all.count == 1797)
        var total = [Int](repeating: 0, count: 10)
        for part in [data.train, data.validation, data.test] {
            for label in part.labels { total[label] += 1 }
        }
        for part in [data.validation, data.test] {
            var counts = [Int](repeating: 0, count: 10)
            for label in part.labels { counts[label] += 1 }
            for label in 0..<10 {
                #expect(abs(Double(counts[label]) - 0.2 * Double(total[label])) <= 0.5 + 1e-9)
            }
        }
    }

    @Test func standardisationUsesTrainingStatisticsOnly() throws {
        let trainer = try makeModel("logistic_regression", ["dataset": .string("wine")], dataSeed: 3)
        let data = trainer.data
        for column in 0..<data.featureCount {
            var sum = 0.0
            var squares = 0.0
            for row in 0..<data.train.rowCount {
                let value = Double(data.train.features[row * data.featureCount + column])
                sum += value
                squares += value * value
            }
            let mean = sum / Double(data.train.rowCount)
            #expect(abs(mean) < 1e-4)
            #expect(abs(squares / Double(data.train.rowCount) - mean * mean - 1) < 1e-3)
        }
        // The validation part is scaled by the same statistics, so its mean is not exactly zero.
        let validationMean =
            (0..<data.validation.rowCount).map { Double(data.validation.features[$0 * data.featureCount]) }
            .reduce(0, +) / Double(data.validation.rowCount)
        #expect(abs(validationMean) > 1e-6)
    }

    @Test func minmaxScalingMapsTheTrainingRangeToTheUnitInterval() throws {
        let trainer = try makeModel(
            "logistic_regression", ["dataset": .string("digits"), "scaling": .string("minmax")], dataSeed: 3)
        let data = trainer.data
        let columns = data.featureCount
        for column in 0..<columns {
            let values = (0..<data.train.rowCount).map { data.train.features[$0 * columns + column] }
            let low = values.min() ?? -1
            let high = values.max() ?? -1
            #expect(low == 0)
            #expect(high == 1 || high == 0)
        }
        #expect(
            errorMessage { try makeModel("mlp", ["dataset": .string("wine"), "scaling": .string("robust")]) }
                == "trainer.scaling: must be one of standard, minmax, none (got robust)")
    }

    @Test func cancellationStopsBeforeTheNextMinibatch() throws {
        let trainer = try makeModel(
            "mlp", ["dataset": .string("digits"), "epochs": .integer(5), "batch_size": .integer(16)])
        for checks in [0, 3, 40] {
            let reporter = RecordingReporter(cancelAfterChecks: checks)
            #expect(throws: TrainingError.cancelled) { try trainer.train(Assignment(), reporter: reporter) }
            #expect(reporter.checks == checks + 1)
        }
    }

    @Test func sameParametersAndSeedGiveTheSameValueOnAnyThread() async throws {
        let trainer = try makeModel(
            "mlp", ["dataset": .string("wine"), "epochs": .integer(8), "dropout": .number(0.2)])
        let assignment = Assignment([
            "lr": .double(0.01), "hidden_units": .int(16), "activation": .string("gelu"),
            "optimizer": .string("momentum"),
        ])
        let reference = RecordingReporter(seed: 11)
        let value = try trainer.train(assignment, reporter: reference)
        let values = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await Self.onThread {
                        let reporter = RecordingReporter(seed: 11)
                        let result = try trainer.train(assignment, reporter: reporter)
                        return [result] + reporter.reports.map(\.value)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for run in values {
            #expect(run[0].bitPattern == value.bitPattern)
            #expect(Array(run.dropFirst()) == reference.reports.map(\.value))
        }
        let otherSeed = try trainer.train(assignment, reporter: RecordingReporter(seed: 12))
        #expect(otherSeed.bitPattern != value.bitPattern || reference.reports.count == 0)
    }

    /// Runs `body` on a new thread (not the cooperative pool) and returns its result.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.start()
        }
    }

    @Test func reportsEveryEpochAndStopsWhenPruned() throws {
        let trainer = try makeModel("logistic_regression", ["dataset": .string("wine"), "epochs": .integer(6)])
        let full = RecordingReporter()
        let value = try trainer.train(Assignment(), reporter: full)
        #expect(full.reports.map(\.step) == Array(1...6))
        #expect(value == full.reports.last?.value)
        #expect(full.attributes["test_accuracy"]?.doubleValue != nil)
        let pruned = RecordingReporter(pruneAtStep: 2)
        let prunedValue = try trainer.train(Assignment(), reporter: pruned)
        #expect(pruned.reports.count == 2)
        #expect(prunedValue == pruned.reports[1].value)
        #expect(pruned.attributes.isEmpty)
    }

    @Test func selectBestReturnsTheBestEpochAndItsTestMetric() throws {
        let trainer = try makeModel(
            "mlp",
            [
                "dataset": .string("breast_cancer"), "epochs": .integer(8), "select": .string("best"),
                "metric": .string("log_loss"), "lr": .number(0.05),
            ],
            direction: .minimize)
        let reporter = RecordingReporter()
        let value = try trainer.train(Assignment(), reporter: reporter)
        #expect(value == reporter.reports.map(\.value).min())
        let bestEpoch = reporter.reports.first { $0.value == value }?.step
        #expect(reporter.attributes["best_epoch"] == .integer(bestEpoch ?? -1))
        #expect(reporter.attributes["test_log_loss"]?.doubleValue != nil)
    }

    @Test func mlpLearnsDigits() throws {
        let trainer = try makeModel("mlp", ["dataset": .string("digits"), "epochs": .integer(10)])
        let reporter = RecordingReporter()
        let value = try trainer.train(
            Assignment(["hidden_units": .int(64), "lr": .double(0.003)]), reporter: reporter)
        #expect(value > 0.93)
        #expect((reporter.attributes["test_accuracy"]?.doubleValue ?? 0) > 0.93)
        #expect(reporter.reports[0].value < value)
    }

    @Test func resumingFromACheckpointGivesTheSameResult() throws {
        let options: [String: JSONValue] = [
            "dataset": .string("wine"), "epochs": .integer(6), "hidden_units": .integer(8),
        ]
        let store = InMemoryCheckpointStore()
        let withStore = try makeModel("mlp", options, checkpoints: store)
        let plain = try makeModel("mlp", options)
        let reporter = RecordingReporter(trialNumber: 4, seed: 21)
        let expected = try plain.train(Assignment(), reporter: reporter)
        // Stop after epoch 3: the checkpoint holds epoch 3; a new run of the same trial continues from it.
        _ = try withStore.train(Assignment(), reporter: RecordingReporter(trialNumber: 4, seed: 21, pruneAtStep: 3))
        #expect(store.checkpoint(forTrial: 4)?.epoch == 3)
        let resumed = RecordingReporter(trialNumber: 4, seed: 21)
        let value = try withStore.train(Assignment(), reporter: resumed)
        #expect(resumed.reports.map(\.step) == [4, 5, 6])
        #expect(value.bitPattern == expected.bitPattern)
    }

    @Test func everyCombinationOfOptimizerScheduleAndActivationTrains() throws {
        let trainer = try makeModel("mlp", ["dataset": .string("wine"), "epochs": .integer(15)])
        for optimizer in OptimizerKind.allCases {
            for schedule in LearningRateSchedule.allCases {
                for activation in Activation.allCases {
                    let lr = optimizer == .adam ? 0.01 : 0.05
                    let value = try trainer.train(
                        Assignment([
                            "optimizer": .string(optimizer.rawValue), "lr_schedule": .string(schedule.rawValue),
                            "activation": .string(activation.rawValue), "lr": .double(lr),
                            "weight_decay": .double(1e-4), "hidden_layers": .int(2), "hidden_units": .int(16),
                        ]),
                        reporter: RecordingReporter())
                    #expect(value > 0.8, "\(optimizer) \(schedule) \(activation): \(value)")
                }
            }
        }
    }
}
