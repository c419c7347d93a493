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

/// A connection's fields with holes where its references are, parsed once: rendering fills the holes
/// without parsing again. Walks fields exactly as `ReferenceScanner` does (`$${` is a literal `${`), so
/// the two always agree on what a reference is.
public struct ConnectionTemplate: Sendable {
    indirect enum Node: Sendable {
        case constant(JSONValue)
        case text([Piece])
        case reference(Int)
        case object([(String, Node)])
    }

    enum Piece: Sendable {
        case literal(String)
        case reference(Int)
    }

    /// Every occurrence of a reference, in the order the scanner finds them.
    public private(set) var references: [FieldReference] = []
    private var fields: [(String, Node)] = []

    public init(_ connectionFields: ConnectionFields) throws {
        for key in connectionFields.values.keys.sorted() {
            fields.append((key, try compile(connectionFields.values[key]!, path: key)))
        }
    }

    /// The fields with `value(index, reference)` in place of each occurrence.
    public func render(_ value: (Int, FieldReference) throws -> String) rethrows -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (key, node) in fields { out[key] = try render(node, value) }
        return out
    }

    private func render(_ node: Node, _ value: (Int, FieldReference) throws -> String) rethrows -> JSONValue {
        switch node {
        case .constant(let json): return json
        case .reference(let index): return .string(try value(index, references[index]))
        case .text(let pieces):
            var text = ""
            for piece in pieces {
                switch piece {
                case .literal(let literal): text += literal
                case .reference(let index): text += try value(index, references[index])
                }
            }
            return .string(text)
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (key, member) in members { out[key] = try render(member, value) }
            return .object(out)
        }
    }

    private mutating func add(_ reference: SecretReference, field: String) -> Int {
        references.append(FieldReference(field: field, reference: reference))
        return references.count - 1
    }

    private mutating func compile(_ json: JSONValue, path: String) throws -> Node {
        switch json {
        case .string(let text):
            guard text.contains("$") else { return .constant(json) }
            let pieces = try compileText(text, field: path)
            if pieces.allSatisfy({ if case .literal = $0 { true } else { false } }) {
                return .constant(.string(pieces.map { if case .literal(let l) = $0 { l } else { "" } }.joined()))
            }
            return .text(pieces)
        case .object(let members):
            if let spec = members["$secret"], members.count == 1 {
                let found = try ReferenceScanner.references(in: ConnectionFields(validating: ["x": .object(["$secret": spec])]))
                guard let reference = found.first?.reference else { return .constant(json) }
                return .reference(add(reference, field: path))
            }
            var compiled: [(String, Node)] = []
            for key in members.keys.sorted() { compiled.append((key, try compile(members[key]!, path: "\(path).\(key)"))) }
            return .object(compiled)
        case .null, .bool, .number, .array:
            return .constant(json)
        }
    }

    private mutating func compileText(_ text: String, field: String) throws -> [Piece] {
        var pieces: [Piece] = []
        var literal = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func flush() {
            if !literal.isEmpty { pieces.append(.literal(String(literal))) }
            literal = String.UnicodeScalarView()
        }
        while index < scalars.count {
            if scalars[index] == "$", index + 2 < scalars.count, scalars[index + 1] == "$", scalars[index + 2] == "{" {
                literal.append(contentsOf: "${".unicodeScalars)
                index += 3
                continue
            }
            if scalars[index] == "$", index + 1 < scalars.count, scalars[index + 1] == "$" {
                literal.append(contentsOf: "$$".unicodeScalars)
                index += 2
                continue
            }
            if scalars[index] == "$", index + 1 < scalars.count, scalars[index + 1] == "{",
               let close = scalars[(index + 2)...].firstIndex(of: "}") {
                var inner = String.UnicodeScalarView()
                inner.append(contentsOf: scalars[(index + 2)..<close])
                flush()
                pieces.append(.reference(add(try SecretReference(parsing: String(inner)), field: field)))
                index = close + 1
                continue
            }
            literal.append(scalars[index])
            index += 1
        }
        flush()
        return pieces
    }
}

/// Puts values in place of a connection's references, through `ConnectionTemplate`.
public enum ReferenceSubstitution {
    public static func substitute(_ fields: ConnectionFields, _ value: (FieldReference) throws -> String) throws -> [String: JSONValue] {
        try ConnectionTemplate(fields).render { try value($1) }
    }
}
