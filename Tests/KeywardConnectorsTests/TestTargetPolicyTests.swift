import Testing
@testable import KeywardConnectors

/// Where connection tests may connect: never to link-local addresses (cloud metadata), nor to networks an
/// operator denied; everywhere else, loopback and private networks included, unless denied.
@Suite struct TestTargetPolicyTests {
    @Test func networksContainTheirAddressesOnly() throws {
        let metadata = try #require(IPNetwork("169.254.0.0/16"))
        #expect(metadata.contains(IPNetwork.address("169.254.169.254")!))
        #expect(!metadata.contains(IPNetwork.address("169.255.0.1")!))
        // An IPv4 address written as IPv6 is that IPv4 address.
        #expect(metadata.contains(IPNetwork.address("::ffff:169.254.169.254")!))
        let odd = try #require(IPNetwork("10.1.2.200/27"))
        #expect(odd.contains(IPNetwork.address("10.1.2.192")!) && odd.contains(IPNetwork.address("10.1.2.223")!))
        #expect(!odd.contains(IPNetwork.address("10.1.2.224")!) && !odd.contains(IPNetwork.address("10.1.2.191")!))
        let v6 = try #require(IPNetwork("fe80::/10"))
        #expect(v6.contains(IPNetwork.address("fe80::1")!) && v6.contains(IPNetwork.address("febf::1")!))
        #expect(!v6.contains(IPNetwork.address("fec0::1")!) && !v6.contains(IPNetwork.address("169.254.1.1")!))
        #expect(try #require(IPNetwork("::1")).contains(IPNetwork.address("::1")!))
        #expect(try #require(IPNetwork("0.0.0.0/0")).contains(IPNetwork.address("203.0.113.9")!))
        for bad in ["", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "fe80::/129", "host.example/8", "10.0.0.0/8/8", "10.0.0.0/+8"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test func metadataEndpointsAreNeverReachableAndOthersAreUnlessDenied() throws {
        let policy = TestTargetPolicy()
        // (Also the metadata address written as one number, in octal or in hex, which resolvers accept.)
        for host in ["169.254.169.254", "[fd00:ec2::254]", "fd00:ec2::254", "fe80::1", "0.0.0.0", "::", "224.0.0.1",
                     "[::ffff:169.254.169.254]", "2852039166", "0251.0376.0251.0376", "0xa9fea9fe"] {
            #expect(policy.refusal(host: host) != nil, "\(host)")
        }
        #expect(policy.refusal(host: "169.254.169.254")?.contains("169.254.0.0/16") == true)
        for host in ["127.0.0.1", "::1", "10.0.0.5", "192.168.1.1", "203.0.113.9", "localhost"] {
            #expect(policy.refusal(host: host) == nil, "\(host)")
        }
        // A name is checked by the addresses it resolves to.
        let strict = TestTargetPolicy(denying: [IPNetwork("127.0.0.0/8")!, IPNetwork("::1")!])
        let refusal = try #require(strict.refusal(host: "localhost"))
        #expect(refusal.contains("127.0.0.0/8") || refusal.contains("::1"))
        #expect(refusal.contains("which connection tests may not reach"))
        // The refusal names the network, never the host or its address: a host may come from a secret.
        #expect(!refusal.contains("localhost") && !refusal.contains("127.0.0.1"))
        #expect(strict.refusal(host: "10.0.0.5") == nil)
    }
}

/// A PostgreSQL test connects to the addresses that were checked, not to whatever the name resolves to
/// later: libpq gets each name once per address, with that address as its `hostaddr`.
@Suite struct PostgreSQLPinningTests {
    func pinned(_ host: String, _ port: String, _ policy: TestTargetPolicy = TestTargetPolicy()) -> PostgreSQLTester.Pinned? {
        if case .pinned(let pinned) = PostgreSQLTester.pin(host: host, port: port, within: policy) { return pinned }
        return nil
    }

    func failure(_ host: String, _ port: String, _ policy: TestTargetPolicy = TestTargetPolicy()) -> String? {
        if case .failed(let step) = PostgreSQLTester.pin(host: host, port: port, within: policy) { return step.detail }
        return nil
    }

    @Test func eachNameIsPinnedToTheAddressesItWasCheckedAt() throws {
        let local = try #require(pinned("localhost, /var/run/postgresql", "5433"))
        let hosts = local.hosts.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let addresses = local.addresses.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(hosts.count == addresses.count && hosts.count == local.count && hosts.last == "/var/run/postgresql" && addresses.last == "")
        #expect(hosts.dropLast().allSatisfy { $0 == "localhost" } && addresses.dropLast().allSatisfy { $0 == "127.0.0.1" || $0 == "::1" })
        #expect(local.ports.split(separator: ",").allSatisfy { $0 == "5433" })
        #expect(pinned("127.0.0.1,[::1]", "5432,5433") == PostgreSQLTester.Pinned(hosts: "127.0.0.1,[::1]", addresses: "127.0.0.1,::1", ports: "5432,5433", count: 2))
    }

    @Test func aRefusedHostOrMismatchedPortsConnectNowhere() throws {
        #expect(failure("127.0.0.1,169.254.169.254", "5432")?.contains("169.254.0.0/16") == true)
        #expect(failure("localhost", "5432", TestTargetPolicy(denying: [IPNetwork("127.0.0.0/8")!, IPNetwork("::1")!])) != nil)
        #expect(failure("127.0.0.1,::1", "1,2,3")?.contains("2 hosts but 3 ports") == true)
    }
}
