import struct Foundation.Date

/// An API token as stored and listed. The secret is never part of it: only its hash is kept, in storage.
public struct Token: Sendable, Equatable, Codable {
    public var id: TokenID
    public var name: String
    public var role: Role
    public var scope: ResourceScope
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(id: TokenID, name: String, role: Role, scope: ResourceScope, createdAt: Date,
                expiresAt: Date?, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.role = role
        self.scope = scope
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    public func status(at now: Date) -> Status {
        if revokedAt != nil { return .revoked }
        if let expiresAt, expiresAt <= now { return .expired }
        return .active
    }

    public enum Status: String, Sendable, Codable { case active, expired, revoked }

    enum CodingKeys: String, CodingKey {
        case id, name, role
        case workspaceID = "workspace_id"
        case projectID = "project_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(TokenID.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        role = try c.decode(Role.self, forKey: .role)
        scope = try ResourceScope.forToken(role: role,
                                           workspaceID: try c.decodeIfPresent(WorkspaceID.self, forKey: .workspaceID),
                                           projectID: try c.decodeIfPresent(ProjectID.self, forKey: .projectID))
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        expiresAt = try c.decodeIfPresent(Date.self, forKey: .expiresAt)
        revokedAt = try c.decodeIfPresent(Date.self, forKey: .revokedAt)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(role, forKey: .role)
        try c.encode(scope.workspaceID, forKey: .workspaceID)
        try c.encode(scope.projectID, forKey: .projectID)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(revokedAt, forKey: .revokedAt)
    }
}

extension Token {
    /// The audit chain its changes go to: its workspace's, or the platform's for an operator's token.
    public var auditWorkspace: WorkspaceID { scope.workspaceID ?? .platform }

    /// What the audit trail records of it: its id, name and role. Never its secret.
    public var auditDetails: [String: JSONValue] {
        ["token_id": .string(id.rawValue), "name": .string(name), "role": .string(role.rawValue)]
    }
}

/// Who is calling: the token that authenticated the request.
public struct Principal: Sendable, Equatable {
    public var tokenID: TokenID
    public var role: Role
    public var scope: ResourceScope

    public init(tokenID: TokenID, role: Role, scope: ResourceScope) {
        self.tokenID = tokenID
        self.role = role
        self.scope = scope
    }
}
