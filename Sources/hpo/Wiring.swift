import Foundation
import HPOCore
import HPOStorage
import HPORuntime
import HPOTraining

/// A study file loaded and composed, ready to run.
struct LoadedStudy {
    var file: String
    var spec: StudySpec
    /// The composed study, as `--print-config` shows it.
    var composedText: String
    /// Stored with the study when it is created (definition, overrides, provenance).
    var systemAttributes: [String: JSONValue]
}

func loadStudy(path: String, overrides: [String], configDirectory: String?) throws -> LoadedStudy {
    throw CommandError("study loading is not wired yet")
}

func openStorage(_ url: String) throws -> any StudyStorage {
    throw CommandError("storage is not wired yet")
}

func makeTrainer(_ spec: TrainerSpec, loaded: LoadedStudy, dataSeed: UInt64 = 0) throws -> any Trainer {
    let root = URL(fileURLWithPath: loaded.file).deletingLastPathComponent()
    return try TrainerFactory.makeTrainer(
        spec, space: loaded.spec.space, direction: loaded.spec.direction, metric: loaded.spec.metric,
        dataRoot: root, dataSeed: dataSeed)
}

/// The search space stored with a study, to order parameters as the study file does.
func storedSpace(of study: StudyRecord) -> SearchSpace? {
    nil
}
