import Foundation
import KeywardConnectors
import KeywardCore
import KeywardHTTP
import KeywardResolver

/// The runtime side: a connection's fields with its secrets in place, and checking a single reference.
/// Both go through the one resolver.
enum ResolveHandlers {
    static func resolve(_ context: RequestContext) throws -> HTTPResponse {
        guard let id = context.target.connectionID else { throw KeywardError.internalError("resolve route without a connection") }
        let refresh: Bool
        switch context.request.query["refresh"] {
        case nil, "false": refresh = false
        case "true": refresh = true
        default: throw KeywardError.invalidField("refresh", "must be true or false")
        }
        let resolved = try context.services.resolver.resolve(id, in: context.workspaceID, project: context.projectID, refresh: refresh)
        var response = HTTPResponse.json(ResolvedConnectionView(resolved))
        // The body holds secret values: no intermediary may keep it.
        response.headers.append(("Cache-Control", "no-store"))
        return response
    }

    /// Resolves the connection exactly as `resolve` does, then runs its type's test against the real system.
    /// 200 either way, with each step; the resolved values are used and dropped, never returned.
    static func test(_ context: RequestContext) throws -> HTTPResponse {
        guard let id = context.target.connectionID else { throw KeywardError.internalError("test route without a connection") }
        let resolved: ResolvedConnection
        do {
            resolved = try context.services.resolver.resolve(id, in: context.workspaceID, project: context.projectID, refresh: false)
        } catch let error as KeywardError where error.kind == .failedDependency || error.kind == .unavailable {
            let reference = error.extras["reference"]?.stringValue.map { " (\($0))" } ?? ""
            return .json(ConnectionTestView(steps: [
                ConnectionTestStep("resolve", .fail, "\(error.code)\(reference): \(error.detail)", hint: error.hint),
                ConnectionTestStep("connect", .skip, "Not tried: the references did not resolve."),
            ]))
        }
        let count = resolved.references.count
        let steps = [
            ConnectionTestStep("resolve", .pass, count == 0 ? "The connection has no references." : "\(count) reference(s) resolved\(resolved.stale ? " (some from a stale cache: the secrets manager is failing)" : "")."),
            ConnectionTesters.tester(for: resolved.connection.type).test(resolved.fields),
        ]
        context.services.logger.info("connection tested", [
            ("connection_id", .int(id.rawValue)), ("result", .string(steps.contains { $0.status == .fail } ? "fail" : "pass")),
            ("request_id", .string(context.request.requestID)),
        ])
        return .json(ConnectionTestView(steps: steps))
    }

    /// 200 either way: the check itself worked. `ok` says whether the reference resolves; when it does not,
    /// `error` is the exact problem resolution would raise.
    static func check(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.body(CheckReferenceBody.self)
        var text = body.reference
        if text.hasPrefix("${") && text.hasSuffix("}") { text = String(text.dropFirst(2).dropLast()) }
        let reference = try SecretReference(parsing: text)
        do {
            let result = try context.services.resolver.check(reference, in: context.workspaceID, project: context.projectID)
            return .json(ReferenceCheckView(reference: reference.description, result: .success(result)))
        } catch let error as KeywardError where error.kind == .failedDependency || error.kind == .unavailable || error.kind == .conflict {
            return .json(ReferenceCheckView(reference: reference.description, result: .failure(error)))
        }
    }
}

struct ResolvedConnectionView: Encodable {
    let resolved: ResolvedConnection
    init(_ resolved: ResolvedConnection) { self.resolved = resolved }

    enum CodingKeys: String, CodingKey { case id, name, type, fields, references, stale, workspaceID = "workspace_id", projectID = "project_id" }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(resolved.connection.id, forKey: .id)
        try c.encode(resolved.connection.workspaceID, forKey: .workspaceID)
        try c.encode(resolved.connection.projectID, forKey: .projectID)
        try c.encode(resolved.connection.name, forKey: .name)
        try c.encode(resolved.connection.type, forKey: .type)
        try c.encode(resolved.fields, forKey: .fields)
        try c.encode(resolved.references, forKey: .references)
        try c.encode(resolved.stale, forKey: .stale)
    }
}

struct ReferenceCheckView: Encodable {
    let reference: String
    let result: Result<ResolvedReference, KeywardError>

    enum CodingKeys: String, CodingKey { case reference, ok, storeID = "store_id", cache, versionID = "version_id", error }
    enum ErrorKeys: String, CodingKey { case code, title, detail, hint }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reference, forKey: .reference)
        switch result {
        case .success(let resolved):
            try c.encode(true, forKey: .ok)
            try c.encode(resolved.store, forKey: .storeID)
            try c.encode(resolved.cache, forKey: .cache)
            try c.encode(resolved.versionID, forKey: .versionID)
        case .failure(let error):
            try c.encode(false, forKey: .ok)
            var e = c.nestedContainer(keyedBy: ErrorKeys.self, forKey: .error)
            try e.encode(error.code, forKey: .code)
            try e.encode(error.title, forKey: .title)
            try e.encode(error.detail, forKey: .detail)
            try e.encode(error.hint, forKey: .hint)
        }
    }
}

struct ConnectionTestView: Encodable {
    let steps: [ConnectionTestStep]

    enum CodingKeys: String, CodingKey { case ok, steps }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(!steps.contains { $0.status == .fail }, forKey: .ok)
        try c.encode(steps, forKey: .steps)
    }
}
