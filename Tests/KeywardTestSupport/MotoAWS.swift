import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KeywardProviders

/// The moto server `make test` started (IAM, STS and Secrets Manager with SigV4 and IAM enforcement), and
/// the administrator its bootstrap created. Tests build their own world in it (users, roles, secrets) under
/// unique names, through our own clients: moto, a peer we did not write, checks every signature.
public struct MotoAWS: Sendable {
    public let endpoint: URL
    public let admin: AWSCredentials
    public let region = "us-east-1"
    public let client = AWSClient(retry: AWSRetryPolicy(maxAttempts: 1, timeout: 15))

    /// Nil when no moto server is configured; `make test` always configures one (KEYWARD_REQUIRE_AWS=1).
    public static let configured: MotoAWS? = {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["KEYWARD_TEST_AWS_ENDPOINT"].flatMap(URL.init(string:)),
              let id = environment["KEYWARD_TEST_AWS_ADMIN_KEY_ID"], let secret = environment["KEYWARD_TEST_AWS_ADMIN_SECRET"]
        else { return nil }
        return MotoAWS(endpoint: url, admin: AWSCredentials(accessKeyID: id, secretAccessKey: secret))
    }()

    public static var required: Bool { ProcessInfo.processInfo.environment["KEYWARD_REQUIRE_AWS"] == "1" }

    /// A name no other test uses.
    public static func unique(_ base: String) -> String {
        "\(base)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    @discardableResult
    public func iam(_ action: String, _ parameters: [(String, String)]) throws -> XMLDocument {
        try AWSQueryProtocol(client: client, service: "iam", version: "2010-05-08")
            .call(action, parameters, endpoint: endpoint, region: region, credentials: admin)
    }

    @discardableResult
    public func secretsManager(_ action: String, _ request: [String: Any]) throws -> [String: Any] {
        try SecretsManagerClient(client: client).call(action, request, endpoint: endpoint, region: region, credentials: admin)
    }

    public struct Platform: Sendable {
        public let credentials: AWSCredentials
        public let arn: String
    }

    /// An IAM user that may only assume roles, as the platform identity should be.
    public func createPlatformUser() throws -> Platform {
        let name = Self.unique("keyward-platform")
        let created = try iam("CreateUser", [("UserName", name)])
        try iam("PutUserPolicy", [("UserName", name), ("PolicyName", "assume-only"), ("PolicyDocument", Self.json([
            "Version": "2012-10-17",
            "Statement": [["Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"]],
        ]))])
        let key = try iam("CreateAccessKey", [("UserName", name)])
        func text(_ document: XMLDocument, _ field: String) -> String {
            AWSQueryProtocol.text(document, "//*[local-name()='\(field)']") ?? ""
        }
        return Platform(credentials: AWSCredentials(accessKeyID: text(key, "AccessKeyId"), secretAccessKey: text(key, "SecretAccessKey")),
                        arn: text(created, "Arn"))
    }

    /// A role the platform may assume, with `trustPolicy` (default: the platform principal, StringEquals on
    /// `externalID`), and read access to secrets unless `canRead` is false. Moto checks Secrets Manager
    /// permissions against resource "*", so the read policy names "*".
    public func createRole(trusting principal: String, externalID: String?, canRead: Bool = true) throws -> String {
        var statement: [String: Any] = ["Effect": "Allow", "Principal": ["AWS": principal], "Action": "sts:AssumeRole"]
        if let externalID { statement["Condition"] = ["StringEquals": ["sts:ExternalId": externalID]] }
        return try createRole(trustPolicy: ["Version": "2012-10-17", "Statement": [statement]], canRead: canRead)
    }

    /// A role with exactly this trust policy document (for example the one Keyward's setup guide generated).
    public func createRole(trustPolicy: Any, canRead: Bool = true) throws -> String {
        let name = Self.unique("keyward-project")
        let created = try iam("CreateRole", [("RoleName", name), ("AssumeRolePolicyDocument", Self.json(trustPolicy))])
        if canRead {
            try iam("PutRolePolicy", [("RoleName", name), ("PolicyName", "read-secrets"), ("PolicyDocument", Self.json([
                "Version": "2012-10-17",
                "Statement": [["Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": "*"]],
            ]))])
        }
        return AWSQueryProtocol.text(created, "//*[local-name()='Arn']") ?? ""
    }

    /// Creates a secret and returns its ARN and first version id.
    public func createSecret(_ name: String, _ value: String) throws -> (arn: String, version: String) {
        let created = try secretsManager("CreateSecret", ["Name": name, "SecretString": value])
        return (created["ARN"] as? String ?? "", created["VersionId"] as? String ?? "")
    }

    /// A new current version; the previous one becomes AWSPREVIOUS.
    public func putSecretValue(_ name: String, _ value: String) throws -> String {
        try secretsManager("PutSecretValue", ["SecretId": name, "SecretString": value])["VersionId"] as? String ?? ""
    }

    /// The AWS_* variables that make keyward (or AWSEnvironment) use `platform` against this server.
    public func environment(_ platform: Platform) -> [String: String] {
        ["AWS_ACCESS_KEY_ID": platform.credentials.accessKeyID, "AWS_SECRET_ACCESS_KEY": platform.credentials.secretAccessKey,
         "AWS_REGION": region, "AWS_ENDPOINT_URL": endpoint.absoluteString]
    }

    public static func json(_ object: Any) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }
}
