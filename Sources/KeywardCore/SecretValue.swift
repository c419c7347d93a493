import Foundation

/// A secret's text, and its JSON object parsed once (when it is one), so that picking keys on every
/// resolution costs a dictionary walk, not a parse. Picks the value a reference names: the whole text
/// without a key path, or the value at a key path. A missing key is an error, never an empty value.
public struct SecretValue: Sendable {
    public let text: String
    /// The parsed object, when the text is a JSON object.
    public let document: JSONValue?

    public init(_ text: String) {
        self.text = text
        let start = text.utf8.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if start == UInt8(ascii: "{"), let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), case .object = parsed {
            document = parsed
        } else {
            document = nil
        }
    }

    public static func select(_ keyPath: [String], from text: String, secret: String) throws -> String {
        try SecretValue(text).select(keyPath, secret: secret)
    }

    public func select(_ keyPath: [String], secret: String) throws -> String {
        guard !keyPath.isEmpty else { return text }
        guard var current = document else {
            throw KeywardError.secretKeyNotFound(secret, keyPath: keyPath, reason: "the secret is plaintext, not a JSON object")
        }
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
            return current.jsonText
        }
    }
}
