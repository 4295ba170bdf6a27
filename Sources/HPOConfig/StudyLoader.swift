import Foundation
import HPOCore

/// A validated study definition and what the loader changed or wants the user to know.
public struct LoadedStudy: Sendable, Hashable {
    public var spec: StudySpec
    public var warnings: [StudyDefinitionWarning]

    public init(spec: StudySpec, warnings: [StudyDefinitionWarning] = []) {
        self.spec = spec
        self.warnings = warnings
    }
}

/// Reads a study file (format version 1) into a validated `StudySpec`, before anything runs.
///
/// Errors name the file, the key path and what was expected (`studies/x.yaml: space.lr.low: must be > 0 when log
/// is true`); the loader stops at the first problem. A study that picks options from `configs/` (a `defaults:`
/// list) or takes command-line overrides is read through `StudyComposer`, which ends in the same validation.
public struct StudyLoader: Sendable {
    public init() {}

    /// Reads the study file at `url`; errors name it by `displayName` (default: the path as given).
    public func load(contentsOf url: URL, displayName: String? = nil) throws(StudyDefinitionError) -> LoadedStudy {
        let name = displayName ?? url.relativePath
        return try load(yaml: try Self.readText(url, displayName: name), file: name)
    }

    /// Reads a study from YAML text; `file` names it in errors.
    public func load(yaml: String, file: String) throws(StudyDefinitionError) -> LoadedStudy {
        guard let root = try YAMLReader(source: file).read(yaml) else {
            throw StudyDefinitionError(file: file, keyPath: "", message: "the study file is empty")
        }
        return try decode(root, studyFile: file)
    }

    func decode(_ root: ConfigNode, studyFile: String) throws(StudyDefinitionError) -> LoadedStudy {
        var decoder = StudyDecoder(studyFile: studyFile)
        let spec = try decoder.decode(root)
        return LoadedStudy(spec: spec, warnings: decoder.warnings)
    }

    static func readText(_ url: URL, displayName: String) throws(StudyDefinitionError) -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw StudyDefinitionError(
                file: displayName, keyPath: "", message: exists ? "cannot be read as UTF-8 text" : "no such file")
        }
    }
}
