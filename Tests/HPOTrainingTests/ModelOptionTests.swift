import Foundation
import HPOCore
import Testing

@testable import HPOTraining

@Suite struct ModelOptionTests {
    private func space(_ name: String, _ distribution: Distribution) -> SearchSpace {
        SearchSpace([ParameterSpec(name: name, distribution: distribution)])
    }

    @Test func optionErrorsNameTheKeyPath() {
        let digits: [String: JSONValue] = ["dataset": .string("digits")]
        func message(
            _ extra: [String: JSONValue], type: String = "mlp", space: SearchSpace = SearchSpace([]),
            direction: StudyDirection = .maximize, metric: String? = nil
        ) -> String {
            errorMessage {
                try makeModel(type, digits.merging(extra) { $1 }, space: space, direction: direction, metric: metric)
            }
        }
        #expect(message(["epochs": .integer(0)]) == "trainer.epochs: must be an integer >= 1")
        #expect(message(["activation": .string("sigmoid")]) == "trainer.activation: must be one of relu, tanh, gelu")
        #expect(message(["optimizer": .integer(1)]) == "trainer.optimizer: must be one of sgd, momentum, adam")
        #expect(message(["dropout": .number(1)]) == "trainer.dropout: must be a number >= 0 and < 1")
        #expect(message(["select": .string("last")]) == "trainer.select: must be one of final, best (got last)")
        #expect(message(["hidden_units": .integer(8)]) == "no error")
        #expect(
            message(["hidden_units": .integer(8)], type: "logistic_regression").hasPrefix(
                "trainer.hidden_units: unknown option"))
        #expect(message(["metric": .string("rmse")]).hasPrefix("trainer.metric: rmse is a regression metric"))
        #expect(
            message(["metric": .string("accuracy")], direction: .minimize)
                == "trainer.metric: accuracy is to be maximized, but the study's direction is minimize")
        #expect(message([:], metric: "val_acc").hasPrefix("metric: must be one of accuracy"))
        #expect(message([:], direction: .minimize, metric: "log_loss") == "no error")
        #expect(
            message(["metric": .string("f1_macro")], metric: "accuracy")
                == "metric: is accuracy, but trainer.metric is f1_macro; name the same metric")
        #expect(message(["metric": .string("f1_macro")], metric: "val_f1") == "no error")
        #expect(
            message(["dataset": .string("nowhere.csv")]).hasPrefix("nowhere.csv: no such file"))
        #expect(errorMessage { try makeModel("mlp", [:]) }.hasPrefix("trainer.dataset: is required"))
    }

    @Test func spaceParametersAreCheckedAgainstWhatTheTrainerAccepts() {
        func message(_ space: SearchSpace, type: String = "mlp") -> String {
            errorMessage { try makeModel(type, ["dataset": .string("wine")], space: space) }
        }
        #expect(message(space("lr", .float(FloatDistribution(low: 1e-4, high: 0.1, log: true)))) == "no error")
        #expect(
            message(space("learning_rate", .float(FloatDistribution(low: 1e-4, high: 0.1))))
                .hasPrefix("space.learning_rate: the mlp trainer has no tunable learning_rate (tunable: lr,"))
        #expect(
            message(space("lr", .float(FloatDistribution(low: 0, high: 0.1))))
                == "space.lr: must be a number > 0 and <= 10 for every value of [low, high]")
        #expect(
            message(space("hidden_units", .float(FloatDistribution(low: 1, high: 8))))
                == "space.hidden_units: must be an integer >= 1 (declare it with type: int)")
        #expect(
            message(
                space("activation", .categorical(CategoricalDistribution(choices: [.string("relu"), .string("elu")]))))
                == "space.activation.choices[1]: must be one of relu, tanh, gelu (got elu)")
        #expect(
            message(space("dropout", .float(FloatDistribution(low: 0, high: 0.5))), type: "logistic_regression")
                .contains("no tunable dropout"))
        #expect(
            message(space("batch_size", .categorical(CategoricalDistribution(choices: [.int(16), .int(64)]))))
                == "no error")
    }

    @Test func assignmentOverridesOptionsWhichOverrideDefaults() throws {
        let trainer = try makeModel(
            "mlp", ["dataset": .string("wine"), "hidden_units": .integer(8), "lr": .number(0.5)])
        let h = try trainer.hyperparameters(for: Assignment(["lr": .double(0.01), "activation": .string("tanh")]))
        #expect(h.learningRate == 0.01)
        #expect(h.hiddenUnits == 8)
        #expect(h.activation == .tanh)
        #expect(h.optimizer == Hyperparameters().optimizer)
        #expect(throws: TrainingError.self) { try trainer.hyperparameters(for: Assignment(["batch_size": .int(0)])) }
    }

    @Test func csvErrorsNameTheRowAndColumn() throws {
        let bad = "x,y,label\n1,2,a\n3,oops,b\n"
        let message = errorMessage { try Dataset(csv: bad, name: "bad.csv", target: "label", task: nil) }
        #expect(message == "bad.csv: row 2 (line 3), column y: \"oops\" is not a finite number")
        let short = errorMessage { try Dataset(csv: "x,label\n1\n", name: "s.csv", target: "label", task: nil) }
        #expect(short == "s.csv: row 1 (line 2) has 1 cells, the header has 2")
        let noTarget = errorMessage { try Dataset(csv: "x,y\n1,2\n", name: "n.csv", target: "label", task: nil) }
        #expect(noTarget.hasPrefix("n.csv: no column named label (the columns are x, y)"))
    }

    @Test func stringLabelsBecomeSortedClasses() throws {
        let csv = "kind,\"size, cm\",weight\nowl,1,2\ncat,3,4\nowl,5,6\n\"bat\",7,8\n"
        let dataset = try Dataset(csv: csv, name: "animals", target: "kind", task: nil)
        #expect(dataset.featureNames == ["size, cm", "weight"])
        #expect(dataset.target == .classes(labels: [2, 1, 2, 0], names: ["bat", "cat", "owl"]))
        #expect(dataset.features == [1, 2, 3, 4, 5, 6, 7, 8])
        let numeric = try Dataset(csv: "x,label\n1,10\n2,9\n3,10\n", name: "n", target: "label", task: nil)
        #expect(numeric.target == .classes(labels: [1, 0, 1], names: ["9", "10"]))
        let real = try Dataset(csv: "x,label\n1,0.5\n2,1.5\n", name: "r", target: "label", task: nil)
        #expect(real.target == .values([0.5, 1.5]))
    }

    @Test func bundledDataSetsLoadWithTheirShapes() throws {
        let expected: [String: (rows: Int, features: Int, task: LearningTask)] = [
            "digits": (1797, 64, .classification), "wine": (178, 13, .classification),
            "breast_cancer": (569, 30, .classification), "diabetes": (442, 10, .regression),
        ]
        for (name, shape) in expected {
            let dataset = try Dataset.load(name, root: nil, target: nil, task: nil)
            #expect(dataset.rowCount == shape.rows)
            #expect(dataset.featureCount == shape.features)
            #expect(dataset.task == shape.task)
        }
    }
    @Test func aMissingResourceFolderIsAnErrorThatSaysWhereItLooked() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent(
            "hpo-no-resources-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(Dataset.bundledURL("digits", folders: [empty]) == nil)
        do {
            _ = try Dataset.load("digits", root: nil, target: nil, task: nil, resourceFolders: [empty])
            Issue.record("loading a bundled set without its resource folder succeeded")
        } catch let error as TrainingError {
            let message = "\(error)"
            #expect(message.contains("hpo_HPOTraining.resources"))
            #expect(message.contains(empty.path))
            #expect(message.contains("HPO_RESOURCES"))
        }
    }

    @Test func theBundledSetsAreFoundInTheResourceFolderBesideTheBinary() throws {
        guard let found = Dataset.bundledURL("wine") else {
            Issue.record("the bundled wine set is not found beside the test binary")
            return
        }
        let folder = found.deletingLastPathComponent().deletingLastPathComponent()
        #expect(Dataset.bundledURL("wine", folders: [folder]) == found)
        #expect(Dataset.resourceFolders().contains { $0.standardizedFileURL == folder.standardizedFileURL })
    }
}
