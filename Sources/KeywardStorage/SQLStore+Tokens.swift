import Foundation
import KeywardCore

extension SQLStore {
    static let tokenColumns = "SELECT id, name, role, workspace_id, project_id, secret_hash, created_at, expires_at, revoked_at FROM api_tokens"

    public func createToken(_ token: Token, secretHash: String, by actor: Actor) throws -> Token {
        try write { connection in
            switch token.scope {
            case .platform: break
            case .workspace(let ws): _ = try Self.loadWorkspace(ws, connection)
            case .project(let ws, let p): _ = try Self.loadProject(p, ws, connection)
            }
            try connection.query("""
                INSERT INTO api_tokens (id, name, role, workspace_id, project_id, secret_hash, created_at, expires_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
                """, [.text(token.id.rawValue), .text(token.name), .text(token.role.rawValue),
                      token.scope.workspaceID.map { .integer($0.rawValue) } ?? .null,
                      token.scope.projectID.map { .integer($0.rawValue) } ?? .null,
                      .text(secretHash), .text(Timestamp.format(token.createdAt)),
                      token.expiresAt.map { .text(Timestamp.format($0)) } ?? .null])
            try Self.appendTokenAudit(connection, .tokenCreated, token, by: actor)
            return token
        }
    }

    public func token(_ id: TokenID) throws -> Token {
        guard let credential = try credential(for: id) else { throw Self.tokenNotFound(id) }
        return credential.token
    }

    public func credential(for id: TokenID) throws -> TokenCredential? {
        try run { connection in
            try connection.queryOne("\(Self.tokenColumns) WHERE id = ?", [.text(id.rawValue)]).map(Self.decodeCredential)
        }
    }

    public func listTokens(_ visibility: TokenVisibility, _ request: PageRequest) throws -> Page<Token> {
        var conditions: [String] = []
        var parameters: [SQLValue] = []
        switch visibility {
        case .all: break
        case .only(let id):
            conditions.append("id = ?")
            parameters.append(.text(id.rawValue))
        case .within(let scope, let own):
            switch scope {
            case .platform: break
            case .workspace(let ws):
                conditions.append("(workspace_id = ? OR id = ?)")
                parameters += [.integer(ws.rawValue), .text(own.rawValue)]
            case .project(_, let p):
                conditions.append("(project_id = ? OR id = ?)")
                parameters += [.integer(p.rawValue), .text(own.rawValue)]
            }
        }
        // Token ids are random, so pages follow the text order of ids.
        return try run { connection in
            var clauses = conditions
            var values = parameters
            if let after = request.after {
                clauses.append("id > ?")
                values.append(.text(after))
            }
            let whereText = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
            values.append(.integer(Int64(request.limit + 1)))
            let rows = try connection.query("\(Self.tokenColumns)\(whereText) ORDER BY id LIMIT ?", values)
            return Page(fetched: try rows.map { try Self.decodeCredential($0).token }, limit: request.limit,
                        key: { $0.id.rawValue })
        }
    }

    public func renameToken(_ id: TokenID, to name: String, by actor: Actor) throws -> Token {
        try write { connection in
            let changed = try connection.query("UPDATE api_tokens SET name = ? WHERE id = ? RETURNING id",
                                               [.text(name), .text(id.rawValue)])
            guard !changed.isEmpty else { throw Self.tokenNotFound(id) }
            let token = try Self.loadToken(id, connection)
            try Self.appendTokenAudit(connection, .tokenUpdated, token, by: actor)
            return token
        }
    }

    /// Revoking a revoked token changes nothing, and is recorded all the same: someone tried.
    public func revokeToken(_ id: TokenID, at date: Date, by actor: Actor) throws -> Token {
        try write { connection in
            var token = try Self.loadToken(id, connection)
            if token.revokedAt == nil {
                try connection.query("UPDATE api_tokens SET revoked_at = ? WHERE id = ?",
                                     [.text(Timestamp.format(date)), .text(id.rawValue)])
                token = try Self.loadToken(id, connection)
            }
            try Self.appendTokenAudit(connection, .tokenRevoked, token, by: actor)
            return token
        }
    }

    private static func appendTokenAudit(_ connection: any SQLConnection, _ action: AuditAction, _ token: Token, by actor: Actor) throws {
        try appendAudit(connection, workspace: token.auditWorkspace, actor: actor, action: action, project: token.scope.projectID,
                        store: nil, details: token.auditDetails)
    }

    public func countTokens() throws -> Int {
        try run { connection in
            Int(try connection.queryOne("SELECT COUNT(*) AS n FROM api_tokens", [])?.integer("n") ?? 0)
        }
    }

    static func loadToken(_ id: TokenID, _ connection: any SQLConnection) throws -> Token {
        guard let row = try connection.queryOne("\(tokenColumns) WHERE id = ?", [.text(id.rawValue)]) else {
            throw tokenNotFound(id)
        }
        return try decodeCredential(row).token
    }

    static func decodeCredential(_ row: SQLRow) throws -> TokenCredential {
        guard let id = TokenID(rawValue: try row.text("id")), let role = Role(rawValue: try row.text("role")) else {
            throw StorageFailure.corrupt("api_tokens row has an invalid id or role")
        }
        let scope = try ResourceScope.forToken(role: role,
                                               workspaceID: try row.optionalInteger("workspace_id").map(WorkspaceID.init),
                                               projectID: try row.optionalInteger("project_id").map(ProjectID.init))
        let token = Token(id: id, name: try row.text("name"), role: role, scope: scope,
                          createdAt: try date(row, "created_at"), expiresAt: try optionalDate(row, "expires_at"),
                          revokedAt: try optionalDate(row, "revoked_at"))
        return TokenCredential(token: token, secretHash: try row.text("secret_hash"))
    }

    static func tokenNotFound(_ id: TokenID) -> KeywardError {
        .notFound("Token", code: "token_not_found", id: id.rawValue)
    }
}
