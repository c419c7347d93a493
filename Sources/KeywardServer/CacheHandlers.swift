import Foundation
import KeywardCore
import KeywardHTTP
import KeywardStorage

/// Dropping cached secrets on demand: after a rotation outside Keyward, or a trust-policy change in AWS.
/// Per workspace, per project, or per secret; the next resolution reads the secrets manager again.
enum CacheHandlers {
    static func invalidateWorkspace(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.optionalBody(InvalidateCacheBody.self, empty: InvalidateCacheBody(projectID: nil, secret: nil))
        let ws = try context.workspaceID
        var project: ProjectID?
        if let raw = body.projectID {
            guard let id = ProjectID(String(raw)) else { throw KeywardError.invalidField("project_id", "must be a positive integer id") }
            _ = try context.store.project(id, in: ws)
            project = id
        }
        return try invalidate(context, project: project, secret: body.secret)
    }

    static func invalidateProject(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.optionalBody(InvalidateCacheBody.self, empty: InvalidateCacheBody(projectID: nil, secret: nil))
        if body.projectID != nil {
            throw KeywardError.invalidField("project_id", "is given by the path here", hint: "Leave it out.")
        }
        return try invalidate(context, project: try context.projectID, secret: body.secret)
    }

    private static func invalidate(_ context: RequestContext, project: ProjectID?, secret: String?) throws -> HTTPResponse {
        let ws = try context.workspaceID
        if let secret { try SecretReference.validateName(secret, field: "secret") }
        // The stores whose values could be served to these projects: a project's own store and the one in scope.
        let rule = try context.store.scopeRule(ws)
        var stores = Set<StoreID>()
        if let project {
            if let own = rule.projectStores[project] { stores.insert(own) }
            if let inScope = rule.storeInScope(for: project) { stores.insert(inScope) }
        } else {
            stores.formUnion(rule.projectStores.values)
            if let workspaceStore = rule.workspaceStore { stores.insert(workspaceStore) }
        }
        let dropped = context.services.resolver.invalidate(stores: stores, secret: secret)
        var details: [String: JSONValue] = ["entries": .number(Double(dropped)),
                                            "stores": .array(stores.sorted { $0.rawValue < $1.rawValue }.map { .number(Double($0.rawValue)) })]
        if let secret { details["secret"] = .string(secret) }
        try context.store.recordAudit(in: ws, action: .cacheInvalidated, project: project, details: details, by: context.actor())
        return .json(CacheInvalidation(stores: stores.sorted { $0.rawValue < $1.rawValue }, entries: dropped))
    }
}

struct CacheInvalidation: Encodable {
    let stores: [StoreID]
    let entries: Int

    enum CodingKeys: String, CodingKey { case stores = "store_ids", entries = "entries_dropped" }
}
