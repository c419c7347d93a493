/// The ARN of an IAM role, validated piece by piece so that each kind of mistake gets its own message:
/// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
public struct AWSRoleARN: Sendable, Hashable, CustomStringConvertible {
    public let partition: String
    public let accountID: String
    /// `/` or `/a/b/`, as IAM writes it.
    public let path: String
    public let name: String

    public static let partitions: Set<String> = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"]

    public var description: String { "arn:\(partition):iam::\(accountID):role\(path)\(name)" }

    public init(parsing raw: String, field: String = "settings.role_arn") throws {
        func reject(_ problem: String, _ detail: String, _ hint: String) -> KeywardError {
            KeywardError(.badRequest, code: "invalid_role_arn", title: "Invalid role ARN", detail: "\(field): \(detail)",
                         hint: hint, extras: ["field": .string(field), "problem": .string(problem)])
        }
        let example = "Copy the ARN from the role's summary page in the IAM console; it looks like arn:aws:iam::123456789012:role/keyward-project."
        let text = raw
        guard text.utf8.count <= 2048 else { throw reject("too_long", "is longer than 2048 characters", example) }
        guard text.trimmingASCIIWhitespace() == text else {
            throw reject("whitespace", "has leading or trailing whitespace", "Remove the spaces or line breaks around the ARN.")
        }
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "arn" else { throw reject("not_an_arn", "is not an ARN", example) }
        guard Self.partitions.contains(parts[1]) else {
            throw reject("partition", "'\(parts[1].prefix(32))' is not an AWS partition",
                         "The partition is aws, aws-cn or aws-us-gov (the second part of the ARN).")
        }
        guard parts[2] == "iam" else {
            throw reject("service", "is an ARN of the \(parts[2].prefix(32)) service, not of an IAM role", example)
        }
        guard parts[3].isEmpty else {
            throw reject("region", "names a region, but IAM ARNs have none (arn:aws:iam::ACCOUNT:role/NAME)", example)
        }
        guard parts[4].utf8.count == 12, parts[4].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw reject("account", "the account id '\(parts[4].prefix(32))' is not 12 digits",
                         "Use the 12-digit id of the AWS account that holds the role, with its leading zeros.")
        }
        let resource = parts[5]
        guard resource.hasPrefix("role/") else {
            let kind = resource.split(separator: "/").first.map(String.init) ?? resource
            throw reject("resource_type", "names a \(kind.prefix(32)), not a role",
                         "Keyward assumes a role: create a role (not a user or policy) and give its ARN.")
        }
        let segments = resource.dropFirst("role/".count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let name = segments.last, !name.isEmpty else { throw reject("role_name", "has no role name after role/", example) }
        guard name.utf8.count <= 64 else { throw reject("role_name", "the role name is longer than 64 characters", example) }
        let legal = { (s: String) in s.utf8.allSatisfy { Self.isNameByte($0) } }
        guard legal(name) else {
            throw reject("role_name", "the role name '\(name.prefix(64))' has characters IAM does not allow",
                         "Role names use letters, digits and + = , . @ _ -.")
        }
        let pathSegments = segments.dropLast()
        guard pathSegments.allSatisfy({ !$0.isEmpty && legal($0) }) else {
            throw reject("role_path", "the role path is malformed", "A path is /, or segments of letters, digits and + = , . @ _ - between slashes.")
        }
        let path = pathSegments.isEmpty ? "/" : "/" + pathSegments.joined(separator: "/") + "/"
        guard path.utf8.count <= 512 else { throw reject("role_path", "the role path is longer than 512 characters", example) }
        partition = parts[1]
        accountID = parts[4]
        self.path = path
        self.name = name
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        ReferenceSyntax.isAlphanumeric(byte) || Set("+=,.@_-".utf8).contains(byte)
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> SubSequence {
        let isSpace = { (c: Character) in c == " " || c == "\t" || c == "\n" || c == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        return self[start...end]
    }
}
