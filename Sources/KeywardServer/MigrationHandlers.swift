import Foundation
import KeywardCore
import KeywardHTTP
import KeywardStorage

/// The migration assistant: after a scope switch, rebinds a project's broken references to the store that
/// serves the project now, but only those that really resolve there. A dry run unless told otherwise.
enum MigrationHandlers {
    static func migrate(_ context: RequestContext) throws -> HTTPResponse {
        let body = try context.optionalBody(MigrateReferencesBody.self, empty: MigrateReferencesBody(dryRun: nil))
        let dryRun = body.dryRun ?? true
        let ws = try context.workspaceID, p = try context.projectID
        let (target, scope) = try context.store.storeInScope(for: p, in: ws)
        guard let target else { throw KeywardError.noStoreInScope(project: p, scope: scope) }
        let rule = try context.store.scopeRule(ws)
        let broken = try context.store.referenceBindings(in: ws, project: p).filter { rule.status(of: $0) != .ok }

        var results: [MigrationResult] = []
        var resolvable: [ReferenceBinding] = []
        for binding in broken {
            do {
                _ = try context.services.resolver.check(binding.reference, through: target, project: p)
                resolvable.append(binding)
                results.append(MigrationResult(binding: binding, status: dryRun ? "would_rebind" : "rebound", error: nil))
            } catch let error as KeywardError {
                results.append(MigrationResult(binding: binding, status: "failed", error: error))
            }
        }
        if !dryRun {
            let summary: [String: JSONValue] = [
                "checked": .number(Double(broken.count)),
                "failed": .number(Double(broken.count - resolvable.count)),
                "references": .array(resolvable.map { .string("\($0.connectionID):\($0.field):\($0.reference)") }),
            ]
            _ = try context.store.rebindReferences(resolvable, in: ws, project: p, to: target.id, summary: summary, by: context.actor())
        }
        return .json(MigrationView(dryRun: dryRun, storeID: target.id, results: results))
    }
}

struct MigrationResult: Encodable {
    let binding: ReferenceBinding
    /// would_rebind (dry run), rebound, or failed (it does not resolve in the target store; `error` says why).
    let status: String
    let error: KeywardError?

    enum CodingKeys: String, CodingKey {
        case connectionID = "connection_id", connectionName = "connection_name", field, reference
        case previousStoreID = "previous_store_id", status, error
    }
    enum ErrorKeys: String, CodingKey { case code, detail, hint }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(binding.connectionID, forKey: .connectionID)
        try c.encode(binding.connectionName, forKey: .connectionName)
        try c.encode(binding.field, forKey: .field)
        try c.encode(binding.reference.description, forKey: .reference)
        try c.encode(binding.storeID, forKey: .previousStoreID)
        try c.encode(status, forKey: .status)
        if let error {
            var e = c.nestedContainer(keyedBy: ErrorKeys.self, forKey: .error)
            try e.encode(error.code, forKey: .code)
            try e.encode(error.detail, forKey: .detail)
            try e.encode(error.hint, forKey: .hint)
        }
    }
}

struct MigrationView: Encodable {
    let dryRun: Bool
    let storeID: StoreID
    let results: [MigrationResult]

    enum CodingKeys: String, CodingKey { case dryRun = "dry_run", storeID = "store_id", results, counts }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(storeID, forKey: .storeID)
        try c.encode(results, forKey: .results)
        var counts: [String: Int] = ["would_rebind": 0, "rebound": 0, "failed": 0]
        for result in results { counts[result.status, default: 0] += 1 }
        try c.encode(counts, forKey: .counts)
    }
}
