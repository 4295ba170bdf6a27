import HPOCore

/// The differences between two study definitions (a stored one and the one composed today), each classified by
/// what it means for the trials already run.
public struct DefinitionDiff: Sendable, Hashable, CustomStringConvertible {
    /// Ordered from harmless to breaking.
    public enum Compatibility: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
        /// Nothing changed.
        case identical
        /// Only the budget, the retry policy, the description or the order of parameters changed: the trials run so far stay valid.
        case compatible
        /// Some parameter domains only grew (lower `low`, higher `high`, choices appended), possibly with compatible
        /// changes: every stored parameter value is still in its domain.
        case widening
        /// Anything else: the stored trials do not belong to the new definition.
        case incompatible

        public static func < (left: Compatibility, right: Compatibility) -> Bool { left.rawValue < right.rawValue }

        public var description: String {
            switch self {
            case .identical: return "identical"
            case .compatible: return "compatible"
            case .widening: return "widening"
            case .incompatible: return "incompatible"
            }
        }
    }

    /// One changed value: its key path, the old and new values (nil: absent) and its class.
    public struct Change: Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var old: JSONValue?
        public var new: JSONValue?
        public var compatibility: Compatibility

        public var description: String {
            switch (old, new) {
            case (nil, let new?): return "+ \(path): \(CanonicalJSON.text(new))"
            case (let old?, nil): return "- \(path): \(CanonicalJSON.text(old))"
            default:
                let before = old.map(CanonicalJSON.text) ?? "null"
                let after = new.map(CanonicalJSON.text) ?? "null"
                return "~ \(path): \(before) -> \(after) (\(compatibility))"
            }
        }
    }

    public var changes: [Change]

    /// The worst class among the changes (`identical` when there are none).
    public var compatibility: Compatibility { changes.map(\.compatibility).max() ?? .identical }

    public var isEmpty: Bool { changes.isEmpty }

    /// One line per change (`~ space.lr.high: 0.1 -> 0.5 (widening)`, `+ space.momentum: {...}`).
    public var description: String {
        changes.isEmpty ? "no changes" : changes.map(\.description).joined(separator: "\n")
    }

    public init(from old: StudySpec, to new: StudySpec) {
        var changes: [Change] = []
        guard case .object(var oldRoot) = old.definitionJSON, case .object(var newRoot) = new.definitionJSON else {
            self.changes = []
            return
        }
        oldRoot["space"] = nil
        newRoot["space"] = nil
        for (path, before, after) in Self.leafDifferences(.object(oldRoot), .object(newRoot), prefix: "") {
            let harmless =
                path.hasPrefix("budget.") || path.hasPrefix("retry.") || path == "retry" || path == "description"
            changes.append(
                Change(path: path, old: before, new: after, compatibility: harmless ? .compatible : .incompatible))
        }
        changes += Self.spaceChanges(old.space, new.space)
        self.changes = changes
    }

    private static func spaceChanges(_ old: SearchSpace, _ new: SearchSpace) -> [Change] {
        var changes: [Change] = []
        for parameter in old.parameters where new[parameter.name] == nil {
            changes.append(
                Change(
                    path: "space.\(parameter.name)", old: parameter.definitionJSON, new: nil,
                    compatibility: .incompatible))
        }
        for parameter in new.parameters {
            guard let before = old[parameter.name] else {
                changes.append(
                    Change(
                        path: "space.\(parameter.name)", old: nil, new: parameter.definitionJSON,
                        compatibility: .incompatible))
                continue
            }
            guard before != parameter else { continue }
            let widens =
                before.conditions == parameter.conditions
                && contains(parameter.distribution, before.distribution)
            for (path, oldValue, newValue) in leafDifferences(
                before.definitionJSON, parameter.definitionJSON, prefix: "space.\(parameter.name)")
            {
                changes.append(
                    Change(path: path, old: oldValue, new: newValue, compatibility: widens ? .widening : .incompatible))
            }
        }
        let common = Set(old.names).intersection(new.names)
        if changes.isEmpty, old.names.filter(common.contains) != new.names.filter(common.contains) {
            changes.append(
                Change(
                    path: "space", old: .array(old.names.map(JSONValue.string)),
                    new: .array(new.names.map(JSONValue.string)), compatibility: .compatible))
        }
        return changes
    }

    /// Whether every value of `inner` is also a value of `outer` with the same internal representation.
    static func contains(_ outer: Distribution, _ inner: Distribution) -> Bool {
        switch (outer, inner) {
        case (.float(let big), .float(let small)):
            guard big.log == small.log, big.step == small.step, big.low <= small.low, big.high >= small.high else {
                return false
            }
            guard let step = big.step else { return true }
            let offset = (small.low - big.low) / step
            return abs(offset - offset.rounded()) < 1e-9 * max(1, abs(offset))
        case (.int(let big), .int(let small)):
            return big.log == small.log && big.step == small.step && big.low <= small.low && big.high >= small.high
                && (small.low - big.low) % max(big.step, 1) == 0
        case (.categorical(let big), .categorical(let small)):
            return big.choices.count >= small.choices.count
                && Array(big.choices.prefix(small.choices.count)) == small.choices
        default:
            return false
        }
    }

    /// Paths whose values differ between two JSON trees; objects are compared key by key, anything else whole.
    static func leafDifferences(
        _ old: JSONValue?, _ new: JSONValue?, prefix: String
    ) -> [(String, JSONValue?, JSONValue?)] {
        if case .object(let before)? = old, case .object(let after)? = new {
            return Set(before.keys).union(after.keys).sorted().flatMap { key in
                leafDifferences(before[key], after[key], prefix: prefix.isEmpty ? key : "\(prefix).\(key)")
            }
        }
        let normalizedOld = old == .null ? nil : old
        let normalizedNew = new == .null ? nil : new
        return normalizedOld == normalizedNew ? [] : [(prefix, normalizedOld, normalizedNew)]
    }
}
