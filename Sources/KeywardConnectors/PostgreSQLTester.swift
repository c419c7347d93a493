import Foundation
import KeywardCore
import KeywardStorage

/// Connects with libpq and runs `SELECT 1`. Fields: host, port (default 5432), database, user, password,
/// sslmode (default prefer).
struct PostgreSQLTester: ConnectionTester {
    func test(_ fields: [String: JSONValue], within targets: TestTargetPolicy) -> ConnectionTestStep {
        guard let host = ConnectionTesters.string(fields, "host"), let user = ConnectionTesters.string(fields, "user") else {
            return ConnectionTestStep("connect", .fail, "A PostgreSQL connection needs host and user fields.",
                                      hint: "Add host, port, database, user, password and sslmode.")
        }
        let port = ConnectionTesters.string(fields, "port") ?? "5432"
        let pinned: Pinned
        switch Self.pin(host: host, port: port, within: targets) {
        case .pinned(let checked): pinned = checked
        case .failed(let step): return step
        }
        let database = ConnectionTesters.string(fields, "database") ?? user
        var parameters = [("host", pinned.hosts), ("hostaddr", pinned.addresses), ("port", pinned.ports), ("dbname", database), ("user", user),
                          ("sslmode", ConnectionTesters.string(fields, "sslmode") ?? "prefer"), ("connect_timeout", "5"),
                          ("application_name", "keyward-connection-test")]
        if let password = ConnectionTesters.string(fields, "password") { parameters.append(("password", password)) }
        let conninfo = parameters.map { "\($0.0)=\(Self.quote($0.1))" }.joined(separator: " ")
        let started = Date()
        do {
            let connection = try PostgresConnection(url: conninfo)
            _ = try connection.query("SELECT 1 AS one", [])
            let elapsed = Int(Date().timeIntervalSince(started) * 1000)
            return ConnectionTestStep("connect", .pass, "Connected to \(host):\(port)/\(database) as \(user); SELECT 1 answered in \(elapsed) ms.")
        } catch {
            return ConnectionTestStep("connect", .fail, "\(host):\(port)/\(database) as \(user): \(Self.message(error))",
                                      hint: "Check host, port, database, user and password, and that the server accepts connections from Keyward.")
        }
    }

    /// libpq's host, hostaddr and port lists for a connection's `host` and `port` (comma-separated lists,
    /// as libpq takes them; one port for all hosts or one each). Each name appears once per address it
    /// resolved to, with that address as its `hostaddr`: libpq connects to addresses that were checked and
    /// does not resolve the name again (it still verifies TLS against the name). A Unix socket directory
    /// (a host starting with "/") stays as it is, with no address.
    struct Pinned: Equatable {
        var hosts = "", addresses = "", ports = ""
        var count = 0

        mutating func add(_ host: String, _ address: String, _ port: String) {
            let separator = count == 0 ? "" : ","
            count += 1
            hosts += separator + host
            addresses += separator + address
            ports += separator + port
        }
    }

    /// The lists to connect with, or why the test does not connect.
    enum Pinning {
        case pinned(Pinned)
        case failed(ConnectionTestStep)
    }

    static func pin(host: String, port: String, within targets: TestTargetPolicy) -> Pinning {
        let hosts = host.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let ports = port.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard ports.count == 1 || ports.count == hosts.count else {
            return .failed(ConnectionTestStep("connect", .fail, "\(hosts.count) hosts but \(ports.count) ports.",
                                               hint: "Give one port for all hosts, or one port for each host, in the same order."))
        }
        var pinned = Pinned()
        for (index, name) in hosts.enumerated() {
            let port = ports.count == 1 ? ports[0] : ports[index]
            if name.isEmpty || name.hasPrefix("/") {
                pinned.add(name, "", port)
                continue
            }
            switch targets.check(host: name) {
            case .reachable(let addresses): for address in addresses { pinned.add(name, address, port) }
            case .refused(let refusal): return .failed(ConnectionTesters.refused(refusal))
            case .unresolved:
                // Which host, by position: a list held as one secret is redacted whole, not a name quoted out of it.
                let which = hosts.count == 1 ? "The host" : "Host \(index + 1) of \(hosts.count)"
                return .failed(ConnectionTestStep("connect", .fail, "\(which) does not resolve.",
                                                   hint: "Check the host name, and that Keyward's server can resolve it."))
            }
        }
        return .pinned(pinned)
    }

    /// libpq's quoting of a conninfo value: in single quotes, with \ and ' escaped.
    static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    static func message(_ error: Error) -> String {
        let text = (error as? StorageFailure)?.description ?? "\(error)"
        return text.replacingOccurrences(of: "database unavailable: ", with: "")
    }
}
