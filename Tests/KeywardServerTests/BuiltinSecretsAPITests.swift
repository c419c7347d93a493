import Foundation
import KeywardCore
import KeywardTestSupport
import Testing
@testable import KeywardServer

/// The built-in store through the API, on both databases: put, list, resolve, versions, delete, and who may.
@Suite struct BuiltinSecretsAPITests {
    struct Fixture {
        let api: APIHarness
        let ws: Int64, p: Int64
        let admin: String

        init(_ engine: StoreEngine) throws {
            api = try APIHarness(engine: engine)
            ws = api.workspace()
            api.op("PUT", "/v1/workspaces/\(ws)/addons/advanced_security")
            p = api.project(ws)
            admin = api.token(.workspaceAdmin, ws: ws)
            #expect(call("PUT", "/v1/workspaces/\(ws)/secrets-management", #"{"provider":"builtin"}"#).status == 201)
        }

        var secrets: String { "/v1/workspaces/\(ws)/secrets" }

        @discardableResult
        func call(_ method: String, _ path: String, _ body: String? = nil, token: String? = nil, query: [String: String] = [:]) -> APIHarness.Reply {
            api.call(method, path, token: token ?? admin, body: body, query: query)
        }

        func resolve(_ id: Int64, query: [String: String] = [:]) -> APIHarness.Reply {
            call("POST", "/v1/connections/\(id)/resolve", token: api.token(.runtime, ws: ws, project: p), query: query)
        }
    }

    @Test(arguments: StoreEngine.available)
    func putResolveRotateAndDelete(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        let first = f.call("POST", f.secrets, #"{"name":"prod/db","value":"{\"user\":\"etl\",\"password\":\"canary-one\"}"}"#)
        #expect(first.status == 201)
        #expect(first.int("latest_version") == 1)
        #expect(!String(decoding: first.body, as: UTF8.self).contains("canary"))

        let created = f.call("POST", "/v1/workspaces/\(f.ws)/projects/\(f.p)/connections",
                             #"{"name":"warehouse","type":"postgresql","fields":{"url":"postgres://${secret:prod/db#user}:${secret:prod/db#password}@db/x","pinned":"${secret:prod/db#password?version=1}"}}"#)
        let id = created.int("id")
        let resolved = f.resolve(id)
        #expect(resolved.status == 200)
        #expect((resolved.json["fields"] as? [String: Any])?["url"] as? String == "postgres://etl:canary-one@db/x")

        // A new version is served at once (the put drops the cached one); version 1 stays readable.
        #expect(f.call("POST", f.secrets, #"{"name":"prod/db","value":"{\"user\":\"etl\",\"password\":\"canary-two\"}"}"#).status == 200)
        let rotated = f.resolve(id).json["fields"] as? [String: Any]
        #expect(rotated?["url"] as? String == "postgres://etl:canary-two@db/x")
        #expect(rotated?["pinned"] as? String == "canary-one")

        let list = f.call("GET", f.secrets)
        #expect(list.items.map { $0["name"] as? String } == ["prod/db"])
        #expect(list.items.first?["latest_version"] as? Int == 2)
        #expect(!String(decoding: list.body, as: UTF8.self).contains("canary"))
        let stored = f.call("GET", "/v1/workspaces/\(f.ws)/projects/\(f.p)/connections/\(id)")
        #expect(!String(decoding: stored.body, as: UTF8.self).contains("canary"))
        let audit = f.call("GET", "/v1/workspaces/\(f.ws)/audit", query: ["action": "secrets.builtin.put"])
        #expect(audit.items.count == 2)
        #expect(!String(decoding: audit.body, as: UTF8.self).contains("canary"))

        let check = f.call("POST", "/v1/workspaces/\(f.ws)/projects/\(f.p)/references/check", #"{"reference":"secret:prod/db#password"}"#)
        #expect(check.json["ok"] as? Bool == true)
        #expect(check.json["version_id"] as? String == "2")

        #expect(f.call("DELETE", f.secrets, query: ["name": "prod/db"]).int("versions") == 2)
        let gone = f.resolve(id)
        #expect(gone.status == 424)
        #expect(gone.code == "secret_not_found")
        #expect(f.call("DELETE", f.secrets, query: ["name": "prod/db"]).status == 404)
    }

    @Test(arguments: StoreEngine.available)
    func secretsGoWhereABuiltinStoreIsAndOnlyAdminsWrite(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        let projectSecrets = "/v1/workspaces/\(f.ws)/projects/\(f.p)/secrets"
        #expect(f.call("POST", projectSecrets, #"{"name":"x","value":"y"}"#).code == "store_not_configured")
        f.call("PUT", "/v1/workspaces/\(f.ws)/projects/\(f.p)/secrets-management", #"{"provider":"aws_secrets_manager","settings":{"region":"eu-west-1"}}"#)
        #expect(f.call("POST", projectSecrets, #"{"name":"x","value":"y"}"#).code == "store_not_builtin")

        let member = f.api.token(.projectMember, ws: f.ws, project: f.p)
        #expect(f.call("POST", f.secrets, #"{"name":"x","value":"y"}"#, token: member).status == 403)
        let projectAdmin = f.api.token(.projectAdmin, ws: f.ws, project: f.p)
        #expect(f.call("POST", f.secrets, #"{"name":"x","value":"y"}"#, token: projectAdmin).status == 403)
        #expect(f.call("GET", f.secrets, token: f.api.token(.runtime, ws: f.ws, project: f.p)).status == 403)
    }

    @Test(arguments: [
        (#"{"name":"","value":"v"}"#, "invalid_reference"),
        (#"{"name":"a\u0001b","value":"v"}"#, "invalid_reference"),
        (#"{"name":"a","value":""}"#, "invalid_field"),
        (#"{"name":"a"}"#, "missing_field"),
        (#"{"name":"a","value":"v","extra":1}"#, "unknown_field"),
        (#"{"name":"a","value":5}"#, "invalid_field"),
    ])
    func badInputIsRejected(_ body: String, _ code: String) throws {
        let f = try Fixture(.sqlite)
        let reply = f.call("POST", f.secrets, body)
        #expect(reply.status == 400)
        #expect(reply.code == code)
        #expect(f.call("GET", f.secrets).items.isEmpty)
    }
}

extension BuiltinSecretsAPITests {
    @Test func metricsCountResolutionsCacheResultsAndProviderCalls() throws {
        let f = try Fixture(.sqlite)
        f.call("POST", f.secrets, #"{"name":"prod/db","value":"{\"password\":\"canary-metrics\"}"}"#)
        let ok = f.call("POST", "/v1/workspaces/\(f.ws)/projects/\(f.p)/connections",
                        #"{"name":"a","type":"generic","fields":{"p":"${secret:prod/db#password}"}}"#).int("id")
        let broken = f.call("POST", "/v1/workspaces/\(f.ws)/projects/\(f.p)/connections",
                            #"{"name":"b","type":"generic","fields":{"p":"${secret:missing}"}}"#).int("id")
        #expect(f.resolve(ok).status == 200)
        #expect(f.resolve(ok).status == 200)
        #expect(f.resolve(broken).status == 424)

        let reply = f.api.call("GET", "/metrics", token: nil)
        #expect(reply.status == 200)
        let text = String(decoding: reply.body, as: UTF8.self)
        #expect(text.contains(#"keyward_resolves_total{outcome="ok"} 2"#))
        #expect(text.contains(#"keyward_resolves_total{outcome="secret_not_found"} 1"#))
        #expect(text.contains(#"keyward_secret_cache_total{result="miss"} 2"#))
        #expect(text.contains(#"keyward_secret_cache_total{result="hit"} 1"#))
        #expect(text.contains(#"keyward_provider_calls_total{store="1",provider="builtin",operation="read",outcome="ok"} 1"#))
        #expect(text.contains(#"keyward_provider_calls_total{store="1",provider="builtin",operation="read",outcome="secret_not_found"} 1"#))
        #expect(text.contains(#"keyward_resolve_duration_seconds_count 2"#))
        #expect(text.contains(#"keyward_http_requests_total{class="4xx"} 1"#))
        #expect(!text.contains("canary") && !text.contains("prod/db"))
    }
}

extension BuiltinSecretsAPITests {
    @Test func aScrapeTokenProtectsMetricsWhenConfigured() throws {
        let api = try APIHarness(metricsToken: "scrape-secret")
        #expect(api.call("GET", "/metrics", token: nil).status == 401)
        #expect(api.call("GET", "/metrics", token: "not-it").status == 401)
        #expect(api.call("GET", "/metrics", token: api.operatorToken).status == 401)
        #expect(api.call("GET", "/metrics", token: "scrape-secret").status == 200)
    }
}
