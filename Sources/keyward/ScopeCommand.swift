import Foundation

/// `keyward secrets-management scope set <scope>`: the guide's step 1, made safe. It shows exactly which
/// references will stop working, asks, and switches with the preview's confirmation token, so a change
/// made by someone else in the meantime is refused rather than silently included.
enum ScopeCommand {
    @Sendable
    static func run(_ arguments: ParsedArguments, _ client: APIClient, _ format: OutputFormat) async throws -> Int32 {
        let scope = try arguments.positional(0, "scope")
        let path = try CommandTable.secretsPath(arguments, project: nil)
        let preview = try await client.send("POST", "\(path)/scope/preview", body: ["scope": scope])
        guard preview.status == 200, let object = preview.json as? [String: Any],
              let confirmation = object["confirmation"] as? String else {
            CLIOutput.problem(preview)
            return ExitCode.forStatus(preview.status)
        }
        let breaking = object["breaking"] as? [[String: Any]] ?? []
        let restored = object["restored"] as? [[String: Any]] ?? []
        let withoutStore = object["projects_without_store"] as? [Any] ?? []
        if format == .table || !arguments.flag("yes") {
            let out = FileHandle.standardError
            func say(_ text: String) { out.write(Data((text + "\n").utf8)) }
            say("Switching secrets management from \(object["from"] as? String ?? "?") to \(scope) scope.")
            if breaking.isEmpty {
                say("No saved reference stops working.")
            } else {
                say("WARNING: these \(breaking.count) reference(s) will stop working:")
                CLIOutput.table(Columns.previewItem, breaking)
            }
            if !restored.isEmpty {
                say("These \(restored.count) reference(s) will work again:")
                CLIOutput.table(Columns.previewItem, restored)
            }
            if !withoutStore.isEmpty {
                say("Projects with no secrets manager under the new scope: \(withoutStore.map { "\($0)" }.joined(separator: ", ")). Set one up for each.")
            }
        }
        if !arguments.flag("yes") {
            guard CLI.confirm("Switch to \(scope) scope?") else { return ExitCode.usage }
        }
        let switched = try await client.send("PUT", "\(path)/scope", body: ["scope": scope, "confirmation": confirmation])
        guard switched.status == 200 else {
            CLIOutput.problem(switched)
            return ExitCode.forStatus(switched.status)
        }
        if format == .json { CLIOutput.json(switched.body) }
        else { CLIOutput.table(Columns.secrets, [(switched.json as? [String: Any]) ?? [:]]) }
        return ExitCode.success
    }
}
