/// Reads a study's `defaults:` list: entries `group: option` (a null option picks nothing) and `_self_`.
struct DefaultsListReader {
    let file: String
    let groups: ConfigGroups

    func read(_ node: ConfigNode?) throws(StudyDefinitionError) -> [DefaultsEntry] {
        guard let node else { return [] }
        if case .null = node.value { return [] }
        guard case .list(let items) = node.value else {
            throw StudyDefinitionError(
                file: file, keyPath: "defaults",
                message: "must be a list of group: option entries, such as [sampler: tpe, scheduler: asha]")
        }
        var entries: [DefaultsEntry] = []
        for (index, item) in items.enumerated() {
            let keyPath = "defaults[\(index)]"
            if item.value == .string("_self_") {
                if entries.contains(where: { $0.kind == .ownKeys }) {
                    throw StudyDefinitionError(file: file, keyPath: keyPath, message: "_self_ appears twice")
                }
                entries.append(DefaultsEntry(kind: .ownKeys, source: file, keyPath: keyPath))
                continue
            }
            guard case .map(let map) = item.value, map.keys.count == 1, let (group, optionNode) = map.entries.first
            else {
                throw StudyDefinitionError(
                    file: file, keyPath: keyPath, message: "must be _self_ or one group: option pair (sampler: tpe)")
            }
            let entryPath = "\(keyPath).\(group)"
            guard groups.directory != nil else {
                throw StudyDefinitionError(
                    file: file, keyPath: entryPath,
                    message: "no configs/ directory found for the defaults list; pass --config-dir")
            }
            guard let options = groups.options[group] else {
                var message = "no config group \(group) in \(groups.displayName)"
                if let near = KeySuggestion.closest(to: group, among: groups.groupNames) {
                    message += " (did you mean \(near)?)"
                }
                throw StudyDefinitionError(
                    file: file, keyPath: entryPath, message: message + "; groups: \(groups.groupList)")
            }
            let option: String?
            switch optionNode.value {
            case .string(let text): option = text
            case .null: option = nil
            default:
                throw StudyDefinitionError(
                    file: file, keyPath: entryPath,
                    message: "must name an option of the \(group) group (options: \(groups.optionList(group)))")
            }
            if let option, !options.contains(option) {
                var message = "no option \(option) in \(groups.displayName)/\(group)"
                if let near = KeySuggestion.closest(to: option, among: options) {
                    message += " (did you mean \(near)?)"
                }
                throw StudyDefinitionError(
                    file: file, keyPath: entryPath, message: message + "; options: \(groups.optionList(group))")
            }
            if let earlier = entries.first(where: { $0.groupName == group }) {
                throw StudyDefinitionError(
                    file: file, keyPath: entryPath,
                    message: "the \(group) group is already chosen by \(earlier.keyPath)")
            }
            entries.append(
                DefaultsEntry(kind: .group(name: group, option: option), source: file, keyPath: entryPath))
        }
        return entries
    }
}
