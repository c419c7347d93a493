import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KeywardCore
import KeywardCrypto

/// The master keys that wrap the built-in store's data keys. The first is current (new data keys are
/// wrapped with it); the others are kept so data keys not yet rewrapped still open.
///
/// From `KEYWARD_MASTER_KEY` (32 bytes, base64 or hex; several separated by commas, current first), or from
/// a key file created with mode 0600 on first start. Each line of the file is
/// `keyward-master-key v1 <id> <base64>`, current first; rotation rewrites the file atomically.
public struct MasterKeyring: Sendable {
    public struct Key: Sendable {
        public let id: String
        let bytes: [UInt8]

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
            id = String(Hex.encode(SHA256.hash(Array("keyward master key id".utf8) + bytes)).prefix(16))
        }
    }

    public let keys: [Key]
    /// The file the keys came from; nil when they came from the environment.
    public let file: URL?

    public var current: Key { keys[0] }

    public func key(id: String) -> Key? { keys.first { $0.id == id } }

    /// Keys for another purpose (signing audit chain heads), derived from each master key with HMAC: the
    /// current one first, which signs; the others still verify what was signed before a rotation.
    public func derivedKeys(purpose: String) -> [[UInt8]] {
        keys.map { HMACSHA256.authenticationCode(key: $0.bytes, data: Array("keyward derived key|\(purpose)".utf8)) }
    }

    init(keys: [Key], file: URL?) {
        precondition(!keys.isEmpty)
        self.keys = keys
        self.file = file
    }

    public static func generate() -> Key { Key(SecureRandom.bytes(AESGCM.keyByteCount)) }

    /// The environment's keys if set, else the key file (created if missing).
    public static func load(environment: [String: String], file: URL) throws -> MasterKeyring {
        if let ring = try fromEnvironment(environment) { return ring }
        if let ring = try read(file) { return ring }
        try write([generate()], to: file, exclusive: true)
        guard let created = try read(file) else { throw KeywardError.internalError("the master key file vanished after creation") }
        return created
    }

    /// The keys of `KEYWARD_MASTER_KEY`, current first; nil when it is not set.
    public static func fromEnvironment(_ environment: [String: String]) throws -> MasterKeyring? {
        guard let text = environment["KEYWARD_MASTER_KEY"], !text.isEmpty else { return nil }
        let keys = try text.split(separator: ",").map { part in
            guard let bytes = decodeKey(String(part)) else {
                throw KeywardError(.internalError, code: "master_key_invalid", title: "Invalid master key",
                                   detail: "KEYWARD_MASTER_KEY is not one or more 32-byte keys in base64 or hex, separated by commas.",
                                   hint: "Generate one with: head -c 32 /dev/urandom | base64")
            }
            return Key(bytes)
        }
        guard !keys.isEmpty else { return nil }
        return MasterKeyring(keys: keys, file: nil)
    }

    public static func read(_ file: URL) throws -> MasterKeyring? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let text = try String(contentsOf: file, encoding: .utf8)
        var keys: [Key] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") && !line.isEmpty {
            let parts = line.split(separator: " ")
            guard parts.count == 4, parts[0] == "keyward-master-key", parts[1] == "v1",
                  let bytes = Data(base64Encoded: String(parts[3])).map(Array.init), bytes.count == AESGCM.keyByteCount else {
                throw KeywardError(.internalError, code: "master_key_invalid", title: "Invalid master key file",
                                   detail: "\(file.path) has a malformed line.",
                                   hint: "Restore the file from backup; without it the built-in store's secrets cannot be read.")
            }
            let key = Key(bytes)
            guard key.id == parts[2] else {
                throw KeywardError(.internalError, code: "master_key_invalid", title: "Invalid master key file",
                                   detail: "\(file.path): a key does not match its id.", hint: "Restore the file from backup.")
            }
            keys.append(key)
        }
        guard !keys.isEmpty else { return nil }
        return MasterKeyring(keys: keys, file: file)
    }

    /// Writes `keys` (current first) to `file` with mode 0600: a fresh file when `exclusive` (two servers
    /// starting together cannot both create one), else by atomic replacement.
    static func write(_ keys: [Key], to file: URL, exclusive: Bool) throws {
        let text = "# Keyward master keys: current first. Back this file up; without it the built-in store cannot be read.\n"
            + keys.map { "keyward-master-key v1 \($0.id) \(Data($0.bytes).base64EncodedString())\n" }.joined()
        let target = exclusive ? file : file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(UUID().uuidString)")
        let descriptor = open(target.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            if exclusive && errno == EEXIST { return }
            throw KeywardError.internalError("cannot create \(target.path): errno \(errno)")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
        close(descriptor)
        guard written == bytes.count else { throw KeywardError.internalError("cannot write \(target.path)") }
        if !exclusive {
            guard rename(target.path, file.path) == 0 else { throw KeywardError.internalError("cannot replace \(file.path): errno \(errno)") }
        }
    }

    static func decodeKey(_ text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count == 64, let hex = Hex.decode(trimmed) { return hex }
        if let data = Data(base64Encoded: trimmed), data.count == AESGCM.keyByteCount { return Array(data) }
        return nil
    }
}
