import struct Foundation.Date

/// A customer of the platform. Everything else (projects, connections, tokens) lives inside one.
public struct Workspace: Sendable, Equatable, Codable {
    public var id: WorkspaceID
    public var name: String
    public var addons: [Addon]
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: WorkspaceID, name: String, addons: [Addon], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.addons = addons.sorted { $0.rawValue < $1.rawValue }
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public func has(_ addon: Addon) -> Bool { addons.contains(addon) }

    enum CodingKeys: String, CodingKey {
        case id, name, addons
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// Paid capabilities an operator grants to a workspace. A closed set, so a typo is an error, not a
/// silently useless grant.
public enum Addon: String, Sendable, Codable, CaseIterable {
    /// Required for secrets management (the guide's "Advanced Security & Compliance" add-on).
    case advancedSecurity = "advanced_security"

    public static func parse(_ raw: String) throws -> Addon {
        guard let addon = Addon(rawValue: raw) else {
            throw KeywardError(.badRequest, code: "unknown_addon", title: "Unknown add-on",
                               detail: "There is no add-on named '\(raw.prefix(64))'.",
                               hint: "Known add-ons: \(Addon.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return addon
    }
}
