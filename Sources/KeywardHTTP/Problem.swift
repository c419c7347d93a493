import Foundation
import KeywardCore

/// RFC 9457 problem details. Every error response has this shape, with our stable `code` and a `hint`.
public enum Problem {
    public static func status(for kind: ErrorKind) -> Int {
        switch kind {
        case .badRequest: 400
        case .unauthenticated: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .failedDependency: 424
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .unavailable: 503
        case .internalError: 500
        }
    }

    public static func response(_ error: KeywardError, requestID: String, instance: String) -> HTTPResponse {
        let status = status(for: error.kind)
        var object: [String: JSONValue] = error.extras
        object["type"] = .string("urn:keyward:problem:\(error.code)")
        object["title"] = .string(error.title)
        object["status"] = .number(Double(status))
        object["detail"] = .string(error.detail)
        object["code"] = .string(error.code)
        object["request_id"] = .string(requestID)
        object["instance"] = .string(instance)
        if let hint = error.hint { object["hint"] = .string(hint) }
        var headers = [("Content-Type", "application/problem+json")]
        if error.kind == .unauthenticated { headers.append(("WWW-Authenticate", "Bearer realm=\"keyward\"")) }
        return HTTPResponse(status: status, headers: headers, body: JSONBody.encode(JSONValue.object(object)))
    }

    public static let notFound = KeywardError(
        .notFound, code: "route_not_found", title: "No such endpoint",
        detail: "There is no endpoint at this path.", hint: "See /openapi.json for every endpoint.")

    public static func methodNotAllowed(_ allowed: [HTTPMethod]) -> KeywardError {
        KeywardError(.methodNotAllowed, code: "method_not_allowed", title: "Method not allowed",
                     detail: "This endpoint does not accept that method.",
                     hint: "Allowed: \(allowed.map(\.rawValue).joined(separator: ", ")).",
                     extras: ["allowed": .array(allowed.map { .string($0.rawValue) })])
    }

    public static func payloadTooLarge(limit: Int) -> KeywardError {
        KeywardError(.payloadTooLarge, code: "payload_too_large", title: "Request body too large",
                     detail: "The request body exceeds the limit of \(limit) bytes.",
                     hint: "Send a smaller body; the limit is set with --max-body-bytes.")
    }
}
