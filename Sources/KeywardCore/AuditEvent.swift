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
    /// integers and the time as stored. Built from the same values the API shows, so any edit of a shown
    /// field changes it.
    public var canonical: [UInt8] {
        var out: [UInt8] = []
        canonicalForm.write(seq: seq, prevHash: prevHash, into: &out)
        return out
    }

    /// Its canonical form without the chain fields, as `AuditEntry` made it when the record was written.
    public var canonicalForm: AuditCanonicalForm {
        AuditCanonicalForm(action: action, actorRole: actorRole, actorTokenID: actorTokenID, at: Timestamp.format(at),
                           connectionID: connectionID, details: JSONValue.object(details).jsonBytes, outcome: outcome,
                           projectID: projectID, requestID: requestID, storeID: storeID, workspaceID: workspaceID)
    }
}

/// An audit record's canonical form written once, when the record is made, without the two fields its chain
/// gives it later (`prev_hash` and `seq`), and the places where they go. Chaining a record then only splices
/// them in; the same bytes are the record's line in the audit journal.
public struct AuditCanonicalForm: Sendable, Equatable {
    /// The record as a JSON object with sorted keys, without `prev_hash` and `seq`.
    public let bytes: [UInt8]
    /// Where `"prev_hash":…,` and `"seq":…,` go (both keys sort between others).
    private let prevHashAt: Int
    private let seqAt: Int

    /// Copied together in one buffer of the exact size, its keys and punctuation as literals: one record is
    /// made per request. Texts go in as they are unless they need escaping (ids, codes and times never do),
    /// which JSONValue's writer then does.
    public init(action: AuditAction, actorRole: Role, actorTokenID: TokenID, at: String, connectionID: ConnectionID?, details: [UInt8],
                outcome: String, projectID: ProjectID?, requestID: String, storeID: StoreID?, workspaceID: WorkspaceID) {
        let texts = (action: JSONString(action.rawValue), role: JSONString(actorRole.rawValue), token: JSONString(actorTokenID.rawValue),
                     at: JSONString(at), outcome: JSONString(outcome), request: JSONString(requestID))
        let capacity = Self.literalsLength + details.count + 4 * 20 + texts.action.count + texts.role.count + texts.token.count
            + texts.at.count + texts.outcome.count + texts.request.count
        var prevHashAt = 0, seqAt = 0
        bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            var out = ByteCursor(start: buffer.baseAddress!)
            out.write(#"{"action":"#)
            out.write(texts.action)
            out.write(#","actor_role":"#)
            out.write(texts.role)
            out.write(#","actor_token_id":"#)
            out.write(texts.token)
            out.write(#","at":"#)
            out.write(texts.at)
            out.write(#","connection_id":"#)
            out.write(integer: connectionID?.rawValue)
            out.write(#","details":"#)
            details.withUnsafeBufferPointer { out.write($0) }
            out.write(#","outcome":"#)
            out.write(texts.outcome)
            out.write(",")
            prevHashAt = out.count
            out.write(#""project_id":"#)
            out.write(integer: projectID?.rawValue)
            out.write(#","request_id":"#)
            out.write(texts.request)
            out.write(",")
            seqAt = out.count
            out.write(#""store_id":"#)
            out.write(integer: storeID?.rawValue)
            out.write(#","workspace_id":"#)
            out.write(integer: workspaceID.rawValue)
            out.write("}")
            count = out.count
        }
        self.prevHashAt = prevHashAt
        self.seqAt = seqAt
    }

    /// A form as written elsewhere (tests compare against an independent encoding).
    init(bytes: [UInt8], prevHashAt: Int, seqAt: Int) {
        self.bytes = bytes
        self.prevHashAt = prevHashAt
        self.seqAt = seqAt
    }

    /// The keys and punctuation `init` writes.
    private static let literalsLength = #"{"action":,"actor_role":,"actor_token_id":,"at":,"connection_id":,"details":,"outcome":,"project_id":,"request_id":,"store_id":,"workspace_id":}"#.utf8.count

    private static let prevHashKey = Array(#""prev_hash":""#.utf8)
    private static let seqKey = Array(#""seq":"#.utf8)

    /// Appends the canonical form of the record at `seq` after `prevHash` to `out`.
    public func write(seq: Int64, prevHash: String, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + bytes.count + prevHash.utf8.count + 40)
        bytes.withUnsafeBufferPointer { bytes in
            out.append(contentsOf: bytes[..<prevHashAt])
            out.append(contentsOf: Self.prevHashKey)
            out.append(contentsOf: prevHash.utf8)
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: bytes[prevHashAt..<seqAt])
            out.append(contentsOf: Self.seqKey)
            out.append(contentsOf: String(seq).utf8)
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: bytes[seqAt...])
        }
    }
}

/// A text as a JSON string: as it is between quotes, or escaped by JSONValue's writer when it has to be.
private enum JSONString {
    case plain(String)
    case escaped([UInt8])

    init(_ text: String) {
        // Scanned through a pointer (a native string is contiguous UTF-8): six texts per record, per request.
        var scanned = text
        if scanned.withUTF8({ $0.contains(where: JSONValue.needsEscaping) }) {
            var escaped: [UInt8] = []
            JSONValue.writeString(text, into: &escaped)
            self = .escaped(escaped)
        } else {
            self = .plain(text)
        }
    }

    /// Its length as written, quotes included.
    var count: Int {
        switch self {
        case .plain(let text): text.utf8.count + 2
        case .escaped(let bytes): bytes.count
        }
    }
}

/// Writes bytes one after another into memory reserved beforehand (by an exact count).
private struct ByteCursor {
    let start: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

    init(start: UnsafeMutablePointer<UInt8>) { self.start = start }

    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        (start + count).update(from: base, count: bytes.count)
        count += bytes.count
    }

    mutating func write(_ literal: StaticString) { literal.withUTF8Buffer { write($0) } }

    mutating func write(_ text: JSONString) {
        switch text {
        case .plain(let text):
            write("\"")
            if text.utf8.withContiguousStorageIfAvailable({ write($0) }) == nil { Array(text.utf8).withUnsafeBufferPointer { write($0) } }
            write("\"")
        case .escaped(let bytes):
            bytes.withUnsafeBufferPointer { write($0) }
        }
    }

    /// Decimal, or `null`.
    mutating func write(integer: Int64?) {
        guard let value = integer else { return write("null") }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for "-9223372036854775808"
        let length = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var rest = value.magnitude, end = scratch.count
            repeat {
                end -= 1
                scratch[end] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            if value < 0 { end -= 1; scratch[end] = UInt8(ascii: "-") }
            let length = scratch.count - end
            (start + count).update(from: scratch.baseAddress!.assumingMemoryBound(to: UInt8.self) + end, count: length)
            return length
        }
        count += length
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
    /// Its canonical form, written when the entry is made (on the request path, where the journal needs it
    /// anyway), so that chaining it costs a splice instead of an encoding.
    public let canonicalForm: AuditCanonicalForm

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
        // The formatted time is not kept: the thread that stores the entry formats it again (the same text)
        // rather than free an allocation made by the request's thread.
        canonicalForm = AuditCanonicalForm(action: action, actorRole: actor.role, actorTokenID: actor.tokenID, at: Timestamp.format(at),
                                           connectionID: connectionID, details: detailsJSON, outcome: outcome, projectID: projectID,
                                           requestID: actor.requestID, storeID: storeID, workspaceID: workspaceID)
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
