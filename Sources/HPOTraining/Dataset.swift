import Foundation

/// Whether a data set's target is a class or a real value.
public enum LearningTask: String, Sendable, Hashable, CaseIterable {
    case classification
    case regression
}

/// A table of numeric features and one target column, loaded from a CSV file with a header row.
public struct Dataset: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        /// Class indices into `names` (labels sorted numerically when they are all numbers, else by text).
        case classes(labels: [Int], names: [String])
        case values([Double])
    }

    public var name: String
    public var featureNames: [String]
    /// Row-major, `rowCount × featureNames.count`.
    public var features: [Float]
    public var target: Target

    public var rowCount: Int {
        switch target {
        case .classes(let labels, _): return labels.count
        case .values(let values): return values.count
        }
    }

    public var featureCount: Int { featureNames.count }

    public var task: LearningTask {
        if case .classes = target { return .classification }
        return .regression
    }

    /// The data sets bundled with hpo: name → (target column, task).
    public static let bundled: [String: (target: String, task: LearningTask)] = [
        "digits": ("label", .classification),
        "wine": ("label", .classification),
        "breast_cancer": ("label", .classification),
        "diabetes": ("target", .regression),
    ]

    /// The name of the folder of bundled data sets that the build puts beside the `hpo` binary.
    public static let resourceFolderName = "hpo_HPOTraining.resources"

    /// The folders searched for the bundled data sets, in order: `$HPO_RESOURCES`, then the resource folder beside
    /// the running binary (through symbolic links, so a link to the binary on the PATH works), then beside the
    /// main bundle. The folder is looked up by hand rather than through the build's generated accessor, which ends
    /// the process when the folder is missing; a missing folder is an error that says where it was looked for.
    public static func resourceFolders() -> [URL] {
        var folders: [URL] = []
        if let given = ProcessInfo.processInfo.environment["HPO_RESOURCES"], !given.isEmpty {
            folders.append(URL(fileURLWithPath: given, isDirectory: true))
        }
        if let executable = Bundle.main.executableURL {
            folders.append(
                executable.resolvingSymlinksInPath().deletingLastPathComponent()
                    .appendingPathComponent(resourceFolderName, isDirectory: true))
        }
        folders.append(Bundle.main.bundleURL.appendingPathComponent(resourceFolderName, isDirectory: true))
        var seen = Set<String>()
        return folders.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// The URL of a bundled data set's CSV file, nil when none of `folders` holds it.
    public static func bundledURL(_ name: String, folders: [URL] = resourceFolders()) -> URL? {
        for folder in folders {
            let url = folder.appendingPathComponent("Resources/\(name).csv")
            if FileManager.default.isReadableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// Parses CSV text. `task` nil: classification when any label is not a number or all labels are integers with
    /// at most 100 distinct values, else regression.
    public init(csv text: String, name: String, target targetColumn: String, task: LearningTask?) throws {
        func fail(_ message: String) -> TrainingError { .invalidData(source: name, message: message) }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { Substring($0) }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let headerLine = lines.first else { throw fail("the file is empty (a header row is expected)") }
        let header = try Self.fields(of: headerLine, line: 1, source: name)
        guard let targetIndex = header.firstIndex(of: targetColumn) else {
            throw fail(
                "no column named \(targetColumn) (the columns are \(header.joined(separator: ", "))); "
                    + "set trainer.target to the label column")
        }
        guard header.count > 1 else { throw fail("the file has no feature column besides \(targetColumn)") }
        featureNames = header.enumerated().filter { $0.offset != targetIndex }.map(\.element)
        self.name = name
        var features: [Float] = []
        features.reserveCapacity((lines.count - 1) * featureNames.count)
        var labels: [String] = []
        for (offset, line) in lines.enumerated().dropFirst() {
            let lineNumber = offset + 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                throw fail("row \(offset) (line \(lineNumber)) is empty")
            }
            let cells = try Self.fields(of: line, line: lineNumber, source: name)
            guard cells.count == header.count else {
                throw fail(
                    "row \(offset) (line \(lineNumber)) has \(cells.count) cells, the header has \(header.count)")
            }
            for (column, cell) in cells.enumerated() {
                if column == targetIndex {
                    guard !cell.isEmpty else {
                        throw fail("row \(offset) (line \(lineNumber)), column \(header[column]): the label is empty")
                    }
                    labels.append(cell)
                    continue
                }
                guard let value = Float(cell.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw fail(
                        "row \(offset) (line \(lineNumber)), column \(header[column]): "
                            + "\"\(cell)\" is not a finite number")
                }
                features.append(value)
            }
        }
        guard !labels.isEmpty else { throw fail("the file has a header but no data rows") }
        self.features = features
        target = try Self.target(labels, task: task, column: targetColumn, fail: fail)
    }

    private static func target(
        _ labels: [String], task: LearningTask?, column: String, fail: (String) -> TrainingError
    ) throws -> Target {
        let numbers = labels.map { Double($0.trimmingCharacters(in: .whitespaces)) }
        let allNumeric = numbers.allSatisfy { $0?.isFinite ?? false }
        let resolvedTask: LearningTask
        if let task {
            resolvedTask = task
        } else if !allNumeric {
            resolvedTask = .classification
        } else {
            let integral = numbers.allSatisfy { ($0 ?? 0) == ($0 ?? 0).rounded() }
            resolvedTask = integral && Set(labels).count <= 100 ? .classification : .regression
        }
        if resolvedTask == .regression {
            var values: [Double] = []
            for (index, number) in numbers.enumerated() {
                guard let number, number.isFinite else {
                    throw fail(
                        "row \(index + 1) (line \(index + 2)), column \(column): "
                            + "\"\(labels[index])\" is not a number (a regression target must be)")
                }
                values.append(number)
            }
            return .values(values)
        }
        let distinct = Array(Set(labels))
        let names: [String]
        if allNumeric {
            names = distinct.sorted { (Double($0) ?? 0) < (Double($1) ?? 0) }
        } else {
            names = distinct.sorted()
        }
        guard names.count >= 2 else { throw fail("column \(column) has a single class; classification needs two") }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
        return .classes(labels: labels.map { index[$0] ?? 0 }, names: names)
    }

    /// Splits one CSV line into fields; double quotes may enclose a field (`""` is a quote inside one).
    static func fields(of line: Substring, line number: Int, source: String) throws -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if quoted {
                if character == "\"" {
                    let next = line.index(after: index)
                    if next < line.endIndex, line[next] == "\"" {
                        current.append("\"")
                        index = next
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
            index = line.index(after: index)
        }
        if quoted { throw TrainingError.invalidData(source: source, message: "line \(number): unclosed quote") }
        fields.append(current.trimmingCharacters(in: .whitespaces))
        return fields.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Loads `dataset`: a bundled name (`digits`, `wine`, `breast_cancer`, `diabetes`) or a CSV path, relative to
    /// `root` when not absolute. `target` nil: the bundled set's target column, else `label`.
    public static func load(
        _ dataset: String, root: URL?, target: String?, task: LearningTask?,
        resourceFolders folders: [URL] = resourceFolders()
    ) throws -> Dataset {
        if let known = bundled[dataset] {
            guard let url = bundledURL(dataset, folders: folders) else {
                let places = folders.map(\.path).joined(separator: ", ")
                throw TrainingError.invalidData(
                    source: dataset,
                    message:
                        "the bundled data set is missing: no \(resourceFolderName) folder holding Resources/"
                        + "\(dataset).csv was found (looked in \(places)); keep that folder beside the hpo binary, "
                        + "set HPO_RESOURCES to it, or give the path of a CSV file")
            }
            let text = try read(url, source: dataset)
            return try Dataset(csv: text, name: dataset, target: target ?? known.target, task: task ?? known.task)
        }
        let url: URL
        if dataset.hasPrefix("/") {
            url = URL(fileURLWithPath: dataset)
        } else {
            let base = root ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            url = base.appendingPathComponent(dataset)
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.invalidData(
                source: dataset,
                message:
                    "no such file (looked at \(url.path)); bundled data sets: "
                    + bundled.keys.sorted().joined(separator: ", "))
        }
        return try Dataset(csv: read(url, source: dataset), name: dataset, target: target ?? "label", task: task)
    }

    private static func read(_ url: URL, source: String) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw TrainingError.invalidData(source: source, message: "cannot be read as UTF-8 text: \(error)")
        }
    }
}
