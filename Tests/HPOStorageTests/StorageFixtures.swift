import Foundation
import HPOCore
import HPOTestSupport

@testable import HPOStorage

/// The storages that pass the contract suite.
enum StorageKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory
    case sqlite

    var description: String { rawValue }
}

/// A storage under test, its clock, and the folder to remove afterwards.
final class StorageFixture: Sendable {
    let storage: any StudyStorage
    let clock: ManualClock
    let folder: URL?

    init(_ kind: StorageKind) throws {
        let clock = ManualClock()
        self.clock = clock
        switch kind {
        case .memory:
            storage = InMemoryStorage(now: { clock.now })
            folder = nil
        case .sqlite:
            let folder = try temporaryFolder()
            self.folder = folder
            storage = try SQLiteStorage(path: folder.appendingPathComponent("study.db").path, now: { clock.now })
        }
    }

    /// Removes the database folder (call with `defer`, which also keeps the fixture alive until then).
    func cleanUp() {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }
}

/// A new empty folder under the system's temporary folder.
func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hpo-storage-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// One parameter of each kind the storage must keep exactly, with an external value inside its domain.
let everyDistribution: [(name: String, distribution: Distribution, value: ParamValue)] = [
    ("x", .float(FloatDistribution(low: -5, high: 5)), .double(2.382_932_609_429_41)),
    ("lr", .float(FloatDistribution(low: 1e-4, high: 0.1, log: true)), .double(0.01)),
    ("frac", .float(FloatDistribution(low: 0, high: 1, step: 0.25)), .double(0.75)),
    ("n", .int(IntDistribution(low: 1, high: 10)), .int(3)),
    ("units", .int(IntDistribution(low: 1, high: 1000, log: true)), .int(128)),
    ("k", .int(IntDistribution(low: 2, high: 16, step: 2)), .int(4)),
    ("opt", .categorical(CategoricalDistribution(choices: [.string("adam"), .string("sgd"), .null])), .null),
    ("batch", .categorical(CategoricalDistribution(choices: [.int(16), .int(32), .double(64.5)])), .double(64.5)),
    ("flag", .categorical(CategoricalDistribution(choices: [.bool(true), .bool(false)])), .bool(false)),
]

/// A RUNNING trial with the parameters of `assignment` in `space`.
func newTrial(_ values: [String: Double] = [:], userAttributes: [String: JSONValue] = [:]) -> NewTrial {
    let distribution = Distribution.float(FloatDistribution(low: -10, high: 10))
    return NewTrial(
        params: values, distributions: values.mapValues { _ in distribution }, userAttributes: userAttributes)
}
