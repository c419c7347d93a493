import Foundation

/// Why a call to AWS produced no usable answer.
public enum AWSCallFailure: Error, Sendable, CustomStringConvertible {
    /// AWS answered with an error.
    case service(AWSServiceError)
    /// No answer: connection refused or reset, or a timeout.
    case transport(AWSTransportError)

    public var description: String {
        switch self {
        case .service(let error): error.description
        case .transport(let error): error.description
        }
    }

    var isRetryable: Bool {
        switch self {
        case .service(let error): error.isRetryable
        case .transport: true
        }
    }
}

/// Signs and sends one AWS call, retrying throttling, 5xx and transport failures with capped, jittered
/// backoff. Every attempt is signed afresh (the signature covers the time).
public struct AWSClient: Sendable {
    public let transport: any AWSTransport
    public let retry: AWSRetryPolicy
    let sleeper: any AWSSleeper
    let clock: @Sendable () -> Date
    let random: @Sendable () -> Double

    public init(transport: any AWSTransport = URLSessionTransport(), retry: AWSRetryPolicy = AWSRetryPolicy(),
                sleeper: any AWSSleeper = ThreadSleeper(), clock: @escaping @Sendable () -> Date = Date.init,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.transport = transport
        self.retry = retry
        self.sleeper = sleeper
        self.clock = clock
        self.random = random
    }

    /// POSTs `body` to `endpoint`, signed for `service` in `region`. Returns a 2xx response or throws
    /// `AWSCallFailure` with the last attempt's failure.
    public func post(service: String, region: String, endpoint: URL, credentials: AWSCredentials,
                     headers extra: [(String, String)], body: [UInt8]) throws(AWSCallFailure) -> AWSHTTPResponse {
        let host = endpoint.port.map { "\(endpoint.host ?? ""):\($0)" } ?? (endpoint.host ?? "")
        let path = endpoint.path.isEmpty ? "/" : endpoint.path
        let signer = SigV4Signer(credentials: credentials, region: region, service: service)
        var attempt = 1
        while true {
            let unsigned = SigV4Signer.Request(method: "POST", path: path, headers: [("Host", host)] + extra, body: body)
            let headers = signer.sign(unsigned, at: clock()) + [("User-Agent", "keyward")]
            let failure: AWSCallFailure
            do {
                let response = try transport.send(AWSHTTPRequest(url: endpoint, method: "POST", headers: headers, body: body),
                                                  timeout: retry.timeout)
                if (200..<300).contains(response.status) { return response }
                failure = .service(AWSServiceError(response: response))
            } catch let error as AWSTransportError {
                failure = .transport(error)
            } catch {
                failure = .transport(AWSTransportError(timedOut: false, message: "\(error)"))
            }
            guard failure.isRetryable, attempt < retry.maxAttempts else { throw failure }
            sleeper.sleep(retry.delay(beforeRetry: attempt, random: random()))
            attempt += 1
        }
    }
}
