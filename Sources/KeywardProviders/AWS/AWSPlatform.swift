import Foundation
import Synchronization
import KeywardCore

/// The platform's own AWS identity: its credentials and endpoints (from the standard chain), the STS and
/// Secrets Manager clients, and who STS says the platform is (cached; the setup guide shows it).
///
/// The identity is only ever used to assume customers' roles (PEERS #12): reads go through the role.
public final class AWSPlatform: Sendable {
    let environment: Result<AWSEnvironment, KeywardError>
    public let sts: STSClient
    public let secretsManager: SecretsManagerClient
    public let externalIDPrefix: ExternalIDPrefix
    private let identity = Mutex<(AWSCallerIdentity, Date)?>(nil)
    private let clock: @Sendable () -> Date

    public init(environment: Result<AWSEnvironment, KeywardError>, client: AWSClient = AWSClient(),
                externalIDPrefix: ExternalIDPrefix = .default, clock: @escaping @Sendable () -> Date = Date.init) {
        self.environment = environment
        sts = STSClient(client: client)
        secretsManager = SecretsManagerClient(client: client)
        self.externalIDPrefix = externalIDPrefix
        self.clock = clock
    }

    /// Loads the environment now; a missing or broken configuration is reported when AWS is first used,
    /// so a server without AWS still serves everything else.
    public convenience init(processEnvironment: [String: String] = ProcessInfo.processInfo.environment,
                            externalIDPrefix: ExternalIDPrefix = .default) {
        let loaded: Result<AWSEnvironment, KeywardError>
        do { loaded = .success(try AWSEnvironment.load(environment: processEnvironment, home: processEnvironment["HOME"])) }
        catch let error as KeywardError { loaded = .failure(error) }
        catch { loaded = .failure(.providerUnavailable("The AWS configuration could not be read.", cause: "\(error)")) }
        self.init(environment: loaded, externalIDPrefix: externalIDPrefix)
    }

    public func configuration() throws -> AWSEnvironment { try environment.get() }

    /// The region STS is called in: the platform's own, else the store's.
    func stsRegion(fallback: String) throws -> String { try configuration().region ?? fallback }

    /// GetCallerIdentity, asked once an hour at most.
    public func callerIdentity(region fallback: String = "us-east-1") throws -> AWSCallerIdentity {
        if let (cached, at) = identity.withLock({ $0 }), clock().timeIntervalSince(at) < 3600 { return cached }
        let environment = try configuration()
        let region = environment.region ?? fallback
        do {
            let fetched = try sts.getCallerIdentity(endpoint: environment.endpoint(.sts, region: region), region: region,
                                                    credentials: environment.credentials)
            identity.withLock { $0 = (fetched, clock()) }
            return fetched
        } catch {
            throw Self.platformError(error, action: "GetCallerIdentity")
        }
    }

    /// The answers that mean AWS did not accept the caller's credentials at all.
    static let credentialErrorCodes: Set<String> = [
        "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken", "InvalidSignatureException",
        "ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException", "InvalidAccessKeyId",
    ]

    /// A failure of a call made with the platform's own credentials.
    static func platformError(_ failure: AWSCallFailure, action: String) -> KeywardError {
        switch failure {
        case .service(let error) where error.isThrottling:
            return .throttled("STS throttled \(action): \(error.code)")
        case .service(let error) where error.status < 500:
            return KeywardError(.unavailable, code: "platform_credentials_invalid", title: "The platform's AWS credentials were rejected",
                                detail: "STS \(action) failed: \(error.code): \(error.message)",
                                hint: "The operator must fix the platform's AWS credentials (AWS_ACCESS_KEY_ID / AWS_PROFILE) and restart keyward.",
                                extras: ["aws_error": .string(error.code)])
        case .service(let error):
            return .providerUnavailable("STS \(action) failed: \(error.code)", cause: error.description)
        case .transport(let error):
            return .providerUnavailable("STS could not be reached for \(action)\(error.timedOut ? " (timed out)" : "").", cause: error.message)
        }
    }
}
