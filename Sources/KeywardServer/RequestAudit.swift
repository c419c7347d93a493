import KeywardCore
import KeywardResolver

/// The secret-access records (resolve, test, check) one request produces. Handlers add them; the application
/// writes them to the audit journal before the request is answered. (A change is recorded by the store, in
/// the transaction that makes it.) Touched by one thread at a time.
final class RequestAudit: @unchecked Sendable {
    private(set) var entries: [AuditEntry] = []
    /// Whether secret access is recorded (`--audit-access`); changes always are.
    let recordsAccess: Bool

    init(recordsAccess: Bool) { self.recordsAccess = recordsAccess }

    /// Made only when it is recorded: with `--audit-access off` a request builds no record at all.
    func recordAccess(_ entry: @autoclosure () throws -> AuditEntry) rethrows {
        if recordsAccess { entries.append(try entry()) }
    }
}

extension RequestContext {
    /// A record of this request, by its caller, in its workspace's chain (the platform's when it has none).
    func auditEntry(_ action: AuditAction, workspace: WorkspaceID? = nil, project: ProjectID? = nil, connection: ConnectionID? = nil,
                    store: StoreID? = nil, outcome: String = "success", details: [String: JSONValue] = [:]) throws -> AuditEntry {
        try auditEntry(action, workspace: workspace, project: project, connection: connection, store: store, outcome: outcome,
                       detailsJSON: JSONValue.object(details).jsonBytes)
    }

    /// The same, with the details already written as canonical JSON.
    func auditEntry(_ action: AuditAction, workspace: WorkspaceID? = nil, project: ProjectID? = nil, connection: ConnectionID? = nil,
                    store: StoreID? = nil, outcome: String = "success", detailsJSON: [UInt8]) throws -> AuditEntry {
        AuditEntry(workspaceID: workspace ?? target.workspaceID ?? .platform, actor: try actor(), action: action,
                   projectID: project ?? target.projectID, connectionID: connection ?? target.connectionID, storeID: store,
                   outcome: outcome, detailsJSON: detailsJSON)
    }

    /// What a secret access reports about its references: names, stores, cache outcome, version. Never values.
    static func details(_ references: [ResolvedReference]) -> JSONValue {
        .array(references.map { reference in
            var item: [String: JSONValue] = ["reference": .string(reference.reference), "store_id": .number(Double(reference.store.rawValue)),
                                             "cache": .string(reference.cache.rawValue)]
            if !reference.field.isEmpty { item["field"] = .string(reference.field) }
            if let version = reference.versionID { item["version_id"] = .string(version) }
            return .object(item)
        })
    }

    /// The failure details of a secret access: the error's code and which field and reference it concerns.
    static func details(_ error: KeywardError) -> [String: JSONValue] {
        var details: [String: JSONValue] = [:]
        for key in ["field", "reference"] { if let value = error.extras[key] { details[key] = value } }
        return details
    }
}
