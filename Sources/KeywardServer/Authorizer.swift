import KeywardCore
import KeywardHTTP
import KeywardStorage

/// The ids a request was authorized for, verified to exist and to belong together.
struct AuthorizedTarget: Sendable {
    var workspaceID: WorkspaceID?
    var projectID: ProjectID?
    var token: Token?
}

/// The one place where routes' access rules are enforced. Order matters and is the same everywhere:
/// authenticate (401), then decide on the scope named in the request (403), then check that what the
/// path names exists there (404). A caller outside a workspace therefore learns nothing about its contents.
struct Authorizer: Sendable {
    let store: any Store
    let authenticator: Authenticator

    func authorize(_ access: Access, _ request: HTTPRequest, _ parameters: [String: String]) throws
        -> (Principal?, AuthorizedTarget)
    {
        if case .anyone = access { return (nil, AuthorizedTarget()) }
        let principal = try authenticator.authenticate(request)
        switch access {
        case .anyone, .authenticated:
            return (principal, AuthorizedTarget())

        case .platform(let permission):
            try require(AccessPolicy.allows(principal, permission, on: .platform))
            return (principal, AuthorizedTarget())

        case .workspace(let permission):
            let ws = try PathIdentifiers.integer(parameters["workspace"], name: "workspace", as: WorkspaceID.self)
            try require(AccessPolicy.allows(principal, permission, on: .workspace(ws)))
            _ = try store.workspace(ws)
            return (principal, AuthorizedTarget(workspaceID: ws))

        case .project(let permission):
            let ws = try PathIdentifiers.integer(parameters["workspace"], name: "workspace", as: WorkspaceID.self)
            let p = try PathIdentifiers.integer(parameters["project"], name: "project", as: ProjectID.self)
            try require(AccessPolicy.allows(principal, permission, on: .project(ws, p)))
            _ = try store.project(p, in: ws)
            return (principal, AuthorizedTarget(workspaceID: ws, projectID: p))

        case .token:
            let id = try PathIdentifiers.token(parameters["token"])
            // A token the caller may not manage is reported as absent, like one that does not exist.
            guard let token = try store.credential(for: id)?.token,
                  token.id == principal.tokenID || AccessPolicy.mayManageToken(principal, role: token.role, scope: token.scope)
            else { throw KeywardError.notFound("Token", code: "token_not_found", id: id.rawValue) }
            return (principal, AuthorizedTarget(token: token))

        case .tokenIssue:
            let body = try JSONBody.decode(CreateTokenBody.self, from: request)
            let role = try Role.parse(body.role)
            let scope = try ResourceScope.forToken(role: role, workspaceID: body.workspaceID, projectID: body.projectID)
            try require(AccessPolicy.mayManageToken(principal, role: role, scope: scope))
            return (principal, AuthorizedTarget(workspaceID: scope.workspaceID, projectID: scope.projectID))
        }
    }

    private func require(_ allowed: Bool) throws {
        if !allowed { throw KeywardError.forbidden }
    }
}
