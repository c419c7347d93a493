import KeywardCore
import KeywardHTTP
import KeywardStorage

enum ConnectionHandlers {
    static func create(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.body(CreateConnectionBody.self)
        let draft = ConnectionDraft(name: try Names.validated(body.name), type: try ConnectionType.parse(body.type),
                                    fields: body.fields ?? ConnectionFields())
        let connection = try context.store.createConnection(draft, in: context.workspaceID, project: context.projectID, by: context.actor())
        return .json(try ConnectionView.view(connection, services: context.services), status: 201)
    }

    static func list(_ context: RequestContext) throws -> HTTPResponse {
        let ws = try context.workspaceID, p = try context.projectID
        let page = try context.store.listConnections(in: ws, project: p, context.page())
        return .json(Page(items: try ConnectionView.views(page.items, workspace: ws, project: p, services: context.services),
                          nextCursor: page.nextCursor))
    }

    static func get(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.identifier("connection", as: ConnectionID.self)
        let connection = try context.store.connection(id, in: context.workspaceID, project: context.projectID)
        return .json(try ConnectionView.view(connection, services: context.services))
    }

    static func update(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.identifier("connection", as: ConnectionID.self)
        let body = try context.body(UpdateConnectionBody.self)
        let change = ConnectionChange(name: try body.name.map { try Names.validated($0) }, fields: body.fields)
        let connection = try context.store.updateConnection(id, in: context.workspaceID, project: context.projectID, change, by: context.actor())
        return .json(try ConnectionView.view(connection, services: context.services))
    }

    static func delete(_ context: RequestContext) throws -> HTTPResponse {
        let id = try context.identifier("connection", as: ConnectionID.self)
        try context.store.deleteConnection(id, in: context.workspaceID, project: context.projectID, by: context.actor())
        return .noContent
    }
}
