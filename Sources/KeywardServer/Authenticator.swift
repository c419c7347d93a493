import Foundation
import KeywardCore
import KeywardHTTP
import KeywardStorage

/// Turns the `Authorization: Bearer …` header into a `Principal`, or a 401 problem saying exactly why not.
struct Authenticator: Sendable {
    let store: any Store

    func authenticate(_ request: HTTPRequest) throws -> Principal {
        guard let header = request.header("authorization") else {
            throw Self.failure("missing_token", "No API token was sent.",
                               hint: "Send Authorization: Bearer <token> (the CLI reads KEYWARD_TOKEN or --token-file).")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.failure("invalid_token", "The Authorization header is not a Bearer token.",
                               hint: "Send Authorization: Bearer <token>.")
        }
        let presented = parts[1].trimmingCharacters(in: .whitespaces)
        guard let (id, secretPart) = TokenSecrets.parse(presented),
              let credential = try store.credential(for: id),
              TokenSecrets.matches(secretPart, storedHash: credential.secretHash)
        else {
            throw Self.failure("invalid_token", "The API token is not valid.",
                               hint: "Check that the whole token was copied; tokens start with kw_.")
        }
        switch credential.token.status(at: Date()) {
        case .active:
            return Principal(tokenID: credential.token.id, role: credential.token.role, scope: credential.token.scope)
        case .revoked:
            throw Self.failure("token_revoked", "This API token has been revoked.", hint: "Ask an administrator for a new token.")
        case .expired:
            throw Self.failure("token_expired", "This API token has expired.", hint: "Ask an administrator for a new token.")
        }
    }

    private static func failure(_ code: String, _ detail: String, hint: String) -> KeywardError {
        KeywardError(.unauthenticated, code: code, title: "Authentication required", detail: detail, hint: hint)
    }
}
