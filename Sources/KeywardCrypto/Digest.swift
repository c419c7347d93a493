import COpenSSL

/// OpenSSL 3 looks an algorithm up in its provider registry (locks, property queries) whenever it is named
/// through `EVP_sha256()`; fetching it once and passing the fetched object makes a SHA-256 of a token a few
/// hundred nanoseconds instead of microseconds. A fetched `EVP_MD` is immutable and safe to share.
nonisolated(unsafe) private let fetchedSHA256: OpaquePointer = {
    guard let md = EVP_MD_fetch(nil, "SHA256", nil) else { fatalError("OpenSSL has no SHA256") }
    return md
}()

/// SHA-256 and HMAC-SHA-256 through OpenSSL's one-shot functions.
public enum SHA256 {
    public static let byteCount = 32

    public static func hash<Bytes: Collection<UInt8>>(_ data: Bytes) -> [UInt8] {
        if let digest = data.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) { return digest }
        return Array(data).withUnsafeBytes { hash($0) }
    }

    public static func hash(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    private static func hash(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { out, count in
            let ok = EVP_Digest(input.baseAddress, input.count, out.baseAddress, nil, fetchedSHA256, nil)
            precondition(ok == 1, "EVP_Digest(SHA-256) failed")
            count = byteCount
        }
    }
}

/// SHA-256 of many inputs in a row through one OpenSSL context, as lower-case hex: the audit chain's writer
/// hashes every record of a batch with one. A one-shot `EVP_Digest` allocates, initializes and frees a
/// context per call, a quarter of the time a record's ~700 bytes take. Used by one thread at a time.
public final class SHA256HexDigester {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL cannot allocate a digest context") }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public func digest(_ bytes: [UInt8]) -> String {
        var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &digest) { out in
            var length: UInt32 = 0
            let ok = bytes.withUnsafeBytes { input in
                EVP_DigestInit_ex2(context, fetchedSHA256, nil) == 1 && EVP_DigestUpdate(context, input.baseAddress, input.count) == 1
                    && EVP_DigestFinal_ex(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1
            }
            precondition(ok && length == 32, "SHA-256 failed")
        }
        return withUnsafeBytes(of: &digest) { Hex.encode(UnsafeRawBufferPointer($0)) }
    }
}

public enum HMACSHA256 {
    public static func authenticationCode<Key: Collection<UInt8>, Bytes: Collection<UInt8>>(
        key: Key, data: Bytes
    ) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: SHA256.byteCount)
        var length: UInt32 = 0
        let keyBytes = Array(key)
        let dataBytes = Array(data)
        let result = keyBytes.withUnsafeBytes { k in
            dataBytes.withUnsafeBytes { d in
                HMAC(fetchedSHA256, k.baseAddress, Int32(k.count), d.bindMemory(to: UInt8.self).baseAddress, d.count,
                     &out, &length)
            }
        }
        precondition(result != nil && length == 32, "HMAC(SHA-256) failed")
        return out
    }
}

public enum Hex {
    /// Lower-case hex, written straight into the string (the audit chain makes one per record).
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0)) }) { return text }
        return encode(Array(bytes))
    }

    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (index, byte) in bytes.enumerated() {
                let high = byte >> 4, low = byte & 0x0f
                buffer[2 * index] = high < 10 ? 48 + high : 87 + high
                buffer[2 * index + 1] = low < 10 ? 48 + low : 87 + low
            }
            return bytes.count * 2
        }
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count.isMultiple(of: 2) else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}
