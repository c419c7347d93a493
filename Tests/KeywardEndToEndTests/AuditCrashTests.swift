import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing

/// The audit trail's promise under a crash: every request that was answered has its record, and the chain
/// still verifies. The server is killed with SIGKILL while clients resolve as fast as they can.
@Suite(.serialized) struct AuditCrashTests {
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test func killedUnderLoadEveryAnsweredResolveIsRecordedAndTheChainVerifies() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try KeywardServer(dataDirectory: directory)
        let operatorToken = try first.operatorToken
        func run(_ server: KeywardServer, _ arguments: [String], token: String? = nil, stdin: String? = nil) throws -> KeywardBinary.Result {
            try KeywardBinary.run(arguments, environment: ["KEYWARD_SERVER": server.url, "KEYWARD_TOKEN": token ?? operatorToken, "PATH": "/usr/bin:/bin"],
                                  stdin: stdin)
        }
        for command in [["workspace", "create", "--name", "Acme"], ["addon", "grant", "advanced_security", "--workspace", "1"],
                        ["project", "create", "--workspace", "1", "--name", "P"],
                        ["secrets-management", "store", "set", "--workspace", "1", "--provider", "builtin"]] {
            let result = try run(first, command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        let canary = "canary-crash-\(UUID().uuidString)"
        #expect(try run(first, ["secret", "put", "--workspace", "1", "--name", "db", "--value-file", "-"], stdin: canary).status == 0)
        #expect(try run(first, ["connection", "create", "--workspace", "1", "--project", "1", "--name", "db", "--type", "generic",
                                "--field", "password=${secret:db}"]).status == 0)
        let runtime = try #require((try run(first, ["token", "create", "--name", "w", "--role", "runtime", "--workspace", "1", "--project", "1",
                                                    "--output", "json"]).json as? [String: Any])?["secret"] as? String)

        // Eight clients resolve until the server dies; the server is killed once 400 answers arrived.
        let answered = Counter()
        let url = first.url
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var request = URLRequest(url: URL(string: "\(url)/v1/connections/1/resolve")!)
                    request.httpMethod = "POST"
                    request.setValue("Bearer \(runtime)", forHTTPHeaderField: "Authorization")
                    while true {
                        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return }
                        guard (response as? HTTPURLResponse)?.statusCode == 200 else { return }
                        answered.value.add(1, ordering: .relaxed)
                    }
                }
            }
            while answered.value.load(ordering: .relaxed) < 400 { try await Task.sleep(nanoseconds: 2_000_000) }
            first.kill()
            try await group.waitForAll()
        }
        let acknowledged = answered.value.load(ordering: .relaxed)
        #expect(acknowledged >= 400)

        // A new server on the same database: the chain verifies, and holds a record for every answer.
        let second = try KeywardServer(dataDirectory: directory)
        defer { _ = second.stop() }
        let verify = try run(second, ["audit", "verify", "--workspace", "1"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let export = try run(second, ["audit", "export", "--workspace", "1", "--action", "connection.resolve"])
        #expect(export.status == 0, "\(export.stderr)")
        let lines = export.stdout.split(separator: "\n")
        #expect(lines.count >= acknowledged, "\(lines.count) records for \(acknowledged) answered resolves")
        #expect(lines.allSatisfy { $0.contains(#""outcome":"success""#) && $0.contains(#""hash":""#) })
        #expect(!export.stdout.contains(canary) && !first.stderr.contains(canary) && !second.stderr.contains(canary))
    }
}
