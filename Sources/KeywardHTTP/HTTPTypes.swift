import KeywardCore

public enum HTTPMethod: String, Sendable, CaseIterable, Comparable {
    case GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS

    public static func < (lhs: HTTPMethod, rhs: HTTPMethod) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A complete request as handlers see it: the body is fully read (and bounded) before dispatch.
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    /// Header names are lower-cased.
    public var headers: [String: String]
    public var query: [String: String]
    public var body: [UInt8]
    public var requestID: String

    public init(method: String, path: String, headers: [String: String] = [:], query: [String: String] = [:],
                body: [UInt8] = [], requestID: String = "test") {
        self.method = method
        self.path = path
        self.headers = headers
        self.query = query
        self.body = body
        self.requestID = requestID
    }

    public func header(_ name: String) -> String? {
        // Callers nearly always ask in lower case already; lower-casing costs more than the lookup.
        name.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) ? headers[name.lowercased()] : headers[name]
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    public static let noContent = HTTPResponse(status: 204)

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// What a responder gives back for a request.
public enum HTTPAnswer: Sendable {
    /// The response, now.
    case now(HTTPResponse)
    /// Work that may wait (on a secrets manager, on a server a connection test reaches), and so must not
    /// hold one of the few event-loop threads: the server runs it on its waiting pool with the connection
    /// suspended.
    case later(@Sendable () -> HTTPResponse)
    /// The response, running `later` work on the calling thread (tests, and callers that may block).
    public func response() -> HTTPResponse {
        switch self {
        case .now(let response): response
        case .later(let work): work()
        }
    }
}

/// Turns requests into responses. Called on the server's worker threads, concurrently, so it must be
/// thread-safe; it must not throw, so every failure becomes a response.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) -> HTTPResponse
    /// Called by the server. By default the answer is always `.now(respond(to:))`; a responder that may
    /// wait on something slow answers `.later` for those requests.
    func answer(to request: HTTPRequest) -> HTTPAnswer
}

extension HTTPResponder {
    public func answer(to request: HTTPRequest) -> HTTPAnswer { .now(respond(to: request)) }
}
