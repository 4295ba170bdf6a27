/// A message about one place of a study definition: `file` names where the value was written (a study file, a file
/// of `configs/`, an override given on the command line such as `override 'budget.n_trials=0'`, or a stored
/// definition); `keyPath` is the dotted path of the key in the composed study (`space.lr.low`,
/// `space.model.choices[2]`), empty when the message is about the whole file.
public protocol StudyDefinitionMessage: CustomStringConvertible {
    var file: String { get }
    var keyPath: String { get }
    var message: String { get }
}

extension StudyDefinitionMessage {
    /// `FILE: KEY.PATH: message`, or `FILE: message` without a key path.
    public var description: String {
        keyPath.isEmpty ? "\(file): \(message)" : "\(file): \(keyPath): \(message)"
    }
}

/// A problem with a study definition, found before anything runs.
public struct StudyDefinitionError: Error, Sendable, Hashable, StudyDefinitionMessage {
    public var file: String
    public var keyPath: String
    public var message: String

    public init(file: String, keyPath: String, message: String) {
        (self.file, self.keyPath, self.message) = (file, keyPath, message)
    }
}

/// Something in a study definition that hpo accepts but changes or wants the user to know about (for example a
/// `high` bound cut down to the step grid, as Optuna does).
public struct StudyDefinitionWarning: Sendable, Hashable, StudyDefinitionMessage {
    public var file: String
    public var keyPath: String
    public var message: String

    public init(file: String, keyPath: String, message: String) {
        (self.file, self.keyPath, self.message) = (file, keyPath, message)
    }
}
