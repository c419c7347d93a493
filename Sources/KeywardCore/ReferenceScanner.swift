/// Where a reference sits in a connection: the field's path (for example `password` or `options.token`)
/// and, for a reference inside a string, which occurrence it is.
public struct FieldReference: Sendable, Hashable, Codable {
    public var field: String
    public var reference: SecretReference

    public init(field: String, reference: SecretReference) {
        self.field = field
        self.reference = reference
    }
}

/// Finds every secret reference in a connection's fields, rejecting malformed ones. A field's value is a
/// string that may embed `${secret:…}` references, or a `{"$secret": {…}}` object that is one reference.
public enum ReferenceScanner {
    public static let maximumReferences = 64

    public static func references(in fields: ConnectionFields) throws -> [FieldReference] {
        var found: [FieldReference] = []
        for key in fields.values.keys.sorted() {
            try scan(fields.values[key]!, path: key, into: &found)
        }
        guard found.count <= maximumReferences else {
            throw KeywardError.invalidField("fields", "at most \(maximumReferences) secret references per connection")
        }
        return found
    }

    private static func scan(_ value: JSONValue, path: String, into found: inout [FieldReference]) throws {
        switch value {
        case .string(let text):
            for reference in try embedded(in: text, field: path) {
                found.append(FieldReference(field: path, reference: reference))
            }
        case .object(let members):
            if let spec = members["$secret"] {
                guard members.count == 1 else {
                    throw KeywardError.invalidField("fields.\(path)", "a {\"$secret\": …} value must have no other members")
                }
                found.append(FieldReference(field: path, reference: try structured(spec, field: path)))
            } else {
                for key in members.keys.sorted() { try scan(members[key]!, path: "\(path).\(key)", into: &found) }
            }
        case .null, .bool, .number, .array: break
        }
    }

    /// The references embedded in a string, in order. `$${` is an escaped literal `${`.
    public static func embedded(in text: String, field: String) throws -> [SecretReference] {
        var references: [SecretReference] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "$", index + 1 < scalars.count, scalars[index + 1] == "$" {
                index += 2
                continue
            }
            if scalars[index] == "$", index + 1 < scalars.count, scalars[index + 1] == "{" {
                guard let close = scalars[(index + 2)...].firstIndex(of: "}") else {
                    throw KeywardError.invalidField("fields.\(field)", "a ${ is never closed by }",
                                                    hint: "Write $${ for a literal ${.")
                }
                var inner = String.UnicodeScalarView()
                inner.append(contentsOf: scalars[(index + 2)..<close])
                do {
                    references.append(try SecretReference(parsing: String(inner)))
                } catch var error as KeywardError {
                    error.detail = "fields.\(field): \(error.detail)"
                    throw error
                }
                index = close + 1
                continue
            }
            index += 1
        }
        return references
    }

    private static func structured(_ spec: JSONValue, field: String) throws -> SecretReference {
        guard case .object(let members) = spec, case .string(let name)? = members["name"] else {
            throw KeywardError.invalidField("fields.\(field)", "a $secret object needs a string \"name\"")
        }
        let allowed: Set<String> = ["name", "key", "stage", "version"]
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw KeywardError.invalidField("fields.\(field)", "unknown $secret member '\(unknown.prefix(32))'",
                                            hint: "A $secret object has name, and optionally key, stage or version.")
        }
        var keyPath: [String] = []
        switch members["key"] {
        case nil: break
        case .string(let key)?: keyPath = [key]
        case .array(let keys)?:
            keyPath = try keys.map {
                guard case .string(let key) = $0 else { throw KeywardError.invalidField("fields.\(field)", "key path items must be strings") }
                return key
            }
        default: throw KeywardError.invalidField("fields.\(field)", "key must be a string or an array of strings")
        }
        var version: SecretReference.Version?
        switch (members["stage"], members["version"]) {
        case (nil, nil): break
        case (.string(let stage)?, nil): version = .stage(stage)
        case (nil, .string(let id)?): version = .id(id)
        default: throw KeywardError.invalidField("fields.\(field)", "give stage or version as a string, not both")
        }
        do {
            return try SecretReference(name: name, keyPath: keyPath, version: version)
        } catch var error as KeywardError {
            error.detail = "fields.\(field): \(error.detail)"
            throw error
        }
    }
}

/// Puts values in place of a connection's references: each `${secret:…}` inside a string, and each
/// `{"$secret": …}` value. `$${` becomes a literal `${`. Walks fields exactly as `ReferenceScanner` does,
/// so the two always agree on what a reference is.
public enum ReferenceSubstitution {
    public static func substitute(_ fields: ConnectionFields, _ value: (FieldReference) throws -> String) throws -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for key in fields.values.keys.sorted() {
            out[key] = try substitute(fields.values[key]!, path: key, value)
        }
        return out
    }

    private static func substitute(_ json: JSONValue, path: String, _ value: (FieldReference) throws -> String) throws -> JSONValue {
        switch json {
        case .string(let text):
            return .string(try render(text, field: path, value))
        case .object(let members):
            if let spec = members["$secret"], members.count == 1 {
                let references = try ReferenceScanner.references(in: ConnectionFields(validating: ["x": .object(["$secret": spec])]))
                guard let reference = references.first?.reference else { return json }
                return .string(try value(FieldReference(field: path, reference: reference)))
            }
            var out: [String: JSONValue] = [:]
            for key in members.keys.sorted() { out[key] = try substitute(members[key]!, path: "\(path).\(key)", value) }
            return .object(out)
        case .null, .bool, .number, .array:
            return json
        }
    }

    private static func render(_ text: String, field: String, _ value: (FieldReference) throws -> String) throws -> String {
        guard text.contains("$") else { return text }
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "$", index + 1 < scalars.count, scalars[index + 1] == "$",
               index + 2 < scalars.count, scalars[index + 2] == "{" {
                out.append(contentsOf: "${".unicodeScalars)
                index += 3
                continue
            }
            if scalars[index] == "$", index + 1 < scalars.count, scalars[index + 1] == "$" {
                out.append(contentsOf: "$$".unicodeScalars)
                index += 2
                continue
            }
            if scalars[index] == "$", index + 1 < scalars.count, scalars[index + 1] == "{",
               let close = scalars[(index + 2)...].firstIndex(of: "}") {
                var inner = String.UnicodeScalarView()
                inner.append(contentsOf: scalars[(index + 2)..<close])
                let reference = try SecretReference(parsing: String(inner))
                out.append(contentsOf: try value(FieldReference(field: field, reference: reference)).unicodeScalars)
                index = close + 1
                continue
            }
            out.append(scalars[index])
            index += 1
        }
        return String(out)
    }
}
