import Foundation
import KeywardCore
import KeywardHTTP

/// The audit trail: list and filter it, export its chain head signed, and verify the chain. Workspace
/// routes read the workspace's chain; the `/v1/audit` routes, for operators, the platform's.
enum AuditHandlers {
    static func list(_ context: RequestContext) throws -> HTTPResponse {
        context.services.auditJournal.flush()
        return .json(try context.store.listAudit(in: try chain(context), try filter(context.request.query), context.page()))
    }

    /// The chain's last record, signed: keep it outside Keyward, and a later verification against it shows
    /// whether records were removed from the end or the chain rewritten since.
    static func head(_ context: RequestContext) throws -> HTTPResponse {
        let workspace = try chain(context)
        context.services.auditJournal.flush()
        let ends = try context.store.auditChainEnds(workspace)
        let head = AuditChain.SignedHead(workspaceID: workspace.rawValue, seq: ends.headSeq, hash: ends.headHash,
                                         at: Timestamp.format(Timestamp.now()))
        return .json(context.services.auditSigner.sign(head))
    }

    /// Checks the chain from its anchor to its head, and against an exported head when one is posted.
    static func verify(_ context: RequestContext) throws -> HTTPResponse {
        let workspace = try chain(context)
        let body = try context.optionalBody(VerifyAuditBody.self, empty: VerifyAuditBody(head: nil))
        if let head = body.head {
            guard head.workspaceID == workspace.rawValue else {
                throw KeywardError.invalidField("head", "was exported for workspace \(head.workspaceID), not this one")
            }
            guard context.services.auditSigner.verify(head) else {
                throw KeywardError(.badRequest, code: "invalid_audit_head", title: "Invalid audit head",
                                   detail: "The head's signature does not match: it was not exported by this Keyward, or it was changed.",
                                   hint: "Export the head again with GET …/audit/head and keep it unchanged.",
                                   extras: ["field": .string("head")])
            }
        }
        context.services.auditJournal.flush()
        return .json(try context.store.verifyAudit(in: workspace, exported: body.head))
    }

    private static func chain(_ context: RequestContext) throws -> WorkspaceID {
        context.target.workspaceID ?? .platform
    }

    static func filter(_ query: [String: String]) throws -> AuditFilter {
        func date(_ name: String) throws -> Date? {
            guard let text = query[name] else { return nil }
            guard let date = Timestamp.parse(text) else {
                throw KeywardError.invalidField(name, "must be an RFC 3339 timestamp such as 2026-12-04T10:00:00Z")
            }
            return date
        }
        func id<ID: IntegerIdentifier>(_ name: String, _ type: ID.Type) throws -> ID? {
            guard let text = query[name] else { return nil }
            guard let id = ID(text) else { throw KeywardError.invalidField(name, "must be a positive integer id") }
            return id
        }
        var filter = AuditFilter(since: try date("since"), until: try date("until"), projectID: try id("project", ProjectID.self),
                                 connectionID: try id("connection", ConnectionID.self), outcome: query["outcome"])
        if let outcome = filter.outcome, outcome.isEmpty || outcome.unicodeScalars.count > 64 {
            throw KeywardError.invalidField("outcome", "must be 1 to 64 characters: success, or an error code")
        }
        if let actor = query["actor"] {
            guard let token = TokenID(rawValue: actor) else { throw KeywardError.invalidField("actor", "must be a token id") }
            filter.actor = token
        }
        if let action = query["action"] {
            guard let parsed = AuditAction(rawValue: action) else {
                throw KeywardError.invalidField("action", "unknown action",
                                                hint: "Actions: \(AuditAction.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            filter.action = parsed
        }
        return filter
    }
}
