import Foundation
import KeywardCore
import KeywardCrypto
import KeywardStorage
import Synchronization

/// Keyward's own encrypted store, the embedded default. Each owner (the workspace, for its store, or a
/// project) has a data key, wrapped by the master key; every version of every secret is sealed under the
/// owner's data key and bound to workspace, project, name and version. Earlier versions are kept.
///
/// Besides reading (for the resolver) it writes: put, list (names and versions only) and delete.
public final class BuiltinSecretsBackend: SecretsBackend {
    public let provider = SecretsProvider.builtin
    let store: any Store
    private let keyring: Mutex<MasterKeyring>
    /// Unwrapped data keys by (data key id, wrapped form): a rewrap is a new entry, never a stale one.
    private let dataKeys = Mutex<[String: [UInt8]]>([:])

    /// In characters (Unicode scalars), as the API schema counts them.
    public static let maximumValueLength = 65_536

    public init(store: any Store, keyring: MasterKeyring) {
        self.store = store
        self.keyring = Mutex(keyring)
    }

    public var currentMasterKeyID: String { keyring.withLock { $0.current.id } }

    // MARK: Reading

    public func read(_ name: String, version: SecretReference.Version?, context: SecretReadContext) throws -> SecretMaterial {
        let owner = context.store.projectID
        guard let dataKey = try store.builtinDataKey(in: context.workspaceID, project: owner) else {
            throw KeywardError.secretNotFound(name)
        }
        let number = try versionNumber(version, name: name)
        guard let record = try store.builtinSecretVersion(name, dataKey: dataKey, version: try number.resolve(name, dataKey, store)) else {
            throw KeywardError.secretNotFound(name, version: version.map(Self.describe))
        }
        let key = try unwrap(dataKey)
        let aad = BuiltinEnvelope.secretAAD(workspace: context.workspaceID, project: owner, name: name, version: record.version)
        guard let plaintext = BuiltinEnvelope.open(record.ciphertext, key: key, aad: aad),
              let value = String(validating: plaintext, as: UTF8.self) else {
            throw KeywardError.decryptionFailure(name, detail: "version \(record.version) does not open under its data key: it was altered or moved")
        }
        return SecretMaterial(value: value, versionID: String(record.version))
    }

    /// Which version a reference asks for. The built-in store numbers versions 1, 2, …; as stages it knows
    /// the current one (`current`, or AWS's `AWSCURRENT`) and the one before (`previous`, `AWSPREVIOUS`).
    enum VersionChoice {
        case latest
        case previous
        case number(Int64)

        func resolve(_ name: String, _ dataKey: BuiltinDataKey, _ store: any Store) throws -> Int64? {
            switch self {
            case .latest: return nil
            case .number(let n): return n
            case .previous:
                guard let latest = try store.builtinSecretVersion(name, dataKey: dataKey, version: nil), latest.version > 1 else {
                    throw KeywardError.secretNotFound(name, version: "previous")
                }
                return latest.version - 1
            }
        }
    }

    func versionNumber(_ version: SecretReference.Version?, name: String) throws -> VersionChoice {
        switch version {
        case nil, .stage("current")?, .stage("AWSCURRENT")?: return .latest
        case .stage("previous")?, .stage("AWSPREVIOUS")?: return .previous
        case .stage(let other)?:
            throw KeywardError.secretNotFound(name, detail: "The built-in store has no stage '\(other)'; it numbers versions.")
                .withHint("Use ?version=N, or ?stage=current / ?stage=previous.")
        case .id(let id)?:
            guard let number = Int64(id), number > 0 else {
                throw KeywardError.secretNotFound(name, detail: "Built-in versions are numbers 1, 2, …; '\(id.prefix(32))' is not one.")
            }
            return .number(number)
        }
    }

    static func describe(_ version: SecretReference.Version) -> String {
        switch version {
        case .stage(let stage): "stage \(stage)"
        case .id(let id): "version \(id)"
        }
    }

    // MARK: Writing

    /// Adds a version of `name` for `project` (the workspace when nil); the first put creates the owner's data key.
    public func put(_ name: String, value: String, workspace: WorkspaceID, project: ProjectID?, by actor: Actor) throws -> BuiltinSecretInfo {
        try SecretReference.validateName(name, field: "name")
        guard !value.isEmpty, value.unicodeScalars.count <= Self.maximumValueLength else {
            throw KeywardError.invalidField("value", "must be 1 to \(Self.maximumValueLength) characters")
        }
        let dataKey = try dataKey(workspace: workspace, project: project)
        let key = try unwrap(dataKey)
        return try store.putBuiltinSecret(name, dataKey: dataKey, seal: { version in
            try BuiltinEnvelope.seal(Array(value.utf8), key: key,
                                     aad: BuiltinEnvelope.secretAAD(workspace: workspace, project: project, name: name, version: version))
        }, by: actor)
    }

    public func list(workspace: WorkspaceID, project: ProjectID?, _ page: PageRequest) throws -> Page<BuiltinSecretInfo> {
        guard let dataKey = try store.builtinDataKey(in: workspace, project: project) else {
            return Page(fetched: [], limit: page.limit, key: { $0.name })
        }
        return try store.listBuiltinSecrets(dataKey: dataKey, page)
    }

    public func delete(_ name: String, workspace: WorkspaceID, project: ProjectID?, by actor: Actor) throws -> Int {
        guard let dataKey = try store.builtinDataKey(in: workspace, project: project),
              case let deleted = try store.deleteBuiltinSecret(name, dataKey: dataKey, by: actor), deleted > 0 else {
            throw KeywardError(.notFound, code: "secret_not_found", title: "Secret not found",
                               detail: "The built-in store has no secret '\(name.prefix(256))' here.",
                               hint: "List the secrets to see their names; names are case-sensitive.")
        }
        return deleted
    }

    // MARK: Keys

    func dataKey(workspace: WorkspaceID, project: ProjectID?) throws -> BuiltinDataKey {
        if let existing = try store.builtinDataKey(in: workspace, project: project) { return existing }
        let master = keyring.withLock { $0.current }
        let fresh = SecureRandom.bytes(AESGCM.keyByteCount)
        let wrapped = try BuiltinEnvelope.seal(fresh, key: master.bytes, aad: BuiltinEnvelope.dataKeyAAD(workspace: workspace, project: project))
        return try store.createBuiltinDataKey(in: workspace, project: project, masterKeyID: master.id, wrappedKey: wrapped)
    }

    func unwrap(_ dataKey: BuiltinDataKey) throws -> [UInt8] {
        let cacheKey = "\(dataKey.id):\(dataKey.wrappedKey)"
        if let cached = dataKeys.withLock({ $0[cacheKey] }) { return cached }
        // A key id this process does not know was written by a rotation after it started: read the file again.
        var master = keyring.withLock { $0.key(id: dataKey.masterKeyID) }
        if master == nil, let file = keyring.withLock({ $0.file }), let reloaded = try MasterKeyring.read(file) {
            keyring.withLock { $0 = reloaded }
            master = reloaded.key(id: dataKey.masterKeyID)
        }
        guard let master else {
            throw KeywardError(.unavailable, code: "master_key_unavailable", title: "Master key unavailable",
                               detail: "The built-in store's data key is wrapped by master key \(dataKey.masterKeyID), which this server does not have.",
                               hint: "Restore the master key file (or KEYWARD_MASTER_KEY) this database was used with.")
        }
        guard let key = BuiltinEnvelope.open(dataKey.wrappedKey, key: master.bytes,
                                             aad: BuiltinEnvelope.dataKeyAAD(workspace: dataKey.workspaceID, project: dataKey.projectID)),
              key.count == AESGCM.keyByteCount else {
            throw KeywardError.decryptionFailure("(data key)", detail: "the data key does not open under master key \(master.id)")
        }
        dataKeys.withLock { $0[cacheKey] = key }
        return key
    }

    // MARK: Verification

    public func verify(context: SecretReadContext, sampleSecret: String?) -> [StoreCheck] {
        var checks = [StoreCheck("master_key", .pass, "Master key \(currentMasterKeyID) is loaded.")]
        do {
            if let dataKey = try store.builtinDataKey(in: context.workspaceID, project: context.store.projectID) {
                _ = try unwrap(dataKey)
                checks.append(StoreCheck("data_key", .pass, "The data key opens under master key \(dataKey.masterKeyID)."))
            } else {
                checks.append(StoreCheck("data_key", .pass, "No secrets yet; the data key is created with the first one."))
            }
        } catch {
            checks.append(StoreCheck("data_key", .fail, (error as? KeywardError)?.detail ?? "\(error)", hint: (error as? KeywardError)?.hint))
            return checks
        }
        guard let sampleSecret else {
            checks.append(StoreCheck("read_sample_secret", .skip, "No sample secret was named."))
            return checks
        }
        do {
            let material = try read(sampleSecret, version: nil, context: context)
            checks.append(StoreCheck("read_sample_secret", .pass, "Read '\(sampleSecret)' (version \(material.versionID ?? "?"))."))
        } catch let error as KeywardError {
            checks.append(StoreCheck("read_sample_secret", .fail, error.detail, hint: error.hint, providerError: error.code))
        } catch {
            checks.append(StoreCheck("read_sample_secret", .fail, "\(error)"))
        }
        return checks
    }

    public func forget(store: StoreID) {}
}

extension KeywardError {
    func withHint(_ hint: String) -> KeywardError {
        var copy = self
        copy.hint = hint
        return copy
    }
}
