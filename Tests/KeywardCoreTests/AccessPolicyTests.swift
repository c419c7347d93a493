import Testing
@testable import KeywardCore

/// Who may do what, stated as a table: the product's permission model in one place.
@Suite struct AccessPolicyTests {
    let ws = WorkspaceID(1), otherWS = WorkspaceID(2)
    let p = ProjectID(10), otherP = ProjectID(11)

    func principal(_ role: Role, _ scope: ResourceScope) -> Principal {
        Principal(tokenID: TokenID(rawValue: "00000000000000aa")!, role: role, scope: scope)
    }

    @Test func operatorMayDoEverythingEverywhere() {
        let op = principal(.operator, .platform)
        for permission in Permission.allCases {
            #expect(AccessPolicy.allows(op, permission, on: .platform))
            #expect(AccessPolicy.allows(op, permission, on: .project(otherWS, otherP)))
        }
    }

    @Test func workspaceAdminStaysInsideItsWorkspaceAndBelowThePlatform() {
        let admin = principal(.workspaceAdmin, .workspace(ws))
        #expect(AccessPolicy.allows(admin, .administerWorkspace, on: .workspace(ws)))
        #expect(AccessPolicy.allows(admin, .writeConnections, on: .project(ws, p)))
        #expect(!AccessPolicy.allows(admin, .administerWorkspace, on: .workspace(otherWS)))
        #expect(!AccessPolicy.allows(admin, .readProject, on: .project(otherWS, p)))
        #expect(!AccessPolicy.allows(admin, .administerPlatform, on: .workspace(ws)))
        #expect(!AccessPolicy.allows(admin, .resolve, on: .project(ws, p)))
    }

    @Test func projectRolesStayInsideTheirProject() {
        for role in [Role.projectAdmin, .projectMember] {
            let member = principal(role, .project(ws, p))
            #expect(AccessPolicy.allows(member, .writeConnections, on: .project(ws, p)))
            #expect(!AccessPolicy.allows(member, .readConnections, on: .project(ws, otherP)))
            #expect(AccessPolicy.allows(member, .readWorkspace, on: .workspace(ws)), "may see its own workspace's record")
            #expect(!AccessPolicy.allows(member, .readWorkspace, on: .workspace(otherWS)))
            #expect(!AccessPolicy.allows(member, .administerWorkspace, on: .workspace(ws)))
        }
        #expect(AccessPolicy.allows(principal(.projectAdmin, .project(ws, p)), .administerProject, on: .project(ws, p)))
        #expect(!AccessPolicy.allows(principal(.projectMember, .project(ws, p)), .administerProject, on: .project(ws, p)))
    }

    @Test func runtimeMayOnlyResolveItsOwnProject() {
        let runtime = principal(.runtime, .project(ws, p))
        #expect(AccessPolicy.allows(runtime, .resolve, on: .project(ws, p)))
        #expect(!AccessPolicy.allows(runtime, .resolve, on: .project(ws, otherP)))
        for permission in Permission.allCases where permission != .resolve {
            #expect(!AccessPolicy.allows(runtime, permission, on: .project(ws, p)), "\(permission)")
        }
    }

    @Test func auditorReadsButNeverChanges() {
        let auditor = principal(.auditor, .workspace(ws))
        #expect(AccessPolicy.allows(auditor, .readAudit, on: .workspace(ws)))
        #expect(AccessPolicy.allows(auditor, .readProject, on: .project(ws, p)))
        for permission in [Permission.administerWorkspace, .administerProject, .writeConnections, .resolve, .readConnections] {
            #expect(!AccessPolicy.allows(auditor, permission, on: .project(ws, p)), "\(permission)")
        }
    }

    @Test func nobodyIssuesTokensAboveThemselves() {
        let wsAdmin = principal(.workspaceAdmin, .workspace(ws))
        #expect(AccessPolicy.mayManageToken(wsAdmin, role: .runtime, scope: .project(ws, p)))
        #expect(AccessPolicy.mayManageToken(wsAdmin, role: .workspaceAdmin, scope: .workspace(ws)))
        #expect(!AccessPolicy.mayManageToken(wsAdmin, role: .operator, scope: .platform))
        #expect(!AccessPolicy.mayManageToken(wsAdmin, role: .runtime, scope: .project(otherWS, p)))

        let pAdmin = principal(.projectAdmin, .project(ws, p))
        #expect(AccessPolicy.mayManageToken(pAdmin, role: .runtime, scope: .project(ws, p)))
        #expect(AccessPolicy.mayManageToken(pAdmin, role: .projectAdmin, scope: .project(ws, p)))
        #expect(!AccessPolicy.mayManageToken(pAdmin, role: .runtime, scope: .project(ws, otherP)))
        #expect(!AccessPolicy.mayManageToken(pAdmin, role: .workspaceAdmin, scope: .workspace(ws)))
        #expect(!AccessPolicy.mayManageToken(pAdmin, role: .auditor, scope: .workspace(ws)))

        for role in [Role.projectMember, .runtime, .auditor] {
            #expect(!AccessPolicy.mayManageToken(principal(role, .project(ws, p)), role: .runtime, scope: .project(ws, p)))
        }
    }

    @Test func tokenVisibilityMatchesManagement() {
        let self_ = TokenID(rawValue: "00000000000000aa")!
        #expect(AccessPolicy.tokenVisibility(principal(.operator, .platform)) == .all)
        #expect(AccessPolicy.tokenVisibility(principal(.workspaceAdmin, .workspace(ws))) == .within(.workspace(ws), alsoSelf: self_))
        #expect(AccessPolicy.tokenVisibility(principal(.runtime, .project(ws, p))) == .only(self_))
    }
}

@Suite struct ResourceScopeTests {
    @Test func containment() {
        let ws = WorkspaceID(1), p = ProjectID(2)
        #expect(ResourceScope.platform.contains(.project(ws, p)))
        #expect(ResourceScope.workspace(ws).contains(.project(ws, p)))
        #expect(!ResourceScope.workspace(ws).contains(.workspace(WorkspaceID(9))))
        #expect(!ResourceScope.project(ws, p).contains(.workspace(ws)))
        #expect(!ResourceScope.project(ws, p).contains(.platform))
        #expect(ResourceScope.project(ws, p).contains(.project(ws, p)))
    }

    @Test func tokenScopeMustMatchTheRoleLevel() throws {
        let ws = WorkspaceID(1), p = ProjectID(2)
        #expect(try ResourceScope.forToken(role: .operator, workspaceID: nil, projectID: nil) == .platform)
        #expect(try ResourceScope.forToken(role: .auditor, workspaceID: ws, projectID: nil) == .workspace(ws))
        #expect(try ResourceScope.forToken(role: .runtime, workspaceID: ws, projectID: p) == .project(ws, p))
        #expect(throws: KeywardError.self) { try ResourceScope.forToken(role: .operator, workspaceID: ws, projectID: nil) }
        #expect(throws: KeywardError.self) { try ResourceScope.forToken(role: .workspaceAdmin, workspaceID: nil, projectID: nil) }
        #expect(throws: KeywardError.self) { try ResourceScope.forToken(role: .workspaceAdmin, workspaceID: ws, projectID: p) }
        #expect(throws: KeywardError.self) { try ResourceScope.forToken(role: .runtime, workspaceID: ws, projectID: nil) }
    }
}
