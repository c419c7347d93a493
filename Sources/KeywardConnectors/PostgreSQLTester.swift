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
        // libpq takes a list of hosts; one that starts with "/" is a directory holding a Unix socket.
        for name in host.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.hasPrefix("/") {
            if let refusal = targets.refusal(host: name) { return ConnectionTesters.refused(refusal) }
        }
        let port = ConnectionTesters.string(fields, "port") ?? "5432"
        let database = ConnectionTesters.string(fields, "database") ?? user
        var parameters = [("host", host), ("port", port), ("dbname", database), ("user", user),
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

    /// libpq's quoting of a conninfo value: in single quotes, with \ and ' escaped.
    static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    static func message(_ error: Error) -> String {
        let text = (error as? StorageFailure)?.description ?? "\(error)"
        return text.replacingOccurrences(of: "database unavailable: ", with: "")
    }
}
