import Foundation
import KeywardCore
import KeywardStorage

/// Replaces the built-in store's master key without downtime. Secrets themselves are not touched: their
/// data keys do not change, only the key that wraps them.
///
/// With a key file: first the file gains a new key (as current) while keeping every key a data key still
/// needs, so running servers can open data keys wrapped either way (they reread the file when they meet an
/// unknown key id). Then every data key is rewrapped with the new key in one transaction.
///
/// With `KEYWARD_MASTER_KEY`, the operator brings the new key: once every server runs with
/// `KEYWARD_MASTER_KEY=NEW,OLD` (so each opens data keys wrapped either way), rotation with that same
/// setting rewraps every data key with NEW; OLD can then be dropped from the setting.
public enum MasterKeyRotation {
    public struct Result: Sendable {
        public var from: String
        public var to: String
        public var rewrapped: Int
    }

    public static func rotate(store: any Store, keyFile: URL, environment: [String: String]) throws -> Result {
        if let ring = try MasterKeyring.fromEnvironment(environment) {
            let rewrapped = try rewrap(store: store, to: ring.current, opening: ring, source: "KEYWARD_MASTER_KEY",
                                       hint: "Put the key it was wrapped with after the new one: KEYWARD_MASTER_KEY=NEW,OLD.")
            return Result(from: ring.keys.dropFirst().first?.id ?? ring.current.id, to: ring.current.id, rewrapped: rewrapped)
        }
        guard let ring = try MasterKeyring.read(keyFile) else {
            throw KeywardError(.notFound, code: "master_key_missing", title: "No master key file",
                               detail: "\(keyFile.path) does not exist.", hint: "Give the --data-dir the server uses.")
        }
        let needed = Set(try store.allBuiltinDataKeys().map(\.masterKeyID))
        let fresh = MasterKeyring.generate()
        // The new key first; then the old current one and any other key a data key is still wrapped with.
        let kept = [fresh] + ring.keys.enumerated().filter { $0.offset == 0 || needed.contains($0.element.id) }.map(\.element)
        try MasterKeyring.write(kept, to: keyFile, exclusive: false)
        let rewrapped = try rewrap(store: store, to: fresh, opening: ring, source: keyFile.path,
                                   hint: "Restore the key file this database was used with.")
        return Result(from: ring.current.id, to: fresh.id, rewrapped: rewrapped)
    }

    /// Rewraps, in one transaction, every data key not wrapped with `target`, opening each with its key in
    /// `ring`. Returns how many it rewrapped.
    static func rewrap(store: any Store, to target: MasterKeyring.Key, opening ring: MasterKeyring, source: String, hint: String) throws -> Int {
        var changes: [(old: BuiltinDataKey, masterKeyID: String, wrappedKey: String)] = []
        for dataKey in try store.allBuiltinDataKeys() where dataKey.masterKeyID != target.id {
            guard let master = ring.key(id: dataKey.masterKeyID) else {
                throw KeywardError(.internalError, code: "master_key_unavailable", title: "Master key unavailable",
                                   detail: "Data key \(dataKey.id) is wrapped by master key \(dataKey.masterKeyID), which is not in \(source).",
                                   hint: hint)
            }
            let aad = BuiltinEnvelope.dataKeyAAD(workspace: dataKey.workspaceID, project: dataKey.projectID)
            guard let plain = BuiltinEnvelope.open(dataKey.wrappedKey, key: master.bytes, aad: aad) else {
                throw KeywardError.decryptionFailure("(data key \(dataKey.id))", detail: "it does not open under master key \(master.id)")
            }
            changes.append((dataKey, target.id, try BuiltinEnvelope.seal(plain, key: target.bytes, aad: aad)))
        }
        try store.rewrapBuiltinDataKeys(changes)
        return changes.count
    }
}
