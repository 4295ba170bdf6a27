import Foundation

/// The config groups of a `configs/` directory: one folder per group, one YAML file per option.
struct ConfigGroups: Sendable {
    /// The directory, nil when none was found.
    let directory: URL?
    /// Group name -> option names, sorted.
    let options: [String: [String]]
    /// How the directory is named in messages.
    let displayName: String

    init(directory: URL?, displayName: String) {
        self.directory = directory
        self.displayName = displayName
        var options: [String: [String]] = [:]
        if let directory {
            let fileManager = FileManager.default
            let groups = (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? []
            for group in groups {
                let folder = directory.appendingPathComponent(group)
                var isDirectory: ObjCBool = false
                guard fileManager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
                else { continue }
                let files = (try? fileManager.contentsOfDirectory(atPath: folder.path)) ?? []
                let names = files.compactMap { file -> String? in
                    for suffix in [".yaml", ".yml"] where file.hasSuffix(suffix) {
                        return String(file.dropLast(suffix.count))
                    }
                    return nil
                }
                if !names.isEmpty { options[group] = Array(Set(names)).sorted() }
            }
        }
        self.options = options
    }

    var groupNames: [String] { options.keys.sorted() }

    var groupList: String {
        options.isEmpty ? "none" : groupNames.joined(separator: ", ")
    }

    func optionList(_ group: String) -> String {
        (options[group] ?? []).joined(separator: ", ")
    }

    /// The file of an option (`.yaml` preferred over `.yml`).
    func file(group: String, option: String) -> URL? {
        guard let directory, options[group]?.contains(option) == true else { return nil }
        let folder = directory.appendingPathComponent(group)
        let yaml = folder.appendingPathComponent(option + ".yaml")
        return FileManager.default.fileExists(atPath: yaml.path) ? yaml : folder.appendingPathComponent(option + ".yml")
    }
}

/// One entry of a study's `defaults:` list.
struct DefaultsEntry: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// The study's own keys (`_self_`).
        case ownKeys
        /// `group: option`; a nil option picks nothing.
        case group(name: String, option: String?)
    }

    var kind: Kind
    /// Where the entry was written (the study file, or an override for one added on the command line).
    var source: String
    var keyPath: String

    var groupName: String? {
        if case .group(let name, _) = kind { return name }
        return nil
    }
}
