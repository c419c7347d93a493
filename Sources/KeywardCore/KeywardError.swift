/// The broad class of a failure. The HTTP layer maps each kind to one status code, so the domain never
/// speaks HTTP, and the CLI maps each kind to one exit code.
public enum ErrorKind: String, Sendable, Codable, CaseIterable {
    case badRequest
    case unauthenticated
    case forbidden
    case notFound
    case methodNotAllowed
    case conflict
    /// The secrets manager refused, or lacks what was asked for (a secret, a key, the role).
    case failedDependency
    case payloadTooLarge
    case unsupportedMediaType
    case unavailable
    case internalError
}

/// Every failure a user can see: a stable machine-readable `code`, a human `detail`, and a `hint` that says
/// how to fix it. The detail never contains secret material: callers build it from names and ids only.
public struct KeywardError: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: ErrorKind
    public var code: String
    public var title: String
    public var detail: String
    public var hint: String?
    /// Extra structured facts (for example which field was wrong); rendered as extension members.
    public var extras: [String: JSONValue]
    /// What went wrong underneath, for the server log only; never rendered to a client.
    public var internalCause: String?

    public init(_ kind: ErrorKind, code: String, title: String, detail: String, hint: String? = nil,
                extras: [String: JSONValue] = [:], internalCause: String? = nil) {
        self.kind = kind
        self.code = code
        self.title = title
        self.detail = detail
        self.hint = hint
        self.extras = extras
        self.internalCause = internalCause
    }

    public var description: String { "\(code): \(detail)" }
}

extension KeywardError {
    public static func invalidField(_ field: String, _ detail: String, hint: String? = nil) -> KeywardError {
        KeywardError(.badRequest, code: "invalid_field", title: "A field has an invalid value",
                     detail: "\(field): \(detail)", hint: hint, extras: ["field": .string(field)])
    }

    public static func notFound(_ what: String, code: String, id: String) -> KeywardError {
        KeywardError(.notFound, code: code, title: "\(what) not found",
                     detail: "No \(what.lowercased()) with id \(id) exists here.",
                     hint: "Check the id; list the \(what.lowercased())s you can see to find the right one.")
    }

    public static func conflict(code: String, _ detail: String, hint: String? = nil) -> KeywardError {
        KeywardError(.conflict, code: code, title: "Conflict", detail: detail, hint: hint)
    }

    public static let forbidden = KeywardError(
        .forbidden, code: "forbidden", title: "Not allowed",
        detail: "Your token's role does not allow this action on this resource.",
        hint: "Use a token whose role and scope cover this resource (see `keyward whoami`).")

    public static func internalError(_ detail: String = "An unexpected error occurred.") -> KeywardError {
        KeywardError(.internalError, code: "internal_error", title: "Internal error", detail: detail,
                     hint: "Retry; if it persists, report it with the request id.")
    }
}
