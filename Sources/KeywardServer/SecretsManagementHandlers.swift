import Foundation
import KeywardCore
import KeywardHTTP
import KeywardStorage

/// Steps 1 and 2 of the guide: the scope, the workspace's store, each project's store, and switching scope
/// safely (preview, confirmation, audited switch).
enum SecretsManagementHandlers {
    static func getWorkspace(_ context: RequestContext) throws -> HTTPResponse {
        let ws = try context.workspaceID
        let settings = try context.store.secretsSettings(ws)
        let rule = try context.store.scopeRule(ws)
        let bindings = try context.store.referenceBindings(in: ws, project: nil)
        return .json(WorkspaceSecretsView(settings: settings, counts: ReferenceCounts(bindings, rule)))
    }

    static func putWorkspaceStore(_ context: RequestContext) throws -> HTTPResponse {
        try putStore(context, project: nil)
    }

    static func deleteWorkspaceStore(_ context: RequestContext) throws -> HTTPResponse {
        try deleteStore(context, project: nil)
    }

    static func getProject(_ context: RequestContext) throws -> HTTPResponse {
        let ws = try context.workspaceID, p = try context.projectID
        let settings = try context.store.secretsSettings(ws)
        let rule = try context.store.scopeRule(ws)
        let projectStore = try context.store.projectStore(p, in: ws)
        let bindings = try context.store.referenceBindings(in: ws, project: p)
        let servedBy = settings.scope == .project ? projectStore : settings.workspaceStore
        return .json(ProjectSecretsView(scope: settings.scope, store: projectStore, storeInScope: servedBy,
                                        counts: ReferenceCounts(bindings, rule)))
    }

    static func putProjectStore(_ context: RequestContext) throws -> HTTPResponse {
        try putStore(context, project: try context.projectID)
    }

    static func deleteProjectStore(_ context: RequestContext) throws -> HTTPResponse {
        try deleteStore(context, project: try context.projectID)
    }

    static func previewScope(_ context: RequestContext) throws -> HTTPResponse {
        let scope = try SecretsScope.parse(context.body(ScopePreviewBody.self).scope)
        return .json(try ScopeSwitchPreview.compute(workspace: context.workspaceID, to: scope, store: context.store))
    }

    /// Needs the confirmation token of a preview of this exact configuration. The store switches with a
    /// compare-and-set on the revision the token names, so a change in between, or a concurrent switch,
    /// gets 409 stale_confirmation.
    static func switchScope(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.body(ScopeSwitchBody.self)
        let ws = try context.workspaceID
        let scope = try SecretsScope.parse(body.scope)
        let current = try context.store.secretsSettings(ws)
        guard current.scope != scope else {
            throw KeywardError.conflict(code: "scope_unchanged", "The scope is already \(scope.rawValue).")
        }
        let revision = try ScopeSwitchPreview.revision(of: body.confirmation, workspace: ws, from: current.scope, to: scope)
        guard revision == current.revision else { throw KeywardError.staleConfirmation }
        // Recomputed at the confirmed revision, for the audit record's counts.
        let preview = try ScopeSwitchPreview.compute(workspace: ws, to: scope, store: context.store)
        let switched = try context.store.switchScope(in: ws, to: scope, expectedRevision: revision, summary: preview.summary,
                                                     by: context.actor())
        context.services.logger.info("secrets-management scope switched", [
            ("workspace_id", .int(ws.rawValue)), ("from", .string(current.scope.rawValue)), ("to", .string(scope.rawValue)),
            ("breaking", .int(Int64(preview.breaking.count))), ("request_id", .string(context.request.requestID)),
        ])
        let rule = try context.store.scopeRule(ws)
        let bindings = try context.store.referenceBindings(in: ws, project: nil)
        return .json(WorkspaceSecretsView(settings: switched, counts: ReferenceCounts(bindings, rule)))
    }


    // MARK: Shared

    private static func putStore(_ context: RequestContext, project: ProjectID?) throws -> HTTPResponse {
        let body = try context.body(PutStoreBody.self)
        let provider = try SecretsProvider.parse(body.provider)
        let settings = try StoreSettings(provider: provider, validating: body.settings ?? [:])
        let (store, created) = try context.store.putStore(in: context.workspaceID, project: project, provider: provider,
                                                          settings: settings, by: context.actor())
        // The new revision already keys the cache apart; this also frees what the old configuration held.
        context.services.resolver.invalidate(store: store.id)
        return .json(store, status: created ? 201 : 200)
    }

    private static func deleteStore(_ context: RequestContext, project: ProjectID?) throws -> HTTPResponse {
        let existing = try context.configuredStore(project: project)
        defer { if let existing { context.services.resolver.invalidate(store: existing.id) } }
        let unbound = try context.store.deleteStore(in: context.workspaceID, project: project, force: context.target.force,
                                                    by: context.actor())
        return .json(["deleted": JSONValue.bool(true), "references_unbound": .number(Double(unbound))])
    }
}

/// How many saved references work, and how many do not and why.
struct ReferenceCounts: Encodable {
    var ok = 0
    var outOfScope = 0
    var storeDeleted = 0

    init(_ bindings: [ReferenceBinding], _ rule: ScopeRule) {
        for binding in bindings {
            switch rule.status(of: binding) {
            case .ok: ok += 1
            case .outOfScope: outOfScope += 1
            case .storeDeleted: storeDeleted += 1
            }
        }
    }

    enum CodingKeys: String, CodingKey { case ok, outOfScope = "out_of_scope", storeDeleted = "store_deleted" }
}

struct WorkspaceSecretsView: Encodable {
    let settings: SecretsSettings
    let counts: ReferenceCounts

    enum CodingKeys: String, CodingKey { case workspaceID = "workspace_id", scope, revision, store, references, addon }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(settings.workspaceID, forKey: .workspaceID)
        try c.encode(settings.scope, forKey: .scope)
        try c.encode(settings.revision, forKey: .revision)
        try c.encode(settings.workspaceStore, forKey: .store)
        try c.encode(counts, forKey: .references)
        try c.encode(Addon.advancedSecurity, forKey: .addon)
    }
}

struct ProjectSecretsView: Encodable {
    let scope: SecretsScope
    let store: SecretStore?
    let storeInScope: SecretStore?
    let counts: ReferenceCounts

    enum CodingKeys: String, CodingKey { case scope, store, active, storeInScope = "store_in_scope", references }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(scope, forKey: .scope)
        try c.encode(store, forKey: .store)
        // The project's own store serves its references only under per-project scope.
        try c.encode(scope == .project && store != nil, forKey: .active)
        try c.encode(storeInScope, forKey: .storeInScope)
        try c.encode(counts, forKey: .references)
    }
}
