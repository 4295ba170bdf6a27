import Foundation
import HPOCore
import HPORuntime
import HPOStorage
import Synchronization

/// Shows a run's progress on stderr: one live line on a terminal, plain log lines otherwise.
final class ProgressDisplay: Sendable {
    private struct State {
        var started = Date()
        var existing = 0
        var target: Int?
        var done = 0
        var running = 0
        var best: Trial?
        var lastDraw = Date.distantPast
    }

    let interactive: Bool
    let space: SearchSpace
    let direction: StudyDirection
    private let state = Mutex(State())

    init(interactive: Bool, space: SearchSpace, direction: StudyDirection) {
        self.interactive = interactive
        self.space = space
        self.direction = direction
    }

    func handle(_ event: RunEvent) {
        switch event {
        case .started(let study, let existing, let target, let workers):
            state.withLock { state in
                state.existing = existing
                state.target = target
                state.started = Date()
            }
            let total = target.map { "\($0)" } ?? "unbounded"
            log("study \(study): \(existing) trials stored, target \(total), \(workers) worker(s)")
        case .trialStarted:
            state.withLock { $0.running += 1 }
            if interactive { draw(force: false) }
        case .trialFinished(let trial, let best):
            state.withLock { state in
                state.running -= 1
                state.done += 1
                state.best = best
            }
            if interactive {
                draw(force: true)
            } else {
                let value = trial.value.map { "\($0)" } ?? "-"
                var line = "trial \(trial.number) \(trial.state.rawValue) value=\(value) params="
                line.reserveCapacity(line.utf8.count + 32 * trial.params.count + 64)
                appendParamsJSON(trial, space: space, to: &line)
                if case .string(let reason)? = trial.systemAttributes["fail_reason"] { line += " reason: \(reason)" }
                if let best, let bestValue = best.value { line += " | best \(bestValue) (trial \(best.number))" }
                log(line)
            }
        case .stopping(let reason):
            note("\(reason): waiting for running trials")
        case .finished:
            break
        }
    }

    func note(_ message: String) {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        log(message)
    }

    func finish() {
        if interactive {
            draw(force: true)
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }

    private func draw(force: Bool) {
        let line: String? = state.withLock { state in
            let now = Date()
            if !force, now.timeIntervalSince(state.lastDraw) < 0.1 { return nil }
            state.lastDraw = now
            let elapsed = now.timeIntervalSince(state.started)
            let finished = state.existing + state.done
            var text = "trials \(finished)"
            if let target = state.target { text += "/\(target)" }
            text += " · running \(state.running)"
            if let best = state.best, let value = best.value {
                text += " · best \(String(format: "%.6g", value)) (trial \(best.number))"
            }
            text += " · \(formatDuration(elapsed))"
            if let target = state.target, state.done > 0 {
                let remaining = Double(max(0, target - finished)) * elapsed / Double(state.done)
                text += " · ETA \(formatDuration(remaining))"
            }
            return text
        }
        if let line { Self.writeStandardError("\r\u{1B}[K\(line)") }
    }

    private func log(_ message: String) {
        let seconds = Int(Date().timeIntervalSince1970) % 86_400
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let stamp = "\(twoDigits(seconds / 3600)):\(twoDigits((seconds / 60) % 60)):\(twoDigits(seconds % 60))Z"
        Self.writeStandardError("[\(stamp)] \(message)\n")
    }

    /// Writes `text` to stderr with one `write` call in the common case (a line per trial stays cheap).
    static func writeStandardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard var next = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                let written = write(STDERR_FILENO, next, left)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                next += written
                left -= written
            }
        }
    }
}

/// First SIGINT/SIGTERM: calls `onFirst`. Second: exits at once (every state change is its own transaction,
/// so nothing is half-written; running trials are recovered by the next run).
/// The dispatch sources are only created in `init` and cancelled in `cancel`; they are never mutated.
final class SignalHandler: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(onFirst: @escaping @Sendable () -> Void) {
        let count = Mutex(0)
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let seen = count.withLock { value -> Int in
                    value += 1
                    return value
                }
                if seen == 1 {
                    onFirst()
                } else {
                    FileHandle.standardError.write(Data("\nhpo: interrupted again: exiting now\n".utf8))
                    exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
