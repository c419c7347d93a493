import Foundation
import KeywardCore

extension SQLStore {
    static let dataKeyColumns = "SELECT id, workspace_id, project_id, master_key_id, wrapped_key FROM builtin_data_keys"

    public func builtinDataKey(in workspace: WorkspaceID, project: ProjectID?) throws -> BuiltinDataKey? {
        try run { try Self.loadDataKey(workspace, project, $0) }
    }

    public func createBuiltinDataKey(in workspace: WorkspaceID, project: ProjectID?, masterKeyID: String,
                                     wrappedKey: String) throws -> BuiltinDataKey {
        try write { connection in
            if let existing = try Self.loadDataKey(workspace, project, connection) { return existing }
            let (_, stamp) = Self.now()
            try connection.query("""
                INSERT INTO builtin_data_keys (workspace_id, project_id, master_key_id, wrapped_key, created_at) VALUES (?, ?, ?, ?, ?)
                """, [.integer(workspace.rawValue), project.map { .integer($0.rawValue) } ?? .null, .text(masterKeyID), .text(wrappedKey), stamp])
            guard let created = try Self.loadDataKey(workspace, project, connection) else {
                throw StorageFailure.corrupt("data key vanished after insert")
            }
            return created
        }
    }

    public func putBuiltinSecret(_ name: String, dataKey: BuiltinDataKey, seal: (Int64) throws -> String,
                                 by actor: Actor) throws -> BuiltinSecretInfo {
        try write { connection in
            let (_, stamp) = Self.now()
            let existing = try connection.queryOne("SELECT id, latest_version FROM builtin_secrets WHERE data_key_id = ? AND name = ?",
                                                   [.integer(dataKey.id), .text(name)])
            let secretID: Int64, version: Int64
            if let existing {
                secretID = try existing.integer("id")
                version = try existing.integer("latest_version") + 1
                try connection.query("UPDATE builtin_secrets SET latest_version = ?, updated_at = ? WHERE id = ?",
                                     [.integer(version), stamp, .integer(secretID)])
            } else {
                version = 1
                let rows = try connection.query("""
                    INSERT INTO builtin_secrets (data_key_id, name, latest_version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)
                    RETURNING id
                    """, [.integer(dataKey.id), .text(name), stamp, stamp])
                guard let id = try rows.first?.integer("id") else { throw StorageFailure.corrupt("no id returned") }
                secretID = id
            }
            try connection.query("""
                INSERT INTO builtin_secret_versions (secret_id, version, ciphertext, created_at, created_by) VALUES (?, ?, ?, ?, ?)
                """, [.integer(secretID), .integer(version), .text(try seal(version)), stamp, .text(actor.tokenID.rawValue)])
            try Self.appendAudit(connection, workspace: dataKey.workspaceID, actor: actor, action: .builtinSecretPut,
                                 project: dataKey.projectID, store: nil, details: ["name": .string(name), "version": .number(Double(version))])
            return try Self.loadSecretInfo(dataKey, name, connection)
        }
    }

    public func builtinSecretVersion(_ name: String, dataKey: BuiltinDataKey, version: Int64?) throws -> BuiltinSecretVersion? {
        try run { connection in
            let row = try connection.queryOne("""
                SELECT v.version, v.ciphertext FROM builtin_secret_versions v JOIN builtin_secrets s ON s.id = v.secret_id
                WHERE s.data_key_id = ? AND s.name = ? AND v.version = \(version == nil ? "s.latest_version" : "?")
                """, [.integer(dataKey.id), .text(name)] + (version.map { [.integer($0)] } ?? []))
            return try row.map { BuiltinSecretVersion(name: name, version: try $0.integer("version"), ciphertext: try $0.text("ciphertext")) }
        }
    }

    public func listBuiltinSecrets(dataKey: BuiltinDataKey, _ request: PageRequest) throws -> Page<BuiltinSecretInfo> {
        try run { connection in
            try Self.page(connection, select: "SELECT id, name, latest_version, created_at, updated_at FROM builtin_secrets",
                          where: ["data_key_id = ?"], [.integer(dataKey.id)], request,
                          key: { (pair: (Int64, BuiltinSecretInfo)) in String(pair.0) },
                          decode: { row in (try row.integer("id"), try Self.decodeSecretInfo(row)) })
                .map(\.1)
        }
    }

    public func deleteBuiltinSecret(_ name: String, dataKey: BuiltinDataKey, by actor: Actor) throws -> Int {
        try write { connection in
            guard let row = try connection.queryOne("SELECT id, latest_version FROM builtin_secrets WHERE data_key_id = ? AND name = ?",
                                                    [.integer(dataKey.id), .text(name)]) else { return 0 }
            let versions = try connection.queryOne("SELECT COUNT(*) AS n FROM builtin_secret_versions WHERE secret_id = ?",
                                                   [.integer(try row.integer("id"))])?.integer("n") ?? 0
            try connection.query("DELETE FROM builtin_secret_versions WHERE secret_id = ?", [.integer(try row.integer("id"))])
            try connection.query("DELETE FROM builtin_secrets WHERE id = ?", [.integer(try row.integer("id"))])
            try Self.appendAudit(connection, workspace: dataKey.workspaceID, actor: actor, action: .builtinSecretDeleted,
                                 project: dataKey.projectID, store: nil,
                                 details: ["name": .string(name), "versions": .number(Double(versions))])
            return Int(versions)
        }
    }

    public func allBuiltinDataKeys() throws -> [BuiltinDataKey] {
        try run { try $0.query("\(Self.dataKeyColumns) ORDER BY id", []).map(Self.decodeDataKey) }
    }

    public func rewrapBuiltinDataKeys(_ changes: [(old: BuiltinDataKey, masterKeyID: String, wrappedKey: String)]) throws {
        try write { connection in
            let (_, stamp) = Self.now()
            for change in changes {
                let updated = try connection.query("""
                    UPDATE builtin_data_keys SET master_key_id = ?, wrapped_key = ?, rewrapped_at = ?
                    WHERE id = ? AND master_key_id = ? AND wrapped_key = ? RETURNING id
                    """, [.text(change.masterKeyID), .text(change.wrappedKey), stamp, .integer(change.old.id),
                          .text(change.old.masterKeyID), .text(change.old.wrappedKey)])
                guard !updated.isEmpty else {
                    throw KeywardError.conflict(code: "data_key_changed", "Data key \(change.old.id) changed during the rotation.",
                                                hint: "Run the rotation again.")
                }
            }
        }
    }

    // MARK: Loading

    static func loadDataKey(_ workspace: WorkspaceID, _ project: ProjectID?, _ connection: any SQLConnection) throws -> BuiltinDataKey? {
        let row: SQLRow?
        if let project {
            row = try connection.queryOne("\(dataKeyColumns) WHERE workspace_id = ? AND project_id = ?",
                                          [.integer(workspace.rawValue), .integer(project.rawValue)])
        } else {
            row = try connection.queryOne("\(dataKeyColumns) WHERE workspace_id = ? AND project_id IS NULL", [.integer(workspace.rawValue)])
        }
        return try row.map(decodeDataKey)
    }

    static func decodeDataKey(_ row: SQLRow) throws -> BuiltinDataKey {
        BuiltinDataKey(id: try row.integer("id"), workspaceID: WorkspaceID(try row.integer("workspace_id")),
                       projectID: try row.optionalInteger("project_id").map(ProjectID.init),
                       masterKeyID: try row.text("master_key_id"), wrappedKey: try row.text("wrapped_key"))
    }

    static func loadSecretInfo(_ dataKey: BuiltinDataKey, _ name: String, _ connection: any SQLConnection) throws -> BuiltinSecretInfo {
        guard let row = try connection.queryOne("SELECT name, latest_version, created_at, updated_at FROM builtin_secrets WHERE data_key_id = ? AND name = ?",
                                                [.integer(dataKey.id), .text(name)]) else { throw StorageFailure.corrupt("secret vanished") }
        return try decodeSecretInfo(row)
    }

    static func decodeSecretInfo(_ row: SQLRow) throws -> BuiltinSecretInfo {
        BuiltinSecretInfo(name: try row.text("name"), latestVersion: try row.integer("latest_version"),
                          createdAt: try date(row, "created_at"), updatedAt: try date(row, "updated_at"))
    }
}
