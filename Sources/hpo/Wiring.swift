import Foundation
import HPOConfig
import HPOCore
import HPORuntime
import HPOStorage
import HPOTraining

/// A study file composed (configs, overrides) and validated, ready to run.
struct PreparedStudy {
    var file: String
    var spec: StudySpec
    /// The composed study, as `--print-config` shows it.
    var composedText: String
    /// Stored with the study when it is created (definition, overrides, provenance).
    var systemAttributes: [String: JSONValue]
}

/// Composes and validates a study file; the file's warnings go to stderr.
func loadStudy(path: String, overrides: [String], configDirectory: String?) throws -> PreparedStudy {
    let composer = StudyComposer(configDirectory: configDirectory.map { URL(fileURLWithPath: $0) })
    let composed = try composer.compose(studyFile: URL(fileURLWithPath: path), overrides: overrides)
    for warning in composed.warnings { printStandardError("hpo: warning: \(warning)") }
    return PreparedStudy(
        file: path, spec: composed.spec, composedText: composed.yaml, systemAttributes: composed.systemAttributes)
}

func openStorage(_ url: String) throws -> any StudyStorage {
    try StorageFactory.open(url)
}

func makeTrainer(
    _ spec: TrainerSpec, loaded: PreparedStudy, dataSeed: UInt64 = 0, checkpoints: (any CheckpointStore)? = nil
) throws -> any Trainer {
    let root = URL(fileURLWithPath: loaded.file).deletingLastPathComponent()
    return try TrainerFactory.makeTrainer(
        spec, space: loaded.spec.space, direction: loaded.spec.direction, metric: loaded.spec.metric,
        dataRoot: root, dataSeed: dataSeed, checkpoints: checkpoints)
}

/// The search space stored with a study, to order parameters as the study file does.
func storedSpace(of study: StudyRecord) -> SearchSpace? {
    guard let definition = study.systemAttributes[StudyDefinitionKey.definition] else { return nil }
    return try? StudySpec(definitionJSON: definition).space
}
