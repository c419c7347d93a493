import KeywardCore
import KeywardHTTP
import KeywardStorage

enum ConnectionHandlers {
    static func create(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.body(CreateConnectionBody.self)
        let draft = ConnectionDraft(name: try Names.validated(body.name), type: try ConnectionType.parse(body.type),
                                    fields: body.fields ?? ConnectionFields())
        return .json(try context.store.createConnection(draft, in: context.workspaceID, project: context.projectID),
                     status: 201)
    }

    static func list(_ context: RequestContext) throws -> HTTPResponse {
        .json(try context.store.listConnections(in: context.workspaceID, project: context.projectID, context.page()))
    }

    static func get(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.identifier("connection", as: ConnectionID.self)
        return .json(try context.store.connection(id, in: context.workspaceID, project: context.projectID))
    }

    static func update(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.identifier("connection", as: ConnectionID.self)
        let body = try context.body(UpdateConnectionBody.self)
        let change = ConnectionChange(name: try body.name.map { try Names.validated($0) }, fields: body.fields)
        return .json(try context.store.updateConnection(id, in: context.workspaceID, project: context.projectID, change))
    }

    static func delete(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.identifier("connection", as: ConnectionID.self)
        try context.store.deleteConnection(id, in: context.workspaceID, project: context.projectID)
        return .noContent
    }
}
