import Foundation
import KeywardConnectors
import KeywardCore
import KeywardHTTP
import KeywardProviders
import KeywardStorage
import KeywardTestSupport
import Testing
@testable import KeywardServer

/// An `Application` over a fresh store (SQLite unless told otherwise), called in-process: every API rule
/// can be tested without sockets (the socket layer has its own tests). Comes with an operator token.
final class APIHarness {
    let store: SQLStore
    let app: Application
    let directory: URL
    let operatorToken: String
    private let cleanup: () -> Void
    /// A connection of its own to the harness's database, for tampering with it behind the store's back.
    let raw: () throws -> any SQLConnection

    struct Silent: LogSink { func write(_ line: String) {} }

    struct Reply {
        let status: Int
        let headers: [(String, String)]
        let body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
        var code: String? { json["code"] as? String }
        var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
        func int(_ key: String) -> Int64 { (json[key] as? NSNumber)?.int64Value ?? -1 }
    }

    /// `aws`: the platform identity to use against moto; without it AWS is unconfigured, as on a server
    /// with no AWS credentials.
    init(engine: StoreEngine = .sqlite, aws: (MotoAWS, MotoAWS.Platform)? = nil, externalIDPrefix: String = "keyward",
         awsTransport: (any AWSTransport)? = nil, metricsToken: String? = nil, auditAccess: Bool = true,
         testTargets: TestTargetPolicy = TestTargetPolicy()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        (store, raw, cleanup) = try engine.openWithRawAccess()
        let environment = aws.map { moto, platform in moto.environment(platform) } ?? [:]
        let prefix = try ExternalIDPrefix(externalIDPrefix)
        let platform: AWSPlatform
        if let awsTransport {
            // The given transport (for example one that can cut the network), fast retries.
            platform = AWSPlatform(environment: Result { try AWSEnvironment.load(environment: environment, home: nil) }.mapError { $0 as! KeywardError },
                                   client: AWSClient(transport: awsTransport, retry: AWSRetryPolicy(maxAttempts: 2, base: 0.01, cap: 0.02, timeout: 10)),
                                   externalIDPrefix: prefix)
        } else {
            platform = AWSPlatform(processEnvironment: environment, externalIDPrefix: prefix)
        }
        app = try Application(store: store, logger: Logger(minimumLevel: .error, sink: Silent()), aws: platform,
                          backends: [AWSSecretsManagerBackend(platform: platform),
                                     BuiltinSecretsBackend(store: store, keyring: try MasterKeyring.load(
                                        environment: [:], file: directory.appendingPathComponent("master.key")))],
                          metricsToken: metricsToken, auditAccess: auditAccess,
                          auditJournal: directory.appendingPathComponent("audit.journal"), testTargets: testTargets)
        let created = try OperatorBootstrap.ensureOperator(store: store, tokenFile: directory.appendingPathComponent("operator-token"))
        operatorToken = try #require(created).secret
    }

    deinit {
        // Every test that used this harness also checks that no secret value reached the audit trail:
        // the tests' secret values all contain "canary".
        if let leaked = try? auditedText().contains("canary"), leaked {
            Issue.record("a secret value (canary) appears in the audit trail")
        }
        cleanup()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Every audit record of every chain, as JSON text.
    func auditedText() throws -> String {
        app.auditJournal.flush()
        var text = ""
        for chain in try store.auditChains() {
            var page = PageRequest(limit: 500)
            while true {
                let records = try store.listAudit(in: chain, AuditFilter(), page)
                text += String(decoding: JSONBody.encode(records.items), as: UTF8.self)
                guard let next = records.nextCursor else { break }
                page = try PageRequest(limit: "500", cursor: next)
            }
        }
        return text
    }

    @discardableResult
    func call(_ method: String, _ path: String, token: String?, body: String? = nil,
              query: [String: String] = [:], contentType: String = "application/json") -> Reply {
        var headers: [String: String] = [:]
        if let token { headers["authorization"] = "Bearer \(token)" }
        if body != nil { headers["content-type"] = contentType }
        let response = app.respond(to: HTTPRequest(method: method, path: path, headers: headers, query: query,
                                                   body: Array((body ?? "").utf8), requestID: "test-request"))
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }

    @discardableResult
    func op(_ method: String, _ path: String, _ body: String? = nil) -> Reply {
        call(method, path, token: operatorToken, body: body)
    }

    /// Creates a workspace, and returns its id.
    func workspace(_ name: String = "Acme") -> Int64 { op("POST", "/v1/workspaces", #"{"name":"\#(name)"}"#).int("id") }

    @discardableResult
    func project(_ ws: Int64, _ name: String = "Payments") -> Int64 {
        op("POST", "/v1/workspaces/\(ws)/projects", #"{"name":"\#(name)"}"#).int("id")
    }

    /// Issues a token with the operator's authority and returns its secret.
    func token(_ role: Role, ws: Int64? = nil, project: Int64? = nil, by issuer: String? = nil) -> String {
        var members = [#""name":"t""#, #""role":"\#(role.rawValue)""#]
        if let ws { members.append(#""workspace_id":\#(ws)"#) }
        if let project { members.append(#""project_id":\#(project)"#) }
        let reply = call("POST", "/v1/tokens", token: issuer ?? operatorToken, body: "{\(members.joined(separator: ","))}")
        return reply.json["secret"] as? String ?? "issue failed: \(reply.status) \(reply.code ?? "")"
    }
}
