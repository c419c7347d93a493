import Foundation
import KeywardCore
import KeywardHTTP
import KeywardProviders
import KeywardStorage

/// The built-in store's secrets, for the workspace's store or a project's: put a new version, list names
/// and versions (never values), delete. Values are read only through the resolver.
enum BuiltinSecretsHandlers {
    static func putWorkspace(_ context: RequestContext) throws -> HTTPResponse { try put(context, project: nil) }
    static func listWorkspace(_ context: RequestContext) throws -> HTTPResponse { try list(context, project: nil) }
    static func deleteWorkspace(_ context: RequestContext) throws -> HTTPResponse { try delete(context, project: nil) }
    static func putProject(_ context: RequestContext) throws -> HTTPResponse { try put(context, project: try context.projectID) }
    static func listProject(_ context: RequestContext) throws -> HTTPResponse { try list(context, project: try context.projectID) }
    static func deleteProject(_ context: RequestContext) throws -> HTTPResponse { try delete(context, project: try context.projectID) }

    private static func put(_ context: RequestContext, project: ProjectID?) throws -> HTTPResponse {
        let body = try context.body(PutSecretBody.self)
        let (builtin, store) = try builtinStore(context, project: project)
        let info = try builtin.put(body.name, value: body.value, workspace: context.workspaceID, project: project, by: context.actor())
        // A new version is what references without a version read from now on.
        context.services.resolver.invalidate(store: store.id)
        return .json(info, status: info.latestVersion == 1 ? 201 : 200)
    }

    private static func list(_ context: RequestContext, project: ProjectID?) throws -> HTTPResponse {
        let (builtin, _) = try builtinStore(context, project: project)
        return .json(try builtin.list(workspace: context.workspaceID, project: project, context.page()))
    }

    private static func delete(_ context: RequestContext, project: ProjectID?) throws -> HTTPResponse {
        guard let name = context.request.query["name"], !name.isEmpty else {
            throw KeywardError(.badRequest, code: "missing_field", title: "Missing field", detail: "Name the secret with ?name=.",
                               extras: ["field": .string("name")])
        }
        let (builtin, store) = try builtinStore(context, project: project)
        let versions = try builtin.delete(name, workspace: context.workspaceID, project: project, by: context.actor())
        context.services.resolver.invalidate(store: store.id)
        return .json(["deleted": JSONValue.bool(true), "versions": .number(Double(versions))])
    }

    /// The built-in backend, and the store at this level, which must be a built-in one.
    private static func builtinStore(_ context: RequestContext, project: ProjectID?) throws -> (BuiltinSecretsBackend, SecretStore) {
        let where_ = project == nil ? "workspace" : "project"
        let store = try context.requireStore(project: project, suggested: .builtin)
        guard store.provider == .builtin, let builtin = context.services.builtin else {
            throw KeywardError(.conflict, code: "store_not_builtin", title: "Not the built-in store",
                               detail: "The \(where_)'s secrets manager is \(store.provider.rawValue); its secrets are managed there.",
                               hint: "Add the secret in \(store.provider.rawValue), or switch this \(where_) to the built-in store.")
        }
        return (builtin, store)
    }
}
