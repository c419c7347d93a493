import Foundation
import KeywardTestSupport
import Testing

/// Guide steps 3 to 5 from the command line, against the real binary configured by the standard AWS
/// environment variables, and moto.
@Suite(.serialized, .enabled(if: MotoAWS.configured != nil, "needs the moto server make test starts"))
struct AWSCLITests {
    let aws = MotoAWS.configured!

    @Test func setupVerifyResolveAndIsolationFromTheCommandLine() throws {
        let platform = try aws.createPlatformUser()
        let server = try KeywardServer(extraArguments: ["--external-id-prefix", "workato"], environment: aws.environment(platform))
        defer { _ = server.stop() }
        let env = ["KEYWARD_SERVER": server.url, "KEYWARD_TOKEN": try server.operatorToken, "PATH": "/usr/bin:/bin"]
        func run(_ arguments: [String], token: String? = nil) throws -> KeywardBinary.Result {
            var environment = env
            if let token { environment["KEYWARD_TOKEN"] = token }
            return try KeywardBinary.run(arguments, environment: environment)
        }
        func id(_ result: KeywardBinary.Result) throws -> String {
            "\(try #require((result.json as? [String: Any])?["id"] as? Int, "\(result.stderr)"))"
        }

        let ws = try id(try run(["workspace", "create", "--name", "Acme", "--output", "json"]))
        #expect(try run(["addon", "grant", "advanced_security", "--workspace", ws]).status == 0)
        let a = try id(try run(["project", "create", "--workspace", ws, "--name", "A", "--output", "json"]))
        let b = try id(try run(["project", "create", "--workspace", ws, "--name", "B", "--output", "json"]))
        #expect(try run(["secrets-management", "scope", "set", "project", "--workspace", ws, "--yes"]).status == 0)
        for p in [a, b] {
            #expect(try run(["secrets-management", "store", "set", "--workspace", ws, "--project", p,
                             "--provider", "aws_secrets_manager", "--setting", "region=\(aws.region)"]).status == 0)
        }

        let guide = try run(["secrets-management", "aws-setup", "--workspace", ws, "--project", a])
        #expect(guide.status == 0, "\(guide.stderr)")
        #expect(guide.stdout.contains("workato_iam_external_id_\(ws)_\(a)"))
        #expect(guide.stdout.contains(platform.arn))
        #expect(guide.stdout.contains("Trust policy") && guide.stdout.contains("sts:ExternalId"))

        // The customer pastes the trust policy into a new role, and the role's ARN back into Keyward.
        let trust = try #require((try run(["secrets-management", "aws-setup", "--workspace", ws, "--project", a, "--output", "json"]).json
                                  as? [String: Any])?["trust_policy"])
        let role = try aws.createRole(trustPolicy: trust)
        #expect(try run(["secrets-management", "store", "set", "--workspace", ws, "--project", a, "--provider", "aws_secrets_manager",
                         "--setting", "region=\(aws.region)", "--setting", "role_arn=\(role)"]).status == 0)
        let secret = MotoAWS.unique("cli/db")
        let canary = "canary-\(UUID().uuidString)"
        _ = try aws.createSecret(secret, #"{"password":"\#(canary)"}"#)

        let verified = try run(["secrets-management", "verify", "--workspace", ws, "--project", a, "--sample-secret", secret])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("assume_role") && verified.stdout.contains("pass"))
        #expect(!verified.stdout.contains(canary))

        #expect(try run(["reference", "check", "secret:\(secret)#password", "--workspace", ws, "--project", a]).stdout.contains("true"))
        let connectionA = try id(try run(["connection", "create", "--workspace", ws, "--project", a, "--name", "db", "--type", "postgresql",
                                          "--field", "password=${secret:\(secret)#password}", "--output", "json"]))
        let runtimeA = try #require((try run(["token", "create", "--name", "worker", "--role", "runtime", "--workspace", ws, "--project", a,
                                              "--output", "json"]).json as? [String: Any])?["secret"] as? String)
        let resolved = try run(["connection", "resolve", connectionA], token: runtimeA)
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(((resolved.json as? [String: Any])?["fields"] as? [String: Any])?["password"] as? String == canary)

        // Project B pastes A's role: verification fails (exit 8) and so does resolution, because B's External ID differs.
        #expect(try run(["secrets-management", "store", "set", "--workspace", ws, "--project", b, "--provider", "aws_secrets_manager",
                         "--setting", "region=\(aws.region)", "--setting", "role_arn=\(role)"]).status == 0)
        let refused = try run(["secrets-management", "verify", "--workspace", ws, "--project", b])
        #expect(refused.status == 8)
        #expect(refused.stdout.contains("fail"))
        let connectionB = try id(try run(["connection", "create", "--workspace", ws, "--project", b, "--name", "db", "--type", "postgresql",
                                          "--field", "password=${secret:\(secret)#password}", "--output", "json"]))
        let runtimeB = try #require((try run(["token", "create", "--name", "worker", "--role", "runtime", "--workspace", ws, "--project", b,
                                              "--output", "json"]).json as? [String: Any])?["secret"] as? String)
        let denied = try run(["connection", "resolve", connectionB], token: runtimeB)
        #expect(denied.status == 8)
        #expect(denied.stderr.contains("assume_role_denied"))
        #expect(!denied.stdout.contains(canary) && !denied.stderr.contains(canary))

        #expect(!server.stderr.contains(canary), "the secret value never reaches the server log")
    }
}
