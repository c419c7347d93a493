import Foundation
import KeywardCore
import KeywardCrypto

/// The token string a client holds: `kw_<16 hex id>_<43 chars of base64url>` (256 random bits).
/// The id finds the row; only SHA-256 of the secret part is stored, and it is compared in constant time.
public enum TokenSecrets {
    public struct Issued: Sendable {
        public let token: Token
        /// Shown once, at creation; never stored.
        public let secret: String
        public let secretHash: String
    }

    public static func issue(name: String, role: Role, scope: ResourceScope, expiresAt: Date?) -> Issued {
        let id = TokenID(rawValue: Hex.encode(SecureRandom.bytes(8)))!
        let secretPart = SecureRandom.token(byteCount: 32)
        let token = Token(id: id, name: name, role: role, scope: scope, createdAt: Timestamp.now(),
                          expiresAt: expiresAt, revokedAt: nil)
        return Issued(token: token, secret: "kw_\(id.rawValue)_\(secretPart)", secretHash: hash(secretPart))
    }

    /// Splits a presented token into its id and secret part; nil if it is not shaped like one of ours.
    public static func parse(_ presented: String) -> (id: TokenID, secretPart: String)? {
        let parts = presented.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "kw", let id = TokenID(rawValue: String(parts[1])),
              parts[2].utf8.count == 43 else { return nil }
        return (id, String(parts[2]))
    }

    public static func hash(_ secretPart: String) -> String { Hex.encode(SHA256.hash(secretPart)) }

    public static func matches(_ secretPart: String, storedHash: String) -> Bool {
        ConstantTime.equals(Array(hash(secretPart).utf8), Array(storedHash.utf8))
    }
}
