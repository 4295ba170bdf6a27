extension StudyComposer {
    /// Applies a key override (`a.b=v`, `+a.b=v`, `++a.b=v`, `~a.b`, `~a.b=v`) to the composed document.
    func apply(
        _ override: ConfigOverride, to root: inout ConfigNode, groups: ConfigGroups
    ) throws(StudyDefinitionError) {
        func failure(_ message: String, at keyPath: String? = nil) -> StudyDefinitionError {
            StudyDefinitionError(file: override.source, keyPath: keyPath ?? override.key, message: message)
        }
        let parentPath = Array(override.path.dropLast())
        guard let leafKey = override.path.last else { throw failure("names no key") }
        // Walk to the parent map, creating missing maps only for additions.
        let creates = override.operation == .add || override.operation == .force
        var parent: ConfigMap
        do {
            parent = try map(at: parentPath, in: root, creating: creates)
        } catch let missing as MissingKey {
            let here = missing.path.joined(separator: ".")
            let existing = missing.available.isEmpty ? "" : "; keys there: " + missing.available.joined(separator: ", ")
            if missing.notAMap {
                throw failure("\(here) is \(missing.found), not a map of keys", at: here)
            }
            var message = "no such key in the composed study"
            if let near = KeySuggestion.closest(to: missing.path.last ?? "", among: missing.available) {
                message += " (did you mean \(near)?)"
            }
            throw failure(message + existing + addHint(override), at: here)
        } catch {
            throw failure("\(error)")
        }
        let existing = parent[leafKey]
        switch override.operation {
        case .change:
            guard let existing else {
                var message = "no such key in the composed study"
                if let near = KeySuggestion.closest(to: leafKey, among: parent.keys) {
                    message += " (did you mean \(near)?)"
                }
                if !parent.keys.isEmpty {
                    let owner = parentPath.isEmpty ? "" : " of \(parentPath.joined(separator: "."))"
                    message += "; keys\(owner): " + parent.keys.joined(separator: ", ")
                }
                throw failure(message + addHint(override))
            }
            if case .map(let map) = existing.value, let value = override.value, value.map == nil {
                var message = "is a map (keys: \(map.keys.joined(separator: ", "))); set one of its keys"
                if let first = map.keys.first { message += " (\(override.key).\(first)=...)" }
                if override.path.count == 1 {
                    message +=
                        groups.directory == nil
                        ? ", or pick an option of a config group (no configs/ directory was found)"
                        : ", or pick an option of a config group (groups: \(groups.groupList))"
                }
                throw failure(message)
            }
            parent[leafKey] = override.value
        case .add:
            if let existing {
                throw failure(
                    "already exists (\(Self.shortText(existing)) from \(existing.source)); change it with "
                        + "\(override.key)=... or use ++\(override.key)=... to add or change")
            }
            parent[leafKey] = override.value
        case .force:
            parent[leafKey] = override.value
        case .delete:
            guard let existing else {
                var message = "no such key in the composed study"
                if let near = KeySuggestion.closest(to: leafKey, among: parent.keys) {
                    message += " (did you mean \(near)?)"
                }
                throw failure(message)
            }
            if let expected = override.value, expected.json != existing.json {
                throw failure(
                    "is \(Self.shortText(existing)), not \(Self.shortText(expected)); ~\(override.key) alone removes it"
                )
            }
            parent[leafKey] = nil
        }
        root = setting(parent, at: parentPath, in: root, source: override.source)
    }

    private func addHint(_ override: ConfigOverride) -> String {
        guard override.operation == .change, let value = override.value else { return "" }
        return "; add it with +\(override.key)=\(Self.shortText(value))"
    }

    /// A value as a short YAML-ish text for messages.
    static func shortText(_ node: ConfigNode) -> String {
        if case .string(let text) = node.value { return text }
        return CanonicalJSON.text(node.json)
    }

    private struct MissingKey: Error {
        var path: [String]
        var available: [String]
        var notAMap = false
        var found = ""
    }

    private func map(at path: [String], in root: ConfigNode, creating: Bool) throws -> ConfigMap {
        var node = root
        for (depth, key) in path.enumerated() {
            guard case .map(let map) = node.value else {
                throw MissingKey(path: Array(path[..<depth]), available: [], notAMap: true, found: node.kindDescription)
            }
            if let next = map[key] {
                node = next
            } else if creating {
                return ConfigMap()
            } else {
                throw MissingKey(path: Array(path[...depth]), available: map.keys)
            }
        }
        guard case .map(let map) = node.value else {
            throw MissingKey(path: path, available: [], notAMap: true, found: node.kindDescription)
        }
        return map
    }

    /// `root` with the map at `path` replaced by `map` (creating the maps on the way).
    private func setting(_ map: ConfigMap, at path: [String], in root: ConfigNode, source: String) -> ConfigNode {
        guard let key = path.first else {
            var copy = root
            copy.value = .map(map)
            return copy
        }
        guard case .map(var rootMap) = root.value else { return root }
        let child = rootMap[key] ?? ConfigNode(.map(ConfigMap()), source: source)
        rootMap[key] = setting(map, at: Array(path.dropFirst()), in: child, source: source)
        var copy = root
        copy.value = .map(rootMap)
        return copy
    }
}
