import Foundation
import Testing

@Suite("hpo ask within the study's budget")
struct AskBudgetCLITests {
    let study = """
        name: "budgeted"
        direction: minimize
        sampler: {type: random, seed: 4}
        budget: {n_trials: 2}
        space:
          x: {type: float, low: -1.0, high: 1.0}

        """

    @Test func askBeyondBudgetPrintsNothingOnStdoutAndExitsWithStatus3() throws {
        let cli = try CLIHarness()
        try cli.write("study.yaml", study)
        let storage = ["--storage", "sqlite:///study.db"]
        for expected in 0..<2 {
            let ask = try cli.run(["ask", "study.yaml"] + storage)
            #expect(ask.status == 0, "ask failed: \(ask.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(ask.stdout.utf8)) as? [String: Any])
            #expect(object["trial"] as? Int == expected)
        }
        let told = try cli.run(["tell", "study.yaml"] + storage + ["--trial", "0", "--value=0.5"])
        #expect(told.status == 0, "tell failed: \(told.stderr)")
        let refused = try cli.run(["ask", "study.yaml"] + storage)
        #expect(refused.status == 3)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("has used its budget of 2 trials (budget.n_trials)"), "\(refused.stderr)")
        let trials = try #require(try cli.json(["trials", "budgeted"] + storage + ["--format", "json"]) as? [Any])
        #expect(trials.count == 2, "no trial is stored by the refused ask")
    }
}
