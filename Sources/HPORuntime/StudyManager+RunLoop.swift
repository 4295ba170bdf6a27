import Foundation
import HPOCore
import Logging

extension StudyManager {
    /// How a run loop ended.
    enum LoopEnd: Sendable {
        case stopped
        case shutdown
        case finished(String)
        case failed(String)
    }

    /// Starts the study's run loop unless one is active.
    func startLoop(_ study: ManagedStudy) {
        let start: Bool = study.state.withLock { state in
            guard !state.loopActive else { return false }
            state.loopActive = true
            state.request = .run
            state.status = .running
            state.runStarted = Date()
            state.launchedThisRun = 0
            state.error = nil
            state.stopReason = nil
            return true
        }
        guard start else { return }
        share.clearWithdrawal(owner: study.name)
        // The loop is registered under the registry's lock before it can run, so its end, which removes its own
        // entry (by id, never a later loop's), always comes after: no entry outlives its loop, which would keep
        // the study from being released and a shutdown waiting on a finished task.
        registry.withLock { registry in
            registry.loopCount += 1
            let id = registry.loopCount
            registry.loops[study.name] = RunLoopEntry(id: id, task: Task { await self.runLoop(study, id: id) })
        }
    }

    /// Starts trials while the study runs, is under its `budget.workers` cap and has budget left, each on a pool
    /// slot taken in turn with the other studies; waits while paused; ends on stop, shutdown, budget or timeout
    /// after its running trials finished.
    func runLoop(_ study: ManagedStudy, id: UInt64) async {
        guard let trainer = study.trainer else { return }
        let session = study.session
        let name = study.name
        let target = session.spec.budget.nTrials
        let deadline = session.spec.budget.timeout.map { Date().addingTimeInterval($0) }
        let (share, pool, metrics, logger, heartbeats) = (
            self.share, trainerPool, self.metrics, self.logger, heartbeats
        )
        var end = LoopEnd.stopped
        await withDiscardingTaskGroup { group in
            if let deadline {
                group.addTask {
                    try? await Task.sleep(for: .seconds(max(0, deadline.timeIntervalSinceNow)))
                    study.wake.signal()
                    share.withdraw(owner: name)
                }
            }
            loop: while true {
                switch study.request {
                case .stop:
                    end = .stopped
                    break loop
                case .shutdown:
                    end = .shutdown
                    break loop
                case .pause:
                    await study.wake.wait()
                    continue loop
                case .run:
                    break
                }
                if let deadline, Date() >= deadline {
                    end = .finished("timeout")
                    break loop
                }
                if study.running >= study.workerCap {
                    await study.wake.wait()
                    continue loop
                }
                guard await share.acquire(owner: name) else { continue loop }
                guard study.request == .run else {
                    share.release()
                    continue loop
                }
                let started: Trial?
                do {
                    started = try await timedStart(session, budget: target)
                } catch {
                    share.release()
                    end = .failed("\(error)")
                    break loop
                }
                guard let trial = started else {
                    // The budget is used: end once this study's running trials have finished.
                    share.release()
                    if study.running == 0 {
                        end = .finished("budget reached")
                        break loop
                    }
                    await study.wake.wait()
                    continue loop
                }
                study.trialLaunched()
                heartbeats.add(trial.id)
                group.addTask {
                    let finished = try? await pool.run {
                        session.execute(trial, trainer: trainer, cancellation: study.cancelTrials)
                    }
                    heartbeats.remove(trial.id)
                    share.release()
                    if let finished {
                        metrics.recordFinish(finished.state)
                        let value = finished.value.map { "\($0)" } ?? "-"
                        logger.info("study \(name) trial \(finished.number) \(finished.state.rawValue) value=\(value)")
                    }
                    study.trialEnded()
                }
            }
            // Ends the timeout sleeper; trials on the pool are not interrupted by task cancellation.
            group.cancelAll()
        }
        await loopEnded(study, end, id: id)
    }

    private func loopEnded(_ study: ManagedStudy, _ end: LoopEnd, id: UInt64) async {
        var restart = false
        let persisted: StudyStatus? = study.state.withLock { state in
            state.loopActive = false
            switch end {
            case .shutdown:
                return nil
            case .stopped:
                // Resumed while its last trials finished: it runs on.
                if state.request == .run {
                    restart = true
                    return nil
                }
                state.status = .stopped
                state.stopReason = "stopped"
                return nil
            case .finished(let reason):
                state.status = .finished
                state.stopReason = reason
                return .finished
            case .failed(let message):
                state.status = .failed
                state.error = message
                state.stopReason = "failed"
                return nil
            }
        }
        registry.withLock { registry in
            if registry.loops[study.name]?.id == id { registry.loops[study.name] = nil }
        }
        if restart {
            startLoop(study)
            return
        }
        switch end {
        case .failed(let message): logger.error("study \(study.name): run loop failed: \(message)")
        case .finished(let reason): logger.info("study \(study.name): finished (\(reason))")
        case .stopped, .shutdown: logger.info("study \(study.name): stopped")
        }
        if let persisted { try? await persist(persisted, of: study) }
        if case .shutdown = end { return }
        await releaseIfIdle(study)
    }

    /// Asks the session for a trial (for a trainer outside the daemon) on the I/O threads and records how long it
    /// took.
    func timedAsk(
        _ session: StudySession, budget: Int?, systemAttributes: [String: JSONValue] = [:]
    ) async throws -> Trial {
        let trial: Trial? = try await timed { try session.ask(within: budget, systemAttributes: systemAttributes) }
        guard let trial else { throw ManagerError.invalidRequest("no trial was started") }
        return trial
    }

    /// Starts a trial the daemon trains, within `budget`, recorded with this process as its worker (so that a
    /// later daemon recovers it if this one dies); nil once the budget is used.
    func timedStart(_ session: StudySession, budget: Int?) async throws -> Trial? {
        let heartbeats = self.heartbeats
        return try await timed {
            try session.startTrial(budget: budget, worker: .current, ownTrials: heartbeats.trials)
        }
    }

    /// Runs `body` on the I/O threads; the time it took counts as an ask when it started a trial.
    private func timed<T: Sendable>(_ body: @escaping @Sendable () throws -> T?) async throws -> T? {
        let metrics = self.metrics
        return try await blocking {
            let started = DispatchTime.now().uptimeNanoseconds
            let result = try body()
            if result != nil {
                metrics.recordAsk(seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
            return result
        }
    }
}
