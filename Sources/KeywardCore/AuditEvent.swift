import struct Foundation.Date

/// Who did something, for the audit trail: the token and its role at the time. Never the token itself.
public struct Actor: Sendable, Equatable {
    public var tokenID: TokenID
    public var role: Role
    public var requestID: String

    public init(tokenID: TokenID, role: Role, requestID: String) {
        self.tokenID = tokenID
        self.role = role
        self.requestID = requestID
    }

    public init(_ principal: Principal, requestID: String) {
        self.init(tokenID: principal.tokenID, role: principal.role, requestID: requestID)
    }
}

/// One entry of a workspace's audit trail. Details hold names, ids, counts and codes, never secret values.
public struct AuditEvent: Sendable, Equatable, Codable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var at: Date
    public var actorTokenID: TokenID
    public var actorRole: Role
    public var action: AuditAction
    public var projectID: ProjectID?
    public var connectionID: ConnectionID?
    public var storeID: StoreID?
    /// `success`, or the error code of a failed attempt.
    public var outcome: String
    public var details: [String: JSONValue]
    public var requestID: String

    public init(id: Int64, workspaceID: WorkspaceID, at: Date, actorTokenID: TokenID, actorRole: Role, action: AuditAction,
                projectID: ProjectID?, connectionID: ConnectionID?, storeID: StoreID?, outcome: String,
                details: [String: JSONValue], requestID: String) {
        self.id = id
        self.workspaceID = workspaceID
        self.at = at
        self.actorTokenID = actorTokenID
        self.actorRole = actorRole
        self.action = action
        self.projectID = projectID
        self.connectionID = connectionID
        self.storeID = storeID
        self.outcome = outcome
        self.details = details
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case id, at, action, outcome, details
        case workspaceID = "workspace_id"
        case actorTokenID = "actor_token_id"
        case actorRole = "actor_role"
        case projectID = "project_id"
        case connectionID = "connection_id"
        case storeID = "store_id"
        case requestID = "request_id"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(workspaceID, forKey: .workspaceID)
        try c.encode(at, forKey: .at)
        try c.encode(actorTokenID, forKey: .actorTokenID)
        try c.encode(actorRole, forKey: .actorRole)
        try c.encode(action, forKey: .action)
        try c.encode(projectID, forKey: .projectID)
        try c.encode(connectionID, forKey: .connectionID)
        try c.encode(storeID, forKey: .storeID)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(details, forKey: .details)
        try c.encode(requestID, forKey: .requestID)
    }
}

/// What an audit record is about. A closed set, so the trail can be filtered reliably.
public enum AuditAction: String, Sendable, Codable, CaseIterable {
    case scopeSwitched = "secrets.scope.switch"
    case storeCreated = "secrets.store.create"
    case storeUpdated = "secrets.store.update"
    case storeDeleted = "secrets.store.delete"
    case referencesMigrated = "secrets.references.migrate"
    case builtinSecretPut = "secrets.builtin.put"
    case builtinSecretDeleted = "secrets.builtin.delete"
    case cacheInvalidated = "secrets.cache.invalidate"
}

/// What `GET …/audit` filters by; every member is optional.
public struct AuditFilter: Sendable, Equatable {
    public var since: Date?
    public var until: Date?
    public var actor: TokenID?
    public var projectID: ProjectID?
    public var connectionID: ConnectionID?
    public var action: AuditAction?
    public var outcome: String?

    public init(since: Date? = nil, until: Date? = nil, actor: TokenID? = nil, projectID: ProjectID? = nil,
                connectionID: ConnectionID? = nil, action: AuditAction? = nil, outcome: String? = nil) {
        self.since = since
        self.until = until
        self.actor = actor
        self.projectID = projectID
        self.connectionID = connectionID
        self.action = action
        self.outcome = outcome
    }
}
