/// The External ID a customer's role must require, derived from ids that never change (renames cannot
/// break it) and never accepted from a client (a customer cannot choose another tenant's).
///
/// Project level: `<prefix>_iam_external_id_<workspaceId>_<projectId>`; workspace level:
/// `<prefix>_iam_external_id_<workspaceId>`, the guide's format.
public struct ExternalIDPrefix: Sendable, Hashable, CustomStringConvertible {
    public let value: String
    public static let `default` = ExternalIDPrefix(uncheckedValue: "keyward")

    private init(uncheckedValue: String) { value = uncheckedValue }

    /// 1 to 64 letters, digits or `_ - . @ + = ,`, so the whole External ID stays within AWS's 2 to 1224
    /// characters of `[\w+=,.@:/-]`.
    public init(_ raw: String) throws {
        guard !raw.isEmpty, raw.utf8.count <= 64, raw.utf8.allSatisfy(AWSRoleARN.isNameByte) else {
            throw KeywardError.invalidField("external_id_prefix", "must be 1 to 64 letters, digits or + = , . @ _ -",
                                            hint: "For example: acme")
        }
        value = raw
    }

    public var description: String { value }

    public func externalID(workspace: WorkspaceID, project: ProjectID?) -> String {
        let base = "\(value)_iam_external_id_\(workspace.rawValue)"
        guard let project else { return base }
        return "\(base)_\(project.rawValue)"
    }
}

/// The RoleSessionName Keyward uses, so the customer's CloudTrail shows which project read what:
/// `keyward-<workspaceId>-<projectId>`, deterministic and within AWS's 2 to 64 characters of `[\w+=,.@-]`.
public func awsRoleSessionName(workspace: WorkspaceID, project: ProjectID?) -> String {
    guard let project else { return "keyward-\(workspace.rawValue)" }
    return "keyward-\(workspace.rawValue)-\(project.rawValue)"
}
