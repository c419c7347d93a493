import KeywardCore

/// What a route requires of its caller. Each route declares one; `Authorizer` enforces them all, so no
/// handler checks roles itself.
enum Access: Sendable {
    /// No token needed (health, readiness, the OpenAPI document).
    case anyone
    /// Any valid token; what the caller then sees is narrowed by `AccessPolicy`'s visibility rules.
    case authenticated
    /// A platform-level permission (in practice: operators).
    case platform(Permission)
    /// A permission on the workspace named by the `{workspace}` path parameter.
    case workspace(Permission)
    /// A permission on the project named by `{workspace}` and `{project}`.
    case project(Permission)
    /// Managing the token named by `{token}`: allowed to whoever may manage its role and scope, and to the
    /// token itself.
    case token
    /// Issuing a token: allowed when the caller may manage the role and scope the request body asks for.
    case tokenIssue
}
