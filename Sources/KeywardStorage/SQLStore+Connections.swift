import Foundation
import KeywardCore

extension SQLStore {
    static let connectionColumns = "SELECT id, workspace_id, project_id, name, type, fields, created_at, updated_at FROM connections"

    public func createConnection(_ draft: ConnectionDraft, in workspace: WorkspaceID, project: ProjectID, by actor: Actor) throws -> Connection {
        let fields = try Self.encode(draft.fields)
        let references = try ReferenceScanner.references(in: draft.fields)
        return try write { connection in
            _ = try Self.loadProject(project, workspace, connection)
            let (now, stamp) = Self.now()
            let row = try connection.queryOne("""
                INSERT INTO connections (workspace_id, project_id, name, type, fields, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, [.integer(workspace.rawValue), .integer(project.rawValue), .text(draft.name),
                      .text(draft.type.rawValue), .text(fields), stamp, stamp])
            let id = ConnectionID(try row!.integer("id"))
            try Self.bindReferences(references, connection: id, workspace: workspace, project: project, connection)
            let created = Connection(id: id, workspaceID: workspace, projectID: project,
                                     name: draft.name, type: draft.type, fields: draft.fields, createdAt: now, updatedAt: now)
            try Self.appendAudit(connection, workspace: workspace, actor: actor, action: .connectionCreated, project: project, store: nil,
                                 connectionID: id, details: created.auditDetails)
            return created
        }
    }

    public func connection(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID) throws -> Connection {
        try run { try Self.loadConnection(id, workspace, project, $0) }
    }

    public func listConnections(in workspace: WorkspaceID, project: ProjectID, _ request: PageRequest) throws -> Page<Connection> {
        try run { connection in
            _ = try Self.loadProject(project, workspace, connection)
            return try Self.page(connection, select: Self.connectionColumns, where: ["project_id = ?", "workspace_id = ?"],
                                 [.integer(project.rawValue), .integer(workspace.rawValue)], request,
                                 key: { (c: Connection) in c.id.description }, decode: Self.decodeConnection)
        }
    }

    public func updateConnection(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID,
                                 _ change: ConnectionChange, by actor: Actor) throws -> Connection {
        let fields = try change.fields.map(Self.encode)
        let references = try change.fields.map(ReferenceScanner.references)
        return try write { connection in
            var current = try Self.loadConnection(id, workspace, project, connection)
            if let name = change.name { current.name = name }
            if let fields = change.fields { current.fields = fields }
            let (now, stamp) = Self.now()
            current.updatedAt = now
            try connection.query("UPDATE connections SET name = ?, fields = ?, updated_at = ? WHERE id = ?",
                                 [.text(current.name), .text(try fields ?? Self.encode(current.fields)), stamp,
                                  .integer(id.rawValue)])
            // Saving fields rebinds their references to the store in scope now.
            if let references {
                try Self.bindReferences(references, connection: id, workspace: workspace, project: project, connection)
            }
            try Self.appendAudit(connection, workspace: workspace, actor: actor, action: .connectionUpdated, project: project, store: nil,
                                 connectionID: id, details: current.auditDetails)
            return current
        }
    }

    public func deleteConnection(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID, by actor: Actor) throws {
        try write { connection in
            _ = try Self.loadConnection(id, workspace, project, connection)
            try connection.query("DELETE FROM connections WHERE id = ?", [.integer(id.rawValue)])
            try Self.appendAudit(connection, workspace: workspace, actor: actor, action: .connectionDeleted, project: project, store: nil,
                                 connectionID: id, details: [:])
        }
    }

    static func loadConnection(_ id: ConnectionID, _ workspace: WorkspaceID, _ project: ProjectID,
                               _ connection: any SQLConnection) throws -> Connection {
        guard let row = try connection.queryOne("\(connectionColumns) WHERE id = ? AND project_id = ? AND workspace_id = ?",
                                                [.integer(id.rawValue), .integer(project.rawValue), .integer(workspace.rawValue)])
        else {
            _ = try loadProject(project, workspace, connection)
            throw KeywardError.notFound("Connection", code: "connection_not_found", id: id.description)
        }
        return try decodeConnection(row)
    }

    static func decodeConnection(_ row: SQLRow) throws -> Connection {
        guard let type = ConnectionType(rawValue: try row.text("type")) else {
            throw StorageFailure.corrupt("unknown connection type")
        }
        let fields = try JSONDecoder().decode(ConnectionFields.self, from: Data(try row.text("fields").utf8))
        return Connection(id: ConnectionID(try row.integer("id")), workspaceID: WorkspaceID(try row.integer("workspace_id")),
                          projectID: ProjectID(try row.integer("project_id")), name: try row.text("name"), type: type,
                          fields: fields, createdAt: try date(row, "created_at"), updatedAt: try date(row, "updated_at"))
    }

    static func encode(_ fields: ConnectionFields) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(fields)
        guard data.count <= ConnectionFields.maximumEncodedBytes else {
            throw KeywardError.invalidField("fields", "must encode to at most \(ConnectionFields.maximumEncodedBytes) bytes")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
