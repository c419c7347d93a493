import Foundation

/// Picks the value a reference names out of a secret: the whole secret without a key path, or the value
/// at a key path in a JSON object. A missing key is an error, never an empty value.
public enum SecretValue {
    public static func select(_ keyPath: [String], from text: String, secret: String) throws -> String {
        guard !keyPath.isEmpty else { return text }
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), case .object = document else {
            throw KeywardError.secretKeyNotFound(secret, keyPath: keyPath, reason: "the secret is plaintext, not a JSON object")
        }
        var current = document
        for (depth, key) in keyPath.enumerated() {
            guard case .object(let members) = current else {
                throw KeywardError.secretKeyNotFound(secret, keyPath: keyPath,
                                                     reason: "\(keyPath[..<depth].joined(separator: ".")) is not an object")
            }
            guard let next = members[key] else {
                throw KeywardError.secretKeyNotFound(secret, keyPath: keyPath, reason: "there is no key '\(key)' there")
            }
            current = next
        }
        switch current {
        case .string(let value): return value
        case .null: throw KeywardError.secretKeyNotFound(secret, keyPath: keyPath, reason: "its value is null")
        case .bool, .number, .array, .object:
            // Non-string values are handed over as their JSON text, so a port stays 5432 and an object stays usable.
            return String(decoding: try JSONEncoder.sortedCompact.encode(current), as: UTF8.self)
        }
    }
}

extension JSONEncoder {
    static var sortedCompact: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
