import Foundation
import HPOCore

/// A study composed from its file, the `configs/` options it picks and command-line overrides, then validated.
public struct ComposedStudy: Sendable, Hashable {
    /// The validated definition.
    public var spec: StudySpec
    /// What validation changed or wants the user to know (for example a bound cut down to the step grid).
    public var warnings: [StudyDefinitionWarning]
    /// The composed study document as data (what the YAML says, before defaults are filled in).
    public var document: JSONValue
    /// The composed study document as YAML, keys in the order they were written (for `--print-config`).
    public var yaml: String
    /// The command-line overrides, as given.
    public var overrides: [String]
    /// The option picked in each config group (`sampler` -> `tpe`).
    public var choices: [String: String]
    /// Where each value came from: dotted key path of every leaf (scalar, list or empty map) -> a file
    /// (`configs/sampler/tpe.yaml`, `studies/x.yaml`) or an override (`override 'budget.n_trials=5'`).
    public var provenance: [String: String]
    /// The `configs/` directory used, nil when none was found.
    public var configDirectory: URL?

    /// `provenance` as a JSON object.
    public var provenanceJSON: JSONValue { .object(provenance.mapValues(JSONValue.string)) }

    /// What the runtime stores in the study's system attributes (keys of `StudyDefinitionKey`): the canonical
    /// definition and its hash, the composed document, the overrides, the provenance and the group choices.
    public var systemAttributes: [String: JSONValue] {
        [
            StudyDefinitionKey.definition: spec.definitionJSON,
            StudyDefinitionKey.definitionHash: .string(spec.definitionHash),
            StudyDefinitionKey.composedConfig: document,
            StudyDefinitionKey.overrides: .array(overrides.map(JSONValue.string)),
            StudyDefinitionKey.provenance: provenanceJSON,
            StudyDefinitionKey.choices: .object(choices.mapValues(JSONValue.string)),
        ]
    }
}

/// Composes a study Hydra-style: the study file's `defaults:` list picks one option per group of `configs/`
/// (`- sampler: tpe`), the study's own keys merge over them (maps merge by key, lists and scalars replace), then the
/// command-line overrides apply in order (see `ConfigOverride`). `_self_` in the defaults list places the study's
/// own keys. An option chosen on the command line (`group=option`, `+group=option`) replaces the group's entry and
/// merges after the study's own keys, so `budget=smoke` gives the smoke budget even when the study sets budget keys;
/// `group=option` also adds a group the defaults list lacks, `+group=option` only does that.
///
/// An option file's content goes under the key named after its group, or under the key named by a
/// `# @package KEY` comment at its top (`_global_`: the top level), as in Hydra.
///
/// The `configs/` directory is the one given, or the first of `configs/` in the study's folder, `configs/` beside
/// the study's folder and `configs/` in the working directory that exists.
public struct StudyComposer: Sendable {
    /// The directory given explicitly (`--config-dir`); nil: search.
    public var configDirectory: URL?
    /// Paths in messages and provenance are shown relative to it when they are inside it.
    public var workingDirectory: URL

    public init(configDirectory: URL? = nil, workingDirectory: URL? = nil) {
        self.configDirectory = configDirectory
        self.workingDirectory =
            workingDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    }

    /// The places searched for `configs/` for a study at `studyFile`, in order (the explicit one alone when given).
    public func configSearchPaths(forStudyAt studyFile: URL) -> [URL] {
        if let configDirectory { return [configDirectory] }
        let studyFolder = studyFile.standardizedFileURL.deletingLastPathComponent()
        let candidates = [
            studyFolder.appendingPathComponent("configs"),
            studyFolder.deletingLastPathComponent().appendingPathComponent("configs"),
            workingDirectory.appendingPathComponent("configs"),
        ]
        var seen = Set<String>()
        return candidates.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// The groups of the `configs/` directory a study at `studyFile` would use: group -> its options.
    public func configGroups(forStudyAt studyFile: URL) throws(StudyDefinitionError) -> [String: [String]] {
        try groups(forStudyAt: studyFile).options
    }

    /// Reads, composes and validates the study at `studyFile` with `overrides`.
    public func compose(studyFile: URL, overrides: [String] = []) throws(StudyDefinitionError) -> ComposedStudy {
        let name = displayPath(studyFile)
        let text = try StudyLoader.readText(studyFile, displayName: name)
        return try compose(yaml: text, file: name, groups: try groups(forStudyAt: studyFile), overrides: overrides)
    }

    /// Composes a study given as text; `studyFile` locates `configs/` and names the study in messages.
    public func compose(
        yaml: String, studyFile: URL, overrides: [String] = []
    ) throws(StudyDefinitionError) -> ComposedStudy {
        try compose(
            yaml: yaml, file: displayPath(studyFile), groups: try groups(forStudyAt: studyFile), overrides: overrides)
    }

    private func groups(forStudyAt studyFile: URL) throws(StudyDefinitionError) -> ConfigGroups {
        let fileManager = FileManager.default
        func isDirectory(_ url: URL) -> Bool {
            var flag: ObjCBool = false
            return fileManager.fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
        }
        if let configDirectory {
            guard isDirectory(configDirectory) else {
                throw StudyDefinitionError(
                    file: displayPath(configDirectory), keyPath: "", message: "config directory not found")
            }
            return ConfigGroups(directory: configDirectory, displayName: displayPath(configDirectory))
        }
        let found = configSearchPaths(forStudyAt: studyFile).first(where: isDirectory)
        return ConfigGroups(directory: found, displayName: found.map(displayPath) ?? "configs")
    }

    private func compose(
        yaml: String, file: String, groups: ConfigGroups, overrides overrideTexts: [String]
    ) throws(StudyDefinitionError) -> ComposedStudy {
        guard let root = try YAMLReader(source: file).read(yaml) else {
            throw StudyDefinitionError(file: file, keyPath: "", message: "the study file is empty")
        }
        guard case .map(var ownKeys) = root.value else {
            throw StudyDefinitionError(
                file: file, keyPath: "", message: "a study file must be a map of keys (got \(root.kindDescription))")
        }
        var overrides: [ConfigOverride] = []
        for text in overrideTexts { overrides.append(try ConfigOverride(parsing: text)) }
        var defaults = try DefaultsListReader(file: file, groups: groups).read(ownKeys["defaults"])
        ownKeys["defaults"] = nil
        if !defaults.contains(where: { $0.kind == .ownKeys }) {
            defaults.append(DefaultsEntry(kind: .ownKeys, source: file, keyPath: "defaults"))
        }
        var keyOverrides: [ConfigOverride] = []
        for override in overrides {
            if try !applyGroupOverride(override, to: &defaults, groups: groups, studyFile: file) {
                keyOverrides.append(override)
            }
        }
        var composed = ConfigNode(.map(ConfigMap()), source: file)
        var choices: [String: String] = [:]
        for entry in defaults {
            switch entry.kind {
            case .ownKeys:
                composed = composed.merged(with: ConfigNode(.map(ownKeys), source: file))
            case .group(let group, let option?):
                choices[group] = option
                composed = composed.merged(with: try optionContent(group: group, option: option, entry, groups))
            case .group:
                continue
            }
        }
        composed = ConfigNode(.map(Self.inStudyOrder(composed.map ?? ConfigMap())), source: file)
        for override in keyOverrides { try apply(override, to: &composed, groups: groups) }
        let loaded = try StudyLoader().decode(composed, studyFile: file)
        return ComposedStudy(
            spec: loaded.spec, warnings: loaded.warnings, document: composed.json, yaml: composed.yamlText,
            overrides: overrideTexts, choices: choices,
            provenance: Dictionary(composed.leaves().map { ($0.path, $0.source) }, uniquingKeysWith: { $1 }),
            configDirectory: groups.directory)
    }

    /// Applies `group=option`, `+group=option`, `++group=option` and `~group` to the defaults list; false when the
    /// override is about a key instead.
    private func applyGroupOverride(
        _ override: ConfigOverride, to defaults: inout [DefaultsEntry], groups: ConfigGroups, studyFile: String
    ) throws(StudyDefinitionError) -> Bool {
        guard override.path.count == 1, let options = groups.options[override.key] else { return false }
        let group = override.key
        let index = defaults.firstIndex { $0.groupName == group }
        func failure(_ message: String) -> StudyDefinitionError {
            StudyDefinitionError(file: override.source, keyPath: group, message: message)
        }
        if override.operation == .delete {
            guard let index else { return false }
            if let value = override.value, case .group(_, let current) = defaults[index].kind,
                value.value != .string(current ?? "")
            {
                throw failure(
                    "the study picks \(current ?? "null"), not \(Self.shortText(value)); ~\(group) alone removes it")
            }
            defaults.remove(at: index)
            return true
        }
        guard let value = override.value else { return false }
        let option: String?
        switch value.value {
        case .string(let text): option = text
        case .null: option = nil
        default:
            throw failure("must name an option of the \(group) group (options: \(groups.optionList(group)))")
        }
        if let option, !options.contains(option) {
            var message = "no option \(option) in \(groups.displayName)/\(group)"
            if let near = KeySuggestion.closest(to: option, among: options) { message += " (did you mean \(near)?)" }
            throw failure(message + "; options: \(groups.optionList(group))")
        }
        let entry = DefaultsEntry(kind: .group(name: group, option: option), source: override.source, keyPath: group)
        // A choice made on the command line merges after the study's own keys: the command line wins over files.
        switch (override.operation, index) {
        case (.add, let index?):
            let current: String
            if case .group(_, let picked) = defaults[index].kind { current = picked ?? "null" } else { current = "" }
            throw failure(
                "is already in the defaults list of \(studyFile) (\(group): \(current)); change it with "
                    + "\(group)=\(option ?? "null")")
        case (_, let index?):
            defaults.remove(at: index)
            defaults.append(entry)
        case (_, nil):
            defaults.append(entry)
        }
        return true
    }

    private func optionContent(
        group: String, option: String, _ entry: DefaultsEntry, _ groups: ConfigGroups
    ) throws(StudyDefinitionError) -> ConfigNode {
        guard let url = groups.file(group: group, option: option) else {
            throw StudyDefinitionError(
                file: entry.source, keyPath: entry.keyPath,
                message: "no option \(option) in \(groups.displayName)/\(group); options: \(groups.optionList(group))")
        }
        let name = displayPath(url)
        let text = try StudyLoader.readText(url, displayName: name)
        let content = try YAMLReader(source: name).read(text) ?? ConfigNode(.map(ConfigMap()), source: name)
        guard case .map(let map) = content.value else {
            throw StudyDefinitionError(
                file: name, keyPath: "",
                message: "an option file must be a map of keys (got \(content.kindDescription))")
        }
        if map["defaults"] != nil {
            throw StudyDefinitionError(
                file: name, keyPath: "defaults", message: "defaults lists are read only in study files")
        }
        let package = Self.packageDirective(in: text) ?? group
        guard package != "_global_" else { return content }
        var node = content
        for key in package.split(separator: ".").reversed() {
            var wrapper = ConfigMap()
            wrapper[String(key)] = node
            node = ConfigNode(.map(wrapper), source: name)
        }
        return node
    }

    /// The top-level keys in the order of a study file's sections (name first, space last), others after them.
    static func inStudyOrder(_ map: ConfigMap) -> ConfigMap {
        var ordered = ConfigMap()
        for key in StudyDecoder.topLevelKeys + map.keys where ordered[key] == nil {
            if let node = map[key] { ordered[key] = node }
        }
        return ordered
    }

    /// The `# @package KEY` directive among the comment lines at the top of an option file.
    static func packageDirective(in text: String) -> String? {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard trimmed.hasPrefix("#") else { return nil }
            let words = trimmed.dropFirst().split(separator: " ")
            if words.count == 2, words[0] == "@package" { return String(words[1]) }
        }
        return nil
    }

    func displayPath(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        let base = workingDirectory.standardizedFileURL.path
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
