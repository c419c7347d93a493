import Foundation
import KeywardCore
import Testing
@testable import KeywardProviders

/// Retries and error reading, specified with a scripted transport: no network, no clock, no sleeping.
@Suite struct AWSClientTests {
    final class ScriptedTransport: AWSTransport, @unchecked Sendable {
        private let lock = NSLock()
        private var answers: [Result<AWSHTTPResponse, AWSTransportError>]
        private(set) var requests: [AWSHTTPRequest] = []

        init(_ answers: [Result<AWSHTTPResponse, AWSTransportError>]) { self.answers = answers }

        func send(_ request: AWSHTTPRequest, timeout: TimeInterval) throws -> AWSHTTPResponse {
            try lock.withLock {
                requests.append(request)
                return try answers.removeFirst().get()
            }
        }
        var count: Int { lock.withLock { requests.count } }
    }

    final class RecordingSleeper: AWSSleeper, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var sleeps: [TimeInterval] = []
        func sleep(_ interval: TimeInterval) { lock.withLock { sleeps.append(interval) } }
    }

    static func json(_ status: Int, _ type: String) -> Result<AWSHTTPResponse, AWSTransportError> {
        .success(AWSHTTPResponse(status: status, headers: ["x-amzn-requestid": "r1"],
                                 body: Array(#"{"__type":"com.amazonaws#\#(type)","message":"m"}"#.utf8)))
    }
    static let ok = Result<AWSHTTPResponse, AWSTransportError>.success(AWSHTTPResponse(status: 200, headers: [:], body: Array("{}".utf8)))

    func call(_ transport: ScriptedTransport, _ sleeper: RecordingSleeper, attempts: Int = 4) throws(AWSCallFailure) -> AWSHTTPResponse {
        let client = AWSClient(transport: transport, retry: AWSRetryPolicy(maxAttempts: attempts, base: 0.1, cap: 0.3),
                               sleeper: sleeper, clock: { Date(timeIntervalSince1970: 1_700_000_000) }, random: { 0.999 })
        return try client.post(service: "secretsmanager", region: "eu-west-1", endpoint: URL(string: "http://127.0.0.1:1")!,
                               credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s"), headers: [], body: [])
    }

    @Test func throttlingAnd5xxAreRetriedWithCappedBackoff() throws {
        let transport = ScriptedTransport([Self.json(400, "ThrottlingException"), Self.json(503, "ServiceUnavailable"),
                                           .failure(AWSTransportError(timedOut: true, message: "t")), Self.ok])
        let sleeper = RecordingSleeper()
        #expect(try call(transport, sleeper).status == 200)
        #expect(transport.count == 4)
        // Full jitter under min(cap, base·2ⁿ): 0.1, 0.2, then capped at 0.3.
        #expect(sleeper.sleeps.map { ($0 * 1000).rounded() / 1000 } == [0.1, 0.2, 0.3])
    }

    @Test func clientErrorsAreNotRetried() {
        let transport = ScriptedTransport([Self.json(400, "ResourceNotFoundException"), Self.ok])
        let sleeper = RecordingSleeper()
        #expect(throws: AWSCallFailure.self) { try call(transport, sleeper) }
        #expect(transport.count == 1)
        #expect(sleeper.sleeps.isEmpty)
    }

    @Test func retriesStopAtTheLimitWithTheLastFailure() {
        let transport = ScriptedTransport([Self.json(500, "InternalServiceError"), Self.json(500, "InternalServiceError")])
        do {
            _ = try call(transport, RecordingSleeper(), attempts: 2)
            Issue.record("expected a failure")
        } catch {
            guard case .service(let aws) = error else { Issue.record("expected a service error"); return }
            #expect(aws.code == "InternalServiceError")
            #expect(aws.requestID == "r1")
        }
        #expect(transport.count == 2)
    }

    @Test func everyAttemptIsSignedForItsHost() throws {
        let transport = ScriptedTransport([Self.ok])
        _ = try call(transport, RecordingSleeper())
        let headers = Dictionary(transport.requests[0].headers, uniquingKeysWith: { a, _ in a })
        #expect(headers["Host"] == "127.0.0.1:1")
        #expect(headers["Authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID/20231114/eu-west-1/secretsmanager/aws4_request") == true)
    }

    @Test func errorsAreReadFromXMLAndJSON() {
        let xml = AWSServiceError(response: AWSHTTPResponse(status: 403, headers: [:], body: Array("""
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>\
            <Message>not authorized</Message></Error><RequestId>abc</RequestId></ErrorResponse>
            """.utf8)))
        #expect(xml == AWSServiceError(status: 403, code: "AccessDenied", message: "not authorized", requestID: "abc"))
        let header = AWSServiceError(response: AWSHTTPResponse(status: 400, headers: ["x-amzn-errortype": "DecryptionFailure:http://x"],
                                                               body: Array(#"{"Message":"kms"}"#.utf8)))
        #expect(header.code == "DecryptionFailure")
        #expect(header.message == "kms")
        let html = AWSServiceError(response: AWSHTTPResponse(status: 502, headers: [:], body: Array("<html>bad gateway".utf8)))
        #expect(html.code == "HTTP502")
        #expect(html.isRetryable)
    }

    @Test func readErrorsMapToTypedCodes() {
        func code(_ status: Int, _ aws: String) -> String {
            AWSSecretsManagerBackend.readError(.service(AWSServiceError(status: status, code: aws, message: "m")), secret: "s", version: nil).code
        }
        #expect(code(400, "ResourceNotFoundException") == "secret_not_found")
        #expect(code(400, "AccessDeniedException") == "access_denied")
        #expect(code(403, "HTTP403") == "access_denied")
        #expect(code(400, "DecryptionFailure") == "decryption_failure")
        #expect(code(400, "ThrottlingException") == "throttled")
        #expect(code(500, "InternalServiceError") == "provider_unavailable")
        #expect(AWSSecretsManagerBackend.readError(.transport(AWSTransportError(timedOut: true, message: "x")), secret: "s", version: nil).code
            == "provider_unavailable")
    }
}

@Suite struct AssumedRoleCacheTests {
    final class Clock: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_000_000)
    }

    @Test func credentialsAreReusedUntilCloseToExpiryThenRefreshed() throws {
        let clock = Clock()
        let cache = AssumedRoleCache(refreshMargin: 300, clock: { clock.now })
        let key = AssumedRoleCache.Key(store: StoreID(1), project: ProjectID(2), roleARN: "arn", externalID: "e", region: "r")
        var calls = 0
        func assume() -> AWSCredentials {
            calls += 1
            return AWSCredentials(accessKeyID: "K\(calls)", secretAccessKey: "s", sessionToken: "t", expiration: clock.now.addingTimeInterval(3600))
        }
        #expect(try cache.credentials(key, assume: assume).accessKeyID == "K1")
        clock.now += 3000
        #expect(try cache.credentials(key, assume: assume).accessKeyID == "K1")
        clock.now += 400
        #expect(try cache.credentials(key, assume: assume).accessKeyID == "K2")
        cache.drop(store: StoreID(1))
        #expect(try cache.credentials(key, assume: assume).accessKeyID == "K3")
    }

    @Test func aFailedAssumeDoesNotStickAndKeysDoNotShare() throws {
        let cache = AssumedRoleCache()
        let a = AssumedRoleCache.Key(store: StoreID(1), project: ProjectID(2), roleARN: "arn", externalID: "e_1_2", region: "r")
        var b = a
        b.project = ProjectID(3)
        b.externalID = "e_1_3"
        #expect(throws: KeywardError.self) { try cache.credentials(a) { throw KeywardError.throttled("t") } }
        let fresh = AWSCredentials(accessKeyID: "A", secretAccessKey: "s", expiration: Date().addingTimeInterval(3600))
        #expect(try cache.credentials(a) { fresh }.accessKeyID == "A")
        #expect(try cache.credentials(b) { AWSCredentials(accessKeyID: "B", secretAccessKey: "s", expiration: Date().addingTimeInterval(3600)) }
            .accessKeyID == "B")
    }
}
