import struct Foundation.Date

/// A project inside a workspace. Project ids are unique across the whole platform, but a project is
/// always addressed through its workspace, and asking for it through another workspace finds nothing.
public struct Project: Sendable, Equatable, Codable {
    public var id: ProjectID
    public var workspaceID: WorkspaceID
    public var name: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: ProjectID, workspaceID: WorkspaceID, name: String, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.workspaceID = workspaceID
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case workspaceID = "workspace_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
