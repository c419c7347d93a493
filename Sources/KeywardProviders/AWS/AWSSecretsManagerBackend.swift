import Foundation
import KeywardCore

/// AWS Secrets Manager, read through the customer's role: AssumeRole with the store's External ID and an
/// informative session name, then GetSecretValue with those temporary credentials.
public final class AWSSecretsManagerBackend: SecretsBackend {
    public let provider = SecretsProvider.awsSecretsManager
    public let platform: AWSPlatform
    private let roles: AssumedRoleCache

    public init(platform: AWSPlatform, clock: @escaping @Sendable () -> Date = Date.init) {
        self.platform = platform
        roles = AssumedRoleCache(clock: clock)
    }

    /// What reading through a store needs, derived from its settings and the tenant.
    struct Access {
        var region: String
        var roleARN: String
        var externalID: String
        var sessionName: String
        var key: AssumedRoleCache.Key
    }

    func access(_ context: SecretReadContext) throws -> Access {
        let settings = context.store.settings.values
        guard let region = settings["region"] else { throw KeywardError.internalError("AWS store without a region") }
        guard let roleARN = settings["role_arn"] else {
            throw KeywardError(.failedDependency, code: "role_not_configured", title: "No IAM role configured",
                               detail: "The AWS Secrets Manager store has no role ARN yet.",
                               hint: "Follow GET …/secrets-management/aws-setup, then save the role's ARN as settings.role_arn.")
        }
        // The External ID follows the store's level: a project's store uses the project's, the workspace's
        // store the workspace's. The session name always names the project that reads.
        let externalID = platform.externalIDPrefix.externalID(workspace: context.workspaceID, project: context.store.projectID)
        return Access(region: region, roleARN: roleARN, externalID: externalID,
                      sessionName: awsRoleSessionName(workspace: context.workspaceID, project: context.projectID),
                      key: .init(store: context.store.id, project: context.projectID, roleARN: roleARN, externalID: externalID, region: region))
    }

    public func read(_ name: String, version: SecretReference.Version?, context: SecretReadContext) throws -> SecretMaterial {
        let access = try access(context)
        let environment = try platform.configuration()
        var retriedWithFreshCredentials = false
        while true {
            let credentials = try roleCredentials(access)
            do {
                let stage: String?, versionID: String?
                switch version {
                case .stage(let s): (stage, versionID) = (s, nil)
                case .id(let id): (stage, versionID) = (nil, id)
                case nil: (stage, versionID) = (nil, nil)
                }
                let value = try platform.secretsManager.getSecretValue(
                    secretID: name, versionStage: stage, versionID: versionID,
                    endpoint: environment.endpoint(.secretsManager, region: access.region), region: access.region, credentials: credentials)
                if let text = value.secretString { return SecretMaterial(value: text, versionID: value.versionID) }
                if let bytes = value.secretBinary { return SecretMaterial(value: Data(bytes).base64EncodedString(), versionID: value.versionID) }
                throw KeywardError.secretNotFound(name, detail: "'\(name)' has no value in that version.")
            } catch let failure as AWSCallFailure {
                // Credentials revoked or expired early (a session policy change, a clock jump): assume again once.
                if case .service(let error) = failure, Self.credentialExpiredCodes.contains(error.code), !retriedWithFreshCredentials {
                    roles.drop(access.key)
                    retriedWithFreshCredentials = true
                    continue
                }
                throw Self.readError(failure, secret: name, version: version)
            }
        }
    }

    static let credentialExpiredCodes: Set<String> = ["ExpiredTokenException", "ExpiredToken", "UnrecognizedClientException", "InvalidClientTokenId"]

    func roleCredentials(_ access: Access) throws -> AWSCredentials {
        try roles.credentials(access.key) { try assume(access, externalID: access.externalID) }
    }

    /// One AssumeRole with the platform's credentials. `externalID` nil sends none (verification only).
    func assume(_ access: Access, externalID: String?) throws -> AWSCredentials {
        let environment = try platform.configuration()
        let region = try platform.stsRegion(fallback: access.region)
        do {
            return try platform.sts.assumeRole(roleARN: access.roleARN, sessionName: access.sessionName, externalID: externalID,
                                               endpoint: environment.endpoint(.sts, region: region), region: region,
                                               credentials: environment.credentials)
        } catch {
            // A rejected signature or unknown key id is the platform's own credentials, and throttling or a 5xx
            // is transient: both reported as such. Anything else (AccessDenied, NoSuchEntity, a malformed ARN)
            // is this role refusing, which the customer fixes.
            if case .service(let aws) = error, !aws.isRetryable, !AWSPlatform.credentialErrorCodes.contains(aws.code) {
                throw KeywardError.assumeRoleDenied(role: access.roleARN, externalID: externalID ?? "(none)", awsCode: aws.code, awsMessage: aws.message)
            }
            throw AWSPlatform.platformError(error, action: "AssumeRole")
        }
    }

    static func readError(_ failure: AWSCallFailure, secret: String, version: SecretReference.Version?) -> KeywardError {
        switch failure {
        case .transport(let error):
            return .providerUnavailable("Secrets Manager could not be reached\(error.timedOut ? " (timed out)" : "").", cause: error.message)
        case .service(let error):
            if error.isThrottling { return .throttled("Secrets Manager throttled GetSecretValue: \(error.code)") }
            if error.status >= 500 && error.code != "DecryptionFailure" {
                return .providerUnavailable("Secrets Manager failed: \(error.code)", cause: error.description)
            }
            switch error.code {
            case "ResourceNotFoundException":
                let label: String? = switch version {
                case .stage(let s): "stage \(s)"
                case .id(let id): "version \(id)"
                case nil: nil
                }
                return .secretNotFound(secret, version: label)
            case "DecryptionFailure":
                return .decryptionFailure(secret, detail: "\(error.code): \(error.message)")
            case "InvalidRequestException", "InvalidParameterException":
                // For example a secret scheduled for deletion, or a version id that is not a UUID.
                return .secretNotFound(secret, detail: "Secrets Manager cannot return '\(secret)': \(error.code): \(error.message)")
            default:
                if error.status == 403 || error.code.hasPrefix("AccessDenied") {
                    return .accessDenied(secret: secret, awsCode: error.code == "HTTP403" ? "AccessDenied" : error.code, awsMessage: error.message)
                }
                return .providerUnavailable("Secrets Manager answered \(error.code)", cause: error.description)
            }
        }
    }

    public func forget(store: StoreID) { roles.drop(store: store) }
}
