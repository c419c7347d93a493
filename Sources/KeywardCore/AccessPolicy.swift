/// What a caller may want to do. Routes name one permission each; the policy below is the only place
/// that decides whether a role holds it for a given scope.
public enum Permission: String, Sendable, CaseIterable {
    /// Create, update and delete workspaces; grant and revoke add-ons.
    case administerPlatform
    /// See a workspace's own record.
    case readWorkspace
    /// Create and delete projects, change workspace settings.
    case administerWorkspace
    /// See a project.
    case readProject
    /// Change a project and its settings.
    case administerProject
    /// See a project's connections.
    case readConnections
    /// Create, change and delete a project's connections.
    case writeConnections
    /// Obtain a connection's resolved secret values.
    case resolve
    /// Read the audit trail.
    case readAudit
}

public enum AccessPolicy {
    /// Which permissions each role holds inside its own scope. Operators hold all, everywhere.
    static func permissions(of role: Role) -> Set<Permission> {
        switch role {
        case .operator: Set(Permission.allCases)
        case .workspaceAdmin:
            [.readWorkspace, .administerWorkspace, .readProject, .administerProject, .readConnections,
             .writeConnections, .readAudit]
        case .auditor: [.readWorkspace, .readProject, .readAudit]
        case .projectAdmin: [.readWorkspace, .readProject, .administerProject, .readConnections, .writeConnections]
        case .projectMember: [.readWorkspace, .readProject, .readConnections, .writeConnections]
        case .runtime: [.resolve]
        }
    }

    /// The single authorization decision: may `principal` use `permission` on something in `target`?
    public static func allows(_ principal: Principal, _ permission: Permission, on target: ResourceScope) -> Bool {
        guard permissions(of: principal.role).contains(permission) else { return false }
        if principal.scope.contains(target) { return true }
        // A project-bound token may read the record of the workspace its project lives in.
        if permission == .readWorkspace, case .workspace(let ws) = target, principal.scope.workspaceID == ws {
            return true
        }
        return false
    }

    /// Whether `principal` may create, see, rename or revoke a token with `role` bound to `scope`.
    /// Nobody can hand out more than they hold: admins issue roles at or below their own level, inside
    /// their own scope, and only operators issue operator tokens.
    public static func mayManageToken(_ principal: Principal, role: Role, scope: ResourceScope) -> Bool {
        switch principal.role {
        case .operator: return true
        case .workspaceAdmin: return role != .operator && principal.scope.contains(scope)
        case .projectAdmin:
            return [.projectAdmin, .projectMember, .runtime].contains(role) && principal.scope.contains(scope)
        case .projectMember, .runtime, .auditor: return false
        }
    }

    /// Which tokens a principal sees when listing: those it may manage, and always its own.
    public static func tokenVisibility(_ principal: Principal) -> TokenVisibility {
        switch principal.role {
        case .operator: .all
        case .workspaceAdmin, .projectAdmin: .within(principal.scope, alsoSelf: principal.tokenID)
        case .projectMember, .runtime, .auditor: .only(principal.tokenID)
        }
    }

    /// Which projects of a workspace a principal sees when listing.
    public static func projectVisibility(_ principal: Principal) -> ProjectID? {
        principal.scope.projectID
    }
}

public enum TokenVisibility: Sendable, Equatable {
    case all
    case within(ResourceScope, alsoSelf: TokenID)
    case only(TokenID)
}
