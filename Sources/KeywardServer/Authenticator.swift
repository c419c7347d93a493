import Foundation
import KeywardCore
import KeywardHTTP
import KeywardStorage

/// Turns the `Authorization: Bearer …` header into a `Principal`, or a 401 problem saying exactly why not.
struct Authenticator: Sendable {
    let store: any Store
    /// Token records by id. The presented secret is still checked against the hash on every request; only
    /// the database read is saved. A revocation through this server is seen at once.
    let credentials: ReadCache<TokenID, TokenCredential>

    init(store: any Store, changes: ChangeCounter) {
        self.store = store
        credentials = ReadCache(ttl: 1, changes: changes)
    }

    func authenticate(_ request: HTTPRequest) throws -> Principal {
        guard let header = request.header("authorization") else {
            throw Self.failure("missing_token", "No API token was sent.",
                               hint: "Send Authorization: Bearer <token> (the CLI reads KEYWARD_TOKEN or --token-file).")
        }
        guard let presented = Self.bearerToken(header) else {
            throw Self.failure("invalid_token", "The Authorization header is not a Bearer token.",
                               hint: "Send Authorization: Bearer <token>.")
        }
        guard let (id, secretPart) = TokenSecrets.parse(presented),
              let credential = try credentials.value(id, load: { try store.credential(for: id) }),
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

    /// The token of `Bearer <token>` (scheme case-insensitive, spaces around the token ignored). Byte-level:
    /// this runs on every request.
    static func bearerToken(_ header: String) -> String? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count, bytes[scheme.count] == 0x20,
              zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        var start = scheme.count, end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        guard start < end else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    private static func failure(_ code: String, _ detail: String, hint: String) -> KeywardError {
        KeywardError(.unauthenticated, code: code, title: "Authentication required", detail: detail, hint: hint)
    }
}
