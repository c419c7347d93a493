import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The platform's identity as STS reports it.
public struct AWSCallerIdentity: Sendable, Equatable, Codable {
    public var account: String
    public var arn: String
    public var userID: String
}

/// AWS Security Token Service over its query protocol (form-encoded POST, XML answers).
public struct STSClient: Sendable {
    public let client: AWSClient

    public init(client: AWSClient) { self.client = client }

    public func getCallerIdentity(endpoint: URL, region: String, credentials: AWSCredentials) throws(AWSCallFailure) -> AWSCallerIdentity {
        let document = try call("GetCallerIdentity", [], endpoint: endpoint, region: region, credentials: credentials)
        let result = "//*[local-name()='GetCallerIdentityResult']"
        guard let arn = Self.text(document, "\(result)/*[local-name()='Arn']"),
              let account = Self.text(document, "\(result)/*[local-name()='Account']") else {
            throw Self.malformed("GetCallerIdentity")
        }
        return AWSCallerIdentity(account: account, arn: arn, userID: Self.text(document, "\(result)/*[local-name()='UserId']") ?? "")
    }

    /// Temporary credentials for `roleARN`. `externalID` nil sends none (used only by verification, to prove
    /// the role demands one).
    public func assumeRole(roleARN: String, sessionName: String, externalID: String?, durationSeconds: Int = 3600,
                           endpoint: URL, region: String, credentials: AWSCredentials) throws(AWSCallFailure) -> AWSCredentials {
        var parameters = [("RoleArn", roleARN), ("RoleSessionName", sessionName), ("DurationSeconds", String(durationSeconds))]
        if let externalID { parameters.append(("ExternalId", externalID)) }
        let document = try call("AssumeRole", parameters, endpoint: endpoint, region: region, credentials: credentials)
        let path = "//*[local-name()='AssumeRoleResult']/*[local-name()='Credentials']"
        guard let key = Self.text(document, "\(path)/*[local-name()='AccessKeyId']"),
              let secret = Self.text(document, "\(path)/*[local-name()='SecretAccessKey']"),
              let token = Self.text(document, "\(path)/*[local-name()='SessionToken']"),
              let expiration = Self.text(document, "\(path)/*[local-name()='Expiration']").flatMap(Self.parseDate) else {
            throw Self.malformed("AssumeRole")
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }

    private func call(_ action: String, _ parameters: [(String, String)], endpoint: URL, region: String,
                      credentials: AWSCredentials) throws(AWSCallFailure) -> XMLDocument {
        try AWSQueryProtocol(client: client, service: "sts", version: "2011-06-15")
            .call(action, parameters, endpoint: endpoint, region: region, credentials: credentials)
    }

    static func text(_ document: XMLDocument, _ xpath: String) -> String? { AWSQueryProtocol.text(document, xpath) }

    static func malformed(_ action: String) -> AWSCallFailure {
        .service(AWSServiceError(status: 200, code: "MalformedResponse", message: "STS \(action) answered without the expected fields"))
    }

    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
