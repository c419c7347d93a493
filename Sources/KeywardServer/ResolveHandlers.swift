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
        let resolved: ResolvedConnection
        do {
            resolved = try context.services.resolver.resolve(id, in: context.workspaceID, project: context.projectID, refresh: refresh,
                                                             fromMemoryOnly: !context.mayWait)
        } catch let error as KeywardError {
            try context.audit.recordAccess(context.auditEntry(.connectionResolved, outcome: error.code, details: RequestContext.details(error)))
            throw error
        }
        // A connection kept by the resolver is answered, and recorded, with the bytes already written for it:
        // every request it answers has the same fields and the same references, cache outcome and versions.
        let written: EncodedResolution
        if resolved.rendering != 0 {
            let cache = context.services.encodedResolutions
            if let kept = cache.value(id, load: { nil }), kept.rendering == resolved.rendering {
                written = kept
            } else {
                written = EncodedResolution(resolved, refresh: refresh)
                cache.set(id, written)
            }
        } else {
            written = EncodedResolution(resolved, refresh: refresh)
        }
        try context.audit.recordAccess(context.auditEntry(.connectionResolved, detailsJSON: written.auditDetails))
        let body = written.body
        // The body holds secret values: no intermediary may keep it.
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body: body)
    }

    /// A resolution as it is sent and as it is recorded, tagged with the rendering it came from.
    struct EncodedResolution: Sendable {
        let rendering: UInt64
        let body: [UInt8]
        let auditDetails: [UInt8]

        init(_ resolved: ResolvedConnection, refresh: Bool) {
            rendering = resolved.rendering
            body = ResolveHandlers.body(resolved)
            auditDetails = JSONValue.object(["references": RequestContext.details(resolved.references), "refresh": .bool(refresh)]).jsonBytes
        }
    }

    /// The answer, written directly as JSON with its keys in sorted order: this is the hot path, where
    /// Foundation's encoder (or even building a JSONValue) would cost more than everything else.
    static func body(_ resolved: ResolvedConnection) -> [UInt8] {
        let connection = resolved.connection
        var references: [UInt8] = [UInt8(ascii: "[")]
        for (index, reference) in resolved.references.enumerated() {
            if index > 0 { references.append(UInt8(ascii: ",")) }
            var item = JSONObjectWriter(capacity: 128)
            item.string("cache", reference.cache.rawValue)
            item.string("field", reference.field)
            item.string("reference", reference.reference)
            item.integer("store_id", reference.store.rawValue)
            if let version = reference.versionID { item.string("version_id", version) }
            references.append(contentsOf: item.closed())
        }
        references.append(UInt8(ascii: "]"))
        var out = JSONObjectWriter(capacity: 512)
        out.value("fields", .object(resolved.fields))
        out.integer("id", connection.id.rawValue)
        out.string("name", connection.name)
        out.integer("project_id", connection.projectID.rawValue)
        out.json("references", references)
        out.bool("stale", resolved.stale)
        out.string("type", connection.type.rawValue)
        out.integer("workspace_id", connection.workspaceID.rawValue)
        return out.closed()
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
            try context.audit.recordAccess(context.auditEntry(.connectionTested, outcome: error.code, details: RequestContext.details(error)))
            return .json(ConnectionTestView(steps: [
                ConnectionTestStep("resolve", .fail, "\(error.code)\(reference): \(error.detail)", hint: error.hint),
                ConnectionTestStep("connect", .skip, "Not tried: the references did not resolve."),
            ]))
        }
        let count = resolved.references.count
        let steps = [
            ConnectionTestStep("resolve", .pass, count == 0 ? "The connection has no references." : "\(count) reference(s) resolved\(resolved.stale ? " (some from a stale cache: the secrets manager is failing)" : "")."),
            ConnectionTesters.test(resolved.connection.type, fields: resolved.fields, secretValues: resolved.secretValues,
                                   within: context.services.testTargets),
        ]
        let failed = steps.first { $0.status == .fail }
        try context.audit.recordAccess(context.auditEntry(.connectionTested, outcome: failed == nil ? "success" : "connection_test_failed", details: [
            "references": RequestContext.details(resolved.references),
            "steps": .array(steps.map { .object(["name": .string($0.name), "status": .string($0.status.rawValue)]) }),
        ]))
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
        // The parser takes the reference with or without its ${…} wrapper.
        let reference = try SecretReference(parsing: body.reference)
        do {
            let result = try context.services.resolver.check(reference, in: context.workspaceID, project: context.projectID)
            try context.audit.recordAccess(context.auditEntry(.referenceChecked, store: result.store,
                                                             details: ["references": RequestContext.details([result])]))
            return .json(ReferenceCheckView(reference: reference.description, result: .success(result)))
        } catch let error as KeywardError where error.kind == .failedDependency || error.kind == .unavailable || error.kind == .conflict {
            try context.audit.recordAccess(context.auditEntry(.referenceChecked, outcome: error.code,
                                                             details: ["reference": .string(reference.description)]))
            return .json(ReferenceCheckView(reference: reference.description, result: .failure(error)))
        }
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
