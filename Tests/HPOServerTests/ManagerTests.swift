import Foundation
import HPOConfig
import HPOCore
import HPORuntime
import HPOStorage
import Logging
import Synchronization
import Testing

@Suite struct PoolShareTests {
    @Test func slotsGoToWaitingStudiesInTurn() async throws {
        let share = PoolShare(slots: 1)
        #expect(await share.acquire(owner: "a"))
        let order = Log()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, owner) in ["b", "c", "a"].enumerated() {
                group.addTask {
                    #expect(await share.acquire(owner: owner))
                    order.append(owner)
                    share.release()
                }
                while share.waiting < index + 1 {
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            share.release()
            try await group.waitForAll()
        }
        #expect(order.entries == ["b", "c", "a"])
        #expect(share.inUse == 0)
    }

    @Test func withdrawWakesAWaiterWithoutASlot() async throws {
        let share = PoolShare(slots: 1)
        #expect(await share.acquire(owner: "a"))
        async let waiting = share.acquire(owner: "b")
        while share.waiting == 0 { try await Task.sleep(for: .milliseconds(1)) }
        share.withdraw(owner: "b")
        #expect(await waiting == false)
        #expect(share.inUse == 1)
        share.withdraw(owner: "c")
        #expect(await share.acquire(owner: "c") == false)
        share.release()
        #expect(await share.acquire(owner: "c"))
    }
}

/// Names appended from several tasks.
final class Log: Sendable {
    private let items = Mutex<[String]>([])
    func append(_ item: String) { items.withLock { $0.append(item) } }
    var entries: [String] { items.withLock { $0 } }
}

@Suite struct ManagerRestartTests {
    func manager(_ storage: any StudyStorage) -> StudyManager {
        var logger = Logger(label: "hpo.test")
        logger.logLevel = .critical
        return StudyManager(
            storage: storage,
            configuration: StudyManager.Configuration(
                workers: 2, workingDirectory: FileManager.default.temporaryDirectory, shutdownGrace: 30),
            logger: logger)
    }

    func composed(_ text: String) throws -> ComposedStudy {
        try StudyComposer(workingDirectory: FileManager.default.temporaryDirectory).compose(
            yaml: text, studyFile: FileManager.default.temporaryDirectory.appendingPathComponent("study.yaml"))
    }

    func waitUntilFinished(_ manager: StudyManager, _ name: String) async throws -> StudyOverview {
        for _ in 0..<600 {
            let overview = try await manager.overview(of: name)
            if overview.run?.status == .finished { return overview }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await manager.overview(of: name)
    }

    @Test func startRetriesLostTrialsAndFinishesTheBudget() async throws {
        let storage = InMemoryStorage()
        let study = try composed(Studies.sphere("lost", nTrials: 5, workers: 2))
        let session = try StudySession(spec: study.spec, storage: storage, systemAttributes: study.systemAttributes)
        let first = try session.ask()
        try session.tell(trial: first.id, state: .complete, value: 1.5)
        // A trial of a daemon that died: its worker process no longer exists.
        let deadWorker = WorkerIdentity(host: WorkerIdentity.current.host, pid: Int32.max - 1)
        let lost = try storage.createTrial(
            in: session.study.id,
            NewTrial(
                state: .running, params: first.params.mapValues { $0 / 2 }, distributions: first.distributions,
                systemAttributes: [StudySession.RunKey.worker: deadWorker.json]))

        let manager = manager(storage)
        let report = try await manager.startStoredStudies()
        #expect(report.resumed == ["lost"])
        #expect(report.recoveredTrials == 1)
        let overview = try await waitUntilFinished(manager, "lost")
        await manager.shutdown()

        #expect(overview.counts[.complete] == 5)
        #expect(overview.counts[.fail] == 1)
        #expect(overview.trialsCounted == 5)
        let failed = try #require(try storage.trial(lost.id))
        #expect(failed.state == .fail)
        #expect(failed.systemAttributes["fail_reason"]?.stringValue?.contains("worker lost") == true)
        let retries = try storage.trials(in: session.study.id, states: nil).filter {
            $0.systemAttributes["failed_trial"] != nil
        }
        #expect(retries.count == 1)
        #expect(retries.first?.params == lost.params)
        #expect(retries.first?.state == .complete)
        #expect(try storage.trial(first.id)?.value == 1.5)
    }

    @Test func pausedAndStoppedStudiesStayIdleAtStart() async throws {
        let storage = InMemoryStorage()
        for (name, state) in [("p", "paused"), ("s", "stopped"), ("f", "finished")] {
            let study = try composed(Studies.sphere(name, nTrials: 3, workers: 1))
            var attributes = study.systemAttributes
            attributes[StudyManager.Key.daemonState] = .string(state)
            _ = try StudySession(spec: study.spec, storage: storage, systemAttributes: attributes)
        }
        let manager = manager(storage)
        let report = try await manager.startStoredStudies()
        #expect(report.resumed.isEmpty)
        #expect(Set(report.loaded) == ["p", "s", "f"])
        let statuses = try await manager.overviews().map { $0.run?.status }
        #expect(statuses == [.finished, .paused, .stopped])
        try await manager.resume("p")
        let resumed = try await waitUntilFinished(manager, "p")
        #expect(resumed.counts[.complete] == 3)
        await manager.shutdown()
    }
}
