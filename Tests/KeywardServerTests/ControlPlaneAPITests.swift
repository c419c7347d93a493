import Foundation
import KeywardCore
import Testing
@testable import KeywardServer

/// The REST API v1 as a client sees it: resources, pagination and the shapes of answers.
@Suite struct ControlPlaneAPITests {
    @Test func workspaceLifecycle() throws {
        let api = try APIHarness()
        let created = api.op("POST", "/v1/workspaces", #"{"name":"  Acme  "}"#)
        #expect(created.status == 201)
        #expect(created.json["name"] as? String == "Acme")
        let id = created.int("id")
        #expect(api.op("GET", "/v1/workspaces/\(id)").json["addons"] as? [String] == [])
        #expect(api.op("PATCH", "/v1/workspaces/\(id)", #"{"name":"Acme Corp"}"#).json["name"] as? String == "Acme Corp")
        #expect(api.op("PUT", "/v1/workspaces/\(id)/addons/advanced_security").json["addons"] as? [String] == ["advanced_security"])
        #expect(api.op("PUT", "/v1/workspaces/\(id)/addons/super_powers").code == "unknown_addon")
        #expect(api.op("DELETE", "/v1/workspaces/\(id)/addons/advanced_security").json["addons"] as? [String] == [])
        #expect(api.op("DELETE", "/v1/workspaces/\(id)").status == 204)
        #expect(api.op("GET", "/v1/workspaces/\(id)").code == "workspace_not_found")
    }

    @Test func projectAndConnectionLifecycle() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let p = api.project(ws)
        let base = "/v1/workspaces/\(ws)/projects/\(p)/connections"
        let created = api.op("POST", base, #"{"name":"warehouse","type":"postgresql","fields":{"host":"db","port":5432}}"#)
        #expect(created.status == 201)
        let c = created.int("id")
        #expect((created.json["fields"] as? [String: Any])?["port"] as? Int == 5432)
        let renamed = api.op("PATCH", "\(base)/\(c)", #"{"name":"dwh"}"#)
        #expect(renamed.json["name"] as? String == "dwh")
        #expect((renamed.json["fields"] as? [String: Any])?["host"] as? String == "db")
        #expect(api.op("GET", base).items.count == 1)
        #expect(api.op("DELETE", "\(base)/\(c)").status == 204)
        #expect(api.op("GET", "\(base)/\(c)").code == "connection_not_found")
        #expect(api.op("PATCH", "/v1/workspaces/\(ws)/projects/\(p)", #"{"name":"Billing"}"#).json["name"] as? String == "Billing")
        #expect(api.op("DELETE", "/v1/workspaces/\(ws)/projects/\(p)").status == 204)
        #expect(api.op("GET", "/v1/workspaces/\(ws)/projects/\(p)").code == "project_not_found")
    }

    @Test func listsArePaginatedWithCursors() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        for index in 0..<7 { api.project(ws, "p\(index)") }
        var names: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            var query = ["limit": "3"]
            if let cursor { query["cursor"] = cursor }
            let page = api.call("GET", "/v1/workspaces/\(ws)/projects", token: api.operatorToken, query: query)
            names += page.items.compactMap { $0["name"] as? String }
            cursor = page.json["next_cursor"] as? String
            pages += 1
        } while cursor != nil
        #expect(names == (0..<7).map { "p\($0)" })
        #expect(pages == 3)
        #expect(api.call("GET", "/v1/workspaces/\(ws)/projects", token: api.operatorToken, query: ["limit": "0"]).code == "invalid_field")
        #expect(api.call("GET", "/v1/workspaces/\(ws)/projects", token: api.operatorToken, query: ["cursor": "junk"]).code == "invalid_cursor")
    }

    @Test func tokenLifecycleShowsTheSecretOnce() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let issued = api.op("POST", "/v1/tokens", #"{"name":"ci","role":"workspace_admin","workspace_id":\#(ws),"expires_in_seconds":3600}"#)
        #expect(issued.status == 201)
        let secret = try #require(issued.json["secret"] as? String)
        let token = try #require(issued.json["token"] as? [String: Any])
        let id = try #require(token["id"] as? String)
        #expect(token["status"] as? String == "active")
        #expect(token["expires_at"] is String)
        #expect(api.call("GET", "/v1/whoami", token: secret).json["role"] as? String == "workspace_admin")
        let fetched = api.op("GET", "/v1/tokens/\(id)")
        #expect(fetched.json["secret"] == nil)
        #expect(!String(decoding: fetched.body, as: UTF8.self).contains(secret))
        #expect(!String(decoding: api.op("GET", "/v1/tokens").body, as: UTF8.self).contains(secret))
        #expect(api.op("PATCH", "/v1/tokens/\(id)", #"{"name":"ci-2"}"#).json["name"] as? String == "ci-2")
        #expect(api.op("DELETE", "/v1/tokens/\(id)").json["status"] as? String == "revoked")
        #expect(api.call("GET", "/v1/whoami", token: secret).code == "token_revoked")
    }

    @Test func healthReadinessAndErrorsForUnknownRoutes() throws {
        let api = try APIHarness()
        #expect(api.call("GET", "/healthz", token: nil).status == 200)
        #expect(api.call("GET", "/readyz", token: nil).json["status"] as? String == "ready")
        #expect(api.call("HEAD", "/healthz", token: nil).status == 200)
        let unknown = api.call("GET", "/v1/nothing-here", token: api.operatorToken)
        #expect(unknown.status == 404)
        #expect(unknown.code == "route_not_found")
        #expect(unknown.json["request_id"] as? String == "test-request")
        let wrongMethod = api.call("PUT", "/v1/workspaces", token: api.operatorToken)
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers.contains { $0.0 == "Allow" && $0.1 == "GET, POST" })
    }

    @Test func bootstrapHappensOnceAndTheFileIsPrivate() throws {
        let api = try APIHarness()
        let file = api.directory.appendingPathComponent("operator-token")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == api.operatorToken)
        #expect(try OperatorBootstrap.ensureOperator(store: api.store, tokenFile: api.directory.appendingPathComponent("again")) == nil)
    }
}
