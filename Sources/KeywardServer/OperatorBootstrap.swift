import Foundation
import KeywardCore
import KeywardStorage

/// On first start (a store with no tokens at all) Keyward issues one operator token so that someone can
/// log in. It is written to a file only its owner can read, and returned so the caller can show it once.
public enum OperatorBootstrap {
    public struct Created: Sendable {
        public let secret: String
        public let tokenID: TokenID
    }

    public static func ensureOperator(store: any Store, tokenFile: URL) throws -> Created? {
        guard try store.countTokens() == 0 else { return nil }
        let issued = TokenSecrets.issue(name: "bootstrap operator", role: .operator, scope: .platform, expiresAt: nil)
        try writeSecretFile(issued.secret + "\n", to: tokenFile)
        // No one asked for it: the record names the token itself as the one that made it, at start-up.
        _ = try store.createToken(issued.token, secretHash: issued.secretHash,
                                  by: Actor(tokenID: issued.token.id, role: .operator, requestID: "startup"))
        return Created(secret: issued.secret, tokenID: issued.token.id)
    }

    /// Creates (or replaces) `url` with mode 0600 from the first byte, so the secret is never readable by others.
    static func writeSecretFile(_ content: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        unlink(url.path)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw KeywardError(.internalError, code: "token_file_unwritable", title: "Cannot write the token file",
                               detail: "Could not create \(url.path): \(String(cString: strerror(errno))).",
                               hint: "Check that the data directory is writable.")
        }
        defer { close(fd) }
        let bytes = Array(content.utf8)
        guard bytes.withUnsafeBytes({ Foundation.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw KeywardError.internalError("short write to \(url.path)")
        }
    }
}
