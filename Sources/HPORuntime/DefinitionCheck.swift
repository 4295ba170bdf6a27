import Foundation
import HPOConfig
import HPOCore

/// Compares a study definition with the one stored with the study, before a run continues the study.
///
/// - identical, or only the budget, the retry policy or the description changed: the run goes on, and a changed
///   definition is stored (so `hpo resume` uses the latest budget) and recorded in the study's history;
/// - a widened domain (lower `low`, higher `high`, an appended choice) or any other change: refused with the diff,
///   unless `allowChange`; then the change is stored and recorded in the history (`hpo:history`).
/// - Never accepted, even with `allowChange`: another direction (the storage keeps one per study), a parameter
///   removed, or a domain narrowed or retyped, since the stored trials would then lie outside the space.
public enum DefinitionCheck {
    /// The study system attribute holding the list of accepted definition changes, oldest first
    /// (`{"time": ..., "compatibility": ..., "changes": ["~ space.lr.high: 0.1 -> 0.5 (widening)", ...]}`).
    public static let historyKey = "hpo:history"

    /// Checks `spec` against the stored definition of the study it names; returns the differences that were
    /// accepted and recorded (empty when identical, or when the study is new or has no stored definition).
    @discardableResult
    public static func reconcile(
        _ spec: StudySpec, storage: any StudyStorage, allowChange: Bool, now: Date = Date()
    ) throws -> DefinitionDiff? {
        guard let record = try storage.study(named: spec.name),
            let storedJSON = record.systemAttributes[StudyDefinitionKey.definition]
        else { return nil }
        let stored = try StudySpec(definitionJSON: storedJSON, source: "the definition stored with '\(spec.name)'")
        let diff = DefinitionDiff(from: stored, to: spec)
        guard !diff.isEmpty else { return diff }
        let breaking = diff.changes.filter { change in
            change.path == "direction"
                || (change.path.hasPrefix("space.") && change.compatibility == .incompatible && change.old != nil)
        }
        if !breaking.isEmpty, allowChange {
            throw DefinitionChangeError.breaking(study: spec.name, changes: breaking)
        }
        if diff.compatibility >= .widening, !allowChange {
            throw DefinitionChangeError.changed(study: spec.name, diff: diff)
        }
        var history: [JSONValue] = []
        if case .array(let earlier)? = record.systemAttributes[historyKey] { history = earlier }
        history.append(
            .object([
                "time": .string(ISO8601DateFormatter().string(from: now)),
                "compatibility": .string(diff.compatibility.description),
                "changes": .array(diff.changes.map { .string($0.description) }),
            ]))
        try storage.setStudySystemAttribute(historyKey, .array(history), of: record.id)
        try storage.setStudySystemAttribute(StudyDefinitionKey.definition, spec.definitionJSON, of: record.id)
        try storage.setStudySystemAttribute(
            StudyDefinitionKey.definitionHash, .string(spec.definitionHash), of: record.id)
        return diff
    }

    /// The definition stored with a study, to continue it without its study file.
    public static func storedSpec(of record: StudyRecord) throws -> StudySpec {
        guard let json = record.systemAttributes[StudyDefinitionKey.definition] else {
            throw DefinitionChangeError.noStoredDefinition(study: record.name)
        }
        return try StudySpec(definitionJSON: json, source: "the definition stored with '\(record.name)'")
    }
}

/// Why a study's definition cannot be used to continue it.
public enum DefinitionChangeError: Error, Sendable, CustomStringConvertible {
    case changed(study: String, diff: DefinitionDiff)
    case breaking(study: String, changes: [DefinitionDiff.Change])
    case noStoredDefinition(study: String)

    public var description: String {
        switch self {
        case .changed(let study, let diff):
            return "the study file differs from the definition stored with study '\(study)' "
                + "(\(diff.compatibility)):\n\(Self.indented(diff.changes))\n"
                + "run it under another name, or pass --allow-change to continue with the new definition "
                + "(the change is recorded in the study's history)"
        case .breaking(let study, let changes):
            return "study '\(study)' cannot continue with this definition, even with --allow-change:\n"
                + "\(Self.indented(changes))\n"
                + "the direction is fixed, and removing a parameter or narrowing or retyping its domain would leave "
                + "stored trials outside the space; run it under another name"
        case .noStoredDefinition(let study):
            return "study '\(study)' has no stored hpo definition (it was made by another program or by ask/tell "
                + "without a study file): continue it with `hpo run STUDY.yaml`"
        }
    }

    private static func indented(_ changes: [DefinitionDiff.Change]) -> String {
        changes.map { "  \($0)" }.joined(separator: "\n")
    }
}
