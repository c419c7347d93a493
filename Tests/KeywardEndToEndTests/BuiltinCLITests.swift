import Foundation
import Testing

/// The built-in store from the command line: a secret from standard input, resolution by a runtime token,
/// and master-key rotation while the server keeps serving.
@Suite(.serialized) struct BuiltinCLITests {
    @Test func putResolveAndRotateTheMasterKeyWhileServing() throws {
        let server = try KeywardServer()
        defer { _ = server.stop() }
        let env = ["KEYWARD_SERVER": server.url, "KEYWARD_TOKEN": try server.operatorToken, "PATH": "/usr/bin:/bin"]
        func run(_ arguments: [String], token: String? = nil, stdin: String? = nil) throws -> KeywardBinary.Result {
            var environment = env
            if let token { environment["KEYWARD_TOKEN"] = token }
            return try KeywardBinary.run(arguments, environment: environment, stdin: stdin)
        }
        let keyFile = server.dataDirectory.appendingPathComponent("master.key")
        #expect(try FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions] as? Int == 0o600)

        #expect(try run(["workspace", "create", "--name", "Acme"]).status == 0)
        #expect(try run(["addon", "grant", "advanced_security", "--workspace", "1"]).status == 0)
        #expect(try run(["project", "create", "--workspace", "1", "--name", "P"]).status == 0)
        #expect(try run(["secrets-management", "scope", "set", "project", "--workspace", "1", "--yes"]).status == 0)
        #expect(try run(["secrets-management", "store", "set", "--workspace", "1", "--project", "1", "--provider", "builtin"]).status == 0)
        let canary = "canary-\(UUID().uuidString)"
        let put = try run(["secret", "put", "--workspace", "1", "--project", "1", "--name", "api/token", "--value-file", "-"], stdin: canary + "\n")
        #expect(put.status == 0, "\(put.stderr)")
        #expect(!put.stdout.contains(canary))
        #expect(try run(["secret", "list", "--workspace", "1", "--project", "1"]).stdout.contains("api/token"))
        #expect(try run(["connection", "create", "--workspace", "1", "--project", "1", "--name", "api", "--type", "http",
                         "--field", "auth_header=Bearer ${secret:api/token}"]).status == 0)
        let runtime = try #require((try run(["token", "create", "--name", "w", "--role", "runtime", "--workspace", "1", "--project", "1",
                                             "--output", "json"]).json as? [String: Any])?["secret"] as? String)
        func resolved() throws -> String? {
            ((try run(["connection", "resolve", "1"], token: runtime).json as? [String: Any])?["fields"] as? [String: Any])?["auth_header"] as? String
        }
        #expect(try resolved() == "Bearer \(canary)")

        // Rotate while the server runs, then read through a data key the server has not opened yet.
        let rotated = try KeywardBinary.run(["builtin", "rotate-master-key", "--data-dir", server.dataDirectory.path], environment: ["PATH": "/usr/bin:/bin"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stdout.contains("rewrapped 1 data key"))
        #expect(try run(["project", "create", "--workspace", "1", "--name", "Q"]).status == 0)
        #expect(try run(["secrets-management", "store", "set", "--workspace", "1", "--project", "2", "--provider", "builtin"]).status == 0)
        #expect(try run(["secret", "put", "--workspace", "1", "--project", "2", "--name", "x", "--value", "y"]).status == 0)
        #expect(try resolved() == "Bearer \(canary)")
        let check = try run(["reference", "check", "secret:api/token", "--workspace", "1", "--project", "1"])
        #expect(check.stdout.contains("true"), "\(check.stdout)\(check.stderr)")

        #expect(!server.stderr.contains(canary), "the value never reaches the server log")
    }
}
