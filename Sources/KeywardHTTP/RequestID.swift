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
        let width = max(1, (64 - next.leadingZeroBitCount + 3) / 4)
        // prefix, "-", then the counter in hex, written straight into the string's storage.
        return String(unsafeUninitializedCapacity: prefix.utf8.count + 1 + width) { buffer in
            var count = 0
            for byte in prefix.utf8 { buffer[count] = byte; count += 1 }
            buffer[count] = UInt8(ascii: "-")
            count += 1
            for shift in stride(from: 4 * (width - 1), through: 0, by: -4) {
                let nibble = UInt8(truncatingIfNeeded: next >> UInt64(shift)) & 0x0f
                buffer[count] = nibble < 10 ? 48 + nibble : 87 + nibble
                count += 1
            }
            return count
        }
    }

    static func isAcceptable(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte == 45 || byte == 95 || byte == 46 || byte == 58
        }
    }
}
