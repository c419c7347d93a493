import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange with an AWS endpoint, already signed.
public struct AWSHTTPRequest: Sendable {
    public var url: URL
    public var method: String
    public var headers: [(String, String)]
    public var body: [UInt8]
}

public struct AWSHTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends requests. A seam so that retries and error mapping can be specified without a network; the real
/// one is `URLSessionTransport`.
public protocol AWSTransport: Sendable {
    /// Throws `AWSTransportError` when no HTTP response arrived (refused, reset, timed out).
    func send(_ request: AWSHTTPRequest, timeout: TimeInterval) throws -> AWSHTTPResponse
}

public struct AWSTransportError: Error, Sendable, CustomStringConvertible {
    public var timedOut: Bool
    public var message: String
    public var description: String { message }

    public init(timedOut: Bool, message: String) {
        self.timedOut = timedOut
        self.message = message
    }
}

/// URLSession, waited on synchronously: the callers run on the HTTP server's worker threads, which may block.
public final class URLSessionTransport: AWSTransport {
    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.httpMaximumConnectionsPerHost = 32
        session = URLSession(configuration: configuration)
    }

    public func send(_ request: AWSHTTPRequest, timeout: TimeInterval) throws -> AWSHTTPResponse {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = Data(request.body)

        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: urlRequest) { data, response, error in
            outcome.set(data, response, error)
            done.signal()
        }
        task.resume()
        // URLSession enforces `timeout` between bytes; this bounds the whole exchange as well.
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            throw AWSTransportError(timedOut: true, message: "no response from \(request.url.host ?? "") within \(Int(timeout)) s")
        }
        let (data, response, error) = outcome.get()
        if let error {
            let timedOut = (error as? URLError)?.code == .timedOut
            throw AWSTransportError(timedOut: timedOut, message: "\(request.url.host ?? ""): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw AWSTransportError(timedOut: false, message: "\(request.url.host ?? ""): not an HTTP response")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return AWSHTTPResponse(status: http.statusCode, headers: headers, body: Array(data ?? Data()))
    }

    /// The completion handler's results, handed from URLSession's queue to the waiting thread.
    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        private var response: URLResponse?
        private var error: Error?

        func set(_ data: Data?, _ response: URLResponse?, _ error: Error?) {
            lock.withLock { (self.data, self.response, self.error) = (data, response, error) }
        }

        func get() -> (Data?, URLResponse?, Error?) { lock.withLock { (data, response, error) } }
    }
}
