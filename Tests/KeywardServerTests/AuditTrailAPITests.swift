import Foundation
import KeywardCore
import KeywardHTTP
import KeywardTestSupport
import Testing
@testable import KeywardServer

/// The audit trail through the API: what each kind of request records (and never: values, tokens), the
/// chain's head and its verification, and tampering done to the database behind Keyward's back.
@Suite struct AuditTrailAPITests {
    struct Fixture {
        let api: APIHarness
        let ws: Int64, p: Int64
        let admin: String, runtime: String
        let connection: Int64

        init(_ engine: StoreEngine, auditAccess: Bool = true) throws {
            api = try APIHarness(engine: engine, auditAccess: auditAccess)
            ws = api.workspace()
            api.op("PUT", "/v1/workspaces/\(ws)/addons/advanced_security")
            p = api.project(ws)
            admin = api.token(.workspaceAdmin, ws: ws)
            runtime = api.token(.runtime, ws: ws, project: p)
            api.call("PUT", "/v1/workspaces/\(ws)/secrets-management", token: admin, body: #"{"provider":"builtin"}"#)
            api.call("POST", "/v1/workspaces/\(ws)/secrets", token: admin, body: #"{"name":"prod/db","value":"{\"password\":\"canary-audited\"}"}"#)
            connection = api.call("POST", "/v1/workspaces/\(ws)/projects/\(p)/connections", token: admin,
                                  body: #"{"name":"warehouse","type":"generic","fields":{"password":"${secret:prod/db#password}","host":"db"}}"#).int("id")
        }

        func audit(_ query: [String: String] = [:]) -> [[String: Any]] {
            api.call("GET", "/v1/workspaces/\(ws)/audit", token: admin, query: query.merging(["limit": "500"]) { a, _ in a }).items
        }

        func verify(_ body: String? = nil, token: String? = nil) -> APIHarness.Reply {
            api.call("POST", "/v1/workspaces/\(ws)/audit/verify", token: token ?? admin, body: body)
        }
    }

    @Test(arguments: StoreEngine.available)
    func everySecretAccessIsRecordedWithItsOutcomeAndNeverItsValue(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        let resolve = { f.api.call("POST", "/v1/connections/\(f.connection)/resolve", token: f.runtime) }
        #expect(resolve().status == 200)
        #expect(resolve().status == 200)
        f.api.call("POST", "/v1/connections/\(f.connection)/test", token: f.admin)
        f.api.call("POST", "/v1/workspaces/\(f.ws)/projects/\(f.p)/references/check", token: f.admin, body: #"{"reference":"secret:prod/db#password"}"#)
        f.api.call("POST", "/v1/workspaces/\(f.ws)/projects/\(f.p)/references/check", token: f.admin, body: #"{"reference":"secret:missing"}"#)

        let resolves = f.audit(["action": "connection.resolve"])
        #expect(resolves.count == 2)
        let first = try #require(resolves.first)
        #expect(first["actor_role"] as? String == "runtime" && first["outcome"] as? String == "success")
        #expect(first["connection_id"] as? Int64 == f.connection && first["project_id"] as? Int64 == f.p)
        #expect(first["request_id"] as? String == "test-request")
        let references = try #require((first["details"] as? [String: Any])?["references"] as? [[String: Any]])
        #expect(references.first?["reference"] as? String == "secret:prod/db#password" && references.first?["field"] as? String == "password")
        #expect(references.first?["version_id"] as? String == "1")
        #expect(resolves.map { ($0["details"] as? [String: Any])?["references"] as? [[String: Any]] }.map { $0?.first?["cache"] as? String } == ["miss", "hit"])
        #expect(f.audit(["action": "connection.test"]).first?["outcome"] as? String != nil)
        #expect(f.audit(["action": "reference.check"]).map { $0["outcome"] as? String } == ["success", "secret_not_found"])

        // The harness scans every record for the canary when it goes; here, that the scan sees what is recorded.
        let text = try f.api.auditedText()
        #expect(text.contains("secret:prod/db#password") && !text.contains("canary"))
        #expect(!text.contains(f.runtime) && !text.contains(String(f.runtime.suffix(43))))
    }

    @Test func aFailedResolveIsRecordedWithItsErrorCode() throws {
        let f = try Fixture(.sqlite)
        // Switching scope leaves the reference out of scope: resolving it fails, and says so in the trail.
        let preview = f.api.call("POST", "/v1/workspaces/\(f.ws)/secrets-management/scope/preview", token: f.admin, body: #"{"scope":"project"}"#)
        let token = try #require(preview.json["confirmation"] as? String)
        f.api.call("PUT", "/v1/workspaces/\(f.ws)/secrets-management/scope", token: f.admin, body: #"{"scope":"project","confirmation":"\#(token)"}"#)
        #expect(f.api.call("POST", "/v1/connections/\(f.connection)/resolve", token: f.runtime).status == 424)
        let failed = try #require(f.audit(["action": "connection.resolve", "outcome": "reference_out_of_scope"]).first)
        #expect((failed["details"] as? [String: Any])?["field"] as? String == "password")
    }

    @Test func tokenChangesAndSignInsAreRecordedInTheirChain() throws {
        let f = try Fixture(.sqlite)
        // Tokens of the workspace in its chain; an operator token in the platform's.
        let created = f.api.call("POST", "/v1/tokens", token: f.admin, body: #"{"name":"ci","role":"project_member","workspace_id":\#(f.ws),"project_id":\#(f.p)}"#)
        let id = try #require((created.json["token"] as? [String: Any])?["id"] as? String)
        f.api.call("DELETE", "/v1/tokens/\(id)", token: f.admin)
        let changes = f.audit(["action": "token.revoke"])
        #expect(changes.count == 1 && (changes[0]["details"] as? [String: Any])?["token_id"] as? String == id)
        #expect(!(try f.api.auditedText()).contains(try #require(created.json["secret"] as? String)))
        f.api.op("POST", "/v1/tokens", #"{"name":"second-operator","role":"operator"}"#)
        let platform = f.api.op("GET", "/v1/audit", nil).items
        #expect(platform.map { $0["action"] as? String }.contains("token.create"))
        #expect(platform.allSatisfy { $0["workspace_id"] as? Int == 0 })
        #expect(f.api.call("GET", "/v1/audit", token: f.admin).status == 403)

        // A console sign-in, in the chain of the token that signed in (here the operator's: the platform's).
        let console = ConsoleTests()
        let cookie = try console.signIn(f.api)
        _ = cookie
        let signIns = f.api.op("GET", "/v1/audit", nil).items.filter { $0["action"] as? String == "console.sign_in" }
        #expect(signIns.count == 1 && signIns[0]["outcome"] as? String == "success")
    }

    @Test(arguments: StoreEngine.available)
    func theChainVerifiesAndAHeadKeptOutsideCatchesTruncation(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        for _ in 0..<3 { f.api.call("POST", "/v1/connections/\(f.connection)/resolve", token: f.runtime) }
        let report = f.verify()
        #expect(report.status == 200 && report.json["ok"] as? Bool == true)
        let records = try #require(report.json["records"] as? Int)
        #expect(records == f.audit().count)
        // Auditors verify; project roles may not.
        #expect(f.verify(token: f.api.token(.auditor, ws: f.ws)).json["ok"] as? Bool == true)
        #expect(f.verify(token: f.api.token(.projectAdmin, ws: f.ws, project: f.p)).status == 403)

        // The two tokens just issued are records too.
        let head = f.api.call("GET", "/v1/workspaces/\(f.ws)/audit/head", token: f.admin)
        let headSeq = try #require(head.json["seq"] as? Int)
        #expect(headSeq == records + 2 && (head.json["signature"] as? String)?.count == 64)
        let headJSON = String(decoding: head.body, as: UTF8.self)
        #expect(f.verify(#"{"head":\#(headJSON)}"#).json["ok"] as? Bool == true)
        // A head whose fields were changed is refused: its signature no longer matches.
        let forged = headJSON.replacingOccurrences(of: #""seq":\#(headSeq)"#, with: #""seq":\#(headSeq + 5)"#)
        #expect(forged != headJSON)
        #expect(f.verify(#"{"head":\#(forged)}"#).code == "invalid_audit_head")

        // Cut the last stored row (one record, or several stored together) and move the chain's head back,
        // directly in the database.
        let raw = try f.api.raw()
        let lastRow = try #require(try raw.queryOne("SELECT MAX(seq) AS seq FROM audit_events WHERE workspace_id = ?", [.integer(f.ws)]))
        let kept = try lastRow.integer("seq") - 1
        try raw.query("DELETE FROM audit_events WHERE workspace_id = ? AND seq > ?", [.integer(f.ws), .integer(kept)])
        let last = try #require(try raw.queryOne("SELECT last_hash FROM audit_events WHERE workspace_id = ? AND last_seq = ?",
                                                 [.integer(f.ws), .integer(kept)]))
        try raw.query("UPDATE audit_chains SET head_seq = ?, head_hash = ? WHERE workspace_id = ?",
                      [.integer(kept), .text(try last.text("last_hash")), .integer(f.ws)])
        #expect(f.verify().json["ok"] as? Bool == true)
        let caught = f.verify(#"{"head":\#(headJSON)}"#)
        #expect(caught.json["ok"] as? Bool == false)
        #expect((caught.json["problem"] as? [String: Any])?["kind"] as? String == "truncated")
    }

    @Test func editingARecordInTheDatabaseBreaksTheChainThere() throws {
        let f = try Fixture(.sqlite)
        f.api.call("POST", "/v1/connections/\(f.connection)/resolve", token: f.runtime)
        let record = try #require(f.audit(["action": "connection.resolve"]).first)
        let seq = try #require(record["seq"] as? Int64)
        try f.api.raw().query("UPDATE audit_events SET actor_role = 'operator' WHERE workspace_id = ? AND seq = ?", [.integer(f.ws), .integer(seq)])
        let problem = try #require(f.verify().json["problem"] as? [String: Any])
        #expect(problem["kind"] as? String == "edited" && problem["seq"] as? Int64 == seq && problem["record_id"] as? Int64 == record["id"] as? Int64)
    }

    @Test func withAccessAuditOffOnlyChangesAreRecorded() throws {
        let f = try Fixture(.sqlite, auditAccess: false)
        #expect(f.api.call("POST", "/v1/connections/\(f.connection)/resolve", token: f.runtime).status == 200)
        #expect(f.audit(["action": "connection.resolve"]).isEmpty)
        #expect(!f.audit(["action": "connection.create"]).isEmpty)
    }
}
