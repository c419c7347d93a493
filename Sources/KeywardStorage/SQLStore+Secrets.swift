import Foundation
import KeywardCore

extension SQLStore {
    static let storeColumns = "SELECT id, workspace_id, project_id, provider, settings, revision, created_at, updated_at FROM secret_stores"

    public func secretsSettings(_ workspace: WorkspaceID) throws -> SecretsSettings {
        try run { try Self.loadSecretsSettings(workspace, $0) }
    }

    public func scopeRule(_ workspace: WorkspaceID) throws -> ScopeRule {
        try run { try Self.loadScopeRule(workspace, $0) }
    }

    public func projectStore(_ project: ProjectID, in workspace: WorkspaceID) throws -> SecretStore? {
        try run { connection in
            _ = try Self.loadProject(project, workspace, connection)
            return try Self.loadStore(workspace, project, connection)
        }
    }

    public func putStore(in workspace: WorkspaceID, project: ProjectID?, provider: SecretsProvider,
                         settings: StoreSettings, by actor: Actor) throws -> (store: SecretStore, created: Bool) {
        let settingsText = try Self.encodeJSON(settings)
        return try write { connection in
            if let project { _ = try Self.loadProject(project, workspace, connection) } else { _ = try Self.loadWorkspace(workspace, connection) }
            let (_, stamp) = Self.now()
            let existing = try Self.loadStore(workspace, project, connection)
            let id: StoreID
            if let existing {
                // A new provider is a new store: references bound to the old one must not silently move.
                guard existing.provider == provider else {
                    throw KeywardError.conflict(
                        code: "provider_change", "This store is \(existing.provider.rawValue); changing it to \(provider.rawValue) would re-point its references.",
                        hint: "Delete the store first (references bound to it are listed), then create the new one.")
                }
                try connection.query("UPDATE secret_stores SET settings = ?, revision = revision + 1, updated_at = ? WHERE id = ?",
                                     [.text(settingsText), stamp, .integer(existing.id.rawValue)])
                id = existing.id
            } else {
                let row = try connection.queryOne("""
                    INSERT INTO secret_stores (workspace_id, project_id, provider, settings, revision, created_at, updated_at)
                    VALUES (?, ?, ?, ?, 1, ?, ?) RETURNING id
                    """, [.integer(workspace.rawValue), project.map { .integer($0.rawValue) } ?? .null,
                          .text(provider.rawValue), .text(settingsText), stamp, stamp])
                id = StoreID(try row!.integer("id"))
            }
            try Self.bumpRevision(workspace, connection)
            let store = try Self.loadStore(workspace, project, connection)!
            try Self.appendAudit(connection, workspace: workspace, actor: actor,
                                 action: existing == nil ? .storeCreated : .storeUpdated, project: project, store: id,
                                 details: ["provider": .string(provider.rawValue), "revision": .number(Double(store.revision)),
                                           "settings": .array(settings.values.keys.sorted().map { .string($0) })])
            return (store, existing == nil)
        }
    }

    public func deleteStore(in workspace: WorkspaceID, project: ProjectID?, force: Bool, by actor: Actor) throws -> Int {
        try write { connection in
            if let project { _ = try Self.loadProject(project, workspace, connection) } else { _ = try Self.loadWorkspace(workspace, connection) }
            guard let store = try Self.loadStore(workspace, project, connection) else {
                throw KeywardError.notFound("Secrets manager configuration", code: "store_not_found",
                                            id: project.map { "for project \($0)" } ?? "for the workspace")
            }
            let bound = try Self.loadBindings(workspace, nil, connection).filter { $0.storeID == store.id }
            if !bound.isEmpty && !force {
                throw KeywardError(.conflict, code: "store_in_use", title: "Store still referenced",
                                   detail: "\(bound.count) secret reference(s) are bound to this store.",
                                   hint: "Migrate or remove those references first, or delete with force=true (workspace admins): they will stop resolving.",
                                   extras: ["references": .array(bound.prefix(100).map(Self.describe))])
            }
            try connection.query("DELETE FROM secret_stores WHERE id = ?", [.integer(store.id.rawValue)])
            try Self.bumpRevision(workspace, connection)
            try Self.appendAudit(connection, workspace: workspace, actor: actor, action: .storeDeleted, project: project,
                                 store: store.id, details: ["provider": .string(store.provider.rawValue),
                                                            "forced": .bool(force), "references_unbound": .number(Double(bound.count))])
            return bound.count
        }
    }

    public func referenceBindings(in workspace: WorkspaceID, project: ProjectID?) throws -> [ReferenceBinding] {
        try run { try Self.loadBindings(workspace, project, $0) }
    }

    public func switchScope(in workspace: WorkspaceID, to scope: SecretsScope, expectedRevision: Int64,
                            summary: [String: JSONValue], by actor: Actor) throws -> SecretsSettings {
        try write { connection in
            let current = try Self.loadSecretsSettings(workspace, connection)
            guard current.revision == expectedRevision else { throw KeywardError.staleConfirmation }
            guard current.scope != scope else {
                throw KeywardError.conflict(code: "scope_unchanged", "The scope is already \(scope.rawValue).")
            }
            let (_, stamp) = Self.now()
            // A workspace that never configured anything has no row yet: its state is the default (workspace, 0).
            try connection.query("""
                INSERT INTO workspace_secrets (workspace_id, scope, revision, updated_at) VALUES (?, 'workspace', 0, ?)
                ON CONFLICT (workspace_id) DO NOTHING
                """, [.integer(workspace.rawValue), stamp])
            // Compare-and-set: of two switches confirmed against the same state, exactly one changes a row.
            let changed = try connection.query("""
                UPDATE workspace_secrets SET scope = ?, revision = revision + 1, updated_at = ?
                WHERE workspace_id = ? AND revision = ? RETURNING revision
                """, [.text(scope.rawValue), stamp, .integer(workspace.rawValue), .integer(expectedRevision)])
            guard !changed.isEmpty else { throw KeywardError.staleConfirmation }
            var details = summary
            details["from"] = .string(current.scope.rawValue)
            details["to"] = .string(scope.rawValue)
            try Self.appendAudit(connection, workspace: workspace, actor: actor, action: .scopeSwitched, project: nil,
                                 store: nil, details: details)
            return try Self.loadSecretsSettings(workspace, connection)
        }
    }

    // MARK: Reference binding, used when connections are written

    /// Replaces a connection's reference bindings with `references`, each bound to the store in scope
    /// for its project right now. Called inside the connection's write transaction.
    static func bindReferences(_ references: [FieldReference], connection id: ConnectionID, workspace: WorkspaceID,
                               project: ProjectID, _ connection: any SQLConnection) throws {
        let hadReferences = try !connection.query("SELECT position FROM connection_references WHERE connection_id = ? LIMIT 1",
                                                  [.integer(id.rawValue)]).isEmpty
        guard !references.isEmpty || hadReferences else { return }
        if !references.isEmpty {
            let workspaceRecord = try loadWorkspace(workspace, connection)
            guard workspaceRecord.has(.advancedSecurity) else { throw KeywardError.addonRequired(.advancedSecurity, workspace: workspace) }
        }
        let rule = try loadScopeRule(workspace, connection)
        let store = rule.storeInScope(for: project)
        if !references.isEmpty && store == nil { throw KeywardError.noStoreInScope(project: project, scope: rule.scope) }
        try connection.query("DELETE FROM connection_references WHERE connection_id = ?", [.integer(id.rawValue)])
        for (position, reference) in references.enumerated() {
            try connection.query("""
                INSERT INTO connection_references (connection_id, position, workspace_id, project_id, field, reference, store_id)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [.integer(id.rawValue), .integer(Int64(position)), .integer(workspace.rawValue), .integer(project.rawValue),
                      .text(reference.field), .text(reference.reference.description), store.map { .integer($0.rawValue) } ?? .null])
        }
        try bumpRevision(workspace, connection)
    }

    public func rebindReferences(_ references: [ReferenceBinding], in workspace: WorkspaceID, project: ProjectID, to store: StoreID,
                                 summary: [String: JSONValue], by actor: Actor) throws -> Int {
        try write { connection in
            guard try Self.loadScopeRule(workspace, connection).storeInScope(for: project) == store else {
                throw KeywardError.conflict(code: "store_changed", "The store that serves project \(project) changed during the migration.",
                                            hint: "Run the migration again.")
            }
            var rebound = 0
            for binding in references where binding.projectID == project {
                var sql = """
                    UPDATE connection_references SET store_id = ?
                    WHERE workspace_id = ? AND project_id = ? AND connection_id = ? AND field = ? AND reference = ? AND
                    """
                var parameters: [SQLValue] = [.integer(store.rawValue), .integer(workspace.rawValue), .integer(project.rawValue),
                                              .integer(binding.connectionID.rawValue), .text(binding.field), .text(binding.reference.description)]
                // Only if it is still bound where it was when it was checked.
                if let old = binding.storeID {
                    sql += " store_id = ?"
                    parameters.append(.integer(old.rawValue))
                } else {
                    sql += " store_id IS NULL"
                }
                rebound += try connection.query(sql + " RETURNING connection_id", parameters).count
            }
            if rebound > 0 { try Self.bumpRevision(workspace, connection) }
            var details = summary
            details["rebound"] = .number(Double(rebound))
            try Self.appendAudit(connection, workspace: workspace, actor: actor, action: .referencesMigrated, project: project,
                                 store: store, details: details)
            return rebound
        }
    }

    public func connectionLocation(_ id: ConnectionID) throws -> (workspace: WorkspaceID, project: ProjectID)? {
        try run { connection in
            try connection.queryOne("SELECT workspace_id, project_id FROM connections WHERE id = ?", [.integer(id.rawValue)]).map {
                (WorkspaceID(try $0.integer("workspace_id")), ProjectID(try $0.integer("project_id")))
            }
        }
    }

    public func resolutionPlan(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID) throws -> ResolutionPlan {
        try run { connection in
            let loaded = try Self.loadConnection(id, workspace, project, connection)
            let rule = try Self.loadScopeRule(workspace, connection)
            let bindings = try Self.loadBindings(workspace, project, connection, only: id)
            let store = try rule.storeInScope(for: project).flatMap { _ in
                try Self.loadStore(workspace, rule.scope == .project ? project : nil, connection)
            }
            return ResolutionPlan(connection: loaded, bindings: bindings, rule: rule, storeInScope: store)
        }
    }

    public func storeInScope(for project: ProjectID, in workspace: WorkspaceID) throws -> (store: SecretStore?, scope: SecretsScope) {
        try run { connection in
            _ = try Self.loadProject(project, workspace, connection)
            let settings = try Self.loadSecretsSettings(workspace, connection)
            switch settings.scope {
            case .workspace: return (settings.workspaceStore, .workspace)
            case .project: return (try Self.loadStore(workspace, project, connection), .project)
            }
        }
    }

    // MARK: Loading

    static func loadSecretsSettings(_ workspace: WorkspaceID, _ connection: any SQLConnection) throws -> SecretsSettings {
        _ = try loadWorkspace(workspace, connection)
        let row = try connection.queryOne("SELECT scope, revision FROM workspace_secrets WHERE workspace_id = ?",
                                          [.integer(workspace.rawValue)])
        let scope = try row.map { try SecretsScope.parse(try $0.text("scope")) } ?? .workspace
        return SecretsSettings(workspaceID: workspace, scope: scope, revision: try row?.integer("revision") ?? 0,
                               workspaceStore: try loadStore(workspace, nil, connection))
    }

    static func loadScopeRule(_ workspace: WorkspaceID, _ connection: any SQLConnection) throws -> ScopeRule {
        let settings = try loadSecretsSettings(workspace, connection)
        var projectStores: [ProjectID: StoreID] = [:]
        for row in try connection.query("SELECT id, project_id FROM secret_stores WHERE workspace_id = ? AND project_id IS NOT NULL",
                                        [.integer(workspace.rawValue)]) {
            projectStores[ProjectID(try row.integer("project_id"))] = StoreID(try row.integer("id"))
        }
        return ScopeRule(scope: settings.scope, workspaceStore: settings.workspaceStore?.id, projectStores: projectStores)
    }

    static func loadStore(_ workspace: WorkspaceID, _ project: ProjectID?, _ connection: any SQLConnection) throws -> SecretStore? {
        let row: SQLRow?
        if let project {
            row = try connection.queryOne("\(storeColumns) WHERE workspace_id = ? AND project_id = ?",
                                          [.integer(workspace.rawValue), .integer(project.rawValue)])
        } else {
            row = try connection.queryOne("\(storeColumns) WHERE workspace_id = ? AND project_id IS NULL", [.integer(workspace.rawValue)])
        }
        return try row.map(decodeStore)
    }

    static func decodeStore(_ row: SQLRow) throws -> SecretStore {
        guard let provider = SecretsProvider(rawValue: try row.text("provider")) else { throw StorageFailure.corrupt("unknown provider") }
        let settings = try JSONDecoder().decode(StoreSettings.self, from: Data(try row.text("settings").utf8))
        return SecretStore(id: StoreID(try row.integer("id")), workspaceID: WorkspaceID(try row.integer("workspace_id")),
                           projectID: try row.optionalInteger("project_id").map(ProjectID.init), provider: provider,
                           settings: settings, revision: try row.integer("revision"),
                           createdAt: try date(row, "created_at"), updatedAt: try date(row, "updated_at"))
    }

    static func loadBindings(_ workspace: WorkspaceID, _ project: ProjectID?, _ connection: any SQLConnection,
                             only connectionID: ConnectionID? = nil) throws -> [ReferenceBinding] {
        var sql = """
            SELECT r.connection_id, c.name, r.project_id, r.field, r.reference, r.store_id
            FROM connection_references r JOIN connections c ON c.id = r.connection_id
            WHERE r.workspace_id = ?
            """
        var parameters: [SQLValue] = [.integer(workspace.rawValue)]
        if let project {
            sql += " AND r.project_id = ?"
            parameters.append(.integer(project.rawValue))
        }
        if let connectionID {
            sql += " AND r.connection_id = ?"
            parameters.append(.integer(connectionID.rawValue))
        }
        sql += " ORDER BY r.connection_id, r.position"
        return try connection.query(sql, parameters).map { row in
            ReferenceBinding(connectionID: ConnectionID(try row.integer("connection_id")), connectionName: try row.text("name"),
                             projectID: ProjectID(try row.integer("project_id")), field: try row.text("field"),
                             reference: try SecretReference(parsing: try row.text("reference")),
                             storeID: try row.optionalInteger("store_id").map(StoreID.init))
        }
    }

    /// Every change that can alter which references work moves the workspace's revision forward.
    static func bumpRevision(_ workspace: WorkspaceID, _ connection: any SQLConnection) throws {
        let (_, stamp) = now()
        try connection.query("""
            INSERT INTO workspace_secrets (workspace_id, scope, revision, updated_at) VALUES (?, 'workspace', 1, ?)
            ON CONFLICT (workspace_id) DO UPDATE SET revision = workspace_secrets.revision + 1, updated_at = excluded.updated_at
            """, [.integer(workspace.rawValue), stamp])
    }

    static func describe(_ binding: ReferenceBinding) -> JSONValue {
        .object(["connection_id": .number(Double(binding.connectionID.rawValue)), "connection_name": .string(binding.connectionName),
                 "project_id": .number(Double(binding.projectID.rawValue)), "field": .string(binding.field),
                 "reference": .string(binding.reference.description)])
    }

    static func encodeJSON<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
