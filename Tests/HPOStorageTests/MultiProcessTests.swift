import Foundation
import HPOCore
import HPOStorage
import Testing

/// Several processes writing one file. The test binary starts copies of itself that run only
/// `addsTrialsAsAWorkerProcess` (which does nothing in a normal run).
@Suite("Several processes on one SQLite file")
struct MultiProcessTests {
    static let databaseVariable = "HPO_STORAGE_WORKER_DB"
    static let indexVariable = "HPO_STORAGE_WORKER_INDEX"
    static let trialsPerWorker = 30

    /// The test executable, where the platform exposes it (Linux; elsewhere tests run inside a host tool).
    static var testExecutable: URL? {
        let path = "/proc/self/exe"
        guard let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return nil }
        return URL(fileURLWithPath: resolved)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment[databaseVariable] != nil))
    func addsTrialsAsAWorkerProcess() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = try #require(environment[Self.databaseVariable])
        let index = Double(environment[Self.indexVariable] ?? "0") ?? 0
        let storage = try SQLiteStorage(path: path)
        let study = try #require(try storage.study(named: "crowd"))
        for step in 0..<Self.trialsPerWorker {
            let trial = try storage.createTrial(in: study.id, newTrial(["x": index]))
            try storage.recordReport(step: 0, value: Double(step), systemAttributes: [:], of: trial.id)
            try storage.finishTrial(trial.id, state: .complete, value: Double(step), userAttributes: [:])
        }
    }

    @Test(.enabled(if: testExecutable != nil && ProcessInfo.processInfo.environment[databaseVariable] == nil))
    func workerProcessesGetDenseUniqueTrialNumbers() throws {
        let executable = try #require(Self.testExecutable)
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("shared.db").path
        let storage = try SQLiteStorage(path: path)
        let study = try storage.createStudy(name: "crowd", direction: .minimize, systemAttributes: [:])
        let workers = 3
        var processes: [Process] = []
        for index in 0..<workers {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["--testing-library", "swift-testing", "--filter", "addsTrialsAsAWorkerProcess"]
            var environment = ProcessInfo.processInfo.environment
            environment[Self.databaseVariable] = path
            environment[Self.indexVariable] = String(index)
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        let trials = try storage.trials(in: study.id, states: nil)
        #expect(trials.map(\.number) == Array(0..<(workers * Self.trialsPerWorker)))
        #expect(trials.allSatisfy { $0.state == .complete && $0.intermediateValues.count == 1 })
        for index in 0..<workers {
            #expect(trials.filter { $0.params["x"] == Double(index) }.count == Self.trialsPerWorker)
        }
    }
}
