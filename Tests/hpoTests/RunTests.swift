import Foundation
import Testing

@Suite("hpo run through the built binary")
struct RunTests {
    let study = """
        name: sweep
        direction: minimize
        sampler: {type: random, seed: 5}
        trainer: {type: function, objective: sphere}
        budget: {n_trials: 12, workers: 2}
        space:
          a: {type: float, low: -2.0, high: 2.0}
          b: {type: float, low: -2.0, high: 2.0}

        """

    func trialCount(_ cli: CLIHarness) throws -> Int {
        let trials = try #require(
            try cli.json(["trials", "sweep", "--format", "json", "--storage", "sqlite:///run.db"]) as? [[String: Any]])
        return trials.count
    }

    @Test func secondRunAddsNothingAndRaisedBudgetAddsTheDifference() throws {
        let cli = try CLIHarness()
        try cli.write("study.yaml", study)
        let first = try cli.run(["run", "study.yaml", "--storage", "sqlite:///run.db"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("best trial"))
        #expect(try trialCount(cli) == 12)
        let second = try cli.run(["run", "study.yaml", "--storage", "sqlite:///run.db"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try trialCount(cli) == 12)
        let third = try cli.run(["run", "study.yaml", "--storage", "sqlite:///run.db", "--n-trials", "17"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try trialCount(cli) == 17)
        let numbers = try #require(
            try cli.json(["trials", "sweep", "--format", "json", "--storage", "sqlite:///run.db"]) as? [[String: Any]]
        ).compactMap { $0["number"] as? Int }
        #expect(numbers.sorted() == Array(0..<17))
    }

    @Test func studyWithoutTrainerIsRefusedWithAPointerToAskTell() throws {
        let cli = try CLIHarness()
        try cli.write(
            "open.yaml",
            """
            name: open
            direction: maximize
            space:
              x: {type: float, low: 0.0, high: 1.0}

            """)
        let result = try cli.run(["run", "open.yaml", "--storage", "sqlite:///run.db"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("hpo ask"))
    }

    @Test func invalidStudyFileFailsBeforeAnythingIsWritten() throws {
        let cli = try CLIHarness()
        try cli.write(
            "bad.yaml",
            """
            name: bad
            direction: minimize
            space:
              lr: {type: float, low: 0.0, high: 1.0, log: true}

            """)
        let result = try cli.run(["run", "bad.yaml", "--storage", "sqlite:///run.db"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("bad.yaml"))
        #expect(result.stderr.contains("space.lr"))
        #expect(!FileManager.default.fileExists(atPath: cli.directory.appendingPathComponent("run.db").path))
    }
}
