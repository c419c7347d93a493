import KeywardCore
import KeywardCrypto
import KeywardStorage

/// What switching a workspace's secrets-management scope would do: which saved references stop working,
/// which start working again, and a confirmation token bound to the exact configuration it was computed
/// from. Computed by the same `ScopeRule` the resolver uses, so the preview and the switch cannot disagree.
struct ScopeSwitchPreview: Encodable {
    struct Item: Encodable {
        let binding: ReferenceBinding
        let projectName: String

        enum CodingKeys: String, CodingKey {
            case projectID = "project_id", projectName = "project_name", connectionID = "connection_id"
            case connectionName = "connection_name", field, reference, storeID = "store_id"
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(binding.projectID, forKey: .projectID)
            try c.encode(projectName, forKey: .projectName)
            try c.encode(binding.connectionID, forKey: .connectionID)
            try c.encode(binding.connectionName, forKey: .connectionName)
            try c.encode(binding.field, forKey: .field)
            try c.encode(binding.reference, forKey: .reference)
            try c.encode(binding.storeID, forKey: .storeID)
        }
    }

    let from: SecretsScope
    let to: SecretsScope
    let revision: Int64
    /// References that work now and will not after the switch.
    let breaking: [Item]
    /// References that do not work now and will after the switch (bound to the restored scope's stores).
    let restored: [Item]
    /// Projects that will have no store in scope after the switch.
    let projectsWithoutStore: [ProjectID]
    let confirmation: String

    enum CodingKeys: String, CodingKey {
        case from, to, revision, breaking, restored, counts, confirmation
        case projectsWithoutStore = "projects_without_store"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(revision, forKey: .revision)
        try c.encode(breaking, forKey: .breaking)
        try c.encode(restored, forKey: .restored)
        try c.encode(projectsWithoutStore, forKey: .projectsWithoutStore)
        try c.encode(["breaking": breaking.count, "restored": restored.count], forKey: .counts)
        try c.encode(confirmation, forKey: .confirmation)
    }

    var summary: [String: JSONValue] {
        ["breaking": .number(Double(breaking.count)), "restored": .number(Double(restored.count)),
         "revision": .number(Double(revision))]
    }

    static func compute(workspace: WorkspaceID, to scope: SecretsScope, store: any Store) throws -> ScopeSwitchPreview {
        let settings = try store.secretsSettings(workspace)
        guard settings.scope != scope else {
            throw KeywardError.conflict(code: "scope_unchanged", "The scope is already \(scope.rawValue).")
        }
        let now = try store.scopeRule(workspace)
        let after = now.with(scope: scope)
        var projectNames: [ProjectID: String] = [:]
        var cursor: String?
        repeat {
            let page = try store.listProjects(in: workspace, only: nil, try PageRequest(limit: "500", cursor: cursor))
            for project in page.items { projectNames[project.id] = project.name }
            cursor = page.nextCursor
        } while cursor != nil
        var breaking: [Item] = []
        var restored: [Item] = []
        for binding in try store.referenceBindings(in: workspace, project: nil) {
            let item = Item(binding: binding, projectName: projectNames[binding.projectID] ?? "")
            switch (now.status(of: binding), after.status(of: binding)) {
            case (.ok, let later) where later != .ok: breaking.append(item)
            case (let earlier, .ok) where earlier != .ok: restored.append(item)
            default: break
            }
        }
        return ScopeSwitchPreview(
            from: settings.scope, to: scope, revision: settings.revision, breaking: breaking, restored: restored,
            projectsWithoutStore: projectNames.keys.sorted().filter { after.storeInScope(for: $0) == nil },
            confirmation: confirmationToken(workspace: workspace, from: settings.scope, to: scope, revision: settings.revision))
    }

    /// `v1.<revision>.<digest>`: the revision is what the switch compares; the digest ties the token to this
    /// workspace and this change, so a token from another preview is refused.
    static func confirmationToken(workspace: WorkspaceID, from: SecretsScope, to: SecretsScope, revision: Int64) -> String {
        let digest = SHA256.hash("keyward.scope-switch|\(workspace)|\(from.rawValue)|\(to.rawValue)|\(revision)")
        return "v1.\(revision).\(Hex.encode(digest.prefix(16)))"
    }

    /// The revision a confirmation token was made at, if it was made for this workspace and this change.
    static func revision(of token: String, workspace: WorkspaceID, from: SecretsScope, to: SecretsScope) throws -> Int64 {
        let parts = token.split(separator: ".")
        guard parts.count == 3, parts[0] == "v1", let revision = Int64(parts[1]), revision >= 0 else {
            throw KeywardError.invalidField("confirmation", "is not a confirmation token",
                                            hint: "Use the confirmation value returned by POST …/secrets-management/scope/preview.")
        }
        guard confirmationToken(workspace: workspace, from: from, to: to, revision: revision) == token else {
            throw KeywardError.conflict(code: "stale_confirmation",
                                        "This confirmation was made for another change or an earlier configuration.",
                                        hint: "Run the preview again for this change and confirm with its token.")
        }
        return revision
    }
}
