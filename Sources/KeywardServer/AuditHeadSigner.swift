import Foundation
import KeywardCore
import KeywardCrypto

/// Signs exported audit chain heads with HMAC-SHA-256 under a key derived from the master key, so a head
/// kept outside (a ticket, another system's log) later proves the chain was not cut short or rewritten
/// before it. Verification accepts a signature by any key of the master keyring, so heads survive a
/// master-key rotation.
struct AuditHeadSigner: Sendable {
    /// The signing key first.
    let keys: [[UInt8]]

    init(keys: [[UInt8]]) {
        precondition(!keys.isEmpty, "an audit head signer needs a key")
        self.keys = keys
    }

    func sign(_ head: AuditChain.SignedHead) -> AuditChain.SignedHead {
        var signed = head
        signed.signature = Hex.encode(HMACSHA256.authenticationCode(key: keys[0], data: head.signedBytes))
        return signed
    }

    func verify(_ head: AuditChain.SignedHead) -> Bool {
        guard let presented = Hex.decode(head.signature) else { return false }
        return keys.contains { ConstantTime.equals(HMACSHA256.authenticationCode(key: $0, data: head.signedBytes), presented) }
    }
}
