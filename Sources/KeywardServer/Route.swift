import KeywardCore
import KeywardHTTP
import KeywardStorage

/// One endpoint: its access rule and its handler. Path and method live in the router; the OpenAPI
/// document describes the same endpoints and a test holds the two together.
struct Route: Sendable {
    let operationID: String
    let access: Access
    /// Whether the route may change what the short-lived read caches hold (tokens, plans, resolved
    /// connections): after it runs, they are emptied. Reads and checks that post (resolve, test, verify)
    /// change nothing and leave them be.
    let changesState: Bool
    /// Whether answering may wait on something slow, which decides which threads run it.
    let waits: Waits
    let handler: @Sendable (RequestContext) throws -> HTTPResponse

    enum Waits: Sendable {
        /// Answered on the event loop: reads and writes of Keyward's own database.
        case never
        /// Calls secrets managers or a connection's server: always answered off the event loop.
        case always
        /// Answered on the event loop when everything it needs is in memory; otherwise the handler throws
        /// `Resolver.WouldWait` and it is answered again off the event loop.
        case unlessCached
    }
}

/// Everything a handler needs, already checked: the caller is authenticated and authorized, and the
/// workspace and project in the path exist and contain each other.
struct RequestContext: Sendable {
    let request: HTTPRequest
    let parameters: [String: String]
    let principal: Principal?
    let target: AuthorizedTarget
    let services: Services
    /// False on the event loop: a handler of a route that `waits: .unlessCached` must then answer from
    /// memory or throw `Resolver.WouldWait`.
    let mayWait: Bool
    /// Where handlers put this request's audit records.
    let audit: RequestAudit

    var store: any Store { services.store }

    /// The authenticated caller; routes with `Access.anyone` have none.
    func caller() throws -> Principal {
        guard let principal else { throw KeywardError.internalError("route needs a principal but declares Access.anyone") }
        return principal
    }

    var workspaceID: WorkspaceID {
        get throws {
            guard let id = target.workspaceID else { throw KeywardError.internalError("route has no workspace") }
            return id
        }
    }

    var projectID: ProjectID {
        get throws {
            guard let id = target.projectID else { throw KeywardError.internalError("route has no project") }
            return id
        }
    }

    /// The caller as the audit trail records it.
    func actor() throws -> Actor { Actor(try caller(), requestID: request.requestID) }

    func body<Body: RequestBody>(_ type: Body.Type) throws -> Body {
        try JSONBody.decode(type, from: request)
    }

    /// The request's body, or `empty` when there is none (for POSTs whose every member is optional).
    func optionalBody<Body: RequestBody>(_ type: Body.Type, empty: Body) throws -> Body {
        request.body.isEmpty ? empty : try body(type)
    }

    func page() throws -> PageRequest {
        try PageRequest(limit: request.query["limit"], cursor: request.query["cursor"])
    }

    func identifier<ID: IntegerIdentifier>(_ name: String, as type: ID.Type) throws -> ID {
        try PathIdentifiers.integer(parameters[name], name: name, as: type)
    }
}

enum PathIdentifiers {
    static func integer<ID: IntegerIdentifier>(_ raw: String?, name: String, as type: ID.Type) throws -> ID {
        // JSON Schema counts 12.0 as the integer 12, so the OpenAPI document allows it; so do we.
        var digits = raw?[...]
        if let text = digits, let dot = text.firstIndex(of: "."), text[text.index(after: dot)...].allSatisfy({ $0 == "0" }) {
            digits = text[..<dot]
        }
        guard let digits, digits.utf8.count <= 19, let id = ID(String(digits)) else {
            throw KeywardError(.badRequest, code: "invalid_id", title: "Invalid id",
                               detail: "The \(name) id in the path must be a positive integer.",
                               extras: ["parameter": .string(name)])
        }
        return id
    }

    static func token(_ raw: String?) throws -> TokenID {
        guard let raw, let id = TokenID(rawValue: raw) else {
            throw KeywardError(.badRequest, code: "invalid_id", title: "Invalid id",
                               detail: "A token id is 16 lowercase hexadecimal characters.",
                               extras: ["parameter": .string("token")])
        }
        return id
    }
}

extension HTTPResponse {
    static func json<Value: Encodable>(_ value: Value, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: JSONBody.encode(value))
    }
}
