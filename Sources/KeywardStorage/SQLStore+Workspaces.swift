import Foundation
import KeywardCore

extension SQLStore {
    public func createWorkspace(name: String) throws -> Workspace {
        try write { connection in
            let (now, stamp) = Self.now()
            let row = try connection.queryOne(
                "INSERT INTO workspaces (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id",
                [.text(name), stamp, stamp])
            let id = WorkspaceID(try row!.integer("id"))
            return Workspace(id: id, name: name, addons: [], createdAt: now, updatedAt: now)
        }
    }

    public func workspace(_ id: WorkspaceID) throws -> Workspace {
        try run { try Self.loadWorkspace(id, $0) }
    }

    public func listWorkspaces(_ request: PageRequest) throws -> Page<Workspace> {
        try run { connection in
            let page = try Self.page(connection, select: "SELECT id, name, created_at, updated_at FROM workspaces",
                                     where: [], [], request, key: { (w: Workspace) in w.id.description },
                                     decode: { try Self.decodeWorkspace($0, addons: []) })
            guard let first = page.items.first, let last = page.items.last else { return page }
            let addonRows = try connection.query(
                "SELECT workspace_id, addon FROM workspace_addons WHERE workspace_id >= ? AND workspace_id <= ?",
                [.integer(first.id.rawValue), .integer(last.id.rawValue)])
            var addons: [WorkspaceID: [Addon]] = [:]
            for row in addonRows {
                if let addon = Addon(rawValue: try row.text("addon")) {
                    addons[WorkspaceID(try row.integer("workspace_id")), default: []].append(addon)
                }
            }
            return page.map { Workspace(id: $0.id, name: $0.name, addons: addons[$0.id] ?? [],
                                        createdAt: $0.createdAt, updatedAt: $0.updatedAt) }
        }
    }

    public func renameWorkspace(_ id: WorkspaceID, to name: String) throws -> Workspace {
        try write { connection in
            let (_, stamp) = Self.now()
            let changed = try connection.query("UPDATE workspaces SET name = ?, updated_at = ? WHERE id = ? RETURNING id",
                                               [.text(name), stamp, .integer(id.rawValue)])
            guard !changed.isEmpty else { throw Self.workspaceNotFound(id) }
            return try Self.loadWorkspace(id, connection)
        }
    }

    public func deleteWorkspace(_ id: WorkspaceID) throws {
        try write { connection in
            let (_, stamp) = Self.now()
            try connection.query("UPDATE api_tokens SET revoked_at = ? WHERE workspace_id = ? AND revoked_at IS NULL",
                                 [stamp, .integer(id.rawValue)])
            try connection.query("DELETE FROM connections WHERE workspace_id = ?", [.integer(id.rawValue)])
            try connection.query("DELETE FROM projects WHERE workspace_id = ?", [.integer(id.rawValue)])
            try connection.query("DELETE FROM workspace_addons WHERE workspace_id = ?", [.integer(id.rawValue)])
            let deleted = try connection.query("DELETE FROM workspaces WHERE id = ? RETURNING id", [.integer(id.rawValue)])
            guard !deleted.isEmpty else { throw Self.workspaceNotFound(id) }
        }
    }

    public func grantAddon(_ addon: Addon, to id: WorkspaceID) throws -> Workspace {
        try write { connection in
            let workspace = try Self.loadWorkspace(id, connection)
            guard !workspace.has(addon) else { return workspace }
            let (_, stamp) = Self.now()
            try connection.query("INSERT INTO workspace_addons (workspace_id, addon, granted_at) VALUES (?, ?, ?)",
                                 [.integer(id.rawValue), .text(addon.rawValue), stamp])
            try connection.query("UPDATE workspaces SET updated_at = ? WHERE id = ?", [stamp, .integer(id.rawValue)])
            return try Self.loadWorkspace(id, connection)
        }
    }

    public func revokeAddon(_ addon: Addon, from id: WorkspaceID) throws -> Workspace {
        try write { connection in
            let workspace = try Self.loadWorkspace(id, connection)
            guard workspace.has(addon) else { return workspace }
            let (_, stamp) = Self.now()
            try connection.query("DELETE FROM workspace_addons WHERE workspace_id = ? AND addon = ?",
                                 [.integer(id.rawValue), .text(addon.rawValue)])
            try connection.query("UPDATE workspaces SET updated_at = ? WHERE id = ?", [stamp, .integer(id.rawValue)])
            return try Self.loadWorkspace(id, connection)
        }
    }

    static func loadWorkspace(_ id: WorkspaceID, _ connection: any SQLConnection) throws -> Workspace {
        guard let row = try connection.queryOne("SELECT id, name, created_at, updated_at FROM workspaces WHERE id = ?",
                                                [.integer(id.rawValue)])
        else { throw workspaceNotFound(id) }
        let addons = try connection.query("SELECT addon FROM workspace_addons WHERE workspace_id = ?", [.integer(id.rawValue)])
            .compactMap { Addon(rawValue: try $0.text("addon")) }
        return try decodeWorkspace(row, addons: addons)
    }

    static func decodeWorkspace(_ row: SQLRow, addons: [Addon]) throws -> Workspace {
        Workspace(id: WorkspaceID(try row.integer("id")), name: try row.text("name"), addons: addons,
                  createdAt: try date(row, "created_at"), updatedAt: try date(row, "updated_at"))
    }

    static func workspaceNotFound(_ id: WorkspaceID) -> KeywardError {
        .notFound("Workspace", code: "workspace_not_found", id: id.description)
    }
}
