import struct Foundation.Date

/// The kinds of systems a connection can point at. Closed, so that each type can own its field rules
/// and its connection test.
public enum ConnectionType: String, Sendable, Codable, CaseIterable {
    case postgresql
    case http
    case generic

    public static func parse(_ raw: String) throws -> ConnectionType {
        guard let type = ConnectionType(rawValue: raw) else {
            throw KeywardError.invalidField(
                "type", "unknown connection type '\(raw.prefix(64))'",
                hint: "Use one of: \(ConnectionType.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return type
    }
}

/// Credentials for one customer system, held by a project. Fields are a flat JSON object of named values.
public struct Connection: Sendable, Equatable, Codable {
    public var id: ConnectionID
    public var workspaceID: WorkspaceID
    public var projectID: ProjectID
    public var name: String
    public var type: ConnectionType
    public var fields: ConnectionFields
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: ConnectionID, workspaceID: WorkspaceID, projectID: ProjectID, name: String,
                type: ConnectionType, fields: ConnectionFields, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.workspaceID = workspaceID
        self.projectID = projectID
        self.name = name
        self.type = type
        self.fields = fields
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, type, fields
        case workspaceID = "workspace_id"
        case projectID = "project_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// What the audit trail records of it: its name, its type and the names of its fields. Never the
    /// fields' values: a literal value may be a credential.
    public var auditDetails: [String: JSONValue] {
        ["name": .string(name), "type": .string(type.rawValue), "fields": .array(fields.values.keys.sorted().map { JSONValue.string($0) })]
    }
}

/// The named values of a connection. Keys are identifiers (letters, digits, `_`, `-`, `.`), values are
/// strings, numbers, booleans or nested objects; limits keep one connection small enough to hold in memory.
public struct ConnectionFields: Sendable, Equatable, Codable {
    public static let maximumFields = 64
    public static let maximumEncodedBytes = 64 * 1024

    public private(set) var values: [String: JSONValue]

    public init(validating values: [String: JSONValue]) throws {
        guard values.count <= Self.maximumFields else {
            throw KeywardError.invalidField("fields", "at most \(Self.maximumFields) fields are allowed")
        }
        for (key, value) in values {
            try Self.validate(key: key)
            if case .array = value {
                throw KeywardError.invalidField("fields.\(key)", "arrays are not allowed as field values")
            }
        }
        self.values = values
    }

    public init() { values = [:] }

    private static func validate(key: String) throws {
        let allowed = key.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte == 95 || byte == 45 || byte == 46
        }
        guard !key.isEmpty, key.utf8.count <= 64, allowed else {
            throw KeywardError.invalidField(
                "fields", "field name '\(key.prefix(64))' is not allowed",
                hint: "Field names are 1–64 characters of letters, digits, '_', '-' and '.'.")
        }
    }

    public init(from decoder: Decoder) throws {
        let object = try decoder.singleValueContainer().decode([String: JSONValue].self)
        try self.init(validating: object)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
