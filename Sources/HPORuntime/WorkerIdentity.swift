import Foundation
import HPOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process that runs a trial, stored with the trial (system attribute `hpo:worker`) so that another process
/// on the same host can tell at once that it is gone, without waiting for the heartbeat's grace period.
public struct WorkerIdentity: Sendable, Hashable {
    public var host: String
    public var pid: Int32

    public init(host: String, pid: Int32) {
        self.host = host
        self.pid = pid
    }

    /// The calling process.
    public static var current: WorkerIdentity {
        WorkerIdentity(host: localHostName, pid: ProcessInfo.processInfo.processIdentifier)
    }

    /// This machine's name as `gethostname` gives it (no name resolution, unlike `ProcessInfo.hostName`, which
    /// can wait on DNS).
    static let localHostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    public var json: JSONValue { .object(["host": .string(host), "pid": .integer(Int(pid))]) }

    public init?(json: JSONValue?) {
        guard case .object(let members)? = json, case .string(let host)? = members["host"],
            case .integer(let pid)? = members["pid"], let pid32 = Int32(exactly: pid)
        else { return nil }
        self.init(host: host, pid: pid32)
    }

    /// A salt for the sampler's generator, distinct between processes.
    var salt: UInt64 { StudySession.stableHash("\(host)/\(pid)") }

    /// True when this worker is known to be gone: it ran on `host` (the caller's host) and no process with its
    /// id exists any more. A worker on another host is never known to be gone (only its heartbeat tells).
    func isGone(onHost localHost: String) -> Bool {
        guard host == localHost, pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
