/// The one role an API token carries. A role fixes the level of scope the token is bound to.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Runs the platform: creates workspaces, grants add-ons. Bound to nothing.
    case `operator`
    /// Administers one workspace: its projects, settings and tokens.
    case workspaceAdmin = "workspace_admin"
    /// Administers one project: its connections, settings and tokens.
    case projectAdmin = "project_admin"
    /// Works inside one project: reads it and manages its connections.
    case projectMember = "project_member"
    /// A machine identity of one project: may only resolve that project's connections.
    case runtime
    /// Reads one workspace and its audit trail, changes nothing.
    case auditor

    public enum ScopeLevel: String, Sendable, CaseIterable { case platform, workspace, project }

    public var scopeLevel: ScopeLevel {
        switch self {
        case .operator: .platform
        case .workspaceAdmin, .auditor: .workspace
        case .projectAdmin, .projectMember, .runtime: .project
        }
    }

    public static func parse(_ raw: String) throws -> Role {
        guard let role = Role(rawValue: raw) else {
            throw KeywardError.invalidField(
                "role", "unknown role '\(raw.prefix(64))'",
                hint: "Use one of: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return role
    }
}

/// Where something lives: the whole platform, one workspace, or one project of a workspace.
public enum ResourceScope: Sendable, Hashable {
    case platform
    case workspace(WorkspaceID)
    case project(WorkspaceID, ProjectID)

    public var workspaceID: WorkspaceID? {
        switch self {
        case .platform: nil
        case .workspace(let ws), .project(let ws, _): ws
        }
    }

    public var projectID: ProjectID? {
        if case .project(_, let p) = self { return p }
        return nil
    }

    /// Whether `other` lies inside (or is) this scope.
    public func contains(_ other: ResourceScope) -> Bool {
        switch (self, other) {
        case (.platform, _): true
        case (.workspace(let ws), _): other.workspaceID == ws
        case (.project(let ws, let p), .project(let ows, let op)): ws == ows && p == op
        case (.project, _): false
        }
    }

    /// Builds the scope a token of `role` must have, rejecting ids the role level does not take.
    public static func forToken(role: Role, workspaceID: WorkspaceID?, projectID: ProjectID?) throws -> ResourceScope {
        switch (role.scopeLevel, workspaceID, projectID) {
        case (.platform, nil, nil): return .platform
        case (.workspace, let ws?, nil): return .workspace(ws)
        case (.project, let ws?, let p?): return .project(ws, p)
        case (.platform, _, _):
            throw KeywardError.invalidField("workspace_id", "an operator token is not bound to a workspace or project",
                                            hint: "Leave workspace_id and project_id out.")
        case (.workspace, nil, _):
            throw KeywardError.invalidField("workspace_id", "a \(role.rawValue) token needs a workspace_id")
        case (.workspace, _, _):
            throw KeywardError.invalidField("project_id", "a \(role.rawValue) token is bound to a whole workspace",
                                            hint: "Leave project_id out, or choose a project role.")
        case (.project, _, _):
            throw KeywardError.invalidField("project_id", "a \(role.rawValue) token needs a workspace_id and a project_id")
        }
    }
}
