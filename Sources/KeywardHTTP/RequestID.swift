import KeywardCrypto
import Synchronization

/// Request ids: the client's `X-Request-Id` when it is a reasonable token, otherwise one of ours —
/// a random per-process prefix and a counter, which is unique and costs no syscall per request.
final class RequestIDGenerator: Sendable {
    private let prefix = Hex.encode(SecureRandom.bytes(6))
    private let counter = Atomic<UInt64>(0)

    func accept(_ offered: String?) -> String {
        if let offered, Self.isAcceptable(offered) { return offered }
        let next = counter.add(1, ordering: .relaxed).newValue
        return "\(prefix)-\(String(next, radix: 16))"
    }

    static func isAcceptable(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte == 45 || byte == 95 || byte == 46 || byte == 58
        }
    }
}
