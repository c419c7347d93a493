import Foundation
import KeywardCore
import KeywardProviders
import KeywardTestSupport
import Testing
@testable import KeywardServer

/// Guide steps 3 to 5 through the API against moto: the setup guide, saving and verifying the role,
/// resolving through it, and one project never reading through another's role.
@Suite(.enabled(if: MotoAWS.configured != nil, "needs the moto server make test starts"))
struct AWSSecretsManagementAPITests {
    let aws = MotoAWS.configured!

    /// A workspace with the add-on and project-level scope, two projects with AWS stores (no role yet),
    /// and a platform identity in moto.
    struct Fixture {
        let api: APIHarness
        let aws: MotoAWS
        let platform: MotoAWS.Platform
        let ws: Int64, a: Int64, b: Int64
        let admin: String

        init(_ aws: MotoAWS, engine: StoreEngine = .sqlite, transport: (any AWSTransport)? = nil) throws {
            self.aws = aws
            platform = try aws.createPlatformUser()
            api = try APIHarness(engine: engine, aws: (aws, platform), externalIDPrefix: "workato", awsTransport: transport)
            ws = api.workspace()
            #expect(api.op("PUT", "/v1/workspaces/\(ws)/addons/advanced_security").status == 200)
            a = api.project(ws, "A")
            b = api.project(ws, "B")
            admin = api.token(.workspaceAdmin, ws: ws)
            let preview = call("POST", "/v1/workspaces/\(ws)/secrets-management/scope/preview", #"{"scope":"project"}"#)
            let confirmation = preview.json["confirmation"] as? String ?? ""
            let switched = call("PUT", "/v1/workspaces/\(ws)/secrets-management/scope", #"{"scope":"project","confirmation":"\#(confirmation)"}"#)
            #expect(switched.status == 200, "\(String(decoding: switched.body, as: UTF8.self))")
            for p in [a, b] { #expect(setStore(p, roleARN: nil).status == 201) }
        }

        func settings(_ p: Int64) -> String { "/v1/workspaces/\(ws)/projects/\(p)/secrets-management" }

        @discardableResult
        func call(_ method: String, _ path: String, _ body: String? = nil, token: String? = nil, query: [String: String] = [:]) -> APIHarness.Reply {
            api.call(method, path, token: token ?? admin, body: body, query: query)
        }

        @discardableResult
        func setStore(_ p: Int64, roleARN: String?) -> APIHarness.Reply {
            let role = roleARN.map { #","role_arn":"\#($0)""# } ?? ""
            return call("PUT", settings(p), #"{"provider":"aws_secrets_manager","settings":{"region":"\#(aws.region)"\#(role)}}"#)
        }

        /// Creates the role in moto from the setup guide's own trust policy, as a customer would paste it.
        func roleFromGuide(_ p: Int64) throws -> String {
            let guide = call("GET", "\(settings(p))/aws-setup").json
            return try aws.createRole(trustPolicy: try #require(guide["trust_policy"]))
        }

        func connection(_ p: Int64, _ fields: String, name: String = "db") -> Int64 {
            call("POST", "/v1/workspaces/\(ws)/projects/\(p)/connections", #"{"name":"\#(name)","type":"postgresql","fields":\#(fields)}"#).int("id")
        }

        func resolve(_ connection: Int64, project p: Int64) -> APIHarness.Reply {
            call("POST", "/v1/connections/\(connection)/resolve", token: api.token(.runtime, ws: ws, project: p))
        }
    }

    @Test func theSetupGuideShowsTheAccountTheExternalIDAndReadyPolicies() throws {
        let f = try Fixture(aws)
        let guide = f.call("GET", "\(f.settings(f.a))/aws-setup")
        #expect(guide.status == 200)
        #expect(guide.json["platform_principal_arn"] as? String == f.platform.arn)
        #expect(guide.json["platform_account_id"] as? String == "123456789012")
        #expect(guide.json["external_id"] as? String == "workato_iam_external_id_\(f.ws)_\(f.a)")
        #expect(guide.json["role_session_name"] as? String == "keyward-\(f.ws)-\(f.a)")
        let trust = MotoAWS.json(guide.json["trust_policy"] ?? [:])
        #expect(trust.contains(#""sts:ExternalId":"workato_iam_external_id_\#(f.ws)_\#(f.a)""#))
        #expect(trust.contains(f.platform.arn.replacingOccurrences(of: "/", with: "\\/")))
        let permission = MotoAWS.json(guide.json["permission_policy"] ?? [:])
        #expect(permission.contains("secretsmanager:GetSecretValue") && !permission.contains("ListSecrets"))
        #expect((guide.json["warnings"] as? [String])?.isEmpty == false)

        // Limited to a prefix once the admin names one, in the role's own account once the ARN is saved.
        f.call("PUT", f.settings(f.a), #"{"provider":"aws_secrets_manager","settings":{"region":"us-east-1","secret_name_prefix":"payments/","role_arn":"arn:aws:iam::210987654321:role/kw"}}"#)
        let scoped = MotoAWS.json(f.call("GET", "\(f.settings(f.a))/aws-setup").json["permission_policy"] ?? [:])
        #expect(scoped.contains(#"arn:aws:secretsmanager:us-east-1:210987654321:secret:payments\/*"#))

        // The External ID is derived: a client cannot set it.
        let attempt = f.call("PUT", f.settings(f.a), #"{"provider":"aws_secrets_manager","settings":{"region":"us-east-1","external_id":"mine"}}"#)
        #expect(attempt.status == 400)
    }

    @Test func theWorkspaceLevelGuideUsesTheWorkspaceExternalID() throws {
        let f = try Fixture(aws)
        #expect(f.call("PUT", "/v1/workspaces/\(f.ws)/secrets-management", #"{"provider":"aws_secrets_manager","settings":{"region":"eu-west-1"}}"#).status == 201)
        let guide = f.call("GET", "/v1/workspaces/\(f.ws)/secrets-management/aws-setup")
        #expect(guide.json["external_id"] as? String == "workato_iam_external_id_\(f.ws)")
        #expect(guide.json["level"] as? String == "workspace")
    }

    @Test func theGuideExplainsWhatIsMissing() throws {
        let f = try Fixture(aws)
        #expect(f.call("GET", "/v1/workspaces/\(f.ws)/secrets-management/aws-setup").code == "store_not_configured")
        f.call("DELETE", f.settings(f.b))
        #expect(f.call("PUT", f.settings(f.b), #"{"provider":"builtin"}"#).status == 201)
        #expect(f.call("GET", "\(f.settings(f.b))/aws-setup").code == "store_not_aws")

        // A server without AWS credentials says so, with the fix.
        let bare = try APIHarness()
        let ws = bare.workspace()
        bare.op("PUT", "/v1/workspaces/\(ws)/addons/advanced_security")
        bare.op("PUT", "/v1/workspaces/\(ws)/secrets-management", #"{"provider":"aws_secrets_manager","settings":{"region":"us-east-1"}}"#)
        let unconfigured = bare.op("GET", "/v1/workspaces/\(ws)/secrets-management/aws-setup")
        #expect(unconfigured.status == 503)
        #expect(unconfigured.code == "aws_credentials_missing")
        #expect((unconfigured.json["hint"] as? String)?.contains("AWS_ACCESS_KEY_ID") == true)
    }

    @Test(arguments: StoreEngine.available)
    func saveVerifyAndResolveThroughTheProjectsRole(_ engine: StoreEngine) throws {
        let f = try Fixture(aws, engine: engine)
        let role = try f.roleFromGuide(f.a)
        let secret = MotoAWS.unique("payments/db")
        _ = try aws.createSecret(secret, #"{"user":"app","password":"canary-\#(secret)"}"#)
        #expect(f.setStore(f.a, roleARN: role).status == 200)

        let verification = f.call("POST", "\(f.settings(f.a))/verify", #"{"sample_secret":"\#(secret)"}"#)
        let checks = Dictionary(uniqueKeysWithValues: (verification.json["checks"] as? [[String: Any]] ?? []).map {
            ($0["name"] as? String ?? "", $0["status"] as? String ?? "")
        })
        #expect(checks["assume_role"] == "pass")
        #expect(checks["external_id_enforced"] == "pass")
        #expect(checks["read_sample_secret"] == "pass")
        // moto accepts AssumeRole without an ExternalId (real AWS refuses): the warning is the honest answer.
        #expect(checks["external_id_required"] == "warn")
        #expect(verification.json["result"] as? String == "warn")
        #expect(!String(decoding: verification.body, as: UTF8.self).contains("canary"))

        let id = f.connection(f.a, #"{"host":"db","user":"${secret:\#(secret)#user}","password":{"$secret":{"name":"\#(secret)","key":"password"}}}"#)
        let first = f.resolve(id, project: f.a)
        #expect(first.status == 200)
        let fields = first.json["fields"] as? [String: Any]
        #expect(fields?["user"] as? String == "app")
        #expect(fields?["password"] as? String == "canary-\(secret)")
        #expect(fields?["host"] as? String == "db")
        #expect(first.headers.contains { $0 == ("Cache-Control", "no-store") })
        let caches = (first.json["references"] as? [[String: Any]])?.compactMap { $0["cache"] as? String }
        #expect(caches == ["miss", "hit"])
        let second = f.resolve(id, project: f.a)
        #expect((second.json["references"] as? [[String: Any]])?.compactMap { $0["cache"] as? String } == ["hit", "hit"])

        // After a rotation the cache still answers the old value until it expires; refresh=true reads the new one.
        _ = try aws.putSecretValue(secret, #"{"user":"app","password":"canary-rotated"}"#)
        let cached = f.resolve(id, project: f.a).json["fields"] as? [String: Any]
        #expect(cached?["password"] as? String == "canary-\(secret)")
        let runtime = f.api.token(.runtime, ws: f.ws, project: f.a)
        let refreshed = f.call("POST", "/v1/connections/\(id)/resolve", token: runtime, query: ["refresh": "true"])
        #expect((refreshed.json["fields"] as? [String: Any])?["password"] as? String == "canary-rotated")
        #expect(f.resolve(id, project: f.a).json["fields"].flatMap { ($0 as? [String: Any])?["password"] as? String } == "canary-rotated")

        // The stored connection still holds references only.
        let stored = f.call("GET", "/v1/workspaces/\(f.ws)/projects/\(f.a)/connections/\(id)")
        #expect(!String(decoding: stored.body, as: UTF8.self).contains("canary"))

        let check = f.call("POST", "/v1/workspaces/\(f.ws)/projects/\(f.a)/references/check", #"{"reference":"${secret:\#(secret)#password}"}"#)
        #expect(check.json["ok"] as? Bool == true)
        #expect(!String(decoding: check.body, as: UTF8.self).contains("canary"))
        let missingKey = f.call("POST", "/v1/workspaces/\(f.ws)/projects/\(f.a)/references/check", #"{"reference":"secret:\#(secret)#nope"}"#)
        #expect(missingKey.json["ok"] as? Bool == false)
        #expect((missingKey.json["error"] as? [String: Any])?["code"] as? String == "secret_key_not_found")
    }

    /// Pasting project A's role into project B fails verification and resolution: B's External ID differs.
    @Test(arguments: StoreEngine.available)
    func anotherProjectCannotUseThisProjectsRole(_ engine: StoreEngine) throws {
        let f = try Fixture(aws, engine: engine)
        let roleOfA = try f.roleFromGuide(f.a)
        let secret = MotoAWS.unique("a-only")
        _ = try aws.createSecret(secret, "value-of-a")
        f.setStore(f.a, roleARN: roleOfA)
        f.setStore(f.b, roleARN: roleOfA)

        let verification = f.call("POST", "\(f.settings(f.b))/verify")
        let assume = (verification.json["checks"] as? [[String: Any]])?.first { $0["name"] as? String == "assume_role" }
        #expect(assume?["status"] as? String == "fail")
        #expect(assume?["provider_error"] as? String == "AccessDenied")
        #expect(verification.json["result"] as? String == "fail")

        let idB = f.connection(f.b, #"{"password":"${secret:\#(secret)}"}"#)
        let denied = f.resolve(idB, project: f.b)
        #expect(denied.status == 424)
        #expect(denied.code == "assume_role_denied")
        #expect((denied.json["detail"] as? String)?.contains("workato_iam_external_id_\(f.ws)_\(f.b)") == true)
        #expect(!String(decoding: denied.body, as: UTF8.self).contains("value-of-a"))

        let idA = f.connection(f.a, #"{"password":"${secret:\#(secret)}"}"#)
        #expect((f.resolve(idA, project: f.a).json["fields"] as? [String: Any])?["password"] as? String == "value-of-a")
        // A runtime token of B cannot even see A's connection.
        #expect(f.resolve(idA, project: f.b).status == 404)
    }

    @Test(arguments: StoreEngine.available)
    func afterASwitchReferencesAreOutOfScopeNeverEmpty(_ engine: StoreEngine) throws {
        let f = try Fixture(aws, engine: engine)
        let role = try f.roleFromGuide(f.a)
        let secret = MotoAWS.unique("switch")
        _ = try aws.createSecret(secret, "v")
        f.setStore(f.a, roleARN: role)
        let id = f.connection(f.a, #"{"password":"${secret:\#(secret)}"}"#)
        #expect(f.resolve(id, project: f.a).status == 200)

        f.call("PUT", "/v1/workspaces/\(f.ws)/secrets-management", #"{"provider":"builtin"}"#)
        let preview = f.call("POST", "/v1/workspaces/\(f.ws)/secrets-management/scope/preview", #"{"scope":"workspace"}"#)
        f.call("PUT", "/v1/workspaces/\(f.ws)/secrets-management/scope",
               #"{"scope":"workspace","confirmation":"\#(preview.json["confirmation"] as? String ?? "")"}"#)
        let broken = f.resolve(id, project: f.a)
        #expect(broken.status == 424)
        #expect(broken.code == "reference_out_of_scope")
        #expect(broken.json["field"] as? String == "password")
    }

    /// Issue 3's migration assistant: after switching to per-project scope, a project's broken references
    /// are rebound to its own store, each only after it resolves there. A dry run changes nothing.
    @Test(arguments: StoreEngine.available)
    func theMigrationAssistantRebindsOnlyWhatResolvesInTheNewStore(_ engine: StoreEngine) throws {
        let f = try Fixture(aws, engine: engine)
        // Back to workspace scope, with a workspace-level AWS store and role.
        let toWorkspace = f.call("POST", "/v1/workspaces/\(f.ws)/secrets-management/scope/preview", #"{"scope":"workspace"}"#)
        f.call("PUT", "/v1/workspaces/\(f.ws)/secrets-management/scope",
               #"{"scope":"workspace","confirmation":"\#(toWorkspace.json["confirmation"] as? String ?? "")"}"#)
        let workspaceRole = try aws.createRole(trusting: f.platform.arn, externalID: "workato_iam_external_id_\(f.ws)")
        #expect(f.call("PUT", "/v1/workspaces/\(f.ws)/secrets-management",
                       #"{"provider":"aws_secrets_manager","settings":{"region":"us-east-1","role_arn":"\#(workspaceRole)"}}"#).status == 201)
        let present = MotoAWS.unique("migrate/present"), absent = MotoAWS.unique("migrate/absent")
        _ = try aws.createSecret(present, #"{"password":"pw"}"#)
        let id = f.connection(f.a, #"{"password":"${secret:\#(present)#password}","token":"${secret:\#(absent)}"}"#)
        #expect(f.resolve(id, project: f.a).code == "secret_not_found")

        // Per-project scope: both references break.
        let toProject = f.call("POST", "/v1/workspaces/\(f.ws)/secrets-management/scope/preview", #"{"scope":"project"}"#)
        #expect((toProject.json["breaking"] as? [Any])?.count == 2)
        f.call("PUT", "/v1/workspaces/\(f.ws)/secrets-management/scope",
               #"{"scope":"project","confirmation":"\#(toProject.json["confirmation"] as? String ?? "")"}"#)
        #expect(f.resolve(id, project: f.a).code == "reference_out_of_scope")
        f.setStore(f.a, roleARN: try f.roleFromGuide(f.a))

        let migrate = "\(f.settings(f.a))/migrate"
        let dryRun = f.call("POST", migrate)
        #expect(dryRun.status == 200)
        #expect(dryRun.json["dry_run"] as? Bool == true)
        let planned = dryRun.json["results"] as? [[String: Any]] ?? []
        #expect(planned.first { $0["field"] as? String == "password" }?["status"] as? String == "would_rebind")
        let failing = planned.first { $0["field"] as? String == "token" }
        #expect(failing?["status"] as? String == "failed")
        #expect((failing?["error"] as? [String: Any])?["code"] as? String == "secret_not_found")
        #expect(f.resolve(id, project: f.a).code == "reference_out_of_scope")

        let applied = f.call("POST", migrate, #"{"dry_run":false}"#)
        #expect((applied.json["counts"] as? [String: Any])?["rebound"] as? Int == 1)
        let statuses = (f.call("GET", "/v1/workspaces/\(f.ws)/projects/\(f.a)/connections/\(id)").json["references"] as? [[String: Any]])?
            .map { "\($0["field"] ?? ""):\($0["status"] ?? "")" }
        #expect(statuses == ["password:ok", "token:out_of_scope"])
        // The one that now resolves fails only on the missing secret, through the project's own role.
        #expect(f.resolve(id, project: f.a).code == "reference_out_of_scope")
        _ = try aws.createSecret(absent, "late")
        #expect((f.call("POST", migrate, #"{"dry_run":false}"#).json["counts"] as? [String: Any])?["rebound"] as? Int == 1)
        #expect((f.resolve(id, project: f.a).json["fields"] as? [String: Any])?["password"] as? String == "pw")

        let audit = f.call("GET", "/v1/workspaces/\(f.ws)/audit", query: ["action": "secrets.references.migrate"])
        #expect(audit.items.count == 2)
        #expect(!String(decoding: audit.body, as: UTF8.self).contains("pw"))
        // Project B has no references to migrate and no store: told so.
        #expect(f.call("POST", "\(f.settings(f.b))/migrate").status == 200)
    }

    /// After a rotation outside Keyward, dropping the cache (per secret, per project, per workspace) makes the
    /// next resolution read AWS again; it is audited, and project admins may only drop their project's.
    @Test func invalidationDropsCachedSecretsOnDemand() throws {
        let f = try Fixture(aws)
        let role = try f.roleFromGuide(f.a)
        f.setStore(f.a, roleARN: role)
        let secret = MotoAWS.unique("rotated-outside")
        _ = try aws.createSecret(secret, "first")
        let id = f.connection(f.a, #"{"password":"${secret:\#(secret)}"}"#)
        func password() -> String? { (f.resolve(id, project: f.a).json["fields"] as? [String: Any])?["password"] as? String }
        #expect(password() == "first")
        _ = try aws.putSecretValue(secret, "second")
        #expect(password() == "first")

        let projectAdmin = f.api.token(.projectAdmin, ws: f.ws, project: f.a)
        let dropped = f.call("POST", "\(f.settings(f.a))/cache/invalidate", #"{"secret":"\#(secret)"}"#, token: projectAdmin)
        #expect(dropped.status == 200)
        #expect(dropped.int("entries_dropped") == 1)
        #expect(password() == "second")
        #expect(f.call("POST", "\(f.settings(f.b))/cache/invalidate", token: projectAdmin).status == 403)
        #expect(f.call("POST", "/v1/workspaces/\(f.ws)/secrets-management/cache/invalidate", token: projectAdmin).status == 403)

        _ = try aws.putSecretValue(secret, "third")
        let everything = f.call("POST", "/v1/workspaces/\(f.ws)/secrets-management/cache/invalidate")
        #expect(everything.status == 200)
        #expect((everything.json["store_ids"] as? [Any])?.count == 2)
        #expect(password() == "third")
        let audit = f.call("GET", "/v1/workspaces/\(f.ws)/audit", query: ["action": "secrets.cache.invalidate"])
        #expect(audit.items.count == 2)
    }

    /// The network to AWS, which a test can cut: the real moto answers while it is up.
    final class CuttableTransport: AWSTransport, @unchecked Sendable {
        let real = URLSessionTransport()
        private let lock = NSLock()
        private var cut = false
        func setCut(_ value: Bool) { lock.withLock { cut = value } }

        func send(_ request: AWSHTTPRequest, timeout: TimeInterval) throws -> AWSHTTPResponse {
            if lock.withLock({ cut }) { throw AWSTransportError(timedOut: false, message: "connection refused") }
            return try real.send(request, timeout: timeout)
        }
    }

    /// Stale-if-error against the real peer: once AWS is unreachable, an expired value is served flagged
    /// stale; a secret never read fails with provider_unavailable, never an empty value.
    @Test func whenAWSIsUnreachableExpiredValuesAreServedFlaggedStale() throws {
        let network = CuttableTransport()
        let f = try Fixture(aws, transport: network)
        let role = try f.roleFromGuide(f.a)
        // TTL 0: every resolution goes back to AWS, so the outage is met at once.
        #expect(f.call("PUT", f.settings(f.a), #"{"provider":"aws_secrets_manager","settings":{"region":"us-east-1","role_arn":"\#(role)","cache_ttl_seconds":"0"}}"#).status == 200)
        let seen = MotoAWS.unique("outage/seen"), unseen = MotoAWS.unique("outage/unseen")
        _ = try aws.createSecret(seen, "before-the-outage")
        _ = try aws.createSecret(unseen, "never-read")
        let id = f.connection(f.a, #"{"password":"${secret:\#(seen)}"}"#)
        // One token for every call: nothing in between changes anything, so no cache is dropped by a write.
        let runtime = f.api.token(.runtime, ws: f.ws, project: f.a)
        let before = f.call("POST", "/v1/connections/\(id)/resolve", token: runtime)
        #expect(before.json["stale"] as? Bool == false)

        network.setCut(true)
        for _ in 0..<7 {   // past the circuit breaker's threshold, too
            let during = f.call("POST", "/v1/connections/\(id)/resolve", token: runtime)
            #expect(during.status == 200)
            #expect(during.json["stale"] as? Bool == true)
            #expect((during.json["fields"] as? [String: Any])?["password"] as? String == "before-the-outage")
            #expect((during.json["references"] as? [[String: Any]])?.first?["cache"] as? String == "stale")
        }
        // The connection list says the value is served stale, in the API and in the console.
        let listed = f.call("GET", "/v1/workspaces/\(f.ws)/projects/\(f.a)/connections/\(id)")
        #expect((listed.json["references"] as? [[String: Any]])?.first?["status"] as? String == "ok")
        #expect((listed.json["references"] as? [[String: Any]])?.first?["cache"] as? String == "stale")
        let console = ConsoleTests()
        let page = console.text(console.request(f.api, "GET", "/console/workspaces/\(f.ws)/projects/\(f.a)/secrets-management",
                                                cookie: try console.signIn(f.api)))
        #expect(page.contains("<strong class=\"ref-stale\">stale: the secrets manager is failing"))

        let never = f.connection(f.a, #"{"password":"${secret:\#(unseen)}"}"#, name: "never-read")
        let failed = f.resolve(never, project: f.a)
        #expect(failed.status == 503)
        #expect(failed.code == "provider_unavailable")
        let metrics = String(decoding: f.api.call("GET", "/metrics", token: nil).body, as: UTF8.self)
        #expect(metrics.contains(#"keyward_secret_cache_total{result="stale"} 7"#))
        #expect(metrics.contains(#"outcome="circuit_open""#))
    }

    @Test func onlyRuntimeTokensOfTheProjectResolve() throws {
        let f = try Fixture(aws)
        let id = f.connection(f.a, #"{"host":"h"}"#)
        #expect(f.resolve(id, project: f.a).status == 200)
        let member = f.api.token(.projectMember, ws: f.ws, project: f.a)
        #expect(f.call("POST", "/v1/connections/\(id)/resolve", token: member).status == 403)
        let auditor = f.api.token(.auditor, ws: f.ws)
        #expect(f.call("POST", "/v1/connections/\(id)/resolve", token: auditor).status == 404)
        #expect(f.call("POST", "/v1/connections/999999/resolve", token: f.api.token(.runtime, ws: f.ws, project: f.a)).status == 404)
    }
}

