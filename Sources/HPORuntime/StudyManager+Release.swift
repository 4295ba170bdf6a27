import Foundation
import HPOCore

/// What the manager keeps of a released study: its definition and how its last run ended. Its trials stay in
/// storage only.
struct ReleasedStudy: Sendable {
    var spec: StudySpec
    var run: RunState
    var studyID: StudyID
}

/// Releasing idle studies: a study that has finished (its budget used, or stopped, or failed) and has no running
/// trial and no request working on it gives back its session, trial cache, sampler and scheduler state. The manager
/// keeps a `ReleasedStudy` for it (definition and run state); reading it (`overview`, `trials`, `best`) goes to
/// storage, and any request that needs its session (ask, report, tell, heartbeat, pause, resume, stop, submit)
/// loads it again from storage first, as a study stored by another program is loaded. Paused studies stay loaded.
extension StudyManager {
    /// The names of the studies released from memory (`releaseIfIdle`), in name order.
    public var releasedStudies: [String] {
        registry.withLock { Array($0.released.keys) }.sorted()
    }

    /// Runs `body` on the loaded study `name` (loading it when needed), which is not released while `body` runs;
    /// afterwards the study is released if that left it idle.
    func using<T: Sendable>(_ name: String, _ body: (ManagedStudy) async throws -> T) async throws -> T {
        var study = try await study(named: name)
        while !study.beginUse() {
            study = try await self.study(named: name)
        }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(study))
        } catch {
            result = .failure(error)
        }
        study.endUse()
        await releaseIfIdle(study)
        return try result.get()
    }

    /// Whether the study, as this process last saw it, has nothing left to do: no run loop, no trial of its own
    /// running, no request working on it, and either a finished, stopped or failed run (a study with a trainer) or
    /// a used budget without RUNNING or WAITING trials (a study driven through ask / tell). Paused studies stay.
    static func looksIdle(_ study: ManagedStudy) -> Bool {
        let loopIdle: Bool = study.state.withLock { state in
            guard !state.released, !state.loopActive, state.running == 0, state.inUse == 0 else { return false }
            switch state.status {
            case .finished, .stopped, .failed, .external: return true
            case .running, .paused: return false
            }
        }
        guard loopIdle else { return false }
        let cache = study.session.cache
        let counts = cache.countsByState
        guard (counts[.running] ?? 0) == 0 else { return false }
        if study.hasTrainer { return true }
        guard let budget = study.spec.budget.nTrials else { return false }
        return (counts[.waiting] ?? 0) == 0 && cache.trialsCounted >= budget
    }

    /// Releases the study's memory when it is idle (`looksIdle`, confirmed by a fresh read of its trials, so
    /// that trials other processes started keep it loaded).
    func releaseIfIdle(_ study: ManagedStudy) async {
        guard Self.looksIdle(study), registry.withLock({ $0.studies[study.name] === study }) else { return }
        guard (try? await blocking({ try study.session.refresh() })) != nil, Self.looksIdle(study) else { return }
        let name = study.name
        let released: Bool = registry.withLock { registry in
            guard registry.studies[name] === study, registry.loops[name] == nil, !registry.submitting.contains(name)
            else { return false }
            let run: RunState? = study.state.withLock { state in
                guard !state.released, !state.loopActive, state.running == 0, state.inUse == 0,
                    state.status != .running, state.status != .paused
                else { return nil }
                state.released = true
                return RunState(
                    status: state.status, runningTrials: 0, launchedThisRun: state.launchedThisRun,
                    runStarted: state.runStarted, error: state.error, stopReason: state.stopReason)
            }
            guard let run else { return false }
            registry.studies[name] = nil
            registry.released[name] = ReleasedStudy(spec: study.spec, run: run, studyID: study.session.study.id)
            return true
        }
        guard released else { return }
        share.clearWithdrawal(owner: name)
        logger.debug("study \(name): released from memory (\(study.runState.status.rawValue))")
    }

    /// The definition of the study `name`, without loading a released study.
    public func spec(of name: String) async throws -> StudySpec {
        let known: StudySpec? = registry.withLock { $0.studies[name]?.spec ?? $0.released[name]?.spec }
        if let known { return known }
        return try await study(named: name).spec
    }
}
