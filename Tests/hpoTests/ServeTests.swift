import Foundation
import Testing

/// End to end: `hpo serve`, `hpo submit` and `hpo status` as a user runs them, on loopback.
@Suite(.serialized) struct ServeTests {
    static func study(_ name: String, nTrials: Int, delay: String, seed: Int) -> String {
        """
        version: 1
        name: \(name)
        direction: minimize
        sampler: {type: random, seed: \(seed)}
        trainer: {type: function, objective: sphere, step_delay: \(delay)}
        budget: {n_trials: \(nTrials), workers: 2}
        space:
          x: {type: float, low: -5.0, high: 5.0}
          y: {type: float, low: -5.0, high: 5.0}
        """
    }

    static let names = ["alpha", "beta", "gamma"]

    /// Submits the three studies at once, each from its own `hpo submit` process.
    func submitAll(_ harness: CLIHarness, _ daemon: DaemonProcess, nTrials: Int, delay: String) throws {
        for (index, name) in Self.names.enumerated() {
            try harness.write("\(name).yaml", Self.study(name, nTrials: nTrials, delay: delay, seed: index + 1))
        }
        let processes = try Self.names.map { name in
            let process = Process()
            process.executableURL = harness.binary
            process.arguments = ["submit", "\(name).yaml", "--server", daemon.url]
            process.currentDirectoryURL = harness.directory
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            return process
        }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }

    #if os(Linux)
        /// OpenBLAS starts idle helper threads when it loads, which spin for a while; the daemon ends them first
        /// thing, as `hpo run` does (its trainer threads make each BLAS call on one thread). A thread bears the
        /// process's name until it names itself (the runtime's threads do, soon after they start; OpenBLAS's never
        /// do): only the main thread is left with it.
        @Test func theDaemonKeepsNoOpenBLASHelperThread() throws {
            let harness = try CLIHarness()
            let daemon = try DaemonProcess(harness, arguments: ["--storage", "sqlite:///daemon.db", "--workers", "2"])
            defer { _ = daemon.terminate() }
            let tasks = "/proc/\(daemon.process.processIdentifier)/task"
            let processName = String(harness.binary.lastPathComponent.prefix(15))
            var names: [String] = []
            for _ in 0..<100 {
                names = try FileManager.default.contentsOfDirectory(atPath: tasks).map { task in
                    try String(contentsOfFile: "\(tasks)/\(task)/comm", encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                }
                if names.filter({ $0 == processName }).count == 1 { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            #expect(names.filter { $0 == processName }.count == 1, "\(names)")
        }
    #endif

    @Test func threeSubmittedStudiesFinishInterleavedOnThePool() async throws {
        let harness = try CLIHarness()
        let daemon = try DaemonProcess(harness, arguments: ["--storage", "sqlite:///daemon.db", "--workers", "2"])
        try submitAll(harness, daemon, nTrials: 8, delay: "0.05")
        #expect(try await daemon.waitUntilFinished(Self.names))

        var intervals: [(study: String, start: String, end: String)] = []
        for name in Self.names {
            let study = try await daemon.study(name)
            #expect((study["counts"] as? [String: Any])?["complete"] as? Int == 8)
            for trial in try await daemon.trials(name) {
                intervals.append(
                    (name, trial["datetime_start"] as? String ?? "", trial["datetime_complete"] as? String ?? ""))
            }
        }
        // ISO 8601 UTC timestamps of one format order as text. Every study has a trial that ran while a trial of
        // another study ran.
        for name in Self.names {
            let overlapping = intervals.filter { mine in
                mine.study == name
                    && intervals.contains { $0.study != name && $0.start < mine.end && mine.start < $0.end }
            }
            #expect(!overlapping.isEmpty, "study \(name) never shared the pool")
        }

        let status = try harness.run(["status", "--server", daemon.url])
        #expect(status.status == 0)
        for name in Self.names { #expect(status.stdout.contains(name)) }
        #expect(status.stdout.contains("8/8"))
        #expect(daemon.terminate() == 0)
    }

    @Test func sigtermLetsRunningTrialsFinishAndTheStudyResumesAtTheNextStart() async throws {
        let harness = try CLIHarness()
        let arguments = ["--storage", "sqlite:///daemon.db", "--workers", "2"]
        var daemon = try DaemonProcess(harness, arguments: arguments)
        try harness.write("slow.yaml", Self.study("slow", nTrials: 12, delay: "0.3", seed: 9))
        #expect(try harness.run(["submit", "slow.yaml", "--server", daemon.url]).status == 0)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let running = (try await daemon.study("slow")["counts"] as? [String: Any])?["running"] as? Int ?? 0
            if running > 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(daemon.terminate() == 0)
        let stored = try harness.json(["trials", "slow", "--storage", "sqlite:///daemon.db", "--format", "json"])
        let states = (stored as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
        #expect(!states.isEmpty)
        #expect(states.allSatisfy { $0 == "COMPLETE" }, "every trial finished before the daemon exited: \(states)")
        #expect(states.count < 12)

        daemon = try DaemonProcess(harness, arguments: arguments)
        #expect(try await daemon.waitUntilFinished(["slow"]))
        let study = try await daemon.study("slow")
        #expect((study["counts"] as? [String: Any])?["complete"] as? Int == 12)
        #expect(daemon.terminate() == 0)
    }

    @Test func aKilledDaemonRestartsAndFinishesEveryStudyWithNothingLost() async throws {
        let harness = try CLIHarness()
        let arguments = ["--storage", "sqlite:///daemon.db", "--workers", "2"]
        var daemon = try DaemonProcess(harness, arguments: arguments)
        try submitAll(harness, daemon, nTrials: 10, delay: "0.2")

        // Wait for some finished trials, remember their values, then kill the daemon with trials running.
        var before: [String: [Int: Double]] = [:]
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            before = [:]
            for name in Self.names {
                for trial in try await daemon.trials(name) where trial["state"] as? String == "COMPLETE" {
                    if let number = trial["number"] as? Int, let value = trial["value"] as? Double {
                        before[name, default: [:]][number] = value
                    }
                }
            }
            if before.values.reduce(0, { $0 + $1.count }) >= 6 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        daemon.kill()
        let finishedBeforeKill = before.values.reduce(0) { $0 + $1.count }
        #expect(finishedBeforeKill >= 6)
        #expect(finishedBeforeKill < 30)

        daemon = try DaemonProcess(harness, arguments: arguments)
        #expect(try await daemon.waitUntilFinished(Self.names))
        var lostTrials = 0
        for name in Self.names {
            let trials = try await daemon.trials(name)
            let numbers = trials.compactMap { $0["number"] as? Int }
            #expect(numbers == Array(0..<numbers.count), "numbers of \(name) are dense")
            #expect(!trials.contains { $0["state"] as? String == "RUNNING" || $0["state"] as? String == "WAITING" })
            let study = try await daemon.study(name)
            #expect((study["progress"] as? [String: Any])?["counted"] as? Int == 10)
            var complete = 0
            for trial in trials where trial["state"] as? String == "COMPLETE" { complete += 1 }
            let failed = trials.filter { $0["state"] as? String == "FAIL" }
            // A trial lost with the daemon failed and its retry ran: every failure has its retry.
            #expect(complete == 10)
            lostTrials += failed.count
            for lost in failed {
                let number = lost["number"] as? Int ?? -1
                #expect(
                    trials.contains {
                        (($0["system_attrs"] as? [String: Any])?["retry_history"] as? [Int])?.contains(number) == true
                    },
                    "trial \(number) of \(name) has a retry")
            }
            for (number, value) in before[name] ?? [:] {
                let after = trials.first { $0["number"] as? Int == number }
                #expect(after?["value"] as? Double == value, "trial \(number) of \(name) kept its value")
            }
        }
        // The pool was busy when the daemon was killed: its running trials were lost, then recovered.
        #expect(lostTrials >= 1)
        #expect(daemon.terminate() == 0)
    }
}
