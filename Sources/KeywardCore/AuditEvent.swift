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
    /// The id of the stored row: records written together that differ only in time, request and hash share
    /// one row, and so its id. `seq` is the record's own position.
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
    /// Position in its workspace's chain (1, 2, …), the hash of the record before it, and its own hash.
    public var seq: Int64 = 0
    public var prevHash: String = ""
    public var hash: String = ""

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
        case seq
        case prevHash = "prev_hash"
        case hash
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
        try c.encode(seq, forKey: .seq)
        try c.encode(prevHash, forKey: .prevHash)
        try c.encode(hash, forKey: .hash)
    }

    /// The bytes its hash covers: every field but `id` and `hash`, as JSON with sorted keys, integers as
    /// integers and the time as stored (`AuditCanonicalForm`). Built from the same values the API shows, so
    /// any edit of a shown field changes it.
    public var canonical: [UInt8] {
        let details = JSONValue.object(details).jsonBytes
        let capacity = AuditCanonicalForm.capacity(action: action, role: actorRole, tokenID: actorTokenID, requestID: requestID, outcome: outcome,
                                                   details: details.count)
        return withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer in
            details.withUnsafeBytes { details in
                var out: [UInt8] = []
                AuditCanonicalForm.write(to: buffer.baseAddress!, workspaceID: workspaceID, at: at, action: action, role: actorRole,
                                         tokenID: actorTokenID, requestID: requestID, projectID: projectID, connectionID: connectionID,
                                         storeID: storeID, outcome: outcome, details: details)
                    .write(seq: seq, prevHash: prevHash, into: &out)
                return out
            }
        }
    }
}

/// A record to append: the chain fields are assigned by the store, in commit order.
public struct AuditEntry: Sendable, Equatable {
    /// The chain it goes to: a workspace's, or `WorkspaceID.platform` for what belongs to none.
    public let workspaceID: WorkspaceID
    public let at: Date
    public let actor: Actor
    public let action: AuditAction
    public let projectID: ProjectID?
    public let connectionID: ConnectionID?
    public let storeID: StoreID?
    public let outcome: String
    /// The details as canonical JSON (`JSONValue`'s writer: sorted keys), written once when the entry is
    /// made: the stored column takes these bytes as they are.
    public let detailsJSON: [UInt8]

    public init(workspaceID: WorkspaceID, at: Date = Timestamp.now(), actor: Actor, action: AuditAction, projectID: ProjectID? = nil,
                connectionID: ConnectionID? = nil, storeID: StoreID? = nil, outcome: String = "success", details: [String: JSONValue] = [:]) {
        self.init(workspaceID: workspaceID, at: at, actor: actor, action: action, projectID: projectID, connectionID: connectionID,
                  storeID: storeID, outcome: outcome, detailsJSON: JSONValue.object(details).jsonBytes)
    }

    /// `detailsJSON` must be what `JSONValue.object(details).jsonBytes` gives: a resolution the resolver keeps
    /// passes the same bytes for every request it answers.
    public init(workspaceID: WorkspaceID, at: Date = Timestamp.now(), actor: Actor, action: AuditAction, projectID: ProjectID? = nil,
                connectionID: ConnectionID? = nil, storeID: StoreID? = nil, outcome: String = "success", detailsJSON: [UInt8]) {
        self.workspaceID = workspaceID
        self.at = at
        self.actor = actor
        self.action = action
        self.projectID = projectID
        self.connectionID = connectionID
        self.storeID = storeID
        self.outcome = outcome
        self.detailsJSON = detailsJSON
    }

    /// Room enough for its canonical form.
    public var formCapacity: Int {
        AuditCanonicalForm.capacity(action: action, role: actor.role, tokenID: actor.tokenID, requestID: actor.requestID, outcome: outcome,
                                    details: detailsJSON.count)
    }

    /// Writes its canonical form at `destination` (room for `formCapacity` bytes), kept there by the caller
    /// for as long as the written record is used.
    public func writeForm(to destination: UnsafeMutableRawPointer) -> WrittenAuditRecord {
        detailsJSON.withUnsafeBytes { details in
            AuditCanonicalForm.write(to: destination, workspaceID: workspaceID, at: at, action: action, role: actor.role, tokenID: actor.tokenID,
                                     requestID: actor.requestID, projectID: projectID, connectionID: connectionID, storeID: storeID,
                                     outcome: outcome, details: details)
        }
    }

    /// Calls `body` with `entries` written into one buffer that lives as long as the call: for records
    /// written outside the audit journal (changes, and a journal replayed on start).
    public static func withWritten<Result>(_ entries: some Collection<AuditEntry>, _ body: ([WrittenAuditRecord]) throws -> Result) rethrows -> Result {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: entries.reduce(0) { $0 + $1.formCapacity }, alignment: 1)
        defer { buffer.deallocate() }
        var offset = 0
        let records = entries.map { entry in
            let record = entry.writeForm(to: buffer + offset)
            offset += record.count
            return record
        }
        return try body(records)
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
    case connectionResolved = "connection.resolve"
    case connectionTested = "connection.test"
    case referenceChecked = "reference.check"
    case connectionCreated = "connection.create"
    case connectionUpdated = "connection.update"
    case connectionDeleted = "connection.delete"
    case tokenCreated = "token.create"
    case tokenUpdated = "token.update"
    case tokenRevoked = "token.revoke"
    case signedIn = "console.sign_in"
    case signedOut = "console.sign_out"
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
