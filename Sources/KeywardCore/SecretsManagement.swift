import struct Foundation.Date

/// Whether a workspace configures one secrets manager for everything, or one per project.
public enum SecretsScope: String, Sendable, Codable, CaseIterable {
    case workspace
    case project

    public static func parse(_ raw: String) throws -> SecretsScope {
        guard let scope = SecretsScope(rawValue: raw) else {
            throw KeywardError.invalidField("scope", "must be workspace or project")
        }
        return scope
    }
}

/// The secrets managers Keyward can read from.
public enum SecretsProvider: String, Sendable, Codable, CaseIterable {
    /// Keyward's own encrypted store, the embedded default.
    case builtin
    case awsSecretsManager = "aws_secrets_manager"

    public static func parse(_ raw: String) throws -> SecretsProvider {
        guard let provider = SecretsProvider(rawValue: raw) else {
            throw KeywardError.invalidField(
                "provider", "unknown secrets manager '\(raw.prefix(64))'",
                hint: "Use one of: \(SecretsProvider.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return provider
    }
}

public struct StoreID: IntegerIdentifier {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

/// One secrets-manager configuration (a "store"): the workspace's, or one project's.
public struct SecretStore: Sendable, Equatable, Codable {
    public var id: StoreID
    public var workspaceID: WorkspaceID
    /// Nil for the workspace's store.
    public var projectID: ProjectID?
    public var provider: SecretsProvider
    public var settings: StoreSettings
    /// Increases with every change of configuration; caches key on it so a change drops stale values.
    public var revision: Int64
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: StoreID, workspaceID: WorkspaceID, projectID: ProjectID?, provider: SecretsProvider,
                settings: StoreSettings, revision: Int64, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.workspaceID = workspaceID
        self.projectID = projectID
        self.provider = provider
        self.settings = settings
        self.revision = revision
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, provider, settings, revision
        case workspaceID = "workspace_id"
        case projectID = "project_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(workspaceID, forKey: .workspaceID)
        try c.encode(projectID, forKey: .projectID)
        try c.encode(provider, forKey: .provider)
        try c.encode(settings, forKey: .settings)
        try c.encode(revision, forKey: .revision)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

/// A provider's settings, validated for that provider: known members only, each well-formed.
/// Settings never hold secret material (no access keys): platform credentials come from the environment.
public struct StoreSettings: Sendable, Equatable, Codable {
    public private(set) var values: [String: String]

    public init(provider: SecretsProvider, validating raw: [String: JSONValue]) throws {
        var values: [String: String] = [:]
        for (key, value) in raw {
            guard case .string(let text) = value else {
                throw KeywardError.invalidField("settings.\(key)", "must be a string")
            }
            values[key] = text
        }
        // Every provider: how long resolved values stay cached.
        if let ttl = values["cache_ttl_seconds"] {
            guard let seconds = Int(ttl), String(seconds) == ttl, (0...86_400).contains(seconds) else {
                throw KeywardError.invalidField("settings.cache_ttl_seconds", "must be a whole number of seconds from 0 to 86400",
                                                hint: "0 turns caching off (concurrent reads still share one call); the default is 300.")
            }
        }
        switch provider {
        case .builtin:
            if let key = values.keys.sorted().first(where: { $0 != "cache_ttl_seconds" }) {
                throw KeywardError.invalidField("settings.\(key)", "the built-in store takes no settings but cache_ttl_seconds",
                                                hint: "Send \"settings\": {} or leave it out.")
            }
        case .awsSecretsManager:
            let known: Set<String> = ["region", "role_arn", "secret_name_prefix", "secret_arns", "kms_key_arn", "cache_ttl_seconds"]
            if let key = values.keys.sorted().first(where: { !known.contains($0) }) {
                throw KeywardError.invalidField("settings.\(key.prefix(64))", "is not an AWS Secrets Manager setting",
                                                hint: "Known settings: \(known.sorted().joined(separator: ", ")).")
            }
            guard let region = values["region"] else {
                throw KeywardError(.badRequest, code: "missing_field", title: "Missing field",
                                   detail: "settings.region is required for AWS Secrets Manager.",
                                   hint: "Give the region the secrets live in, for example eu-west-1.",
                                   extras: ["field": .string("settings.region")])
            }
            guard Self.isRegion(region) else {
                throw KeywardError.invalidField("settings.region", "'\(region.prefix(32))' is not an AWS region name",
                                                hint: "Regions look like us-east-1, eu-central-2 or us-gov-west-1.")
            }
            if let arn = values["role_arn"] { _ = try AWSRoleARN(parsing: arn) }
            if let arn = values["kms_key_arn"], !arn.hasPrefix("arn:") || !arn.contains(":kms:") || arn.utf8.count > 2048 {
                throw KeywardError.invalidField("settings.kms_key_arn", "must be the ARN of a KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID)")
            }
            if let list = values["secret_arns"] {
                let arns = list.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingASCIIWhitespace()) }
                guard arns.count <= 100, arns.allSatisfy({ Self.isSecretARN($0) }) else {
                    throw KeywardError.invalidField("settings.secret_arns", "must be 1 to 100 comma-separated Secrets Manager ARNs",
                                                    hint: "For example arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf")
                }
            }
            if let prefix = values["secret_name_prefix"],
               prefix.isEmpty || prefix.utf8.count > 512 || !prefix.utf8.allSatisfy({ ReferenceSyntax.isAlphanumeric($0) || ReferenceSyntax.nameBytes.contains($0) }) {
                throw KeywardError.invalidField("settings.secret_name_prefix", "must be 1 to 512 characters legal in AWS secret names")
            }
        }
        self.values = values
    }

    /// How long this store's values stay cached, when set (`cache_ttl_seconds`).
    public var cacheTTL: Double? { values["cache_ttl_seconds"].flatMap(Double.init) }

    /// The ARNs of the secrets the permission policy is limited to, when the admin names them.
    public var secretARNs: [String] {
        values["secret_arns"].map { $0.split(separator: ",").map { String($0.trimmingASCIIWhitespace()) } } ?? []
    }

    /// `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME`; NAME may end in `*` as IAM allows.
    static func isSecretARN(_ text: String) -> Bool {
        let parts = text.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        guard parts.count == 7, parts[0] == "arn", AWSRoleARN.partitions.contains(String(parts[1])), parts[2] == "secretsmanager",
              isRegion(String(parts[3])), parts[4].count == 12, parts[4].allSatisfy(\.isNumber), parts[5] == "secret",
              !parts[6].isEmpty, parts[6].utf8.count <= 512 else { return false }
        return parts[6].utf8.allSatisfy { ReferenceSyntax.isAlphanumeric($0) || ReferenceSyntax.nameBytes.contains($0) || $0 == UInt8(ascii: "*") }
    }

    static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (3...4).contains(parts.count), let last = parts.last, Int(last) != nil, last.count <= 2 else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.count <= 12 && $0.allSatisfy { $0 >= "a" && $0 <= "z" } }
    }

    public init(from decoder: Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: String].self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}

/// A workspace's secrets-management state.
public struct SecretsSettings: Sendable, Equatable {
    public var workspaceID: WorkspaceID
    public var scope: SecretsScope
    /// Increases with every change that can alter which references work: scope, stores, references.
    /// A scope-switch confirmation is bound to it.
    public var revision: Int64
    public var workspaceStore: SecretStore?

    public init(workspaceID: WorkspaceID, scope: SecretsScope, revision: Int64, workspaceStore: SecretStore?) {
        self.workspaceID = workspaceID
        self.scope = scope
        self.revision = revision
        self.workspaceStore = workspaceStore
    }
}

/// A reference as saved: where it is, and the store it was bound to when it was saved.
public struct ReferenceBinding: Sendable, Equatable {
    public var connectionID: ConnectionID
    public var connectionName: String
    public var projectID: ProjectID
    public var field: String
    public var reference: SecretReference
    /// Nil when the store it was bound to has since been deleted.
    public var storeID: StoreID?

    public init(connectionID: ConnectionID, connectionName: String, projectID: ProjectID, field: String,
                reference: SecretReference, storeID: StoreID?) {
        self.connectionID = connectionID
        self.connectionName = connectionName
        self.projectID = projectID
        self.field = field
        self.reference = reference
        self.storeID = storeID
    }
}

/// Whether a saved reference can be resolved under the current configuration.
public enum ReferenceStatus: String, Sendable, Codable {
    /// Bound to the store that is in scope for its project.
    case ok
    /// Bound to a store that is not in scope any more (the scope was switched, or another store took over).
    case outOfScope = "out_of_scope"
    /// The store it was bound to was deleted.
    case storeDeleted = "store_deleted"
}

/// The rule for which store serves a project, and so which references work. Pure, so that the preview of
/// a scope switch and the switch itself cannot disagree.
public struct ScopeRule: Sendable {
    public var scope: SecretsScope
    public var workspaceStore: StoreID?
    public var projectStores: [ProjectID: StoreID]

    public init(scope: SecretsScope, workspaceStore: StoreID?, projectStores: [ProjectID: StoreID]) {
        self.scope = scope
        self.workspaceStore = workspaceStore
        self.projectStores = projectStores
    }

    /// The store that serves `project` under this rule; nil if none is configured there.
    public func storeInScope(for project: ProjectID) -> StoreID? {
        switch scope {
        case .workspace: workspaceStore
        case .project: projectStores[project]
        }
    }

    public func status(of binding: ReferenceBinding) -> ReferenceStatus {
        guard let bound = binding.storeID else { return .storeDeleted }
        return storeInScope(for: binding.projectID) == bound ? .ok : .outOfScope
    }

    public func with(scope: SecretsScope) -> ScopeRule {
        ScopeRule(scope: scope, workspaceStore: workspaceStore, projectStores: projectStores)
    }
}

extension KeywardError {
    public static func addonRequired(_ addon: Addon, workspace: WorkspaceID) -> KeywardError {
        KeywardError(.forbidden, code: "addon_required", title: "Add-on required",
                     detail: "Secrets management needs the \(addon.rawValue) add-on, which workspace \(workspace) does not have.",
                     hint: "Ask a platform operator to run: keyward addon grant \(addon.rawValue) --workspace \(workspace)",
                     extras: ["addon": .string(addon.rawValue)])
    }

    public static let staleConfirmation = KeywardError.conflict(
        code: "stale_confirmation", "The secrets-management configuration changed after the preview was made.",
        hint: "Run the preview again, review what breaks now, and confirm with the new token.")

    public static func noStoreInScope(project: ProjectID, scope: SecretsScope) -> KeywardError {
        KeywardError(.conflict, code: "no_store_in_scope", title: "No secrets manager configured",
                     detail: scope == .workspace
                        ? "The connection references secrets, but the workspace has no secrets manager configured."
                        : "The connection references secrets, but project \(project) has no secrets manager configured.",
                     hint: scope == .workspace
                        ? "Configure one with PUT /v1/workspaces/{ws}/secrets-management."
                        : "Configure one with PUT /v1/workspaces/{ws}/projects/{p}/secrets-management.")
    }
}
