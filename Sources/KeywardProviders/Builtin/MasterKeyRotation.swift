import Foundation
import KeywardCore
import KeywardStorage

/// Replaces the built-in store's master key without downtime. First the key file gains the new key (as
/// current) while keeping every key a data key still needs, so running servers can open data keys wrapped
/// either way (they reread the file when they meet an unknown key id). Then every data key is rewrapped
/// with the new key in one transaction. Secrets themselves are not touched: their data keys do not change.
public enum MasterKeyRotation {
    public struct Result: Sendable {
        public var from: String
        public var to: String
        public var rewrapped: Int
    }

    public static func rotate(store: any Store, keyFile: URL, environment: [String: String]) throws -> Result {
        if let value = environment["KEYWARD_MASTER_KEY"], !value.isEmpty {
            throw KeywardError(.conflict, code: "master_key_from_environment", title: "The master key comes from the environment",
                               detail: "KEYWARD_MASTER_KEY is set, so there is no key file to rotate.",
                               hint: "Rotation works on DATA_DIR/master.key: unset KEYWARD_MASTER_KEY and write the current key to that file first.")
        }
        guard let ring = try MasterKeyring.read(keyFile) else {
            throw KeywardError(.notFound, code: "master_key_missing", title: "No master key file",
                               detail: "\(keyFile.path) does not exist.", hint: "Give the --data-dir the server uses.")
        }
        let dataKeys = try store.allBuiltinDataKeys()
        let needed = Set(dataKeys.map(\.masterKeyID))
        let fresh = MasterKeyring.generate()
        // The new key first; then the old current one and any other key a data key is still wrapped with.
        let kept = [fresh] + ring.keys.enumerated().filter { $0.offset == 0 || needed.contains($0.element.id) }.map(\.element)
        try MasterKeyring.write(kept, to: keyFile, exclusive: false)

        var changes: [(old: BuiltinDataKey, masterKeyID: String, wrappedKey: String)] = []
        for dataKey in dataKeys where dataKey.masterKeyID != fresh.id {
            guard let master = ring.key(id: dataKey.masterKeyID) else {
                throw KeywardError(.internalError, code: "master_key_unavailable", title: "Master key unavailable",
                                   detail: "Data key \(dataKey.id) is wrapped by master key \(dataKey.masterKeyID), which is not in \(keyFile.path).",
                                   hint: "Restore the key file this database was used with.")
            }
            let aad = BuiltinEnvelope.dataKeyAAD(workspace: dataKey.workspaceID, project: dataKey.projectID)
            guard let plain = BuiltinEnvelope.open(dataKey.wrappedKey, key: master.bytes, aad: aad) else {
                throw KeywardError.decryptionFailure("(data key \(dataKey.id))", detail: "it does not open under master key \(master.id)")
            }
            changes.append((dataKey, fresh.id, try BuiltinEnvelope.seal(plain, key: fresh.bytes, aad: aad)))
        }
        try store.rewrapBuiltinDataKeys(changes)
        return Result(from: ring.current.id, to: fresh.id, rewrapped: changes.count)
    }
}
