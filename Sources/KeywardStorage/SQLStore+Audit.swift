import Foundation
import KeywardCore

extension SQLStore {
    static let auditColumns = """
        SELECT id, workspace_id, at, actor_token_id, actor_role, action, project_id, connection_id, store_id, outcome, details, request_id
        FROM audit_events
        """

    /// Appends one record inside the caller's transaction, so a change and its record land together.
    static func appendAudit(_ connection: any SQLConnection, workspace: WorkspaceID, actor: Actor, action: AuditAction,
                            project: ProjectID?, store: StoreID?, connectionID: ConnectionID? = nil, outcome: String = "success",
                            details: [String: JSONValue]) throws {
        try connection.query("""
            INSERT INTO audit_events (workspace_id, at, actor_token_id, actor_role, action, project_id, connection_id, store_id,
                                      outcome, details, request_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.integer(workspace.rawValue), .text(Timestamp.format(Timestamp.now())), .text(actor.tokenID.rawValue),
                  .text(actor.role.rawValue), .text(action.rawValue), project.map { .integer($0.rawValue) } ?? .null,
                  connectionID.map { .integer($0.rawValue) } ?? .null, store.map { .integer($0.rawValue) } ?? .null,
                  .text(outcome), .text(try encodeJSON(details)), .text(actor.requestID)])
    }

    public func recordAudit(in workspace: WorkspaceID, action: AuditAction, project: ProjectID?, details: [String: JSONValue],
                            by actor: Actor) throws {
        try write { connection in
            try Self.appendAudit(connection, workspace: workspace, actor: actor, action: action, project: project, store: nil, details: details)
        }
    }

    public func listAudit(in workspace: WorkspaceID, _ filter: AuditFilter, _ request: PageRequest) throws -> Page<AuditEvent> {
        var conditions = ["workspace_id = ?"]
        var parameters: [SQLValue] = [.integer(workspace.rawValue)]
        func add(_ condition: String, _ value: SQLValue) {
            conditions.append(condition)
            parameters.append(value)
        }
        if let since = filter.since { add("at >= ?", .text(Timestamp.format(since))) }
        if let until = filter.until { add("at < ?", .text(Timestamp.format(until))) }
        if let actor = filter.actor { add("actor_token_id = ?", .text(actor.rawValue)) }
        if let project = filter.projectID { add("project_id = ?", .integer(project.rawValue)) }
        if let id = filter.connectionID { add("connection_id = ?", .integer(id.rawValue)) }
        if let action = filter.action { add("action = ?", .text(action.rawValue)) }
        if let outcome = filter.outcome { add("outcome = ?", .text(outcome)) }
        return try run { connection in
            try Self.page(connection, select: Self.auditColumns, where: conditions, parameters, request,
                          key: { (event: AuditEvent) in String(event.id) }, decode: Self.decodeAudit)
        }
    }

    static func decodeAudit(_ row: SQLRow) throws -> AuditEvent {
        guard let token = TokenID(rawValue: try row.text("actor_token_id")), let role = Role(rawValue: try row.text("actor_role")),
              let action = AuditAction(rawValue: try row.text("action")) else {
            throw StorageFailure.corrupt("audit_events row has an unknown actor, role or action")
        }
        let details = try JSONDecoder().decode([String: JSONValue].self, from: Data(try row.text("details").utf8))
        return AuditEvent(id: try row.integer("id"), workspaceID: WorkspaceID(try row.integer("workspace_id")),
                          at: try date(row, "at"), actorTokenID: token, actorRole: role, action: action,
                          projectID: try row.optionalInteger("project_id").map(ProjectID.init),
                          connectionID: try row.optionalInteger("connection_id").map(ConnectionID.init),
                          storeID: try row.optionalInteger("store_id").map(StoreID.init), outcome: try row.text("outcome"),
                          details: details, requestID: try row.text("request_id"))
    }
}
