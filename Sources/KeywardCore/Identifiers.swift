/// Identifiers are distinct types so a project id can never be passed where a workspace id is meant.
/// Workspace, project and connection ids are database-assigned integers that never change and are never
/// reused, which is why External IDs and audit records can be built from them.
public protocol IntegerIdentifier: RawRepresentable, Hashable, Comparable, Codable, Sendable,
    CustomStringConvertible, LosslessStringConvertible where RawValue == Int64 {
    init(_ rawValue: Int64)
}

/// The largest id: 2^53 - 1, so every id survives a round trip through JSON numbers in any language.
public let maximumIdentifier: Int64 = 9_007_199_254_740_991

extension IntegerIdentifier {
    public init(rawValue: Int64) { self.init(rawValue) }
    public init?(_ description: String) {
        guard let value = Int64(description), value > 0, value <= maximumIdentifier else { return nil }
        self.init(value)
    }
    public var description: String { String(rawValue) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Int64.self)
        guard value > 0, value <= maximumIdentifier else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be an id from 1 to \(maximumIdentifier)")
        }
        self.init(value)
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

public struct WorkspaceID: IntegerIdentifier {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    /// Not a workspace: the audit chain of what belongs to none (operator tokens, their sign-ins).
    public static let platform = WorkspaceID(0)
}

public struct ProjectID: IntegerIdentifier {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

public struct ConnectionID: IntegerIdentifier {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

/// The public half of an API token: 16 lowercase hex characters. The token string a client holds is
/// `kw_<id>_<secret>`; only a hash of the secret is stored, so the id is what lets us find the row.
public struct TokenID: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init?(rawValue: String) {
        guard rawValue.utf8.count == 16, rawValue.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        else { return nil }
        self.rawValue = rawValue
    }
    public var description: String { rawValue }
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = TokenID(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a token id"))
        }
        self = id
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
