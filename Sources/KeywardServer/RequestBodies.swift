import KeywardCore
import KeywardHTTP

/// `{"name": …}`: creating or renaming a workspace or project, renaming a token.
struct NameBody: RequestBody {
    let name: String
    enum CodingKeys: String, CodingKey, CaseIterable { case name }
}

struct CreateConnectionBody: RequestBody {
    let name: String
    let type: String
    let fields: ConnectionFields?
    enum CodingKeys: String, CodingKey, CaseIterable { case name, type, fields }
}

/// Every member is optional: what is left out stays as it is.
struct UpdateConnectionBody: RequestBody {
    let name: String?
    let fields: ConnectionFields?
    enum CodingKeys: String, CodingKey, CaseIterable { case name, fields }
}

struct CreateTokenBody: RequestBody {
    let name: String
    let role: String
    let workspaceID: WorkspaceID?
    let projectID: ProjectID?
    let expiresInSeconds: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, role
        case workspaceID = "workspace_id"
        case projectID = "project_id"
        case expiresInSeconds = "expires_in_seconds"
    }
}

/// A secrets-manager configuration: which provider, and its settings.
struct PutStoreBody: RequestBody {
    let provider: String
    let settings: [String: JSONValue]?
    enum CodingKeys: String, CodingKey, CaseIterable { case provider, settings }
}

struct ScopePreviewBody: RequestBody {
    let scope: String
    enum CodingKeys: String, CodingKey, CaseIterable { case scope }
}

struct ScopeSwitchBody: RequestBody {
    let scope: String
    let confirmation: String
    enum CodingKeys: String, CodingKey, CaseIterable { case scope, confirmation }
}

/// Optional: a secret to read through the role as the last verification step (its value is never returned).
struct VerifyStoreBody: RequestBody {
    let sampleSecret: String?
    enum CodingKeys: String, CodingKey, CaseIterable { case sampleSecret = "sample_secret" }
}

struct VerifyAuditBody: RequestBody {
    let head: AuditChain.SignedHead?
    enum CodingKeys: String, CodingKey, CaseIterable { case head }
}

struct CheckReferenceBody: RequestBody {
    let reference: String
    enum CodingKeys: String, CodingKey, CaseIterable { case reference }
}

/// The migration assistant is a dry run unless `dry_run` is false.
struct MigrateReferencesBody: RequestBody {
    let dryRun: Bool?
    enum CodingKeys: String, CodingKey, CaseIterable { case dryRun = "dry_run" }
}

/// A new version of a built-in secret. The value is only ever held in memory and sealed.
struct PutSecretBody: RequestBody {
    let name: String
    let value: String
    enum CodingKeys: String, CodingKey, CaseIterable { case name, value }
}

/// Which cached secrets to drop: all of the workspace's (or of one project), or one secret's.
struct InvalidateCacheBody: RequestBody {
    let projectID: Int64?
    let secret: String?
    enum CodingKeys: String, CodingKey, CaseIterable { case projectID = "project_id", secret }
}
