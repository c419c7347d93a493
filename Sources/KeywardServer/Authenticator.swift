import Foundation
import KeywardCore
import KeywardCrypto
import KeywardHTTP
import KeywardStorage

/// Turns the `Authorization: Bearer …` header into a `Principal`, or a 401 problem saying exactly why not.
struct Authenticator: Sendable {
    let store: any Store
    /// Token records by id. The presented secret is still checked against the hash on every request; only
    /// the database read is saved. A revocation through this server is seen at once.
    let credentials: ReadCache<TokenID, TokenCredential>
    /// Tokens whose secret matched the stored hash a moment ago, with that secret: the same token presented
    /// again is compared with it in constant time instead of being hashed again (the hash was the largest
    /// single cost of a cached resolve). So the secret of a token in use stays in memory for up to a second
    /// after its last full check, next to the far more sensitive secret values the resolver caches; any
    /// change made through this server (a revocation) empties it.
    let verified: ReadCache<TokenID, VerifiedCredential>

    struct VerifiedCredential: Sendable {
        let credential: TokenCredential
        let secret: [UInt8]
    }

    init(store: any Store, changes: ChangeCounter) {
        self.store = store
        credentials = ReadCache(ttl: 1, changes: changes)
        verified = ReadCache(ttl: 1, changes: changes)
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
        guard let credential = try verify(presented) else {
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

    /// The credential of a token whose secret matches, else nil.
    private func verify(_ presented: Substring) throws -> TokenCredential? {
        guard let (id, secretPart) = TokenSecrets.parse(presented) else { return nil }
        if let recent = verified.value(id, load: { nil }), ConstantTime.equals(secretPart.utf8, recent.secret) {
            return recent.credential
        }
        guard let credential = try credentials.value(id, load: { try store.credential(for: id) }),
              TokenSecrets.matches(secretPart, storedHash: credential.secretHash) else { return nil }
        verified.set(id, VerifiedCredential(credential: credential, secret: Array(secretPart.utf8)))
        return credential
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, spaces around the token ignored), as a slice
    /// of the header: this runs on every request.
    static func bearerToken(_ header: String) -> Substring? {
        let bytes = header.utf8
        let scheme = "bearer".utf8
        guard bytes.count > scheme.count, zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        var start = bytes.index(bytes.startIndex, offsetBy: scheme.count), end = bytes.endIndex
        guard bytes[start] == 0x20 else { return nil }
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start = bytes.index(after: start) }
        while end > start, case let last = bytes.index(before: end), bytes[last] == 0x20 || bytes[last] == 0x09 { end = last }
        guard start < end else { return nil }
        return header[start..<end]
    }

    private static func failure(_ code: String, _ detail: String, hint: String) -> KeywardError {
        KeywardError(.unauthenticated, code: code, title: "Authentication required", detail: detail, hint: hint)
    }
}
