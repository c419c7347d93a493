import Foundation
import KeywardConnectors
import KeywardCore
import KeywardHTTP
import KeywardTestSupport
import Testing
@testable import KeywardServer

/// Testing a connection resolves it exactly as run time does, then talks to the real system: the harness's
/// PostgreSQL, and an HTTP server on loopback that checks the credential.
@Suite struct ConnectionTestAPITests {
    struct Fixture {
        let api: APIHarness
        let ws: Int64, p: Int64
        let member: String

        init(testTargets: TestTargetPolicy = TestTargetPolicy()) throws {
            api = try APIHarness(testTargets: testTargets)
            ws = api.workspace()
            api.op("PUT", "/v1/workspaces/\(ws)/addons/advanced_security")
            p = api.project(ws)
            member = api.token(.projectMember, ws: ws, project: p)
            #expect(api.op("PUT", "/v1/workspaces/\(ws)/secrets-management", #"{"provider":"builtin"}"#).status == 201)
        }

        func secret(_ name: String, _ value: String) {
            #expect(api.op("POST", "/v1/workspaces/\(ws)/secrets", MotoAWS.json(["name": name, "value": value])).status == 201)
        }

        func connection(_ type: String, _ fields: [String: Any]) -> Int64 {
            let body = MotoAWS.json(["name": "c-\(UUID().uuidString.prefix(8))", "type": type, "fields": fields])
            return api.call("POST", "/v1/workspaces/\(ws)/projects/\(p)/connections", token: member, body: body).int("id")
        }

        func test(_ id: Int64) -> APIHarness.Reply {
            api.call("POST", "/v1/connections/\(id)/test", token: member)
        }

        func steps(_ reply: APIHarness.Reply) -> [String: String] {
            Dictionary(uniqueKeysWithValues: (reply.json["steps"] as? [[String: Any]] ?? []).map {
                ($0["name"] as? String ?? "", $0["status"] as? String ?? "")
            })
        }
    }

    /// Answers 200 only to the expected Authorization header.
    struct AuthChecking: HTTPResponder {
        let expected: String
        func respond(to request: HTTPRequest) -> HTTPResponse {
            HTTPResponse(status: request.headers["authorization"] == expected ? 200 : 401, headers: [], body: [])
        }
    }

    @Test func anHTTPConnectionIsTestedWithItsResolvedCredential() throws {
        let f = try Fixture()
        let token = "canary-\(UUID().uuidString)"
        f.secret("api/token", token)
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let peer = HTTPServer(configuration: configuration, responder: AuthChecking(expected: "Bearer \(token)"),
                              logger: Logger(minimumLevel: .error, sink: APIHarness.Silent()))
        try peer.start()
        defer { peer.shutdown(grace: 1) }

        let good = f.connection("http", ["base_url": "http://127.0.0.1:\(peer.port)", "auth_header": "Bearer ${secret:api/token}"])
        let passed = f.test(good)
        #expect(passed.status == 200)
        #expect(passed.json["ok"] as? Bool == true)
        #expect(f.steps(passed) == ["resolve": "pass", "connect": "pass"])
        #expect(!String(decoding: passed.body, as: UTF8.self).contains(token))

        // A secret in the URL never comes back in the test's messages, which otherwise quote the target.
        f.secret("api/url", "http://127.0.0.1:\(peer.port)")
        let secretURL = f.connection("http", ["base_url": "${secret:api/url}", "test_path": "/missing", "auth_header": "Bearer ${secret:api/token}"])
        let quoted = String(decoding: f.test(secretURL).body, as: UTF8.self)
        #expect(quoted.contains("[secret]"))
        #expect(!quoted.contains("127.0.0.1:\(peer.port)"))

        let wrong = f.connection("http", ["base_url": "http://127.0.0.1:\(peer.port)", "auth_header": "Bearer not-the-token"])
        let refused = f.test(wrong)
        #expect(refused.json["ok"] as? Bool == false)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("401"))
    }

    /// Answers 302 to `/go`, sending the client elsewhere; records every path asked for.
    final class Redirecting: HTTPResponder, @unchecked Sendable {
        private let lock = NSLock()
        private var asked: [String] = []
        var paths: [String] { lock.withLock { asked } }
        func respond(to request: HTTPRequest) -> HTTPResponse {
            lock.withLock { asked.append(request.path) }
            return HTTPResponse(status: 302, headers: [("Location", "/elsewhere")], body: [])
        }
    }

    @Test func aTestNeverReachesCloudMetadataNorFollowsARedirectNorADeniedNetwork() throws {
        let f = try Fixture()
        f.secret("api/token", "canary-\(UUID().uuidString)")
        // The metadata endpoint of every large cloud: refused before anything is sent, by name or address.
        for base in ["http://169.254.169.254/latest/meta-data/iam/", "http://[fd00:ec2::254]/", "http://0.0.0.0:80/"] {
            let reply = f.test(f.connection("http", ["base_url": base, "auth_header": "Bearer ${secret:api/token}"]))
            #expect(f.steps(reply) == ["resolve": "pass", "connect": "fail"], "\(base)")
            let detail = ((reply.json["steps"] as? [[String: Any]])?.last?["detail"] as? String) ?? ""
            #expect(detail.hasPrefix("Not connected:") && detail.contains("which connection tests may not reach"), "\(detail)")
        }
        let postgres = f.test(f.connection("postgresql", ["host": "169.254.169.254", "user": "u", "password": "${secret:api/token}"]))
        #expect(f.steps(postgres)["connect"] == "fail")
        #expect(String(decoding: postgres.body, as: UTF8.self).contains("Not connected: the host is in 169.254.0.0/16"))
        // A URL kept as a secret is refused as well, and no part of it comes back: not even its host.
        f.secret("api/metadata", "http://169.254.169.254/latest/meta-data/iam/")
        let hidden = f.test(f.connection("http", ["base_url": "${secret:api/metadata}", "auth_header": "Bearer ${secret:api/token}"]))
        #expect(f.steps(hidden) == ["resolve": "pass", "connect": "fail"])
        #expect(!String(decoding: hidden.body, as: UTF8.self).contains("169.254.169.254"))

        // A redirect is the answer: the credential never goes where it points.
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let redirecting = Redirecting()
        let peer = HTTPServer(configuration: configuration, responder: redirecting, logger: Logger(minimumLevel: .error, sink: APIHarness.Silent()))
        try peer.start()
        defer { peer.shutdown(grace: 1) }
        let redirected = f.test(f.connection("http", ["base_url": "http://127.0.0.1:\(peer.port)", "test_path": "/go",
                                                      "auth_header": "Bearer ${secret:api/token}"]))
        #expect(String(decoding: redirected.body, as: UTF8.self).contains("answered HTTP 302"))
        #expect(redirecting.paths == ["/go"])

        // An operator can deny more: here the host's own loopback.
        let strict = try Fixture(testTargets: TestTargetPolicy(denying: [IPNetwork("127.0.0.0/8")!]))
        let denied = strict.test(strict.connection("http", ["base_url": "http://127.0.0.1:\(peer.port)/go"]))
        #expect(strict.steps(denied)["connect"] == "fail")
        #expect(redirecting.paths == ["/go"], "nothing was sent")
    }

    @Test(.enabled(if: StoreEngine.postgresURL != nil, "needs the PostgreSQL server make test starts"))
    func aPostgreSQLConnectionRunsSelectOne() throws {
        let f = try Fixture()
        let text = try #require(StoreEngine.postgresURL)
        let url = try #require(URLComponents(string: text))
        f.secret("pg", #"{"password":"unused-with-trust-auth"}"#)
        let fields: [String: Any] = ["host": url.host ?? "", "port": url.port ?? 5432, "database": String(url.path.dropFirst()),
                                     "user": url.user ?? "postgres", "password": "${secret:pg#password}", "sslmode": "disable"]
        let passed = f.test(f.connection("postgresql", fields))
        #expect(f.steps(passed) == ["resolve": "pass", "connect": "pass"], "\(String(decoding: passed.body, as: UTF8.self))")
        // By name: libpq connects to the addresses the name was checked at (each in turn: the server listens on
        // 127.0.0.1 only, and localhost may resolve to ::1 first).
        var named = fields
        named["host"] = "localhost"
        let byName = f.test(f.connection("postgresql", named))
        #expect(f.steps(byName) == ["resolve": "pass", "connect": "pass"], "\(String(decoding: byName.body, as: UTF8.self))")

        var missing = fields
        missing["database"] = "no_such_database"
        let failed = f.test(f.connection("postgresql", missing))
        #expect(f.steps(failed)["connect"] == "fail")
        #expect(String(decoding: failed.body, as: UTF8.self).contains("no_such_database"))

        // PostgreSQL's own error quotes the database it was asked for: when that name is a secret, it is scrubbed.
        f.secret("pg/db", "secret_database_name")
        missing["database"] = "${secret:pg/db}"
        let scrubbed = String(decoding: f.test(f.connection("postgresql", missing)).body, as: UTF8.self)
        #expect(!scrubbed.contains("secret_database_name"))
        #expect(scrubbed.contains("[secret]"))
    }

    @Test func aReferenceThatDoesNotResolveFailsTheTestLikeRunTimeWould() throws {
        let f = try Fixture()
        let generic = f.connection("generic", ["note": "plain"])
        let ok = f.test(generic)
        #expect(f.steps(ok) == ["resolve": "pass", "connect": "skip"])
        #expect(ok.json["ok"] as? Bool == true)

        let broken = f.connection("http", ["base_url": "http://127.0.0.1:1", "auth_header": "${secret:missing}"])
        let failed = f.test(broken)
        #expect(failed.status == 200)
        #expect(f.steps(failed) == ["resolve": "fail", "connect": "skip"])
        #expect(String(decoding: failed.body, as: UTF8.self).contains("secret_not_found"))
        // Runtime tokens resolve but do not test; outsiders do not see the connection.
        #expect(f.api.call("POST", "/v1/connections/\(generic)/test", token: f.api.token(.runtime, ws: f.ws, project: f.p)).status == 404)
    }
}
