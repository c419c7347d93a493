import Foundation
import KeywardCore
import Testing
@testable import KeywardServer

/// Authentication and RBAC through the API: the policy table of `AccessPolicyTests`, enforced on real routes.
@Suite struct AuthorizationTests {
    @Test func missingInvalidRevokedAndExpiredTokensAreEach401WithTheirOwnCode() throws {
        let api = try APIHarness()
        #expect(api.call("GET", "/v1/whoami", token: nil).code == "missing_token")
        let malformed = api.call("GET", "/v1/whoami", token: "not-a-token")
        #expect(malformed.status == 401)
        #expect(malformed.code == "invalid_token")
        #expect(malformed.headers.contains { $0.0 == "WWW-Authenticate" })
        // Right id, wrong secret: the constant-time comparison fails.
        let id = String(api.operatorToken.dropFirst(3).prefix(16))
        #expect(api.call("GET", "/v1/whoami", token: "kw_\(id)_\(String(repeating: "A", count: 43))").code == "invalid_token")
        #expect(api.app.respond(to: .init(method: "GET", path: "/v1/whoami", headers: ["authorization": "Basic abc"])).status == 401)

        let ws = api.workspace()
        let expiring = TokenSecrets.issue(name: "old", role: .workspaceAdmin, scope: .workspace(WorkspaceID(ws)),
                                          expiresAt: Date(timeIntervalSinceNow: -1))
        _ = try api.store.createToken(expiring.token, secretHash: expiring.secretHash,
                                     by: Actor(tokenID: expiring.token.id, role: .operator, requestID: "test"))
        #expect(api.call("GET", "/v1/whoami", token: expiring.secret).code == "token_expired")
    }

    @Test func aTokenJustAcceptedDoesNotOpenTheDoorToAnotherSecretWithItsID() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let admin = api.token(.workspaceAdmin, ws: ws)
        #expect(api.call("GET", "/v1/whoami", token: admin).status == 200)
        // Same id, every other secret of the same length: refused, though the real one was verified a moment ago.
        let prefix = String(admin.prefix(20))
        for forged in [prefix + String(repeating: "A", count: 43), prefix + String(admin.dropFirst(20).dropLast()) + "#",
                       String(admin.dropLast())] {
            #expect(api.call("GET", "/v1/whoami", token: forged).code == "invalid_token")
        }
        #expect(api.call("GET", "/v1/whoami", token: admin).status == 200)
        // A revocation through this server is seen by the next request.
        let id = String(admin.dropFirst(3).prefix(16))
        #expect(api.op("DELETE", "/v1/tokens/\(id)").status == 200)
        #expect(api.call("GET", "/v1/whoami", token: admin).code == "token_revoked")
    }

    @Test func onlyOperatorsManageWorkspacesAndAddons() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let admin = api.token(.workspaceAdmin, ws: ws)
        #expect(api.call("POST", "/v1/workspaces", token: admin, body: #"{"name":"x"}"#).status == 403)
        #expect(api.call("GET", "/v1/workspaces", token: admin).status == 403)
        #expect(api.call("PATCH", "/v1/workspaces/\(ws)", token: admin, body: #"{"name":"x"}"#).status == 403)
        #expect(api.call("DELETE", "/v1/workspaces/\(ws)", token: admin).status == 403)
        #expect(api.call("PUT", "/v1/workspaces/\(ws)/addons/advanced_security", token: admin).status == 403)
        #expect(api.call("GET", "/v1/workspaces/\(ws)", token: admin).status == 200)
    }

    @Test func workspaceAdminsCannotReachAnotherWorkspace() throws {
        let api = try APIHarness()
        let a = api.workspace("A"), b = api.workspace("B")
        let pb = api.project(b)
        let adminA = api.token(.workspaceAdmin, ws: a)
        let denied = api.call("GET", "/v1/workspaces/\(b)", token: adminA)
        #expect(denied.status == 403)
        #expect(denied.code == "forbidden")
        #expect(api.call("GET", "/v1/workspaces/\(b)/projects", token: adminA).status == 403)
        #expect(api.call("GET", "/v1/workspaces/\(b)/projects/\(pb)/connections", token: adminA).status == 403)
        // A project id of workspace B named under workspace A does not exist there.
        #expect(api.call("GET", "/v1/workspaces/\(a)/projects/\(pb)", token: adminA).code == "project_not_found")
        #expect(api.call("POST", "/v1/workspaces/\(a)/projects/\(pb)/connections", token: adminA,
                         body: #"{"name":"x","type":"generic"}"#).code == "project_not_found")
        #expect(api.call("GET", "/v1/workspaces/\(b)/projects/\(pb)/connections", token: api.operatorToken).items.isEmpty)
    }

    @Test func projectRolesAreConfinedToTheirProject() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let p1 = api.project(ws, "one"), p2 = api.project(ws, "two")
        let admin1 = api.token(.projectAdmin, ws: ws, project: p1)
        let member1 = api.token(.projectMember, ws: ws, project: p1)
        let connections1 = "/v1/workspaces/\(ws)/projects/\(p1)/connections"
        let connections2 = "/v1/workspaces/\(ws)/projects/\(p2)/connections"

        #expect(api.call("POST", connections1, token: member1, body: #"{"name":"c","type":"generic"}"#).status == 201)
        #expect(api.call("POST", connections2, token: member1, body: #"{"name":"c","type":"generic"}"#).status == 403)
        #expect(api.call("GET", connections2, token: admin1).status == 403)
        #expect(api.call("PATCH", "/v1/workspaces/\(ws)/projects/\(p2)", token: admin1, body: #"{"name":"x"}"#).status == 403)
        #expect(api.call("PATCH", "/v1/workspaces/\(ws)/projects/\(p1)", token: member1, body: #"{"name":"x"}"#).status == 403)
        #expect(api.call("PATCH", "/v1/workspaces/\(ws)/projects/\(p1)", token: admin1, body: #"{"name":"uno"}"#).status == 200)
        #expect(api.call("DELETE", "/v1/workspaces/\(ws)/projects/\(p1)", token: admin1).status == 403)
        #expect(api.call("POST", "/v1/workspaces/\(ws)/projects", token: admin1, body: #"{"name":"x"}"#).status == 403)
        // Listing projects shows a project-bound caller only its own project.
        let listed = api.call("GET", "/v1/workspaces/\(ws)/projects", token: member1).items.compactMap { ($0["id"] as? NSNumber)?.int64Value }
        #expect(listed == [p1])
    }

    @Test func runtimeTokensCannotUseTheControlPlane() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let p = api.project(ws)
        let runtime = api.token(.runtime, ws: ws, project: p)
        #expect(api.call("GET", "/v1/workspaces/\(ws)", token: runtime).status == 403)
        #expect(api.call("GET", "/v1/workspaces/\(ws)/projects/\(p)/connections", token: runtime).status == 403)
        #expect(api.call("POST", "/v1/tokens", token: runtime, body: #"{"name":"x","role":"runtime","workspace_id":\#(ws),"project_id":\#(p)}"#).status == 403)
        #expect(api.call("GET", "/v1/whoami", token: runtime).json["role"] as? String == "runtime")
    }

    @Test func auditorsReadButCannotChangeOrSeeConnections() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let p = api.project(ws)
        let auditor = api.token(.auditor, ws: ws)
        #expect(api.call("GET", "/v1/workspaces/\(ws)/projects", token: auditor).status == 200)
        #expect(api.call("POST", "/v1/workspaces/\(ws)/projects", token: auditor, body: #"{"name":"x"}"#).status == 403)
        #expect(api.call("GET", "/v1/workspaces/\(ws)/projects/\(p)/connections", token: auditor).status == 403)
    }

    @Test func tokenIssuingNeverEscalates() throws {
        let api = try APIHarness()
        let ws = api.workspace(), other = api.workspace("Other")
        let p1 = api.project(ws, "one"), p2 = api.project(ws, "two")
        let wsAdmin = api.token(.workspaceAdmin, ws: ws)
        let pAdmin = api.token(.projectAdmin, ws: ws, project: p1)

        func issue(_ body: String, by token: String) -> Int { api.call("POST", "/v1/tokens", token: token, body: body).status }
        #expect(issue(#"{"name":"x","role":"operator"}"#, by: wsAdmin) == 403)
        #expect(issue(#"{"name":"x","role":"workspace_admin","workspace_id":\#(other)}"#, by: wsAdmin) == 403)
        #expect(issue(#"{"name":"x","role":"runtime","workspace_id":\#(ws),"project_id":\#(p2)}"#, by: wsAdmin) == 201)
        #expect(issue(#"{"name":"x","role":"runtime","workspace_id":\#(ws),"project_id":\#(p1)}"#, by: pAdmin) == 201)
        #expect(issue(#"{"name":"x","role":"runtime","workspace_id":\#(ws),"project_id":\#(p2)}"#, by: pAdmin) == 403)
        #expect(issue(#"{"name":"x","role":"workspace_admin","workspace_id":\#(ws)}"#, by: pAdmin) == 403)
        #expect(issue(#"{"name":"x","role":"auditor","workspace_id":\#(ws)}"#, by: pAdmin) == 403)
        // A scope that does not match the role is a 400, whoever asks.
        #expect(api.call("POST", "/v1/tokens", token: api.operatorToken, body: #"{"name":"x","role":"runtime","workspace_id":\#(ws)}"#).code == "invalid_field")
        #expect(api.call("POST", "/v1/tokens", token: api.operatorToken, body: #"{"name":"x","role":"runtime","workspace_id":\#(ws),"project_id":999}"#).code == "project_not_found")
    }

    @Test func tokensAreListedAndManagedOnlyWithinReach() throws {
        let api = try APIHarness()
        let ws = api.workspace(), other = api.workspace("Other")
        let p1 = api.project(ws, "one")
        let wsAdmin = api.token(.workspaceAdmin, ws: ws)
        let otherAdmin = api.token(.workspaceAdmin, ws: other)
        let runtime = api.token(.runtime, ws: ws, project: p1)
        let runtimeID = String(runtime.dropFirst(3).prefix(16))
        let otherID = String(otherAdmin.dropFirst(3).prefix(16))

        let seenByAdmin = Set(api.call("GET", "/v1/tokens", token: wsAdmin).items.compactMap { $0["id"] as? String })
        #expect(seenByAdmin.contains(runtimeID))
        #expect(!seenByAdmin.contains(otherID))
        #expect(api.call("GET", "/v1/tokens/\(otherID)", token: wsAdmin).code == "token_not_found")
        #expect(api.call("DELETE", "/v1/tokens/\(otherID)", token: wsAdmin).code == "token_not_found")
        #expect(api.call("GET", "/v1/tokens", token: runtime).items.compactMap { $0["id"] as? String } == [runtimeID])
        // Any token may revoke itself.
        #expect(api.call("DELETE", "/v1/tokens/\(runtimeID)", token: runtime).json["status"] as? String == "revoked")
        #expect(api.call("GET", "/v1/whoami", token: runtime).code == "token_revoked")
        #expect(api.call("GET", "/v1/tokens/zzzz", token: wsAdmin).code == "invalid_id")
    }

    @Test func deletingAProjectRevokesItsTokens() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let p = api.project(ws)
        let member = api.token(.projectMember, ws: ws, project: p)
        #expect(api.op("DELETE", "/v1/workspaces/\(ws)/projects/\(p)").status == 204)
        #expect(api.call("GET", "/v1/whoami", token: member).code == "token_revoked")
    }
}
