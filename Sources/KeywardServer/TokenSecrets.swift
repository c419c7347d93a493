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
    /// Works on the header's own bytes (no copies): this runs on every request.
    public static func parse(_ presented: Substring) -> (id: TokenID, secretPart: Substring)? {
        // kw_ (3) + id (16) + _ (1) + secret (43), checked by position.
        let bytes = presented.utf8
        guard bytes.count == 63, bytes.starts(with: "kw_".utf8) else { return nil }
        let idStart = bytes.index(bytes.startIndex, offsetBy: 3), idEnd = bytes.index(idStart, offsetBy: 16)
        guard bytes[idEnd] == UInt8(ascii: "_"), let id = TokenID(rawValue: String(presented[idStart..<idEnd])) else { return nil }
        return (id, presented[bytes.index(after: idEnd)...])
    }

    public static func parse(_ presented: String) -> (id: TokenID, secretPart: String)? {
        parse(presented[...]).map { ($0.id, String($0.secretPart)) }
    }

    public static func hash(_ secretPart: String) -> String { Hex.encode(SHA256.hash(secretPart)) }

    /// The presented secret's digest, as lower-case hex, against the stored one, in constant time.
    public static func matches(_ secretPart: Substring, storedHash: String) -> Bool {
        ConstantTime.equals(storedHash.utf8, Array(Hex.encode(SHA256.hash(secretPart.utf8)).utf8))
    }

    public static func matches(_ secretPart: String, storedHash: String) -> Bool { matches(secretPart[...], storedHash: storedHash) }
}
