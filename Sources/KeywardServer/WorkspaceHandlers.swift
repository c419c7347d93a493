import KeywardCore
import KeywardHTTP

enum WorkspaceHandlers {
    static func create(_ context: RequestContext) throws -> HTTPResponse {
        let name = try Names.validated(context.body(NameBody.self).name)
        return .json(try context.store.createWorkspace(name: name), status: 201)
    }

    static func list(_ context: RequestContext) throws -> HTTPResponse {
        .json(try context.store.listWorkspaces(context.page()))
    }

    static func get(_ context: RequestContext) throws -> HTTPResponse {
        .json(try context.store.workspace(context.workspaceID))
    }

    static func update(_ context: RequestContext) throws -> HTTPResponse {
        let name = try Names.validated(context.body(NameBody.self).name)
        return .json(try context.store.renameWorkspace(context.workspaceID, to: name))
    }

    static func delete(_ context: RequestContext) throws -> HTTPResponse {
        try context.store.deleteWorkspace(context.workspaceID)
        return .noContent
    }

    static func grantAddon(_ context: RequestContext) throws -> HTTPResponse {
        let addon = try Addon.parse(context.parameters["addon"] ?? "")
        return .json(try context.store.grantAddon(addon, to: context.workspaceID))
    }

    static func revokeAddon(_ context: RequestContext) throws -> HTTPResponse {
        let addon = try Addon.parse(context.parameters["addon"] ?? "")
        return .json(try context.store.revokeAddon(addon, from: context.workspaceID))
    }
}
