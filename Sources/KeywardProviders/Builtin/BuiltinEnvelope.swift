import Foundation
import KeywardCore
import KeywardCrypto

/// Envelope encryption for the built-in store: AES-256-GCM everywhere; a secret version is sealed under its
/// owner's data key, and the data key under a master key. The associated data binds each ciphertext to
/// where it belongs, so a ciphertext copied to another workspace, project, name or version does not open.
enum BuiltinEnvelope {
    static func dataKeyAAD(workspace: WorkspaceID, project: ProjectID?) -> [UInt8] {
        Array("keyward data key v1|ws=\(workspace.rawValue)|p=\(project.map { String($0.rawValue) } ?? "-")".utf8)
    }

    /// The name is length-prefixed, so no name can forge the fields after it.
    static func secretAAD(workspace: WorkspaceID, project: ProjectID?, name: String, version: Int64) -> [UInt8] {
        Array("keyward secret v1|ws=\(workspace.rawValue)|p=\(project.map { String($0.rawValue) } ?? "-")|name=\(name.utf8.count):\(name)|v=\(version)".utf8)
    }

    static func seal(_ plaintext: [UInt8], key: [UInt8], aad: [UInt8]) throws -> String {
        "v1." + Data(try AESGCM.seal(plaintext, key: key, associatedData: aad)).base64EncodedString()
    }

    /// Nil when the text is not ours, or does not open under this key and associated data.
    static func open(_ text: String, key: [UInt8], aad: [UInt8]) -> [UInt8]? {
        guard text.hasPrefix("v1."), let sealed = Data(base64Encoded: String(text.dropFirst(3))) else { return nil }
        return try? AESGCM.open(Array(sealed), key: key, associatedData: aad)
    }
}
