import struct Foundation.Date
import KeywardCore

/// Everything the control plane persists. One protocol, implemented over SQLite and PostgreSQL by
/// `SQLStore`; a contract test suite holds both to the same behaviour.
///
/// Methods are synchronous: they run on the HTTP server's worker threads, and both engines block anyway.
/// Every method either fully happens or throws a `KeywardError` and changes nothing.
public protocol Store: Sendable {
    // Workspaces and add-ons
    func createWorkspace(name: String) throws -> Workspace
    func workspace(_ id: WorkspaceID) throws -> Workspace
    func listWorkspaces(_ page: PageRequest) throws -> Page<Workspace>
    func renameWorkspace(_ id: WorkspaceID, to name: String) throws -> Workspace
    /// Deletes the workspace with its projects and connections, and revokes its tokens.
    func deleteWorkspace(_ id: WorkspaceID) throws
    func grantAddon(_ addon: Addon, to id: WorkspaceID) throws -> Workspace
    func revokeAddon(_ addon: Addon, from id: WorkspaceID) throws -> Workspace

    // Projects
    func createProject(in workspace: WorkspaceID, name: String) throws -> Project
    func project(_ id: ProjectID, in workspace: WorkspaceID) throws -> Project
    func listProjects(in workspace: WorkspaceID, only: ProjectID?, _ page: PageRequest) throws -> Page<Project>
    func renameProject(_ id: ProjectID, in workspace: WorkspaceID, to name: String) throws -> Project
    /// Deletes the project with its connections, and revokes its tokens.
    func deleteProject(_ id: ProjectID, in workspace: WorkspaceID) throws

    // Connections. Secret references in the fields are bound, in the same transaction, to the store in scope
    // for the project; a connection with references needs the advanced_security add-on and a store in scope.
    // Each change is recorded in the audit trail, by `actor`, in the transaction that makes it.
    func createConnection(_ draft: ConnectionDraft, in workspace: WorkspaceID, project: ProjectID, by actor: Actor) throws -> Connection
    func connection(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID) throws -> Connection
    func listConnections(in workspace: WorkspaceID, project: ProjectID, _ page: PageRequest) throws -> Page<Connection>
    func updateConnection(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID,
                          _ change: ConnectionChange, by actor: Actor) throws -> Connection
    func deleteConnection(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID, by actor: Actor) throws

    // API tokens. Creating, renaming and revoking one is recorded in the audit trail (the chain of the token's
    // workspace), by `actor`, in the transaction that makes the change.
    func createToken(_ token: Token, secretHash: String, by actor: Actor) throws -> Token
    func token(_ id: TokenID) throws -> Token
    /// The token and its stored secret hash, for authentication; nil when no such token exists.
    func credential(for id: TokenID) throws -> TokenCredential?
    func listTokens(_ visibility: TokenVisibility, _ page: PageRequest) throws -> Page<Token>
    func renameToken(_ id: TokenID, to name: String, by actor: Actor) throws -> Token
    func revokeToken(_ id: TokenID, at: Date, by actor: Actor) throws -> Token
    func countTokens() throws -> Int

    // Secrets management
    func secretsSettings(_ workspace: WorkspaceID) throws -> SecretsSettings
    /// Which store serves which project right now.
    func scopeRule(_ workspace: WorkspaceID) throws -> ScopeRule
    func projectStore(_ project: ProjectID, in workspace: WorkspaceID) throws -> SecretStore?
    /// Creates or updates the workspace's store (project nil) or a project's store, audited.
    func putStore(in workspace: WorkspaceID, project: ProjectID?, provider: SecretsProvider, settings: StoreSettings,
                  by actor: Actor) throws -> (store: SecretStore, created: Bool)
    /// Deletes a store, audited. Refuses (409 store_in_use) while references are bound to it unless
    /// forced; returns how many references it unbound.
    func deleteStore(in workspace: WorkspaceID, project: ProjectID?, force: Bool, by actor: Actor) throws -> Int
    /// Every saved reference of the workspace (or of one project), with the store it is bound to.
    func referenceBindings(in workspace: WorkspaceID, project: ProjectID?) throws -> [ReferenceBinding]
    /// Switches the scope if the configuration is still at `expectedRevision`, atomically and audited;
    /// otherwise 409 stale_confirmation.
    func switchScope(in workspace: WorkspaceID, to scope: SecretsScope, expectedRevision: Int64,
                     summary: [String: JSONValue], by actor: Actor) throws -> SecretsSettings

    /// Rebinds `references` (saved references of `project`) to `store`, which must still be the store in
    /// scope for the project; references changed or removed since are skipped. Audited as
    /// secrets.references.migrate with `summary`. Returns how many were rebound.
    func rebindReferences(_ references: [ReferenceBinding], in workspace: WorkspaceID, project: ProjectID, to store: StoreID,
                          summary: [String: JSONValue], by actor: Actor) throws -> Int
    /// Where a connection lives, for routes that name only its id; nil when it does not exist.
    func connectionLocation(_ id: ConnectionID) throws -> (workspace: WorkspaceID, project: ProjectID)?
    /// What resolving one connection needs: the connection, its references as bound, and the store that
    /// serves its project now.
    func resolutionPlan(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID) throws -> ResolutionPlan
    /// The store that serves `project` now, and the rule that chose it; the store is nil if none is configured.
    func storeInScope(for project: ProjectID, in workspace: WorkspaceID) throws -> (store: SecretStore?, scope: SecretsScope)

    // The built-in store's records. Keyward's own encrypted secrets: the store keeps opaque ciphertexts and
    // wrapped keys, and never sees a key or a value (the Builtin provider seals and opens them).
    /// The data key of an owner (the workspace when `project` is nil), if it has one.
    func builtinDataKey(in workspace: WorkspaceID, project: ProjectID?) throws -> BuiltinDataKey?
    /// Saves a new data key for an owner, or returns the one another request saved first.
    func createBuiltinDataKey(in workspace: WorkspaceID, project: ProjectID?, masterKeyID: String, wrappedKey: String) throws -> BuiltinDataKey
    /// Adds the next version of `name` under `dataKey`, sealed by `seal(version)`, audited.
    func putBuiltinSecret(_ name: String, dataKey: BuiltinDataKey, seal: (Int64) throws -> String, by actor: Actor) throws -> BuiltinSecretInfo
    /// One version of a secret (the latest when `version` is nil); nil when there is none.
    func builtinSecretVersion(_ name: String, dataKey: BuiltinDataKey, version: Int64?) throws -> BuiltinSecretVersion?
    func listBuiltinSecrets(dataKey: BuiltinDataKey, _ page: PageRequest) throws -> Page<BuiltinSecretInfo>
    /// Deletes every version of `name`, audited; returns how many versions there were (0: no such secret).
    func deleteBuiltinSecret(_ name: String, dataKey: BuiltinDataKey, by actor: Actor) throws -> Int
    /// Every data key, for master-key rotation.
    func allBuiltinDataKeys() throws -> [BuiltinDataKey]
    /// Replaces wrapped data keys in one transaction, each only if it is still wrapped as it was read.
    func rewrapBuiltinDataKeys(_ changes: [(old: BuiltinDataKey, masterKeyID: String, wrappedKey: String)]) throws

    // Audit trail
    /// Records an action that changes nothing in the database (for example dropping cached secrets).
    func recordAudit(in workspace: WorkspaceID, action: AuditAction, project: ProjectID?, details: [String: JSONValue], by actor: Actor) throws
    func listAudit(in workspace: WorkspaceID, _ filter: AuditFilter, _ page: PageRequest) throws -> Page<AuditEvent>
    /// Appends records to their workspaces' hash chains in one transaction (the audit journal's group
    /// commit), and moves the journal's position to the last of them in the same transaction. The records'
    /// forms are read during the call only.
    func appendAudit(_ records: [WrittenAuditRecord], journal: AuditJournalPosition?) throws
    /// How far a journal's records are in the trail (0 for a journal never seen).
    func auditJournalPosition(_ instance: String) throws -> Int64
    /// The workspaces (and `WorkspaceID.platform`) that have an audit chain.
    func auditChains() throws -> [WorkspaceID]
    func auditChainEnds(_ workspace: WorkspaceID) throws -> AuditChain.Ends
    /// Checks a chain from its anchor to its head, and against `exported` when given; says where it breaks.
    func verifyAudit(in workspace: WorkspaceID, exported: AuditChain.SignedHead?) throws -> AuditChain.Report
    /// Deletes records written before `cutoff`, keeping every chain verifiable from its new anchor.
    func pruneAudit(before cutoff: Date) throws -> Int

    /// A cheap round trip, for readiness checks.
    func ping() throws
}

extension Store {
    /// Appends entries: written into a buffer for the call (records written outside the journal, and a
    /// journal replayed on start).
    public func appendAudit(_ entries: [AuditEntry], journal: AuditJournalPosition? = nil) throws {
        try AuditEntry.withWritten(entries) { try appendAudit($0, journal: journal) }
    }
}

/// A server's audit journal and the number of its last record that is in the trail.
public struct AuditJournalPosition: Sendable, Equatable {
    public var instance: String
    public var seq: Int64

    public init(instance: String, seq: Int64) {
        self.instance = instance
        self.seq = seq
    }
}

public struct ConnectionDraft: Sendable, Equatable {
    public var name: String
    public var type: ConnectionType
    public var fields: ConnectionFields

    public init(name: String, type: ConnectionType, fields: ConnectionFields) {
        self.name = name
        self.type = type
        self.fields = fields
    }
}

/// A partial update: nil leaves a property as it is.
public struct ConnectionChange: Sendable, Equatable {
    public var name: String?
    public var fields: ConnectionFields?

    public init(name: String? = nil, fields: ConnectionFields? = nil) {
        self.name = name
        self.fields = fields
    }
}

public struct TokenCredential: Sendable {
    public var token: Token
    public var secretHash: String
}

/// See `Store.resolutionPlan`.
public struct ResolutionPlan: Sendable {
    public var connection: Connection
    /// This connection's references, in field order, with the store each was bound to.
    public var bindings: [ReferenceBinding]
    public var rule: ScopeRule
    /// The store that serves the connection's project now; nil if none is configured.
    public var storeInScope: SecretStore?

    public init(connection: Connection, bindings: [ReferenceBinding], rule: ScopeRule, storeInScope: SecretStore?) {
        self.connection = connection
        self.bindings = bindings
        self.rule = rule
        self.storeInScope = storeInScope
    }
}

/// A data key as stored: wrapped by the master key `masterKeyID`.
public struct BuiltinDataKey: Sendable, Equatable {
    public var id: Int64
    public var workspaceID: WorkspaceID
    public var projectID: ProjectID?
    public var masterKeyID: String
    public var wrappedKey: String

    public init(id: Int64, workspaceID: WorkspaceID, projectID: ProjectID?, masterKeyID: String, wrappedKey: String) {
        self.id = id
        self.workspaceID = workspaceID
        self.projectID = projectID
        self.masterKeyID = masterKeyID
        self.wrappedKey = wrappedKey
    }
}

/// What listing the built-in store shows: names and versions, never values.
public struct BuiltinSecretInfo: Sendable, Equatable, Encodable {
    public var name: String
    public var latestVersion: Int64
    public var createdAt: Date
    public var updatedAt: Date

    public init(name: String, latestVersion: Int64, createdAt: Date, updatedAt: Date) {
        self.name = name
        self.latestVersion = latestVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case name, latestVersion = "latest_version", createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// One sealed version of a built-in secret.
public struct BuiltinSecretVersion: Sendable, Equatable {
    public var name: String
    public var version: Int64
    public var ciphertext: String

    public init(name: String, version: Int64, ciphertext: String) {
        self.name = name
        self.version = version
        self.ciphertext = ciphertext
    }
}
