/// A pointer to one secret value in a secrets manager: the secret (by name, ARN or path), an optional
/// key path into a JSON secret, and an optional version.
///
/// Canonical text form (stored, listed, audited): `secret:NAME[#KEY[.KEY…]][?stage=STAGE|?version=ID]`.
/// Inside a string field it is written `${secret:…}`, so it can sit in the middle of a URL; `$${` is a
/// literal `${`. A field may also hold one reference as a JSON value: `{"$secret": {"name": …, "key": […],
/// "stage": …}}`.
///
/// NAME and KEY segments are percent-encoded where needed. Every character legal in an AWS secret name
/// (letters, digits, `/ _ + = . @ -`) and in an ARN (`:`) is written as is; anything else, including the
/// delimiters `#`, `?`, `}`, `%` and spaces (legal in Vault paths), is `%XX` UTF-8. So every legal AWS name,
/// ARN and Vault path has exactly one spelling, and the delimiters are never ambiguous.
public struct SecretReference: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Version: Sendable, Hashable {
        /// A staging label: AWSCURRENT (the default when none is given), AWSPREVIOUS, or a custom one.
        case stage(String)
        /// A specific version id.
        case id(String)
    }

    public var name: String
    public var keyPath: [String]
    public var version: Version?

    public static let maximumNameLength = 2048

    public init(name: String, keyPath: [String] = [], version: Version? = nil) throws {
        guard !name.isEmpty, name.utf8.count <= Self.maximumNameLength else {
            throw ReferenceSyntax.error("the secret name must be 1 to \(Self.maximumNameLength) bytes")
        }
        guard !name.unicodeScalars.contains(where: Names.isControl) else {
            throw ReferenceSyntax.error("the secret name must not contain control characters")
        }
        guard keyPath.count <= 32, keyPath.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 256 }) else {
            throw ReferenceSyntax.error("a key path has at most 32 non-empty keys of at most 256 bytes")
        }
        switch version {
        case .stage(let value), .id(let value):
            guard !value.isEmpty, value.utf8.count <= 256, value.utf8.allSatisfy(ReferenceSyntax.isVersionByte) else {
                throw ReferenceSyntax.error("a version or stage is 1 to 256 letters, digits, '-', '_' or '.'")
            }
        case nil: break
        }
        self.name = name
        self.keyPath = keyPath
        self.version = version
    }

    /// The canonical text form, without the `${…}` wrapper.
    public var description: String {
        var text = "secret:" + ReferenceSyntax.encode(name, allowed: ReferenceSyntax.nameBytes)
        if !keyPath.isEmpty {
            text += "#" + keyPath.map { ReferenceSyntax.encode($0, allowed: ReferenceSyntax.keyBytes) }.joined(separator: ".")
        }
        switch version {
        case .stage(let stage): text += "?stage=" + stage
        case .id(let id): text += "?version=" + id
        case nil: break
        }
        return text
    }

    /// Parses the canonical text form (with or without the `${…}` wrapper).
    public init(parsing text: String) throws {
        var body = Substring(text)
        if body.hasPrefix("${") && body.hasSuffix("}") { body = body.dropFirst(2).dropLast() }
        guard body.hasPrefix("secret:") else {
            throw ReferenceSyntax.error("a reference starts with secret:")
        }
        body = body.dropFirst("secret:".count)
        var version: Version?
        if let question = body.firstIndex(of: "?") {
            let query = body[body.index(after: question)...]
            body = body[..<question]
            let parts = query.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw ReferenceSyntax.error("the version is written ?stage=NAME or ?version=ID") }
            switch parts[0] {
            case "stage": version = .stage(String(parts[1]))
            case "version": version = .id(String(parts[1]))
            default: throw ReferenceSyntax.error("unknown option '\(parts[0].prefix(32))': use ?stage=NAME or ?version=ID")
            }
        }
        var keyPath: [String] = []
        if let hash = body.firstIndex(of: "#") {
            let path = body[body.index(after: hash)...]
            body = body[..<hash]
            keyPath = try path.split(separator: ".", omittingEmptySubsequences: false).map {
                try ReferenceSyntax.decode($0, allowed: ReferenceSyntax.keyBytes, what: "key")
            }
        }
        let name = try ReferenceSyntax.decode(body, allowed: ReferenceSyntax.nameBytes, what: "secret name")
        try self.init(name: name, keyPath: keyPath, version: version)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension SecretReference {
    /// The longest secret name the API takes in a member of its own (a built-in secret's `name`, a
    /// verification's `sample_secret`, an invalidation's `secret`), in characters as its schema counts them.
    public static let maximumMemberNameLength = 512

    /// Checks a secret name given on its own (not inside a reference): its length, then the name rules.
    public static func validateName(_ name: String, field: String) throws {
        guard name.unicodeScalars.count <= maximumMemberNameLength else {
            throw KeywardError.invalidField(field, "must be at most \(maximumMemberNameLength) characters")
        }
        _ = try SecretReference(name: name)
    }
}

enum ReferenceSyntax {
    static func error(_ detail: String) -> KeywardError {
        KeywardError(.badRequest, code: "invalid_reference", title: "Invalid secret reference", detail: detail,
                     hint: "Write references as ${secret:NAME}, ${secret:NAME#key}, or ${secret:NAME#key?stage=AWSPREVIOUS}; percent-encode # ? } % and spaces in names.")
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }

    /// Written as is in names: what AWS allows in names and ARNs.
    static let nameBytes: Set<UInt8> = Set("/_+=.@-:".utf8)
    /// Written as is in keys: `.` separates keys, so it is encoded inside one.
    static let keyBytes: Set<UInt8> = Set("/_+=@-:".utf8)

    static func isVersionByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == 45 || byte == 95 || byte == 46
    }

    static func encode(_ text: String, allowed: Set<UInt8>) -> String {
        var out = ""
        for byte in text.utf8 {
            if isAlphanumeric(byte) || allowed.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    static func decode(_ text: Substring, allowed: Set<UInt8>, what: String) throws -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else {
                    throw error("a % in the \(what) must be followed by two hex digits")
                }
                bytes.append(value)
            } else if isAlphanumeric(byte) || allowed.contains(byte) {
                bytes.append(byte)
            } else {
                throw error("the \(what) contains '\(String(decoding: [byte], as: UTF8.self))', which must be percent-encoded")
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw error("the \(what) is not valid UTF-8 after percent-decoding")
        }
        return decoded
    }
}
