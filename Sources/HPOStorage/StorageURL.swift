import Foundation
import HPOCore

/// Where a storage lives, in the URL convention Optuna users know.
///
/// - `sqlite:///relative/path.db`: a file relative to the current directory;
/// - `sqlite:////absolute/path.db`: an absolute path;
/// - `memory:` or `:memory:` (also `sqlite:///:memory:`): a new in-memory storage, gone when the process ends.
///
/// Query options for SQLite: `synchronous=full|normal|off` (default `normal`: with WAL, every committed change
/// survives a crash of the process; `full` also survives a power cut) and `timeout=SECONDS` (busy timeout,
/// default 30), e.g. `sqlite:///hpo.db?synchronous=full&timeout=60`.
public enum StorageURL: Sendable, Hashable {
    case sqlite(path: String, options: SQLiteStorage.Options)
    case memory

    /// The forms accepted, for error messages and help texts.
    public static let acceptedForms =
        "sqlite:///relative/path.db, sqlite:////absolute/path.db (options ?synchronous=full|normal|off&timeout=SECONDS), "
        + "memory: or :memory:"

    /// Parses a storage URL; relative paths are resolved against `currentDirectory` (default: the process's).
    public init(parsing text: String, currentDirectory: String = FileManager.default.currentDirectoryPath) throws {
        func invalid(_ reason: String) -> StorageError {
            StorageError.invalidURL("'\(text)': \(reason); accepted forms: \(Self.acceptedForms)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "memory:" || trimmed == ":memory:" || trimmed == "sqlite:///:memory:" {
            self = .memory
            return
        }
        let prefix = "sqlite:///"
        guard trimmed.hasPrefix(prefix) else {
            if trimmed.hasPrefix("sqlite://") { throw invalid("a SQLite URL has three slashes before the path") }
            throw invalid("unknown storage")
        }
        var rest = String(trimmed.dropFirst(prefix.count))
        var options = SQLiteStorage.Options()
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)...]
            rest = String(rest[..<question])
            for pair in query.split(separator: "&") where !pair.isEmpty {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                let key = parts[0]
                let value = parts.count > 1 ? parts[1] : ""
                switch key {
                case "synchronous":
                    guard let level = SQLiteStorage.Options.Synchronous(rawValue: value.uppercased()) else {
                        throw invalid("synchronous must be full, normal or off, not '\(value)'")
                    }
                    options.synchronous = level
                case "timeout":
                    guard let seconds = Double(value), seconds.isFinite, seconds >= 0 else {
                        throw invalid("timeout must be a number of seconds, not '\(value)'")
                    }
                    options.busyTimeout = seconds
                default:
                    throw invalid("unknown option '\(key)' (known: synchronous, timeout)")
                }
            }
        }
        guard let decoded = rest.removingPercentEncoding, !decoded.isEmpty else { throw invalid("no file path") }
        guard !decoded.hasSuffix("/") else { throw invalid("the path names a folder, not a file") }
        let path: String
        if decoded.hasPrefix("/") {
            path = decoded
        } else {
            path = URL(fileURLWithPath: currentDirectory).appendingPathComponent(decoded).standardizedFileURL.path
        }
        self = .sqlite(path: path, options: options)
    }
}

/// Opens storages from their URLs.
public enum StorageFactory {
    /// The default storage of the command line.
    public static let defaultURL = "sqlite:///hpo.db"

    /// Opens the storage `url` names (see `StorageURL`), creating a missing file and its folders.
    /// `now` is the storage's clock (tests pass a fixed one).
    public static func open(_ url: String, now: @escaping @Sendable () -> Date = { Date() }) throws -> any StudyStorage
    {
        switch try StorageURL(parsing: url) {
        case .memory: return InMemoryStorage(now: now)
        case .sqlite(let path, let options): return try SQLiteStorage(path: path, options: options, now: now)
        }
    }
}
