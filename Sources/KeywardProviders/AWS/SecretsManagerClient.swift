import Foundation

/// One version of a secret as GetSecretValue returns it. `secretString` is the value; it lives only in memory.
public struct AWSSecretValue: Sendable {
    public var arn: String
    public var name: String
    public var versionID: String
    public var versionStages: [String]
    public var secretString: String?
    public var secretBinary: [UInt8]?
}

/// What DescribeSecret tells about a secret, without its value.
public struct AWSSecretDescription: Sendable, Equatable {
    public var arn: String
    public var name: String
    public var kmsKeyID: String?
    /// Version id → its staging labels.
    public var versions: [String: [String]]
}

/// AWS Secrets Manager over its JSON 1.1 protocol.
public struct SecretsManagerClient: Sendable {
    public let client: AWSClient

    public init(client: AWSClient) { self.client = client }

    public func getSecretValue(secretID: String, versionStage: String? = nil, versionID: String? = nil, endpoint: URL,
                               region: String, credentials: AWSCredentials) throws(AWSCallFailure) -> AWSSecretValue {
        var request: [String: String] = ["SecretId": secretID]
        if let versionStage { request["VersionStage"] = versionStage }
        if let versionID { request["VersionId"] = versionID }
        let object = try call("GetSecretValue", request, endpoint: endpoint, region: region, credentials: credentials)
        guard let arn = object["ARN"] as? String, let name = object["Name"] as? String, let version = object["VersionId"] as? String else {
            throw Self.malformed("GetSecretValue")
        }
        let binary = (object["SecretBinary"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init)
        return AWSSecretValue(arn: arn, name: name, versionID: version, versionStages: object["VersionStages"] as? [String] ?? [],
                              secretString: object["SecretString"] as? String, secretBinary: binary)
    }

    public func describeSecret(secretID: String, endpoint: URL, region: String,
                               credentials: AWSCredentials) throws(AWSCallFailure) -> AWSSecretDescription {
        let object = try call("DescribeSecret", ["SecretId": secretID], endpoint: endpoint, region: region, credentials: credentials)
        guard let arn = object["ARN"] as? String, let name = object["Name"] as? String else { throw Self.malformed("DescribeSecret") }
        return AWSSecretDescription(arn: arn, name: name, kmsKeyID: object["KmsKeyId"] as? String,
                                    versions: object["VersionIdsToStages"] as? [String: [String]] ?? [:])
    }

    /// Any Secrets Manager action with a JSON request, for the operations Keyward itself never needs
    /// (tests use it to create secrets in the emulator).
    public func call(_ action: String, _ request: [String: Any], endpoint: URL, region: String,
                     credentials: AWSCredentials) throws(AWSCallFailure) -> [String: Any] {
        let body: Data
        do { body = try JSONSerialization.data(withJSONObject: request) } catch { throw Self.malformed(action) }
        let response = try client.post(service: "secretsmanager", region: region, endpoint: endpoint, credentials: credentials,
                                       headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "secretsmanager.\(action)")],
                                       body: Array(body))
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            throw Self.malformed(action)
        }
        return object
    }

    static func malformed(_ action: String) -> AWSCallFailure {
        .service(AWSServiceError(status: 200, code: "MalformedResponse", message: "Secrets Manager \(action) answered without the expected fields"))
    }
}
