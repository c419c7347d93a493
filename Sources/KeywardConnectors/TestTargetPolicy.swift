import Foundation

/// Which addresses a connection test may reach. A test sends a connection's credentials to wherever its
/// fields point, at the request of anyone allowed to test connections; unchecked, that reaches whatever
/// only the Keyward server can: above all a cloud metadata endpoint, which hands out the server's own
/// credentials. Link-local networks (169.254.0.0/16 and fe80::/10, where AWS, GCP and Azure serve instance
/// metadata, and AWS's fd00:ec2::254), unspecified, broadcast and multicast addresses are always refused.
/// Operators add networks of their own (`keyward serve --connection-test-deny`): the host's loopback, the
/// platform's own VPC.
///
/// The host is resolved and every address it has is checked before the test connects. A PostgreSQL test
/// then connects to exactly the addresses checked (`check`), so a name whose answer changes after the check
/// (DNS rebinding) cannot lead it elsewhere. An HTTP test's connection resolves the name again (URLSession
/// takes no address to connect to), so there a name whose answer changes in between is not caught; the
/// metadata endpoints are reached by address, and those are.
public struct TestTargetPolicy: Sendable, Equatable {
    public static let alwaysDenied: [IPNetwork] = ["0.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32",
                                                   "::/128", "fe80::/10", "ff00::/8", "fd00:ec2::254/128"].map { IPNetwork($0)! }

    /// Refused networks: `alwaysDenied` and the operator's.
    public let denied: [IPNetwork]

    public init(denying extra: [IPNetwork] = []) {
        denied = Self.alwaysDenied + extra
    }

    /// Nil when every address `host` has may be reached; otherwise why not, naming the refused network but
    /// neither the host nor its address: a host may come from a secret (a URL held in a secrets manager),
    /// and the step's redaction replaces whole secret values, not the host quoted out of one. A host that
    /// does not resolve is left to the test, which reports it as it would any unreachable host.
    public func refusal(host: String) -> String? {
        if case .refused(let refusal) = check(host: host) { return refusal }
        return nil
    }

    /// What checking a host found.
    public enum Check: Sendable, Equatable {
        /// Every address the host has may be reached: these, as text, in the resolver's order.
        case reachable([String])
        case refused(String)
        /// The name does not resolve.
        case unresolved
    }

    /// The addresses `host` resolves to, each checked (a refusal as `refusal(host:)` words it).
    public func check(host: String) -> Check {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = Self.addresses(of: name)
        guard !addresses.isEmpty else { return .unresolved }
        for address in addresses {
            if let network = denied.first(where: { $0.contains(address) }) {
                return .refused("the host is in \(network), which connection tests may not reach.")
            }
        }
        var texts: [String] = []
        for text in addresses.map(IPNetwork.text) where !texts.contains(text) { texts.append(text) }
        return .reachable(texts)
    }

    static func addresses(of host: String) -> [[UInt8]] {
        if let address = IPNetwork.address(host) { return [address] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [[UInt8]] = []
        var next = list
        while let entry = next?.pointee {
            if entry.ai_family == AF_INET, let socket = entry.ai_addr {
                socket.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addresses.append(withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }) }
            } else if entry.ai_family == AF_INET6, let socket = entry.ai_addr {
                socket.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { addresses.append(withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }) }
            }
            next = entry.ai_next
        }
        return addresses
    }
}
