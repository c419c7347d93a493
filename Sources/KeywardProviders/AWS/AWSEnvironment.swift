import Foundation
import KeywardCore

/// The platform's own AWS identity, region and endpoints, read the way every AWS SDK reads them:
///
/// - credentials: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, else the profile
///   (`AWS_PROFILE`, default `default`) from the shared credentials file, then the config file;
/// - region: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region`;
/// - endpoints: `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL`, else
///   the public regional endpoint.
///
/// The platform identity is only ever used to assume customers' roles; it never reads secrets itself.
public struct AWSEnvironment: Sendable, Equatable {
    public var credentials: AWSCredentials
    public var region: String?
    public var stsEndpoint: URL?
    public var secretsManagerEndpoint: URL?
    /// Where the credentials came from, for logs and error messages ("environment" or "profile NAME").
    public var credentialSource: String

    public enum Service: Sendable { case sts, secretsManager }

    /// The endpoint to call for `service` in `region`.
    public func endpoint(_ service: Service, region: String) -> URL {
        switch service {
        case .sts: stsEndpoint ?? URL(string: "https://sts.\(region).amazonaws.com")!
        case .secretsManager: secretsManagerEndpoint ?? URL(string: "https://secretsmanager.\(region).amazonaws.com")!
        }
    }

    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment,
                            home: String? = ProcessInfo.processInfo.environment["HOME"]) throws -> AWSEnvironment {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let profileName = value("AWS_PROFILE") ?? "default"
        let awsDirectory = home.map { URL(fileURLWithPath: $0).appendingPathComponent(".aws") }
        let credentialsFile = value("AWS_SHARED_CREDENTIALS_FILE").map(URL.init(fileURLWithPath:))
            ?? awsDirectory?.appendingPathComponent("credentials")
        let configFile = value("AWS_CONFIG_FILE").map(URL.init(fileURLWithPath:)) ?? awsDirectory?.appendingPathComponent("config")
        // In the credentials file a profile's section is [NAME]; in the config file it is [profile NAME]
        // (and [default] for the default profile).
        let fromCredentialsFile = try credentialsFile.flatMap { try INIFile.read($0) }?[profileName]
        let fromConfigFile = try configFile.flatMap { try INIFile.read($0) }?[profileName == "default" ? "default" : "profile \(profileName)"]

        let credentials: AWSCredentials
        let source: String
        switch (value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY")) {
        case (let id?, let secret?):
            credentials = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
            source = "environment"
        case (nil, nil):
            let profile = (fromConfigFile ?? [:]).merging(fromCredentialsFile ?? [:]) { $1 }
            guard let id = profile["aws_access_key_id"], let secret = profile["aws_secret_access_key"] else {
                if value("AWS_PROFILE") != nil && fromCredentialsFile == nil && fromConfigFile == nil {
                    throw failure("aws_profile_not_found", "The AWS profile '\(profileName)' is in neither the credentials nor the config file.",
                                  hint: "Check AWS_PROFILE, or the files named by AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE.")
                }
                throw failure("aws_credentials_missing", "No AWS credentials were found for the platform identity.",
                              hint: "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in ~/.aws/credentials.")
            }
            credentials = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: profile["aws_session_token"])
            source = "profile \(profileName)"
        default:
            throw failure("aws_credentials_incomplete", "Only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set.",
                          hint: "Set both, or neither to use a profile.")
        }

        let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? fromConfigFile?["region"]
        return AWSEnvironment(credentials: credentials, region: region,
                              stsEndpoint: try endpoint(value("AWS_ENDPOINT_URL_STS") ?? value("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL_STS"),
                              secretsManagerEndpoint: try endpoint(value("AWS_ENDPOINT_URL_SECRETS_MANAGER") ?? value("AWS_ENDPOINT_URL"),
                                                                   "AWS_ENDPOINT_URL_SECRETS_MANAGER"),
                              credentialSource: source)
    }

    private static func endpoint(_ text: String?, _ variable: String) throws -> URL? {
        guard let text else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw failure("aws_endpoint_invalid", "\(variable) (or AWS_ENDPOINT_URL) is not an http(s) URL.",
                          hint: "Use a URL such as http://127.0.0.1:5000.")
        }
        return url
    }

    private static func failure(_ code: String, _ detail: String, hint: String) -> KeywardError {
        KeywardError(.unavailable, code: code, title: "AWS is not configured", detail: detail, hint: hint)
    }
}

/// The INI dialect of the AWS shared files: `[section]` headers, `key = value` lines, `#` and `;` comments.
enum INIFile {
    static func read(_ url: URL) throws -> [String: [String: String]]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return parse(try String(contentsOf: url, encoding: .utf8))
    }

    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section]?[key] = value
        }
        return sections
    }
}
