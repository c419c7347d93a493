import Foundation
import Testing

/// The real binary, started as a user starts it, driven through the CLI and read back through the API,
/// on the embedded SQLite store and on the PostgreSQL server the harness started.
@Suite(.serialized) struct EndToEndTests {
    static var databases: [String] {
        var list = ["sqlite"]
        if let url = ProcessInfo.processInfo.environment["KEYWARD_TEST_POSTGRES_URL"], !url.isEmpty { list.append(url) }
        return list
    }

    @Test(arguments: databases)
    func cliCreatesAndAPIReadsBack(_ database: String) async throws {
        let server = try KeywardServer(extraArguments: database == "sqlite" ? [] : ["--database", try freshPostgresDatabase(database)])
        defer { _ = server.stop() }
        let token = try server.operatorToken
        #expect(server.stdout.contains(token), "the first operator token is shown once on stdout")
        let env = ["KEYWARD_SERVER": server.url, "KEYWARD_TOKEN": token, "PATH": "/usr/bin:/bin"]

        let ws = try KeywardBinary.run(["workspace", "create", "--name", "Acme", "--output", "json"], environment: env)
        #expect(ws.status == 0, "\(ws.stderr)")
        let wsID = try #require((ws.json as? [String: Any])?["id"] as? Int)
        #expect(try KeywardBinary.run(["addon", "grant", "advanced_security", "--workspace", "\(wsID)"], environment: env).status == 0)

        let project = try KeywardBinary.run(["project", "create", "--workspace", "\(wsID)", "--name", "Payments", "--output=json"], environment: env)
        #expect(project.status == 0, "\(project.stderr)")
        let projectID = try #require((project.json as? [String: Any])?["id"] as? Int)

        let connection = try KeywardBinary.run([
            "connection", "create", "--workspace", "\(wsID)", "--project", "\(projectID)", "--name", "warehouse",
            "--type", "postgresql", "--field", "host=db.internal", "--field", "port=5432", "--field-string", "user=007",
            "--output", "json",
        ], environment: env)
        #expect(connection.status == 0, "\(connection.stderr)")
        let connectionID = try #require((connection.json as? [String: Any])?["id"] as? Int)

        // Read back through the API.
        let (status, body) = try await server.request("GET", "/v1/workspaces/\(wsID)/projects/\(projectID)/connections/\(connectionID)", token: token)
        #expect(status == 200)
        #expect(body["name"] as? String == "warehouse")
        #expect(body["type"] as? String == "postgresql")
        let fields = try #require(body["fields"] as? [String: Any])
        #expect(fields["host"] as? String == "db.internal")
        #expect(fields["port"] as? Int == 5432)
        #expect(fields["user"] as? String == "007")
        let (_, workspace) = try await server.request("GET", "/v1/workspaces/\(wsID)", token: token)
        #expect(workspace["addons"] as? [String] == ["advanced_security"])

        // The table view is for people.
        let table = try KeywardBinary.run(["connection", "list", "--workspace", "\(wsID)", "--project", "\(projectID)"], environment: env)
        #expect(table.stdout.hasPrefix("ID"))
        #expect(table.stdout.contains("warehouse"))

        #expect(server.stop() == 0, "SIGTERM stops the server cleanly")
        #expect(server.stderr.contains("\"msg\":\"stopped\""))
        // Its secret part: after `kw_`, the 16-character id and `_` (it may itself hold `_`, so not split on it).
        let secretPart = String(token.dropFirst(3 + 16 + 1))
        #expect(secretPart.count == 43 && !server.stderr.contains(secretPart), "the token never reaches the log")
        for line in server.stderr.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not a JSON log line: \(line)")
        }
    }

    @Test func exitCodesAreStable() async throws {
        let server = try KeywardServer()
        defer { _ = server.stop() }
        let token = try server.operatorToken
        let env = ["KEYWARD_SERVER": server.url, "KEYWARD_TOKEN": token, "PATH": "/usr/bin:/bin"]

        #expect(try KeywardBinary.run(["workspace", "get", "999"], environment: env).status == 4)
        #expect(try KeywardBinary.run(["workspace", "create"], environment: env).status == 2)
        #expect(try KeywardBinary.run(["workspace", "frobnicate"], environment: env).status == 2)
        #expect(try KeywardBinary.run(["workspace", "create", "--name", "x", "--colour", "red"], environment: env).status == 2)
        #expect(try KeywardBinary.run(["whoami"], environment: env.merging(["KEYWARD_TOKEN": "kw_bad"]) { $1 }).status == 3)
        let ws = try KeywardBinary.run(["workspace", "create", "--name", "dup", "--output", "json"], environment: env)
        let wsID = try #require((ws.json as? [String: Any])?["id"] as? Int)
        #expect(try KeywardBinary.run(["project", "create", "--workspace", "\(wsID)", "--name", "p"], environment: env).status == 0)
        let conflict = try KeywardBinary.run(["project", "create", "--workspace", "\(wsID)", "--name", "p"], environment: env)
        #expect(conflict.status == 5)
        #expect(conflict.stderr.contains("name_taken"))
        #expect(conflict.stderr.contains("hint:"))
        #expect(try KeywardBinary.run(["connection", "create", "--workspace", "\(wsID)", "--project", "1", "--name", "c",
                                       "--type", "oracle"], environment: env).status == 6)
        // Destructive commands want confirmation; without a terminal they need --yes.
        #expect(try KeywardBinary.run(["workspace", "delete", "\(wsID)"], environment: env).status == 2)
        #expect(try KeywardBinary.run(["workspace", "delete", "\(wsID)", "--yes"], environment: env).status == 0)
        #expect(try KeywardBinary.run(["whoami"], environment: env.merging(["KEYWARD_SERVER": "http://127.0.0.1:1"]) { $1 }).status == 7)

        // Every command has --help, which exits 0.
        for command in [["workspace", "create"], ["project", "list"], ["connection", "update"], ["token", "create"], ["serve"]] {
            let help = try KeywardBinary.run(command + ["--help"], environment: env)
            #expect(help.status == 0, "\(command)")
            #expect(help.stdout.contains("Usage: keyward"), "\(command)")
        }
        #expect(try KeywardBinary.run(["--help"], environment: env).stdout.contains("Exit codes"))
    }

    @Test func tokensIssuedThroughTheCLIWorkAndCanBeRevoked() async throws {
        let server = try KeywardServer()
        defer { _ = server.stop() }
        let env = ["KEYWARD_SERVER": server.url, "KEYWARD_TOKEN": try server.operatorToken, "PATH": "/usr/bin:/bin"]
        let ws = try KeywardBinary.run(["workspace", "create", "--name", "A", "--output", "json"], environment: env)
        let wsID = try #require((ws.json as? [String: Any])?["id"] as? Int)
        let issued = try KeywardBinary.run(["token", "create", "--name", "admin", "--role", "workspace_admin",
                                            "--workspace", "\(wsID)", "--output", "json"], environment: env)
        let object = try #require(issued.json as? [String: Any])
        let secret = try #require(object["secret"] as? String)
        let id = try #require((object["token"] as? [String: Any])?["id"] as? String)

        let tokenFile = server.dataDirectory.appendingPathComponent("admin-token")
        try secret.write(to: tokenFile, atomically: true, encoding: .utf8)
        let adminEnv = ["KEYWARD_SERVER": server.url, "PATH": "/usr/bin:/bin"]
        let whoami = try KeywardBinary.run(["whoami", "--token-file", tokenFile.path, "--output", "json"], environment: adminEnv)
        #expect((whoami.json as? [String: Any])?["role"] as? String == "workspace_admin")
        #expect(try KeywardBinary.run(["workspace", "list", "--token-file", tokenFile.path], environment: adminEnv).status == 3)

        #expect(try KeywardBinary.run(["token", "revoke", id], environment: env).status == 0)
        let after = try KeywardBinary.run(["whoami", "--token-file", tokenFile.path], environment: adminEnv)
        #expect(after.status == 3)
        #expect(after.stderr.contains("token_revoked"))
    }

    @Test func restartKeepsDataAndDoesNotCreateASecondOperator() async throws {
        let first = try KeywardServer()
        let token = try first.operatorToken
        let env = ["KEYWARD_SERVER": first.url, "KEYWARD_TOKEN": token, "PATH": "/usr/bin:/bin"]
        #expect(try KeywardBinary.run(["workspace", "create", "--name", "Persisted"], environment: env).status == 0)
        #expect(first.stop() == 0)

        let second = try KeywardServer(extraArguments: ["--data-dir", first.dataDirectory.path])
        defer { _ = second.stop() }
        #expect(!second.stdout.contains("kw_"), "no new token is shown on a later start")
        let (status, body) = try await second.request("GET", "/v1/workspaces", token: token)
        #expect(status == 200)
        #expect((body["items"] as? [[String: Any]])?.first?["name"] as? String == "Persisted")
        let attributes = try FileManager.default.attributesOfItem(atPath: first.dataDirectory.appendingPathComponent("keyward.db").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    /// A new database on the harness's PostgreSQL server, so each run starts empty.
    func freshPostgresDatabase(_ url: String) throws -> String {
        let name = "e2e_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        let components = try #require(URLComponents(string: url))
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = [url, "-qAtc", "CREATE DATABASE \(name)"]
        try psql.run()
        psql.waitUntilExit()
        #expect(psql.terminationStatus == 0)
        var fresh = components
        fresh.path = "/\(name)"
        return fresh.string!
    }
}
