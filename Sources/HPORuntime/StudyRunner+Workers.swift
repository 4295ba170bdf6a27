import Foundation
import HPOCore
import Synchronization

/// The worker loops of one `StudyRunner.run`: each runs on a pool thread for the whole run and repeats ask, train,
/// tell until the run ends. Starting a trial (refresh, the sampler's proposal, the start transaction) is done by one
/// worker at a time, so every proposal sees the trials started before it, as with a single asking loop; finishing
/// one takes the same lock, so the history a proposal reads is never copied because a trial finished meanwhile.
///
/// A worker that finds no trial to start (the budget is used) while trials of this run are still running waits for
/// one of them to finish and asks again (a failed trial may have been re-queued). When none of this run's trials are
/// running but other processes' are, it polls from 10 ms, doubling up to `longestPoll`, recovering lost trials each
/// time, so that a study left by a crashed process ends with every trial finished.
///
/// With one worker and `finishes` (a `FinishWriter`), a trial's finishing transaction commits on the writer's thread
/// while the worker proposes the next trial from the cache, which already holds the finished trial: the proposal
/// sees the history it would have seen after the commit, so it is the same. The next start waits for the commit
/// before it writes (one transaction after the other, in the same order as without the writer), and the trial's
/// end (its heartbeat stops, its checkpoint goes, the finished event) follows the commit. When the commit fails, the
/// cache is read again from storage and the proposal made anew. A finish is handed over only while proposals take
/// at least `Options.shortestOverlappedProposal` (the last one is timed): waking the writer costs more than a quick
/// proposal (the random sampler's) saves, so then the finish is written in place, with the same result.
final class RunWorkers: Sendable {
    struct Outcome {
        var launched = 0
        var stopReason = "budget reached"
        var error: (any Error)?
    }

    private struct State {
        var outcome = Outcome()
        /// Trials of this run being trained now.
        var running = 0
        /// Trials of this run finished so far (a waiting worker wakes when it changes).
        var finished = 0
        /// Set once the run must start no further trial (stop, timeout, error).
        var ended = false
    }

    private let runner: StudyRunner
    private let monitor: HeartbeatMonitor
    private let started: Date
    private let timeLimit: TimeInterval?
    private let longestPoll: TimeInterval
    private let events: @Sendable (RunEvent) -> Void
    private let state = Mutex(State())
    /// Wakes workers waiting for a trial of this run to finish; `state` changes that they wait for are made while
    /// it is held.
    private let condition = NSCondition()
    /// Held while a worker starts a trial: one proposal at a time.
    private let asking = Mutex(())
    /// Commits finishing transactions while the next trial is proposed (one worker only).
    private let finishes: FinishWriter?
    /// Set when a finish committed by `finishes` failed, until the next start sees it.
    private let finishFailed = Atomic<Bool>(false)
    /// When the last trial's finish was written or handed over (uptime nanoseconds), and whether the proposal that
    /// followed took long enough to hand the next finish over.
    private let lastFinish = Atomic<UInt64>(0)
    private let overlapping = Atomic<Bool>(true)

    init(
        runner: StudyRunner, monitor: HeartbeatMonitor, started: Date, timeLimit: TimeInterval?,
        longestPoll: TimeInterval, overlapFinishes: Bool, events: @escaping @Sendable (RunEvent) -> Void
    ) {
        self.finishes = overlapFinishes ? FinishWriter() : nil
        self.runner = runner
        self.monitor = monitor
        self.started = started
        self.timeLimit = timeLimit
        self.longestPoll = longestPoll
        self.events = events
    }

    /// What the run did, once every worker has returned.
    var outcome: Outcome { state.withLock { $0.outcome } }

    /// Ends the finish writer's thread once every worker has returned.
    func close() { finishes?.close() }

    /// Waits for the last deferred finish to commit; false when it failed.
    private func settleFinish() -> Bool {
        guard let finishes else { return true }
        let proposed = DispatchTime.now().uptimeNanoseconds &- lastFinish.load(ordering: .relaxed)
        let shortest = UInt64(max(0, runner.options.shortestOverlappedProposal) * 1e9)
        overlapping.store(proposed >= shortest, ordering: .relaxed)
        finishes.settle()
        return !finishFailed.exchange(false, ordering: .acquiringAndReleasing)
    }

    /// One worker's loop; returns when the run ends for it.
    func work() {
        let session = runner.session
        let options = runner.options
        defer { _ = settleFinish() }
        var poll = 0.01
        while true {
            if runner.stopRequested.isSet {
                end(reason: "stopped")
                return
            }
            if let timeLimit, Date().timeIntervalSince(started) >= timeLimit {
                end(reason: "timeout")
                return
            }
            if state.withLock({ $0.ended }) { return }
            let trial: Trial?
            do {
                trial = try asking.withLock { _ in
                    let started = try session.startTrial(
                        budget: options.nTrials, worker: options.worker, ownTrials: monitor.trials,
                        settle: settleFinish)
                    if let started {
                        // Registered before the next worker asks, so that it counts the trial as this run's own.
                        monitor.add(started.id)
                        state.withLock { state in
                            state.running += 1
                            state.outcome.launched += 1
                        }
                    }
                    return started
                }
            } catch {
                fail(error)
                return
            }
            guard let trial else {
                if waitForARunningTrial() { continue }
                if !session.otherWorkersTrials(excluding: monitor.trials).isEmpty {
                    // Trials of other processes are still running: wait for them to finish or to be recovered
                    // (then re-queued here).
                    Thread.sleep(forTimeInterval: poll)
                    poll = min(longestPoll, poll * 2)
                    do {
                        try session.recoverLostTrials(
                            now: options.now(), worker: options.worker, ownTrials: monitor.trials)
                    } catch {
                        fail(error)
                        return
                    }
                    continue
                }
                return
            }
            poll = 0.01
            events(.trialStarted(trial))
            var deferred: PreparedFinish?
            let finished = session.execute(
                trial, trainer: runner.trainer, cancellation: runner.cancelTrials,
                exclusively: { finishing in asking.withLock { _ in finishing() } },
                deferring: overlapping.load(ordering: .relaxed) ? finishes.map { _ in { deferred = $0 } } : nil)
            defer { lastFinish.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }
            if let deferred, let finishes {
                finishes.submit { [self] in
                    var stored = deferred.trial
                    do {
                        try deferred.commit()
                    } catch {
                        // Not finished here (storage gone, or finished elsewhere): it stays as stored, and the next
                        // start reads the study again.
                        finishFailed.store(true, ordering: .releasing)
                        stored = (try? session.storage.trial(trial.id)) ?? trial
                    }
                    ended(trial, as: stored)
                }
            } else {
                ended(trial, as: finished)
            }
        }
    }

    /// What follows a trial's finish: its heartbeat stops, its checkpoint goes when its chain is over, waiting
    /// workers wake, and the finished event.
    private func ended(_ trial: Trial, as finished: Trial) {
        let options = runner.options
        monitor.remove(trial.id)
        options.checkpoints?.trialFinished(finished)
        condition.lock()
        state.withLock { state in
            state.running -= 1
            state.finished += 1
        }
        condition.broadcast()
        condition.unlock()
        events(.trialFinished(finished, best: runner.session.bestTrial))
    }

    /// Ends the run for every worker with `reason`; the first reason is the run's. Announces that running trials
    /// are being waited for.
    private func end(reason: String) {
        let running: Int? = state.withLock { state in
            guard !state.ended else { return nil }
            state.ended = true
            state.outcome.stopReason = reason
            return state.running
        }
        if let running, running > 0 { events(.stopping(reason: reason)) }
    }

    private func fail(_ error: any Error) {
        state.withLock { state in
            if state.outcome.error == nil { state.outcome.error = error }
            state.ended = true
        }
    }

    /// Waits until a trial of this run finishes; false at once when none is running.
    private func waitForARunningTrial() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let (running, seen) = state.withLock { ($0.running, $0.finished) }
        guard running > 0 else { return false }
        while state.withLock({ $0.finished == seen && $0.running > 0 }) { condition.wait() }
        return true
    }
}
