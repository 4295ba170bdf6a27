import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Crash-proof resume through the built binary")
struct ResumeCLITests {
    let study = """
        name: sweep
        direction: minimize
        sampler: {type: random, seed: 5}
        trainer: {type: function, objective: curve, steps: 4, step_delay: 0.02s}
        budget: {n_trials: 12, workers: 2}
        retry: {max_retries: 100, heartbeat_interval: 0.2s, grace_period: 1s}
        space:
          a: {type: float, low: -2.0, high: 2.0}
          b: {type: float, low: -2.0, high: 2.0}

        """

    let storage = ["--storage", "sqlite:///run.db"]

    func trials(_ cli: CLIHarness) throws -> [[String: Any]] {
        try #require(try cli.json(["trials", "sweep", "--format", "json"] + storage) as? [[String: Any]])
    }

    /// What must never change once written: the state, value and reports of finished trials, by number.
    func finished(_ cli: CLIHarness) throws -> [Int: String] {
        var result: [Int: String] = [:]
        let listing = try cli.run(["trials", "sweep", "--format", "json"] + storage)
        // Before the first run has created the study there is nothing to compare.
        guard listing.status == 0 else { return result }
        let all = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]] ?? []
        for trial in all {
            guard let number = trial["number"] as? Int, let state = trial["state"] as? String,
                ["COMPLETE", "PRUNED", "FAIL"].contains(state)
            else { continue }
            let reports = (trial["intermediate_values"] as? [String: Any]) ?? [:]
            let steps = reports.keys.sorted().map { "\($0)=\(reports[$0] ?? "")" }.joined(separator: ",")
            result[number] = "\(state) \(trial["value"] ?? "none") [\(steps)]"
        }
        return result
    }

    @Test func runsKilledAtRandomMomentsLeaveAStudyTheNextRunFinishesExactly() throws {
        let cli = try CLIHarness()
        try cli.write("study.yaml", study)
        var generator = SplitMix(seed: 11)
        var kills = 0
        for _ in 0..<4 {
            let before = try finished(cli)
            let process = Process()
            process.executableURL = cli.binary
            process.arguments = ["run", "study.yaml"] + storage
            process.currentDirectoryURL = cli.directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: 0.1 + 0.3 * generator.nextUnit())
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            let after = try finished(cli)
            for (number, record) in before { #expect(after[number] == record, "trial \(number) changed after a kill") }
        }
        #expect(kills > 0)
        let final = try cli.run(["run", "study.yaml"] + storage)
        #expect(final.status == 0, "\(final.stderr)")
        let all = try trials(cli)
        let numbers = all.compactMap { $0["number"] as? Int }
        #expect(numbers.sorted() == Array(0..<numbers.count))
        let states = all.compactMap { $0["state"] as? String }
        #expect(states.filter { $0 == "COMPLETE" }.count == 12)
        #expect(!states.contains("RUNNING"))
        #expect(!states.contains("WAITING"))
        // Every failed trial was a lost one, re-run with the same parameters.
        func paramsKey(_ trial: [String: Any]) -> String {
            let params = trial["params"] as? [String: Any] ?? [:]
            return params.keys.sorted().map { "\($0)=\(params[$0] ?? "")" }.joined(separator: ",")
        }
        let completedParams = Set(all.filter { $0["state"] as? String == "COMPLETE" }.map(paramsKey))
        for trial in all where trial["state"] as? String == "FAIL" {
            #expect(completedParams.contains(paramsKey(trial)))
        }
    }

    @Test func sigtermStopsNewTrialsThenRequeuesRunningOnesAfterTheGracePeriod() throws {
        let cli = try CLIHarness()
        let slow = study.replacingOccurrences(of: "steps: 4, step_delay: 0.02s", with: "steps: 100, step_delay: 0.02s")
            .replacingOccurrences(of: "n_trials: 12", with: "n_trials: 3")
        try cli.write("study.yaml", slow)
        let process = Process()
        process.executableURL = cli.binary
        process.arguments = ["run", "study.yaml", "--stop-grace", "0.3s"] + storage
        process.currentDirectoryURL = cli.directory
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        // Signal once both workers train (trials take about 2 s each).
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let running = try cli.run(["trials", "sweep", "--format", "json", "--state", "running"] + storage)
            if running.status == 0, running.stdout.components(separatedBy: "\"number\"").count - 1 == 2 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.processIdentifier, SIGTERM)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("stopping"))
        let interrupted = try trials(cli)
        let failed = interrupted.filter { $0["state"] as? String == "FAIL" }
        #expect(failed.count == 2, "both running trials are cancelled after the grace period")
        #expect(interrupted.filter { $0["state"] as? String == "WAITING" }.count == 2)
        #expect(!interrupted.contains { $0["state"] as? String == "RUNNING" })
        let resumed = try cli.run(["run", "study.yaml"] + storage)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let final = try trials(cli)
        #expect(final.filter { $0["state"] as? String == "COMPLETE" }.count == 3)
        #expect(final.count == 5)
    }

    @Test func changedStudyFileIsRefusedWithADiffUnlessChangesAreAllowed() throws {
        let cli = try CLIHarness()
        try cli.write("study.yaml", study)
        #expect(try cli.run(["run", "study.yaml", "--n-trials", "2"] + storage).status == 0)
        try cli.write("study.yaml", study.replacingOccurrences(of: "high: 2.0}\n  b:", with: "high: 3.0}\n  b:"))
        let refused = try cli.run(["run", "study.yaml"] + storage)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("space.a.high"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--allow-change"))
        #expect(try trials(cli).count == 2)
        let allowed = try cli.run(["run", "study.yaml", "--allow-change", "--n-trials", "3"] + storage)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stderr.contains("recorded in its history"))
        #expect(try trials(cli).count == 3)
    }

    @Test func resumeContinuesFromTheStoredDefinitionAlone() throws {
        let cli = try CLIHarness()
        try cli.write("study.yaml", study)
        #expect(try cli.run(["run", "study.yaml", "--n-trials", "5"] + storage).status == 0)
        try FileManager.default.removeItem(at: cli.directory.appendingPathComponent("study.yaml"))
        let resumed = try cli.run(["resume", "sweep"] + storage)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("7 trials run now, 12 in all"), "\(resumed.stdout)")
        let unknown = try cli.run(["resume", "nothing"] + storage)
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no study named 'nothing'"))
    }
}

/// A small seeded generator for the kill moments.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func nextUnit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}
