import struct Foundation.Date

/// A set of AWS credentials: long-term (access key and secret) or temporary (with a session token and an
/// expiry). The secret is never printed: `description` shows the access key id only.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var expiration: Date?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    public var description: String { "AWSCredentials(\(accessKeyID), secret redacted)" }
    /// Also redacted, so `debugPrint`, `dump` of a containing value and test failure messages stay clean.
    public var debugDescription: String { description }
}
