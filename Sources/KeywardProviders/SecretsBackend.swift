import KeywardCore

/// The tenant and store a read happens for. Resolution always names the project (under workspace scope,
/// the project whose connection is resolved), so audit and AWS session names attribute the read; only
/// verifying a workspace's store has none.
public struct SecretReadContext: Sendable {
    public var workspaceID: WorkspaceID
    public var projectID: ProjectID?
    public var store: SecretStore

    public init(workspaceID: WorkspaceID, projectID: ProjectID?, store: SecretStore) {
        self.workspaceID = workspaceID
        self.projectID = projectID
        self.store = store
    }
}

/// One version of one secret as the secrets manager returned it. The value lives only in memory.
public struct SecretMaterial: Sendable {
    /// The text, with its JSON object parsed once here, when the secret is read, not at every resolution.
    public let parsed: SecretValue
    /// The version that was read, when the secrets manager has versions.
    public let versionID: String?

    public var value: String { parsed.text }

    public init(value: String, versionID: String?) {
        parsed = SecretValue(value)
        self.versionID = versionID
    }
}

/// The result of one step of checking that a store really works, as the console and CLI show it.
public struct StoreCheck: Sendable, Equatable, Encodable {
    public enum Status: String, Sendable, Encodable { case pass, fail, warn, skip }

    public var name: String
    public var status: Status
    public var detail: String
    public var hint: String?
    /// The provider's own error code and message, verbatim, when the step failed there.
    public var providerError: String?

    public init(_ name: String, _ status: Status, _ detail: String, hint: String? = nil, providerError: String? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.hint = hint
        self.providerError = providerError
    }

    enum CodingKeys: String, CodingKey { case name, status, detail, hint, providerError = "provider_error" }
}

/// A secrets manager Keyward reads from. One implementation per provider, each in its own folder; the
/// resolver is the only caller of `read`.
public protocol SecretsBackend: Sendable {
    var provider: SecretsProvider { get }

    /// Reads the whole secret `name` (at `version`, or the current one) for `context`. Throws the typed
    /// errors of `ResolutionErrors`: secret_not_found, access_denied, assume_role_denied, decryption_failure,
    /// throttled, provider_unavailable.
    func read(_ name: String, version: SecretReference.Version?, context: SecretReadContext) throws -> SecretMaterial

    /// Checks, step by step, that the store can serve `context`, optionally by reading `sampleSecret`
    /// (whose value is never returned).
    func verify(context: SecretReadContext, sampleSecret: String?) -> [StoreCheck]

    /// Forgets cached credentials and sessions for `store` (its configuration changed or was deleted).
    func forget(store: StoreID)
}
