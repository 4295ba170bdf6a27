import Foundation
import Testing

@Suite("ask / tell / report through the built binary")
struct AskTellTests {
    let study = """
        name: "contract"
        direction: minimize
        sampler: {type: tpe, seed: 3, n_startup_trials: 5}
        space:
          model: {type: categorical, choices: ["a", "b"]}
          x: {type: float, low: -5.0, high: 5.0, log: false}
          lr: {type: float, low: 1.0e-05, high: 1.0, log: true}
          n: {type: int, low: 1, high: 8, log: false}
          b_x: {type: float, low: -1.0, high: 1.0, log: false, when: {model: "b"}}

        """

    @Test func drivesTwentyTrialsWithTheExactContract() throws {
        let cli = try CLIHarness()
        try cli.write("study.yaml", study)
        let storage = ["--storage", "sqlite:///study.db"]
        var numbers: [Int] = []
        for index in 0..<20 {
            let ask = try cli.run(["ask", "study.yaml"] + storage)
            #expect(ask.status == 0, "ask failed: \(ask.stderr)")
            let lines = ask.stdout.split(separator: "\n")
            #expect(lines.count == 1, "ask must print exactly one line of JSON")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(ask.stdout.utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["trial", "params"])
            let number = try #require(object["trial"] as? Int)
            numbers.append(number)
            let params = try #require(object["params"] as? [String: Any])
            let model = try #require(params["model"] as? String)
            #expect(["a", "b"].contains(model))
            #expect((params["b_x"] != nil) == (model == "b"), "conditional parameter present iff active")
            let x = try #require(params["x"] as? Double)
            #expect(x >= -5 && x <= 5)
            let lr = try #require(params["lr"] as? Double)
            #expect(lr >= 1e-5 && lr <= 1)
            // An int parameter is a JSON integer in the raw text.
            #expect(ask.stdout.range(of: #""n": \d+[,}]"#, options: .regularExpression) != nil, "\(ask.stdout)")
            switch index % 5 {
            case 3:
                #expect(
                    try cli.run(["tell", "study.yaml"] + storage + ["--trial", "\(number)", "--state", "pruned"]).status
                        == 0)
            case 4:
                #expect(
                    try cli.run(["tell", "study.yaml"] + storage + ["--trial", "\(number)", "--state", "fail"]).status
                        == 0)
            default:
                let value = x * x + lr
                let tell = try cli.run(
                    ["tell", "study.yaml"] + storage + ["--trial", "\(number)", "--value=\(value)"])
                #expect(tell.status == 0, "tell failed: \(tell.stderr)")
            }
        }
        #expect(numbers == Array(0..<20), "trial numbers are 0, 1, 2, ... in ask order")
        let trials = try #require(
            try cli.json(["trials", "contract", "--format", "json"] + storage) as? [[String: Any]])
        #expect(trials.count == 20)
        let states = trials.compactMap { $0["state"] as? String }
        #expect(states.filter { $0 == "COMPLETE" }.count == 12)
        #expect(states.filter { $0 == "PRUNED" }.count == 4)
        #expect(states.filter { $0 == "FAIL" }.count == 4)
        let best = try #require(try cli.json(["best", "contract", "--json"] + storage) as? [String: Any])
        let completeValues = trials.filter { $0["state"] as? String == "COMPLETE" }.compactMap {
            $0["value"] as? Double
        }
        #expect(best["value"] as? Double == completeValues.min())
        for key in ["trial", "value", "params", "state", "duration_s"] { #expect(best[key] != nil, "best has \(key)") }
    }

    /// The startup asks of a seeded TPE study form a Latin hypercube drawn from the study's seed: ten asks put x in
    /// ten different tenths of its range, lr in ten different tenths of its log range, and each model five times
    /// (ten independent draws would fill every tenth with a chance of 10!/10^10, under 0.04%).
    @Test func startupAsksOfASeededStudyCoverEveryTenthOfEachRange() throws {
        let cli = try CLIHarness()
        try cli.write(
            "study.yaml",
            """
            name: "design"
            direction: minimize
            sampler: {type: tpe, seed: 11, n_startup_trials: 10}
            space:
              model: {type: categorical, choices: ["a", "b"]}
              x: {type: float, low: -5.0, high: 5.0}
              lr: {type: float, low: 1.0e-05, high: 1.0, log: true}

            """)
        let storage = ["--storage", "sqlite:///study.db"]
        var x: [Int] = []
        var lr: [Int] = []
        var models: [String] = []
        for _ in 0..<10 {
            let ask = try #require(try cli.json(["ask", "study.yaml"] + storage) as? [String: Any])
            let params = try #require(ask["params"] as? [String: Any])
            x.append(Int((try #require(params["x"] as? Double) + 5) / 10 * 10))
            lr.append(Int((Foundation.log10(try #require(params["lr"] as? Double)) + 5) / 5 * 10))
            models.append(try #require(params["model"] as? String))
        }
        #expect(x.sorted() == Array(0..<10), "tenths of x: \(x)")
        #expect(lr.sorted() == Array(0..<10), "tenths of lr: \(lr)")
        #expect(models.count { $0 == "a" } == 5, "\(models)")
    }

    @Test func tellingAFinishedTrialFailsWithOneLine() throws {
        let cli = try CLIHarness()
        try cli.write("study.yaml", study)
        let storage = ["--storage", "sqlite:///study.db"]
        _ = try cli.json(["ask", "study.yaml"] + storage)
        #expect(try cli.run(["tell", "study.yaml"] + storage + ["--trial", "0", "--value=1.5"]).status == 0)
        let again = try cli.run(["tell", "study.yaml"] + storage + ["--trial", "0", "--value=2.5"])
        #expect(again.status != 0)
        #expect(again.stderr.split(separator: "\n").count == 1)
        #expect(again.stderr.contains("COMPLETE"))
        let missing = try cli.run(["tell", "study.yaml"] + storage + ["--trial", "7", "--value=2.5"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no trial 7"))
    }

    @Test func valueInSplitFormAndNegativeNumbersAreAccepted() throws {
        let cli = try CLIHarness()
        try cli.write("study.yaml", study)
        let storage = ["--storage", "sqlite:///study.db"]
        _ = try cli.json(["ask", "study.yaml"] + storage)
        let tell = try cli.run(["tell", "study.yaml"] + storage + ["--trial", "0", "--value", "-3.3223680114155146"])
        #expect(tell.status == 0, "\(tell.stderr)")
        // Read the raw text with a correctly rounded parser: the value comes back bit for bit.
        let best = try cli.run(["best", "contract", "--json"] + storage)
        let match = try #require(best.stdout.firstMatch(of: /"value": (-?[0-9.e+-]+)/))
        #expect(Double(String(match.1)) == Double("-3.3223680114155146"), "\(best.stdout)")
    }
}
