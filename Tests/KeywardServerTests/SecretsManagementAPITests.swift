import Foundation
import KeywardCore
import KeywardTestSupport
import Testing
@testable import KeywardServer

/// Guide steps 1 and 2 through the API: add-on gating, stores, scope switching with preview and
/// confirmation, reference status, store deletion, the audit trail, and who may do each — on both stores.
@Suite struct SecretsManagementAPITests {
    /// A workspace with the add-on, two projects, a workspace admin token and a built-in workspace store.
    struct Fixture {
        let api: APIHarness
        let ws: Int64, p1: Int64, p2: Int64
        let admin: String

        init(_ engine: StoreEngine, store: Bool = true) throws {
            api = try APIHarness(engine: engine)
            ws = api.workspace()
            #expect(api.op("PUT", "/v1/workspaces/\(ws)/addons/advanced_security").status == 200)
            p1 = api.project(ws, "one")
            p2 = api.project(ws, "two")
            admin = api.token(.workspaceAdmin, ws: ws)
            if store {
                #expect(call("PUT", "/v1/workspaces/\(ws)/secrets-management", #"{"provider":"builtin"}"#).status == 201)
            }
        }

        var settings: String { "/v1/workspaces/\(ws)/secrets-management" }
        func projectSettings(_ p: Int64) -> String { "/v1/workspaces/\(ws)/projects/\(p)/secrets-management" }
        func connections(_ p: Int64) -> String { "/v1/workspaces/\(ws)/projects/\(p)/connections" }

        @discardableResult
        func call(_ method: String, _ path: String, _ body: String? = nil, token: String? = nil,
                  query: [String: String] = [:]) -> APIHarness.Reply {
            api.call(method, path, token: token ?? admin, body: body, query: query)
        }

        @discardableResult
        func connection(_ p: Int64, _ name: String, _ password: String) -> APIHarness.Reply {
            call("POST", connections(p), #"{"name":"\#(name)","type":"postgresql","fields":{"host":"db","password":"\#(password)"}}"#)
        }

        func preview(_ scope: String) -> APIHarness.Reply { call("POST", "\(settings)/scope/preview", #"{"scope":"\#(scope)"}"#) }

        func switchScope(_ scope: String, _ confirmation: String) -> APIHarness.Reply {
            call("PUT", "\(settings)/scope", #"{"scope":"\#(scope)","confirmation":"\#(confirmation)"}"#)
        }

        func statuses(_ p: Int64, _ id: Int64) -> [String] {
            let references = call("GET", "\(connections(p))/\(id)").json["references"] as? [[String: Any]] ?? []
            return references.compactMap { $0["status"] as? String }
        }
    }

    @Test(arguments: StoreEngine.available)
    func everySecretsEndpointNeedsTheAddon(_ engine: StoreEngine) throws {
        let api = try APIHarness(engine: engine)
        let ws = api.workspace()
        let p = api.project(ws)
        let base = "/v1/workspaces/\(ws)/secrets-management"
        let projectBase = "/v1/workspaces/\(ws)/projects/\(p)/secrets-management"
        for (method, path, body) in [("GET", base, nil), ("PUT", base, #"{"provider":"builtin"}"#), ("DELETE", base, nil),
                                     ("POST", "\(base)/scope/preview", #"{"scope":"project"}"#),
                                     ("PUT", "\(base)/scope", #"{"scope":"project","confirmation":"v1.0.00"}"#),
                                     ("GET", projectBase, nil), ("PUT", projectBase, #"{"provider":"builtin"}"#), ("DELETE", projectBase, nil)] {
            let reply = api.op(method, path, body)
            #expect(reply.status == 403, "\(method) \(path)")
            #expect(reply.code == "addon_required", "\(method) \(path)")
            #expect((reply.json["hint"] as? String)?.contains("keyward addon grant advanced_security --workspace \(ws)") == true)
        }
        // References in connections need it too; plain values do not.
        let connections = "/v1/workspaces/\(ws)/projects/\(p)/connections"
        #expect(api.op("POST", connections, #"{"name":"c","type":"generic","fields":{"p":"${secret:x}"}}"#).code == "addon_required")
        #expect(api.op("POST", connections, #"{"name":"c","type":"generic","fields":{"p":"plain"}}"#).status == 201)
    }

    @Test(arguments: StoreEngine.available)
    func configuringStoresAndReadingTheSettings(_ engine: StoreEngine) throws {
        let f = try Fixture(engine, store: false)
        #expect(f.call("GET", f.settings).json["scope"] as? String == "workspace")
        #expect(f.call("GET", f.settings).json["store"] is NSNull)
        let aws = f.call("PUT", f.settings, #"{"provider":"aws_secrets_manager","settings":{"region":"eu-west-1"}}"#)
        #expect(aws.status == 201)
        #expect((aws.json["settings"] as? [String: String])?["region"] == "eu-west-1")
        let updated = f.call("PUT", f.settings, #"{"provider":"aws_secrets_manager","settings":{"region":"eu-central-1","secret_name_prefix":"keyward/"}}"#)
        #expect(updated.status == 200)
        #expect(updated.int("revision") == 2)
        #expect(f.call("PUT", f.settings, #"{"provider":"builtin"}"#).code == "provider_change")
        #expect(f.call("PUT", f.settings, #"{"provider":"aws_secrets_manager","settings":{"region":"mars-1"}}"#).code == "invalid_field")
        #expect(f.call("PUT", f.settings, #"{"provider":"aws_secrets_manager","settings":{}}"#).code == "missing_field")
        #expect(f.call("PUT", f.settings, #"{"provider":"aws_secrets_manager","settings":{"region":"eu-west-1","access_key":"AKIA"}}"#).code == "invalid_field")
        #expect(f.call("PUT", f.settings, #"{"provider":"azure"}"#).code == "invalid_field")
        #expect(f.call("PUT", f.settings, #"{"provider":"builtin","extra":1}"#).code == "unknown_field")

        let project = f.call("PUT", f.projectSettings(f.p1), #"{"provider":"builtin","settings":{}}"#)
        #expect(project.status == 201)
        let view = f.call("GET", f.projectSettings(f.p1)).json
        #expect(view["active"] as? Bool == false, "a project store only serves under per-project scope")
        #expect((view["store_in_scope"] as? [String: Any])?["provider"] as? String == "aws_secrets_manager")
    }

    @Test(arguments: StoreEngine.available)
    func switchingScopeWithPreviewConfirmationAndSwitchingBack(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        let c1 = f.connection(f.p1, "warehouse", "${secret:prod/db#password}").int("id")
        let c2 = f.connection(f.p2, "crm", "x:${secret:crm/api}").int("id")
        #expect(f.statuses(f.p1, c1) == ["ok"])

        let preview = f.preview("project")
        #expect(preview.status == 200)
        let breaking = preview.json["breaking"] as? [[String: Any]] ?? []
        #expect(breaking.count == 2)
        let first = try #require(breaking.first)
        #expect(first["project_name"] as? String == "one")
        #expect(first["connection_name"] as? String == "warehouse")
        #expect(first["field"] as? String == "password")
        #expect(first["reference"] as? String == "secret:prod/db#password")
        #expect(Set(preview.json["projects_without_store"] as? [Int] ?? []) == [Int(f.p1), Int(f.p2)])
        let token = try #require(preview.json["confirmation"] as? String)

        // No switch without a confirmation, or with one for another change.
        #expect(f.call("PUT", "\(f.settings)/scope", #"{"scope":"project"}"#).code == "missing_field")
        #expect(f.switchScope("project", "v1.0.deadbeef").code == "stale_confirmation")
        #expect(f.call("GET", f.settings).json["scope"] as? String == "workspace")

        let switched = f.switchScope("project", token)
        #expect(switched.status == 200, "\(switched.json)")
        #expect(switched.json["scope"] as? String == "project")
        #expect((switched.json["references"] as? [String: Int])?["out_of_scope"] == 2)
        #expect(f.statuses(f.p1, c1) == ["out_of_scope"])
        #expect(f.statuses(f.p2, c2) == ["out_of_scope"])
        // The same token cannot be used twice.
        #expect(f.switchScope("project", token).code == "scope_unchanged")

        // Under project scope, a project store serves new references of that project.
        #expect(f.call("PUT", f.projectSettings(f.p1), #"{"provider":"builtin"}"#).status == 201)
        let c3 = f.connection(f.p1, "api", "${secret:p1/api}").int("id")
        #expect(f.statuses(f.p1, c3) == ["ok"])
        #expect(f.call("GET", f.projectSettings(f.p1)).json["active"] as? Bool == true)

        // Switching back restores what was bound to the workspace store, and breaks the project-bound one.
        let back = f.preview("workspace")
        #expect((back.json["restored"] as? [[String: Any]])?.count == 2)
        #expect(((back.json["breaking"] as? [[String: Any]])?.first)?["connection_name"] as? String == "api")
        #expect(f.switchScope("workspace", back.json["confirmation"] as? String ?? "").status == 200)
        #expect(f.statuses(f.p1, c1) == ["ok"])
        #expect(f.statuses(f.p2, c2) == ["ok"])
        #expect(f.statuses(f.p1, c3) == ["out_of_scope"])
    }

    @Test(arguments: StoreEngine.available)
    func anyChangeBetweenPreviewAndSwitchMakesTheConfirmationStale(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        let token = try #require(f.preview("project").json["confirmation"] as? String)
        f.connection(f.p1, "late", "${secret:late}")
        let reply = f.switchScope("project", token)
        #expect(reply.status == 409)
        #expect(reply.code == "stale_confirmation")
        #expect(f.call("GET", f.settings).json["scope"] as? String == "workspace")

        let fresh = try #require(f.preview("project").json["confirmation"] as? String)
        #expect(f.call("PUT", f.projectSettings(f.p2), #"{"provider":"builtin"}"#).status == 201)
        #expect(f.switchScope("project", fresh).code == "stale_confirmation")
    }

    @Test(arguments: StoreEngine.available)
    func theSwitchIsAuditedWithCountsAndNoSecretValues(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        f.connection(f.p1, "db", "${secret:prod/db#password}")
        let token = try #require(f.preview("project").json["confirmation"] as? String)
        #expect(f.switchScope("project", token).status == 200)
        let audit = f.call("GET", "/v1/workspaces/\(f.ws)/audit", query: ["action": "secrets.scope.switch"])
        let event = try #require(audit.items.first)
        #expect(event["actor_role"] as? String == "workspace_admin")
        #expect(event["request_id"] as? String == "test-request")
        let details = try #require(event["details"] as? [String: Any])
        #expect(details["from"] as? String == "workspace")
        #expect(details["to"] as? String == "project")
        #expect(details["breaking"] as? Int == 1)
        // Everything that changed the workspace, in order: the admin's token, the store, the connection, the switch.
        #expect(f.call("GET", "/v1/workspaces/\(f.ws)/audit").items.map { $0["action"] as? String } ==
                ["token.create", "secrets.store.create", "connection.create", "secrets.scope.switch"])
        // Auditors read it; project roles do not.
        #expect(f.api.call("GET", "/v1/workspaces/\(f.ws)/audit", token: f.api.token(.auditor, ws: f.ws)).status == 200)
        #expect(f.api.call("GET", "/v1/workspaces/\(f.ws)/audit", token: f.api.token(.projectAdmin, ws: f.ws, project: f.p1)).status == 403)
        #expect(f.call("GET", "/v1/workspaces/\(f.ws)/audit", query: ["action": "nonsense"]).code == "invalid_field")
        #expect(f.call("GET", "/v1/workspaces/\(f.ws)/audit", query: ["since": "yesterday"]).code == "invalid_field")
    }

    @Test(arguments: StoreEngine.available)
    func aReferencedStoreIsProtectedAndOnlyWorkspaceAdminsForce(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        let token = try #require(f.preview("project").json["confirmation"] as? String)
        #expect(f.switchScope("project", token).status == 200)
        #expect(f.call("PUT", f.projectSettings(f.p1), #"{"provider":"builtin"}"#).status == 201)
        let c = f.connection(f.p1, "db", "${secret:a}").int("id")
        let projectAdmin = f.api.token(.projectAdmin, ws: f.ws, project: f.p1)

        let refused = f.call("DELETE", f.projectSettings(f.p1), token: projectAdmin)
        #expect(refused.status == 409)
        #expect(refused.code == "store_in_use")
        #expect(((refused.json["references"] as? [[String: Any]])?.first)?["connection_id"] as? Int == Int(c))
        #expect(f.call("DELETE", f.projectSettings(f.p1), token: projectAdmin, query: ["force": "true"]).code == "force_forbidden")
        let forced = f.call("DELETE", f.projectSettings(f.p1), query: ["force": "true"])
        #expect(forced.json["references_unbound"] as? Int == 1)
        #expect(f.statuses(f.p1, c) == ["store_deleted"])
        #expect(f.call("DELETE", f.projectSettings(f.p1)).code == "store_not_found")
    }

    @Test(arguments: StoreEngine.available)
    func rolesAndProjectsAreKeptApart(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        let admin1 = f.api.token(.projectAdmin, ws: f.ws, project: f.p1)
        let member1 = f.api.token(.projectMember, ws: f.ws, project: f.p1)
        #expect(f.call("POST", "\(f.settings)/scope/preview", #"{"scope":"project"}"#, token: admin1).status == 403)
        #expect(f.call("PUT", "\(f.settings)/scope", #"{"scope":"project","confirmation":"v1.1.00"}"#, token: admin1).status == 403)
        #expect(f.call("PUT", f.settings, #"{"provider":"builtin"}"#, token: admin1).status == 403)
        #expect(f.call("PUT", f.projectSettings(f.p2), #"{"provider":"builtin"}"#, token: admin1).status == 403)
        #expect(f.call("PUT", f.projectSettings(f.p1), #"{"provider":"builtin"}"#, token: member1).status == 403)
        #expect(f.call("PUT", f.projectSettings(f.p1), #"{"provider":"builtin"}"#, token: admin1).status == 201)
        #expect(f.call("GET", f.settings, token: member1).status == 200, "members may see the scope")
        // Another workspace's admin sees nothing here.
        let other = f.api.workspace("Other")
        let otherAdmin = f.api.token(.workspaceAdmin, ws: other)
        #expect(f.call("GET", f.settings, token: otherAdmin).status == 403)
    }

    @Test(arguments: [
        ("POST", "/scope/preview", #"{"scope":"galaxy"}"#, "invalid_field"),
        ("POST", "/scope/preview", #"{"scope":"workspace"}"#, "scope_unchanged"),
        ("POST", "/scope/preview", #"{"scope":"project","x":1}"#, "unknown_field"),
        ("PUT", "/scope", #"{"scope":"project","confirmation":"nope"}"#, "invalid_field"),
        ("PUT", "/scope", #"{"scope":"project","confirmation":7}"#, "invalid_field"),
        ("PUT", "", #"{"provider":"builtin","settings":{"region":"x"}}"#, "invalid_field"),
        ("PUT", "", #"{"provider":"aws_secrets_manager","settings":{"region":5}}"#, "invalid_field"),
        ("PUT", "", #"{"settings":{}}"#, "missing_field"),
        ("PUT", "", "{", "malformed_json"),
    ])
    func badInputIsA4xxThatChangesNothing(_ method: String, _ suffix: String, _ body: String, _ code: String) throws {
        let f = try Fixture(.sqlite)
        let before = f.call("GET", f.settings).json["revision"] as? Int
        let reply = f.call(method, f.settings + suffix, body)
        #expect((400..<500).contains(reply.status))
        #expect(reply.code == code)
        #expect(f.call("GET", f.settings).json["revision"] as? Int == before)
    }

    @Test(arguments: StoreEngine.available)
    func malformedReferencesAreRejectedOnSave(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        let reply = f.connection(f.p1, "db", "${secret:has space}")
        #expect(reply.status == 400)
        #expect(reply.code == "invalid_reference")
        #expect(f.call("GET", f.connections(f.p1)).items.isEmpty)
    }
}
