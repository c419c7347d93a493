import KeywardCore
import KeywardHTTP

enum ProjectHandlers {
    static func create(_ context: RequestContext) throws -> HTTPResponse {
        let name = try Names.validated(context.body(NameBody.self).name)
        return .json(try context.store.createProject(in: context.workspaceID, name: name), status: 201)
    }

    static func list(_ context: RequestContext) throws -> HTTPResponse {
        let only = AccessPolicy.projectVisibility(try context.caller())
        return .json(try context.store.listProjects(in: context.workspaceID, only: only, context.page()))
    }

    static func get(_ context: RequestContext) throws -> HTTPResponse {
        .json(try context.store.project(context.projectID, in: context.workspaceID))
    }

    static func update(_ context: RequestContext) throws -> HTTPResponse {
        let name = try Names.validated(context.body(NameBody.self).name)
        return .json(try context.store.renameProject(context.projectID, in: context.workspaceID, to: name))
    }

    static func delete(_ context: RequestContext) throws -> HTTPResponse {
        try context.store.deleteProject(context.projectID, in: context.workspaceID)
        return .noContent
    }
}
