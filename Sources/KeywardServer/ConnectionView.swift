import KeywardCore
import KeywardResolver
import KeywardStorage

/// A connection as the API shows it: its fields (references as written, never resolved values) and the
/// status of each reference under the current secrets-management configuration.
struct ConnectionView: Encodable {
    let connection: Connection
    let references: [ReferenceView]

    struct ReferenceView: Encodable {
        let field: String
        let reference: SecretReference
        let storeID: StoreID?
        let status: ReferenceStatus
        /// What this server's cache holds for it: a reference that works may still be served stale.
        let cache: SecretCache.EntryState

        enum CodingKeys: String, CodingKey { case field, reference, storeID = "store_id", status, cache }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(field, forKey: .field)
            try c.encode(reference, forKey: .reference)
            try c.encode(storeID, forKey: .storeID)
            try c.encode(status, forKey: .status)
            try c.encode(cache, forKey: .cache)
        }
    }

    enum CodingKeys: String, CodingKey { case references }

    func encode(to encoder: Encoder) throws {
        try connection.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(references, forKey: .references)
    }

    /// Views for connections of one project, reading the bindings, the scope rule and the store in scope once.
    static func views(_ connections: [Connection], workspace: WorkspaceID, project: ProjectID, services: Services) throws -> [ConnectionView] {
        let store = services.store
        let bindings = try store.referenceBindings(in: workspace, project: project)
        let rule = bindings.isEmpty ? nil : try store.scopeRule(workspace)
        let storeInScope = bindings.isEmpty ? nil : try store.storeInScope(for: project, in: workspace).store
        let byConnection = Dictionary(grouping: bindings, by: \.connectionID)
        return connections.map { connection in
            ConnectionView(connection: connection, references: (byConnection[connection.id] ?? []).map { binding in
                let status = rule!.status(of: binding)
                var cache = SecretCache.EntryState.none
                if status == .ok, let storeInScope, storeInScope.id == binding.storeID {
                    cache = services.resolver.cache.state(SecretCache.Key(store: storeInScope.id, storeRevision: storeInScope.revision,
                                                                          name: binding.reference.name, version: binding.reference.version))
                }
                return ReferenceView(field: binding.field, reference: binding.reference, storeID: binding.storeID, status: status, cache: cache)
            })
        }
    }

    static func view(_ connection: Connection, services: Services) throws -> ConnectionView {
        try views([connection], workspace: connection.workspaceID, project: connection.projectID, services: services)[0]
    }
}
