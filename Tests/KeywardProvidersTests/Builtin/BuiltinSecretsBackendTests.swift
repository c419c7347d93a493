import Foundation
import KeywardCore
import KeywardStorage
import KeywardTestSupport
import Testing
@testable import KeywardProviders

/// The built-in store on both database engines: envelope encryption, versions, binding of every
/// ciphertext to its place, and master-key rotation while a server keeps reading.
@Suite struct BuiltinSecretsBackendTests {
    let actor = Actor(tokenID: TokenID(rawValue: "00000000000000ab")!, role: .workspaceAdmin, requestID: "req-1")

    /// A store with a workspace and two projects, a key file in a temporary directory, and a backend.
    final class World {
        let store: SQLStore
        let directory: URL
        let ws: WorkspaceID, p1: ProjectID, p2: ProjectID
        let backend: BuiltinSecretsBackend
        private let cleanup: () -> Void

        init(_ engine: StoreEngine) throws {
            (store, cleanup) = try engine.open()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-builtin-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            ws = try store.createWorkspace(name: "A").id
            p1 = try store.createProject(in: ws, name: "one").id
            p2 = try store.createProject(in: ws, name: "two").id
            backend = BuiltinSecretsBackend(store: store, keyring: try MasterKeyring.load(environment: [:], file: directory.appendingPathComponent("master.key")))
        }

        var keyFile: URL { directory.appendingPathComponent("master.key") }

        func context(_ project: ProjectID?, reading: ProjectID? = nil) -> SecretReadContext {
            let store = SecretStore(id: StoreID(1), workspaceID: ws, projectID: project, provider: .builtin,
                                    settings: try! StoreSettings(provider: .builtin, validating: [:]), revision: 1, createdAt: Date(), updatedAt: Date())
            return SecretReadContext(workspaceID: ws, projectID: reading ?? project ?? p1, store: store)
        }

        deinit {
            cleanup()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test(arguments: StoreEngine.available)
    func versionsAreKeptAndReadByNumberOrStage(_ engine: StoreEngine) throws {
        let w = try World(engine)
        #expect(try w.backend.put("db/main", value: #"{"password":"one"}"#, workspace: w.ws, project: w.p1, by: actor).latestVersion == 1)
        #expect(try w.backend.put("db/main", value: #"{"password":"two"}"#, workspace: w.ws, project: w.p1, by: actor).latestVersion == 2)
        let context = w.context(w.p1)
        let current = try w.backend.read("db/main", version: nil, context: context)
        #expect(current.value == #"{"password":"two"}"#)
        #expect(current.versionID == "2")
        #expect(try w.backend.read("db/main", version: .id("1"), context: context).value == #"{"password":"one"}"#)
        #expect(try w.backend.read("db/main", version: .stage("previous"), context: context).value == #"{"password":"one"}"#)
        #expect(try w.backend.read("db/main", version: .stage("AWSCURRENT"), context: context).versionID == "2")
        for missing: SecretReference.Version in [.id("3"), .id("x"), .stage("BLUE")] {
            let error = #expect(throws: KeywardError.self) { try w.backend.read("db/main", version: missing, context: context) }
            #expect(error?.code == "secret_not_found")
        }
        let list = try w.backend.list(workspace: w.ws, project: w.p1, try PageRequest(limit: nil, cursor: nil))
        #expect(list.items.map(\.name) == ["db/main"])
        #expect(list.items.first?.latestVersion == 2)
    }

    @Test(arguments: StoreEngine.available)
    func ownersAreSeparateAndValuesAreNeverStoredInPlaintext(_ engine: StoreEngine) throws {
        let w = try World(engine)
        let canary = "canary-\(UUID().uuidString)"
        _ = try w.backend.put("shared-name", value: canary, workspace: w.ws, project: w.p1, by: actor)
        // Project two's store and the workspace's store have their own secrets.
        for owner in [w.p2, nil] as [ProjectID?] {
            let error = #expect(throws: KeywardError.self) { try w.backend.read("shared-name", version: nil, context: w.context(owner)) }
            #expect(error?.code == "secret_not_found")
        }
        // Neither the database nor the audit trail holds the value.
        let rows = try w.store.allBuiltinDataKeys()
        #expect(rows.count == 1)
        let sealed = try #require(try w.store.builtinSecretVersion("shared-name", dataKey: rows[0], version: 1))
        #expect(!sealed.ciphertext.contains(canary))
        let audit = try w.store.listAudit(in: w.ws, AuditFilter(), try PageRequest(limit: nil, cursor: nil))
        #expect(audit.items.map(\.action) == [.builtinSecretPut])
        #expect(!"\(audit.items)".contains(canary))
    }

    /// The associated data binds each ciphertext to its workspace, project, name and version: moved
    /// anywhere else in the database, it does not open.
    @Test(arguments: StoreEngine.available)
    func ciphertextsCannotBeSwapped(_ engine: StoreEngine) throws {
        let w = try World(engine)
        _ = try w.backend.put("a", value: "value-a", workspace: w.ws, project: w.p1, by: actor)
        _ = try w.backend.put("b", value: "value-b", workspace: w.ws, project: w.p1, by: actor)
        _ = try w.backend.put("b", value: "value-b2", workspace: w.ws, project: w.p1, by: actor)
        let key = try #require(try w.store.builtinDataKey(in: w.ws, project: w.p1))
        let a1 = try #require(try w.store.builtinSecretVersion("a", dataKey: key, version: 1))
        // Put a's ciphertext in place of b's first version, as someone with database access might.
        let swapped = try w.store.putBuiltinSecret("b", dataKey: key, seal: { _ in a1.ciphertext }, by: actor)
        let error = #expect(throws: KeywardError.self) {
            try w.backend.read("b", version: .id(String(swapped.latestVersion)), context: w.context(w.p1))
        }
        #expect(error?.code == "decryption_failure")
        #expect(error?.detail.contains("value-a") == false)
        // The same value under another version number does not open either.
        let replay = try w.store.putBuiltinSecret("a", dataKey: key, seal: { _ in a1.ciphertext }, by: actor)
        #expect(throws: KeywardError.self) { try w.backend.read("a", version: .id(String(replay.latestVersion)), context: w.context(w.p1)) }
        #expect(try w.backend.read("a", version: .id("1"), context: w.context(w.p1)).value == "value-a")
    }

    @Test func theKeyFileIsCreatedOnceWithMode0600() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("master.key")
        let first = try MasterKeyring.load(environment: [:], file: file)
        let again = try MasterKeyring.load(environment: [:], file: file)
        #expect(first.current.id == again.current.id)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let hex = String(repeating: "ab", count: 32)
        let fromEnvironment = try MasterKeyring.load(environment: ["KEYWARD_MASTER_KEY": hex], file: file)
        #expect(fromEnvironment.file == nil)
        #expect(fromEnvironment.current.id != first.current.id)
        #expect(throws: KeywardError.self) { try MasterKeyring.load(environment: ["KEYWARD_MASTER_KEY": "short"], file: file) }
    }

    /// Rotation while serving: a backend that loaded the old key keeps reading data keys rewrapped with the
    /// new one, and keys it creates afterwards survive the next rotation.
    @Test(arguments: StoreEngine.available)
    func masterKeyRotationRewrapsWithoutDowntime(_ engine: StoreEngine) throws {
        let w = try World(engine)
        _ = try w.backend.put("s", value: "before", workspace: w.ws, project: w.p1, by: actor)
        let oldKey = w.backend.currentMasterKeyID

        let result = try MasterKeyRotation.rotate(store: w.store, keyFile: w.keyFile, environment: [:])
        #expect(result.from == oldKey)
        #expect(result.rewrapped == 1)
        #expect(try w.store.allBuiltinDataKeys().map(\.masterKeyID) == [result.to])

        // The running backend has never seen the new key: it rereads the file.
        #expect(try w.backend.read("s", version: nil, context: w.context(w.p1)).value == "before")
        // A data key it creates now is wrapped with the key it started with; that key stays in the file.
        _ = try w.backend.put("t", value: "during", workspace: w.ws, project: w.p2, by: actor)
        let second = try MasterKeyRotation.rotate(store: w.store, keyFile: w.keyFile, environment: [:])
        #expect(second.rewrapped == 2)
        let fresh = BuiltinSecretsBackend(store: w.store, keyring: try MasterKeyring.load(environment: [:], file: w.keyFile))
        #expect(fresh.currentMasterKeyID == second.to)
        #expect(try fresh.read("s", version: nil, context: w.context(w.p1)).value == "before")
        #expect(try fresh.read("t", version: nil, context: w.context(w.p2)).value == "during")
        let mode = try FileManager.default.attributesOfItem(atPath: w.keyFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// With the keys in KEYWARD_MASTER_KEY the operator brings the new one: servers run with NEW,OLD, the
    /// rotation rewraps with NEW, and NEW alone then opens everything.
    @Test(arguments: StoreEngine.available)
    func masterKeysFromTheEnvironmentRotateToTheFirstOne(_ engine: StoreEngine) throws {
        let w = try World(engine)
        let old = String(repeating: "ab", count: 32), new = String(repeating: "cd", count: 32)
        func backend(_ keys: String) throws -> BuiltinSecretsBackend {
            BuiltinSecretsBackend(store: w.store, keyring: try MasterKeyring.load(environment: ["KEYWARD_MASTER_KEY": keys], file: w.keyFile))
        }
        let keyFileBefore = try String(contentsOf: w.keyFile, encoding: .utf8)
        let before = try backend(old)
        _ = try before.put("s", value: "before", workspace: w.ws, project: w.p1, by: actor)
        // Both keys, new first: a server opens data keys wrapped with either, and wraps new ones with the new.
        let both = try backend("\(new), \(old)")
        #expect(try both.read("s", version: nil, context: w.context(w.p1)).value == "before")
        _ = try both.put("t", value: "during", workspace: w.ws, project: w.p2, by: actor)

        let result = try MasterKeyRotation.rotate(store: w.store, keyFile: w.keyFile, environment: ["KEYWARD_MASTER_KEY": "\(new),\(old)"])
        #expect(result.rewrapped == 1 && result.to == both.currentMasterKeyID && result.from == before.currentMasterKeyID)
        #expect(Set(try w.store.allBuiltinDataKeys().map(\.masterKeyID)) == [result.to])
        let after = try backend(new)
        #expect(try after.read("s", version: nil, context: w.context(w.p1)).value == "before")
        #expect(try after.read("t", version: nil, context: w.context(w.p2)).value == "during")
        // Again: nothing left to rewrap.
        #expect(try MasterKeyRotation.rotate(store: w.store, keyFile: w.keyFile, environment: ["KEYWARD_MASTER_KEY": new]).rewrapped == 0)
        // The key file (the one this directory would use without the setting) is not touched.
        #expect(try String(contentsOf: w.keyFile, encoding: .utf8) == keyFileBefore)

        // A new key without the one the data keys are wrapped with cannot open them, and changes nothing.
        let lost = #expect(throws: KeywardError.self) {
            try MasterKeyRotation.rotate(store: w.store, keyFile: w.keyFile, environment: ["KEYWARD_MASTER_KEY": String(repeating: "ef", count: 32)])
        }
        #expect(lost?.code == "master_key_unavailable" && lost?.hint?.contains("NEW,OLD") == true)
        #expect(try after.read("s", version: nil, context: w.context(w.p1)).value == "before")
        #expect(throws: KeywardError.self) { try MasterKeyring.load(environment: ["KEYWARD_MASTER_KEY": "\(new),short"], file: w.keyFile) }
    }

    @Test(arguments: StoreEngine.available)
    func deletingRemovesEveryVersion(_ engine: StoreEngine) throws {
        let w = try World(engine)
        _ = try w.backend.put("gone", value: "1", workspace: w.ws, project: nil, by: actor)
        _ = try w.backend.put("gone", value: "2", workspace: w.ws, project: nil, by: actor)
        #expect(try w.backend.delete("gone", workspace: w.ws, project: nil, by: actor) == 2)
        #expect(throws: KeywardError.self) { try w.backend.read("gone", version: .id("1"), context: w.context(nil)) }
        let again = #expect(throws: KeywardError.self) { try w.backend.delete("gone", workspace: w.ws, project: nil, by: actor) }
        #expect(again?.kind == .notFound)
    }
}
