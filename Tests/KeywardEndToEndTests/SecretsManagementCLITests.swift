import Foundation
import Testing

/// Guide steps 1 and 2 from the command line, against the real binary.
@Suite(.serialized) struct SecretsManagementCLITests {
    @Test func scopeSwitchShowsThePreviewAsksAndSwitches() async throws {
        let server = try KeywardServer()
        defer { _ = server.stop() }
        let env = ["KEYWARD_SERVER": server.url, "KEYWARD_TOKEN": try server.operatorToken, "PATH": "/usr/bin:/bin"]
        func run(_ arguments: [String]) throws -> KeywardBinary.Result { try KeywardBinary.run(arguments, environment: env) }

        let ws = try #require((try run(["workspace", "create", "--name", "Acme", "--output", "json"]).json as? [String: Any])?["id"] as? Int)
        let denied = try run(["secrets-management", "show", "--workspace", "\(ws)"])
        #expect(denied.status == 3)
        #expect(denied.stderr.contains("keyward addon grant advanced_security --workspace \(ws)"), "the CLI says how to get the add-on")
        #expect(try run(["addon", "grant", "advanced_security", "--workspace", "\(ws)"]).status == 0)
        let p = try #require((try run(["project", "create", "--workspace", "\(ws)", "--name", "Payments", "--output", "json"]).json as? [String: Any])?["id"] as? Int)
        let set = try run(["secrets-management", "store", "set", "--workspace", "\(ws)", "--provider", "aws_secrets_manager", "--setting", "region=eu-west-1"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdout.contains("region=eu-west-1"))
        #expect(try run(["connection", "create", "--workspace", "\(ws)", "--project", "\(p)", "--name", "warehouse", "--type", "postgresql",
                         "--field", "password=${secret:prod/db#password}"]).status == 0)

        let preview = try run(["secrets-management", "scope", "preview", "project", "--workspace", "\(ws)"])
        #expect(preview.stdout.contains("1 reference(s) stop working"))
        #expect(preview.stdout.contains("secret:prod/db#password"))

        // Without a terminal and without --yes, nothing changes.
        let refused = try run(["secrets-management", "scope", "set", "project", "--workspace", "\(ws)"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("will stop working"))
        #expect(refused.stdout.contains("warehouse"))
        #expect((try run(["secrets-management", "show", "--workspace", "\(ws)", "--output", "json"]).json as? [String: Any])?["scope"] as? String == "workspace")

        // At a terminal, answering y switches.
        let answered = try KeywardBinary.runInTerminal(["secrets-management", "scope", "set", "project", "--workspace", "\(ws)"],
                                                       environment: env, answer: "y")
        #expect(answered.status == 0, "\(answered.stdout)")
        #expect(answered.stdout.contains("Switch to project scope? [y/N]"))
        let shown = try run(["secrets-management", "show", "--workspace", "\(ws)", "--output", "json"]).json as? [String: Any]
        #expect(shown?["scope"] as? String == "project")
        #expect((shown?["references"] as? [String: Any])?["out_of_scope"] as? Int == 1)

        // --yes for scripts, back to workspace scope.
        let back = try run(["secrets-management", "scope", "set", "workspace", "--workspace", "\(ws)", "--yes"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(back.stderr.contains("will work again"))

        let audit = try run(["audit", "list", "--workspace", "\(ws)", "--action", "secrets.scope.switch", "--output", "json"])
        #expect((audit.json as? [String: Any]).flatMap { $0["items"] as? [Any] }?.count == 2)
    }
}

extension KeywardBinary {
    /// Runs a command with its standard input on a pseudo-terminal (util-linux `script`), typing `answer`.
    static func runInTerminal(_ arguments: [String], environment: [String: String], answer: String) throws -> Result {
        let command = ([try path] + arguments).map { "'\($0.replacingOccurrences(of: "'", with: "'\\''"))'" }.joined(separator: " ")
        return try run(["-qefc", command, "/dev/null"], environment: environment, stdin: answer + "\n", executable: "/usr/bin/script")
    }
}
