import Foundation

/// `keyward audit verify|head|export`: check a chain (against a head kept earlier), keep a signed head,
/// and write the trail as JSON Lines. Without --workspace they work on the platform's chain (operators).
enum AuditCommands {
    static func chainPath(_ arguments: ParsedArguments) throws -> String {
        try arguments.positiveID("workspace").map { "/v1/workspaces/\($0)/audit" } ?? "/v1/audit"
    }

    /// Exits 0 when the chain verifies, 8 (like a failed check) when it breaks, saying where.
    static func verify(_ arguments: ParsedArguments, _ client: APIClient, _ format: OutputFormat) async throws -> Int32 {
        var body: [String: Any] = [:]
        if let file = arguments.value("head") {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw UsageError("cannot read --head \(file): \(error.localizedDescription)")
            }
            guard let head = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw UsageError("--head \(file) is not the JSON `keyward audit head` writes")
            }
            body["head"] = head
        }
        let response = try await client.send("POST", "\(try chainPath(arguments))/verify", body: body)
        guard response.status == 200, let report = response.json as? [String: Any] else {
            CLIOutput.problem(response)
            return ExitCode.forStatus(response.status)
        }
        let ok = report["ok"] as? Bool ?? false
        if format == .json {
            CLIOutput.json(response.body)
        } else if ok {
            print("The audit chain verifies: records \(report["first_seq"] ?? "?") to \(report["last_seq"] ?? "?") (\(report["records"] ?? 0)), head \(report["head_hash"] ?? "?").")
        } else if let problem = report["problem"] as? [String: Any] {
            print("The audit chain is broken at record \(problem["seq"] ?? "?") (\(problem["kind"] ?? "?")): \(problem["detail"] ?? "")")
            print("Records \(report["first_seq"] ?? "?") to \(report["last_seq"] ?? "?") before it verify.")
        }
        return ok ? ExitCode.success : ExitCode.secretsManager
    }

    /// Pages through the trail (with the list's filters) and writes one JSON object per line, in order,
    /// to --output or standard output. The lines carry seq, prev_hash and hash, so the chain can be checked
    /// from the file alone.
    static func export(_ arguments: ParsedArguments, _ client: APIClient, _ format: OutputFormat) async throws -> Int32 {
        var query: [(String, String)] = [("limit", "500")]
        for name in ["action", "project", "connection", "actor", "outcome", "since", "until"] {
            if let value = arguments.value(name) { query.append((name, value)) }
        }
        let output: FileHandle
        if let file = arguments.value("output") {
            guard FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: file) else { throw UsageError("cannot write --output \(file)") }
            output = handle
        } else {
            output = FileHandle.standardOutput
        }
        defer { if output !== FileHandle.standardOutput { try? output.close() } }
        var cursor: String?
        var written = 0
        repeat {
            let response = try await client.send("GET", try chainPath(arguments), query: query + (cursor.map { [("cursor", $0)] } ?? []))
            guard response.status == 200, let page = response.json as? [String: Any] else {
                CLIOutput.problem(response)
                return ExitCode.forStatus(response.status)
            }
            var lines = Data()
            for item in page["items"] as? [[String: Any]] ?? [] {
                lines.append(try JSONSerialization.data(withJSONObject: item, options: [.sortedKeys, .withoutEscapingSlashes]))
                lines.append(0x0a)
                written += 1
            }
            output.write(lines)
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        if arguments.value("output") != nil { CLIOutput.note("Wrote \(written) record(s).") }
        return ExitCode.success
    }
}
