import GRDB
import HPOCore

/// Optuna 5.0's RDB schema for SQLite (schema version 12, alembic head `v3.2.0.a`), created with the same
/// statements Optuna's `metadata.create_all` issues, so the file is an Optuna storage.
enum OptunaSchema {
    static let schemaVersion = 12
    static let alembicHead = "v3.2.0.a"
    static let libraryVersion = "5.0.0"
    /// Known older alembic revisions: files at one of these need `optuna storage upgrade`.
    static let olderRevisions: Set<String> = [
        "v0.9.0.a", "v1.2.0.a", "v1.3.0.a", "v2.4.0.a", "v2.6.0.a", "v3.0.0.a", "v3.0.0.b", "v3.0.0.c",
        "v3.0.0.d",
    ]

    /// Each table's DDL, as Optuna writes it: SQLAlchemy's layout (`CREATE TABLE t (\n\t...,\n\t...\n)`),
    /// so `.schema` of an hpo file reads like Optuna's. SQLite drops the `IF NOT EXISTS` from the stored text.
    static let tables: [(name: String, sql: String)] = [
        table(
            "studies",
            ["study_id INTEGER NOT NULL", "study_name VARCHAR(512) NOT NULL", "PRIMARY KEY (study_id)"]),
        table(
            "version_info",
            [
                "version_info_id INTEGER NOT NULL", "schema_version INTEGER", "library_version VARCHAR(256)",
                "PRIMARY KEY (version_info_id)", "CHECK (version_info_id=1)",
            ]),
        table(
            "study_directions",
            [
                "study_direction_id INTEGER NOT NULL", "direction VARCHAR(8) NOT NULL", "study_id INTEGER NOT NULL",
                "objective INTEGER NOT NULL", "PRIMARY KEY (study_direction_id)", "UNIQUE (study_id, objective)",
                "FOREIGN KEY(study_id) REFERENCES studies (study_id)",
            ]),
        attributeTable("study_user_attributes", "study_user_attribute_id", owner: "study"),
        attributeTable("study_system_attributes", "study_system_attribute_id", owner: "study"),
        table(
            "trials",
            [
                "trial_id INTEGER NOT NULL", "number INTEGER", "study_id INTEGER", "state VARCHAR(8) NOT NULL",
                "datetime_start DATETIME", "datetime_complete DATETIME", "PRIMARY KEY (trial_id)",
                "FOREIGN KEY(study_id) REFERENCES studies (study_id)",
            ]),
        attributeTable("trial_user_attributes", "trial_user_attribute_id", owner: "trial"),
        attributeTable("trial_system_attributes", "trial_system_attribute_id", owner: "trial"),
        table(
            "trial_params",
            [
                "param_id INTEGER NOT NULL", "trial_id INTEGER", "param_name VARCHAR(512)", "param_value FLOAT",
                "distribution_json TEXT", "PRIMARY KEY (param_id)", "UNIQUE (trial_id, param_name)",
                "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)",
            ]),
        table(
            "trial_values",
            [
                "trial_value_id INTEGER NOT NULL", "trial_id INTEGER NOT NULL", "objective INTEGER NOT NULL",
                "value FLOAT", "value_type VARCHAR(7) NOT NULL", "PRIMARY KEY (trial_value_id)",
                "UNIQUE (trial_id, objective)", "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)",
            ]),
        table(
            "trial_intermediate_values",
            [
                "trial_intermediate_value_id INTEGER NOT NULL", "trial_id INTEGER NOT NULL", "step INTEGER NOT NULL",
                "intermediate_value FLOAT", "intermediate_value_type VARCHAR(7) NOT NULL",
                "PRIMARY KEY (trial_intermediate_value_id)", "UNIQUE (trial_id, step)",
                "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)",
            ]),
        table(
            "trial_heartbeats",
            [
                "trial_heartbeat_id INTEGER NOT NULL", "trial_id INTEGER NOT NULL", "heartbeat DATETIME NOT NULL",
                "PRIMARY KEY (trial_heartbeat_id)", "UNIQUE (trial_id)",
                "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)",
            ]),
        table(
            "alembic_version",
            ["version_num VARCHAR(32) NOT NULL", "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)"]),
    ]

    private static func table(_ name: String, _ clauses: [String]) -> (name: String, sql: String) {
        (name, "CREATE TABLE IF NOT EXISTS \(name) (\n\t" + clauses.joined(separator: ", \n\t") + "\n)")
    }

    private static func attributeTable(_ name: String, _ key: String, owner: String) -> (name: String, sql: String) {
        let parent = owner == "study" ? "studies (study_id)" : "trials (trial_id)"
        return table(
            name,
            [
                "\(key) INTEGER NOT NULL", "\(owner)_id INTEGER", "\"key\" VARCHAR(512)", "value_json TEXT",
                "PRIMARY KEY (\(key))", "UNIQUE (\(owner)_id, \"key\")",
                "FOREIGN KEY(\(owner)_id) REFERENCES \(parent)",
            ])
    }

    /// Optuna's own indexes (an alembic-migrated file may name the trials index `trials_study_id_key`).
    static let optunaIndexes: [(name: String, sql: String)] = [
        ("ix_studies_study_name", "CREATE UNIQUE INDEX IF NOT EXISTS ix_studies_study_name ON studies (study_name)"),
        ("ix_trials_study_id", "CREATE INDEX IF NOT EXISTS ix_trials_study_id ON trials (study_id)"),
    ]

    /// hpo's extra indexes: lookups by number, by state, and of the best trial. Optuna's tables are unchanged.
    static let hpoIndexes: [(name: String, sql: String)] = [
        (
            "ix_hpo_trials_study_number",
            "CREATE INDEX IF NOT EXISTS ix_hpo_trials_study_number ON trials (study_id, number)"
        ),
        (
            "ix_hpo_trials_study_state",
            "CREATE INDEX IF NOT EXISTS ix_hpo_trials_study_state ON trials (study_id, state)"
        ),
        (
            "ix_hpo_trial_system_attributes_key",
            "CREATE INDEX IF NOT EXISTS ix_hpo_trial_system_attributes_key ON trial_system_attributes (\"key\")"
        ),
        (
            "ix_hpo_trial_values_best",
            "CREATE INDEX IF NOT EXISTS ix_hpo_trial_values_best ON trial_values (objective, value_type, value)"
        ),
    ]

    /// Whether the file already has every table, index and version row (then opening needs no write).
    static func isComplete(_ db: Database) throws -> Bool {
        let names = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')"))
        let tablesPresent = tables.allSatisfy { names.contains($0.name) }
        let trialsIndexed = names.contains("ix_trials_study_id") || names.contains("trials_study_id_key")
        let indexesPresent =
            names.contains("ix_studies_study_name") && trialsIndexed
            && hpoIndexes.allSatisfy { names.contains($0.name) }
        guard tablesPresent, indexesPresent else { return false }
        let versionRows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM version_info") ?? 0
        let alembicRows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alembic_version") ?? 0
        return versionRows > 0 && alembicRows > 0
    }

    /// Creates what is missing (as Optuna's `RDBStorage` constructor does: tables, the version row, the
    /// alembic stamp), then checks the revision. Runs inside one write transaction.
    static func prepare(_ db: Database) throws {
        let names = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')"))
        for table in tables where !names.contains(table.name) {
            try db.execute(sql: table.sql)
        }
        if !names.contains("ix_studies_study_name") { try db.execute(sql: optunaIndexes[0].sql) }
        if !names.contains("ix_trials_study_id") && !names.contains("trials_study_id_key") {
            try db.execute(sql: optunaIndexes[1].sql)
        }
        var storedSchema = try Int.fetchOne(
            db, sql: "SELECT schema_version FROM version_info WHERE version_info_id = 1")
        if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM version_info") == 0 {
            try db.execute(
                sql: "INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, ?, ?)",
                arguments: [schemaVersion, libraryVersion])
            storedSchema = schemaVersion
        }
        if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alembic_version") == 0 {
            guard storedSchema == schemaVersion else {
                throw StorageError.incompatibleSchema(
                    "the file has schema version \(storedSchema.map(String.init) ?? "NULL") and no alembic revision; "
                        + "hpo reads Optuna's schema version \(schemaVersion) (run `optuna storage upgrade` first)")
            }
            try db.execute(sql: "INSERT INTO alembic_version (version_num) VALUES (?)", arguments: [alembicHead])
        }
        try checkRevision(db)
        for index in hpoIndexes where !names.contains(index.name) {
            try db.execute(sql: index.sql)
        }
    }

    /// Refuses a file at another alembic revision than Optuna 5.0's head, with what to do about it.
    static func checkRevision(_ db: Database) throws {
        let revisions = try String.fetchAll(db, sql: "SELECT version_num FROM alembic_version")
        guard revisions == [alembicHead] else {
            let found = revisions.joined(separator: ", ")
            if revisions.count == 1, olderRevisions.contains(found) {
                throw StorageError.incompatibleSchema(
                    "the file is at Optuna schema revision \(found), older than \(alembicHead) (Optuna 3.2 to 5.0); "
                        + "run `optuna storage upgrade --storage URL` with Optuna 5.0 first")
            }
            throw StorageError.incompatibleSchema(
                "the file is at Optuna schema revision '\(found)', which hpo does not know; "
                    + "hpo reads revision \(alembicHead) (Optuna 3.2 to 5.0): it may come from a newer Optuna")
        }
    }
}

/// How a value is stored: `FINITE` in the column, or NULL plus the kind of non-finite value.
enum StoredValueType: String {
    case finite = "FINITE"
    case infinityPositive = "INF_POS"
    case infinityNegative = "INF_NEG"
    case nan = "NAN"

    /// The column value and type of a double.
    static func encode(_ value: Double) -> (Double?, StoredValueType) {
        if value.isNaN { return (nil, .nan) }
        if value.isInfinite { return (nil, value > 0 ? .infinityPositive : .infinityNegative) }
        return (value, .finite)
    }

    /// The double of a stored column value and type.
    static func decode(_ value: Double?, type: String) -> Double {
        switch StoredValueType(rawValue: type) {
        case .infinityPositive: return .infinity
        case .infinityNegative: return -.infinity
        case .nan: return .nan
        case .finite, nil: return value ?? .nan
        }
    }
}
