import KeywardCore

/// What a route requires of its caller. Each route declares one; `Authorizer` enforces them all, so no
/// handler checks roles itself.
struct Access: Sendable {
    enum Target: Sendable {
        /// No token needed (health, readiness, the OpenAPI document).
        case anyone
        /// Prometheus: anyone when no scrape token is configured, else a bearer equal to it.
        case metricsScrape
        /// Any valid token; what the caller then sees is narrowed by `AccessPolicy`'s visibility rules.
        case authenticated
        /// A platform-level permission (in practice: operators).
        case platform
        /// The workspace named by the `{workspace}` path parameter.
        case workspace
        /// The project named by `{workspace}` and `{project}`.
        case project
        /// The connection named by `{connection}` alone: authorized on its project. A caller who may not
        /// act there is told it does not exist.
        case connection
        /// The token named by `{token}`: whoever may manage its role and scope, and the token itself.
        case token
        /// Issuing a token: whoever may manage the role and scope the request body asks for.
        case tokenIssue
    }

    var target: Target
    var permission: Permission?
    /// An add-on the workspace must hold (403 addon_required otherwise).
    var addon: Addon?
    /// A stronger permission needed when the request asks to force (`?force=true`).
    var forcePermission: Permission?

    static let anyone = Access(target: .anyone)
    static let metricsScrape = Access(target: .metricsScrape)
    static let authenticated = Access(target: .authenticated)
    static let token = Access(target: .token)
    static let tokenIssue = Access(target: .tokenIssue)

    /// No add-on and no forcing: the authorizer answers these from the connection's location alone.
    static func connection(_ permission: Permission) -> Access {
        Access(target: .connection, permission: permission)
    }

    static func platform(_ permission: Permission) -> Access { Access(target: .platform, permission: permission) }

    static func workspace(_ permission: Permission, addon: Addon? = nil, force: Permission? = nil) -> Access {
        Access(target: .workspace, permission: permission, addon: addon, forcePermission: force)
    }

    static func project(_ permission: Permission, addon: Addon? = nil, force: Permission? = nil) -> Access {
        Access(target: .project, permission: permission, addon: addon, forcePermission: force)
    }
}
