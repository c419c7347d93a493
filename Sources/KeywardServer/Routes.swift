import KeywardCore
import KeywardHTTP

/// Every endpoint of the API, with the access rule it enforces.
enum Routes {
    static func all() -> Router<Route> {
        var router = Router<Route>()
        func add(_ method: HTTPMethod, _ path: String, _ operationID: String, _ access: Access, readOnly: Bool = false,
                 waits: Route.Waits = .never, _ handler: @escaping @Sendable (RequestContext) throws -> HTTPResponse) {
            router.add(method, path, Route(operationID: operationID, access: access, changesState: method != .GET && !readOnly,
                                           waits: waits, handler: handler))
        }

        add(.GET, "/healthz", "health", .anyone, SystemHandlers.health)
        add(.GET, "/readyz", "ready", .anyone, SystemHandlers.ready)
        add(.GET, "/openapi.json", "openapi", .anyone, SystemHandlers.openAPI)
        add(.GET, "/metrics", "metrics", .metricsScrape, SystemHandlers.metrics)
        add(.GET, "/v1/whoami", "whoami", .authenticated, TokenHandlers.whoami)

        let workspace = "/v1/workspaces/{workspace}"
        add(.POST, "/v1/workspaces", "createWorkspace", .platform(.administerPlatform), WorkspaceHandlers.create)
        add(.GET, "/v1/workspaces", "listWorkspaces", .platform(.administerPlatform), WorkspaceHandlers.list)
        add(.GET, workspace, "getWorkspace", .workspace(.readWorkspace), WorkspaceHandlers.get)
        add(.PATCH, workspace, "updateWorkspace", .workspace(.administerPlatform), WorkspaceHandlers.update)
        add(.DELETE, workspace, "deleteWorkspace", .workspace(.administerPlatform), WorkspaceHandlers.delete)
        add(.PUT, "\(workspace)/addons/{addon}", "grantAddon", .workspace(.administerPlatform), WorkspaceHandlers.grantAddon)
        add(.DELETE, "\(workspace)/addons/{addon}", "revokeAddon", .workspace(.administerPlatform), WorkspaceHandlers.revokeAddon)

        let project = "\(workspace)/projects/{project}"
        add(.POST, "\(workspace)/projects", "createProject", .workspace(.administerWorkspace), ProjectHandlers.create)
        add(.GET, "\(workspace)/projects", "listProjects", .workspace(.readWorkspace), ProjectHandlers.list)
        add(.GET, project, "getProject", .project(.readProject), ProjectHandlers.get)
        add(.PATCH, project, "updateProject", .project(.administerProject), ProjectHandlers.update)
        add(.DELETE, project, "deleteProject", .project(.administerWorkspace), ProjectHandlers.delete)

        let connections = "\(project)/connections"
        add(.POST, connections, "createConnection", .project(.writeConnections), ConnectionHandlers.create)
        add(.GET, connections, "listConnections", .project(.readConnections), ConnectionHandlers.list)
        add(.GET, "\(connections)/{connection}", "getConnection", .project(.readConnections), ConnectionHandlers.get)
        add(.PATCH, "\(connections)/{connection}", "updateConnection", .project(.writeConnections), ConnectionHandlers.update)
        add(.DELETE, "\(connections)/{connection}", "deleteConnection", .project(.writeConnections), ConnectionHandlers.delete)

        let secrets = "\(workspace)/secrets-management"
        let security = Addon.advancedSecurity
        add(.GET, secrets, "getWorkspaceSecretsManagement", .workspace(.readWorkspace, addon: security), SecretsManagementHandlers.getWorkspace)
        add(.PUT, secrets, "putWorkspaceStore", .workspace(.administerWorkspace, addon: security), SecretsManagementHandlers.putWorkspaceStore)
        add(.DELETE, secrets, "deleteWorkspaceStore", .workspace(.administerWorkspace, addon: security, force: .administerWorkspace),
            SecretsManagementHandlers.deleteWorkspaceStore)
        add(.POST, "\(secrets)/scope/preview", "previewScopeSwitch", .workspace(.administerWorkspace, addon: security),
            SecretsManagementHandlers.previewScope)
        add(.PUT, "\(secrets)/scope", "switchScope", .workspace(.administerWorkspace, addon: security), SecretsManagementHandlers.switchScope)
        let projectSecrets = "\(project)/secrets-management"
        add(.GET, projectSecrets, "getProjectSecretsManagement", .project(.readProject, addon: security), SecretsManagementHandlers.getProject)
        add(.PUT, projectSecrets, "putProjectStore", .project(.administerProject, addon: security), SecretsManagementHandlers.putProjectStore)
        add(.DELETE, projectSecrets, "deleteProjectStore", .project(.administerProject, addon: security, force: .administerWorkspace),
            SecretsManagementHandlers.deleteProjectStore)
        add(.GET, "\(secrets)/aws-setup", "getWorkspaceAWSSetup", .workspace(.readWorkspace, addon: security), waits: .always, AWSSetupHandlers.workspaceSetup)
        add(.POST, "\(secrets)/verify", "verifyWorkspaceStore", .workspace(.administerWorkspace, addon: security), readOnly: true,
            waits: .always, AWSSetupHandlers.verifyWorkspace)
        add(.GET, "\(projectSecrets)/aws-setup", "getProjectAWSSetup", .project(.readProject, addon: security), waits: .always, AWSSetupHandlers.projectSetup)
        add(.POST, "\(projectSecrets)/verify", "verifyProjectStore", .project(.administerProject, addon: security), readOnly: true,
            waits: .always, AWSSetupHandlers.verifyProject)
        add(.POST, "\(secrets)/cache/invalidate", "invalidateWorkspaceCache", .workspace(.administerWorkspace, addon: security),
            CacheHandlers.invalidateWorkspace)
        add(.POST, "\(projectSecrets)/cache/invalidate", "invalidateProjectCache", .project(.administerProject, addon: security),
            CacheHandlers.invalidateProject)
        add(.POST, "\(projectSecrets)/migrate", "migrateReferences", .project(.administerProject, addon: security), waits: .always, MigrationHandlers.migrate)
        add(.POST, "\(project)/references/check", "checkReference", .project(.writeConnections, addon: security), readOnly: true,
            waits: .always, ResolveHandlers.check)
        add(.POST, "/v1/connections/{connection}/resolve", "resolveConnection", .connection(.resolve), readOnly: true, waits: .unlessCached,
            ResolveHandlers.resolve)
        add(.POST, "/v1/connections/{connection}/test", "testConnection", .connection(.writeConnections), readOnly: true, waits: .always,
            ResolveHandlers.test)
        add(.POST, "\(workspace)/secrets", "putWorkspaceSecret", .workspace(.administerWorkspace, addon: security), BuiltinSecretsHandlers.putWorkspace)
        add(.GET, "\(workspace)/secrets", "listWorkspaceSecrets", .workspace(.administerWorkspace, addon: security), BuiltinSecretsHandlers.listWorkspace)
        add(.DELETE, "\(workspace)/secrets", "deleteWorkspaceSecret", .workspace(.administerWorkspace, addon: security), BuiltinSecretsHandlers.deleteWorkspace)
        add(.POST, "\(project)/secrets", "putProjectSecret", .project(.administerProject, addon: security), BuiltinSecretsHandlers.putProject)
        add(.GET, "\(project)/secrets", "listProjectSecrets", .project(.writeConnections, addon: security), BuiltinSecretsHandlers.listProject)
        add(.DELETE, "\(project)/secrets", "deleteProjectSecret", .project(.administerProject, addon: security), BuiltinSecretsHandlers.deleteProject)
        add(.GET, "\(workspace)/audit", "listAudit", .workspace(.readAudit), AuditHandlers.list)
        add(.GET, "\(workspace)/audit/head", "getAuditHead", .workspace(.readAudit), AuditHandlers.head)
        add(.POST, "\(workspace)/audit/verify", "verifyAudit", .workspace(.readAudit), readOnly: true, waits: .always, AuditHandlers.verify)
        add(.GET, "/v1/audit", "listPlatformAudit", .platform(.administerPlatform), AuditHandlers.list)
        add(.GET, "/v1/audit/head", "getPlatformAuditHead", .platform(.administerPlatform), AuditHandlers.head)
        add(.POST, "/v1/audit/verify", "verifyPlatformAudit", .platform(.administerPlatform), readOnly: true, waits: .always,
            AuditHandlers.verify)

        add(.POST, "/v1/tokens", "createToken", .tokenIssue, TokenHandlers.create)
        add(.GET, "/v1/tokens", "listTokens", .authenticated, TokenHandlers.list)
        add(.GET, "/v1/tokens/{token}", "getToken", .token, TokenHandlers.get)
        add(.PATCH, "/v1/tokens/{token}", "updateToken", .token, TokenHandlers.update)
        add(.DELETE, "/v1/tokens/{token}", "revokeToken", .token, TokenHandlers.revoke)
        return router
    }
}
