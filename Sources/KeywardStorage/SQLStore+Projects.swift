import Foundation
import KeywardCore

extension SQLStore {
    public func createProject(in workspace: WorkspaceID, name: String) throws -> Project {
        try write { connection in
            _ = try Self.loadWorkspace(workspace, connection)
            let (now, stamp) = Self.now()
            let row = try connection.queryOne(
                "INSERT INTO projects (workspace_id, name, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
                [.integer(workspace.rawValue), .text(name), stamp, stamp])
            return Project(id: ProjectID(try row!.integer("id")), workspaceID: workspace, name: name,
                           createdAt: now, updatedAt: now)
        }
    }

    public func project(_ id: ProjectID, in workspace: WorkspaceID) throws -> Project {
        try run { try Self.loadProject(id, workspace, $0) }
    }

    public func listProjects(in workspace: WorkspaceID, only: ProjectID?, _ request: PageRequest) throws -> Page<Project> {
        try run { connection in
            _ = try Self.loadWorkspace(workspace, connection)
            var conditions = ["workspace_id = ?"]
            var parameters: [SQLValue] = [.integer(workspace.rawValue)]
            if let only {
                conditions.append("id = ?")
                parameters.append(.integer(only.rawValue))
            }
            return try Self.page(connection, select: "SELECT id, workspace_id, name, created_at, updated_at FROM projects",
                                 where: conditions, parameters, request, key: { (p: Project) in p.id.description },
                                 decode: Self.decodeProject)
        }
    }

    public func renameProject(_ id: ProjectID, in workspace: WorkspaceID, to name: String) throws -> Project {
        try write { connection in
            let (_, stamp) = Self.now()
            let changed = try connection.query(
                "UPDATE projects SET name = ?, updated_at = ? WHERE id = ? AND workspace_id = ? RETURNING id",
                [.text(name), stamp, .integer(id.rawValue), .integer(workspace.rawValue)])
            guard !changed.isEmpty else { throw Self.projectNotFound(id) }
            return try Self.loadProject(id, workspace, connection)
        }
    }

    public func deleteProject(_ id: ProjectID, in workspace: WorkspaceID) throws {
        try write { connection in
            _ = try Self.loadProject(id, workspace, connection)
            let (_, stamp) = Self.now()
            try connection.query("UPDATE api_tokens SET revoked_at = ? WHERE project_id = ? AND revoked_at IS NULL",
                                 [stamp, .integer(id.rawValue)])
            try connection.query("DELETE FROM connections WHERE project_id = ?", [.integer(id.rawValue)])
            try connection.query("DELETE FROM projects WHERE id = ?", [.integer(id.rawValue)])
            try Self.bumpRevision(workspace, connection)
        }
    }

    static func loadProject(_ id: ProjectID, _ workspace: WorkspaceID, _ connection: any SQLConnection) throws -> Project {
        guard let row = try connection.queryOne(
            "SELECT id, workspace_id, name, created_at, updated_at FROM projects WHERE id = ? AND workspace_id = ?",
            [.integer(id.rawValue), .integer(workspace.rawValue)])
        else {
            _ = try loadWorkspace(workspace, connection)
            throw projectNotFound(id)
        }
        return try decodeProject(row)
    }

    static func decodeProject(_ row: SQLRow) throws -> Project {
        Project(id: ProjectID(try row.integer("id")), workspaceID: WorkspaceID(try row.integer("workspace_id")),
                name: try row.text("name"), createdAt: try date(row, "created_at"), updatedAt: try date(row, "updated_at"))
    }

    static func projectNotFound(_ id: ProjectID) -> KeywardError {
        .notFound("Project", code: "project_not_found", id: id.description)
    }
}
