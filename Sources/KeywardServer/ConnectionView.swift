import KeywardCore
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

        enum CodingKeys: String, CodingKey { case field, reference, storeID = "store_id", status }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(field, forKey: .field)
            try c.encode(reference, forKey: .reference)
            try c.encode(storeID, forKey: .storeID)
            try c.encode(status, forKey: .status)
        }
    }

    enum CodingKeys: String, CodingKey { case references }

    func encode(to encoder: Encoder) throws {
        try connection.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(references, forKey: .references)
    }

    /// Views for connections of one project, reading the bindings and the scope rule once.
    static func views(_ connections: [Connection], workspace: WorkspaceID, project: ProjectID, store: any Store) throws -> [ConnectionView] {
        let bindings = try store.referenceBindings(in: workspace, project: project)
        let rule = bindings.isEmpty ? nil : try store.scopeRule(workspace)
        let byConnection = Dictionary(grouping: bindings, by: \.connectionID)
        return connections.map { connection in
            ConnectionView(connection: connection, references: (byConnection[connection.id] ?? []).map { binding in
                ReferenceView(field: binding.field, reference: binding.reference, storeID: binding.storeID,
                              status: rule!.status(of: binding))
            })
        }
    }

    static func view(_ connection: Connection, store: any Store) throws -> ConnectionView {
        try views([connection], workspace: connection.workspaceID, project: connection.projectID, store: store)[0]
    }
}
