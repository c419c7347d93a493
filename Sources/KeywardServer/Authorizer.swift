import KeywardCore
import KeywardCrypto
import KeywardHTTP
import KeywardStorage

/// The ids a request was authorized for, verified to exist and to belong together.
struct AuthorizedTarget: Sendable {
    var workspaceID: WorkspaceID?
    var projectID: ProjectID?
    var connectionID: ConnectionID?
    var token: Token?
    /// The request asked to force, and the caller holds the permission forcing needs.
    var force = false
}

/// The one place where routes' access rules are enforced. Order matters and is the same everywhere:
/// authenticate (401), decide on the scope named in the request (403), check that what the path names
/// exists there (404), then check the workspace's add-ons (403 addon_required). A caller outside a
/// workspace therefore learns nothing about its contents.
struct Authorizer: Sendable {
    let store: any Store
    let authenticator: Authenticator
    /// Where connections live; a connection never moves, and a deleted one is refused by its handler.
    let locations: ReadCache<ConnectionID, ConnectionLocation>

    struct ConnectionLocation: Sendable {
        var workspace: WorkspaceID
        var project: ProjectID
    }

    /// The bearer `/metrics` requires, when the operator configured one.
    let metricsToken: [UInt8]?

    init(store: any Store, changes: ChangeCounter, metricsToken: String? = nil) {
        self.store = store
        self.metricsToken = metricsToken.map { Array($0.utf8) }
        authenticator = Authenticator(store: store, changes: changes)
        locations = ReadCache(ttl: 60, changes: changes)
    }

    func authorize(_ access: Access, _ request: HTTPRequest, _ parameters: [String: String]) throws
        -> (Principal?, AuthorizedTarget)
    {
        if case .anyone = access.target { return (nil, AuthorizedTarget()) }
        if case .metricsScrape = access.target {
            guard let expected = metricsToken else { return (nil, AuthorizedTarget()) }
            guard let presented = request.header("authorization").flatMap(Authenticator.bearerToken),
                  ConstantTime.equals(presented.utf8, expected) else {
                throw KeywardError(.unauthenticated, code: "invalid_token", title: "Authentication required",
                                   detail: "/metrics needs the scrape token this server was started with.",
                                   hint: "Send Authorization: Bearer <the KEYWARD_METRICS_TOKEN value>.")
            }
            return (nil, AuthorizedTarget())
        }
        let principal = try authenticator.authenticate(request)
        var target = AuthorizedTarget()
        var scope = ResourceScope.platform
        switch access.target {
        case .anyone, .authenticated, .metricsScrape:
            return (principal, target)

        case .platform:
            break

        case .workspace:
            let ws = try PathIdentifiers.integer(parameters["workspace"], name: "workspace", as: WorkspaceID.self)
            scope = .workspace(ws)
            target.workspaceID = ws

        case .project:
            let ws = try PathIdentifiers.integer(parameters["workspace"], name: "workspace", as: WorkspaceID.self)
            let p = try PathIdentifiers.integer(parameters["project"], name: "project", as: ProjectID.self)
            scope = .project(ws, p)
            target.workspaceID = ws
            target.projectID = p

        case .connection:
            let id = try PathIdentifiers.integer(parameters["connection"], name: "connection", as: ConnectionID.self)
            // Who cannot see the connection learns nothing about it; who can see it but not do this gets 403.
            guard let location = try locations.value(id, load: {
                      try store.connectionLocation(id).map { ConnectionLocation(workspace: $0.workspace, project: $0.project) }
                  }),
                  case let (ws, p) = (location.workspace, location.project),
                  AccessPolicy.allows(principal, .readConnections, on: .project(ws, p))
                    || access.permission.map({ AccessPolicy.allows(principal, $0, on: .project(ws, p)) }) ?? true
            else { throw KeywardError.notFound("Connection", code: "connection_not_found", id: String(id.rawValue)) }
            scope = .project(ws, p)
            target.workspaceID = ws
            target.projectID = p
            target.connectionID = id
            // The connection's existence implies its project's; the handler reads the connection itself.
            try requirePermission(access, principal, scope)
            return (principal, target)

        case .token:
            let id = try PathIdentifiers.token(parameters["token"])
            // A token the caller may not manage is reported as absent, like one that does not exist.
            guard let token = try store.credential(for: id)?.token,
                  token.id == principal.tokenID || AccessPolicy.mayManageToken(principal, role: token.role, scope: token.scope)
            else { throw KeywardError.notFound("Token", code: "token_not_found", id: id.rawValue) }
            target.token = token
            return (principal, target)

        case .tokenIssue:
            let body = try JSONBody.decode(CreateTokenBody.self, from: request)
            let role = try Role.parse(body.role)
            let scope = try ResourceScope.forToken(role: role, workspaceID: body.workspaceID, projectID: body.projectID)
            try require(AccessPolicy.mayManageToken(principal, role: role, scope: scope))
            return (principal, AuthorizedTarget(workspaceID: scope.workspaceID, projectID: scope.projectID))
        }

        try requirePermission(access, principal, scope)
        if request.query["force"] == "true" {
            if let forcePermission = access.forcePermission {
                guard AccessPolicy.allows(principal, forcePermission, on: scope) else {
                    throw KeywardError(.forbidden, code: "force_forbidden", title: "Not allowed to force",
                                       detail: "Forcing this needs the \(forcePermission.rawValue) permission, which your token does not hold here.",
                                       hint: "Ask a workspace admin, or resolve the conflict instead of forcing.")
                }
            }
            target.force = true
        }

        // Existence: the project must exist in that workspace (its lookup also reports a missing workspace),
        // or the workspace must exist. The workspace record is read only when it is needed.
        if let ws = target.workspaceID {
            if let p = target.projectID { _ = try store.project(p, in: ws) }
            if target.projectID == nil || access.addon != nil {
                let workspace = try store.workspace(ws)
                if let addon = access.addon, !workspace.has(addon) { throw KeywardError.addonRequired(addon, workspace: ws) }
            }
        }
        return (principal, target)
    }

    private func requirePermission(_ access: Access, _ principal: Principal, _ scope: ResourceScope) throws {
        if let permission = access.permission { try require(AccessPolicy.allows(principal, permission, on: scope)) }
    }

    private func require(_ allowed: Bool) throws {
        if !allowed { throw KeywardError.forbidden }
    }
}
