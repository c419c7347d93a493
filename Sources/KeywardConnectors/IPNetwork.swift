import Foundation

/// An IPv4 or IPv6 network in CIDR notation ("169.254.0.0/16", "fd00:ec2::254/128"; a bare address is a
/// network of one). IPv4 addresses written as IPv6 (`::ffff:a.b.c.d`) belong to the IPv4 networks they name.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    /// 4 or 16 bytes, with the bits past the prefix cleared.
    let bytes: [UInt8]
    let prefix: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = Self.address(String(parts[0])) else { return nil }
        let bits = address.count * 8
        let prefix: Int
        if parts.count == 2 {
            guard let written = Int(parts[1]), (0...bits).contains(written), parts[1].allSatisfy(\.isNumber) else { return nil }
            prefix = written
        } else {
            prefix = bits
        }
        self.prefix = prefix
        bytes = address.enumerated().map { index, byte in
            let kept = min(max(prefix - index * 8, 0), 8)
            return kept == 8 ? byte : byte & ~(UInt8(0xff) >> kept)
        }
        description = text
    }

    /// Whether `address` (4 or 16 bytes) is in this network.
    public func contains(_ address: [UInt8]) -> Bool {
        var address = address
        if address.count == 16 && bytes.count == 4 && address[0..<12].elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]) {
            address = Array(address[12...])
        }
        guard address.count == bytes.count else { return false }
        for index in 0..<bytes.count {
            let kept = min(max(prefix - index * 8, 0), 8)
            if kept == 0 { return true }
            let mask = kept == 8 ? UInt8(0xff) : ~(UInt8(0xff) >> kept)
            if address[index] & mask != bytes[index] { return false }
        }
        return true
    }

    /// The text of an address's 4 or 16 bytes.
    static func text(_ address: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = address.withUnsafeBytes { inet_ntop(address.count == 4 ? AF_INET : AF_INET6, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The bytes of a textual IPv4 or IPv6 address, or nil.
    static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
