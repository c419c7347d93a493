import Foundation
import KeywardCrypto

/// AWS Signature Version 4, as a pure function of a request, credentials and a time: no I/O, no clock, no
/// credential refresh (that is the credential providers' job, as in soto-core). Verified against every
/// case of the AWS SigV4 test suite.
public struct SigV4Signer: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// A request to sign. `path` is the decoded path (as the resource is named); `query` holds decoded
    /// names and values. Header names keep their case; repeated names are allowed.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]
        public var body: [UInt8]

        public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], body: [UInt8] = []) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    /// Where the session token of temporary credentials goes: signed (what STS and Secrets Manager expect),
    /// or added after signing (some services require that).
    public enum SessionTokenPlacement: Sendable { case signed, afterSigning }

    /// The request's headers plus `X-Amz-Date`, the session token if any, and `Authorization`.
    public func sign(_ request: Request, at date: Date, sessionToken placement: SessionTokenPlacement = .signed) -> [(String, String)] {
        let stamp = Self.amzDate(date)
        var headers = request.headers.filter { $0.0.lowercased() != "x-amz-date" && $0.0.lowercased() != "authorization" }
        headers.append(("X-Amz-Date", stamp))
        if let token = credentials.sessionToken, placement == .signed { headers.append(("X-Amz-Security-Token", token)) }
        var signed = request
        signed.headers = headers
        headers.append(("Authorization", authorization(signed, amzDate: stamp)))
        if let token = credentials.sessionToken, placement == .afterSigning { headers.append(("X-Amz-Security-Token", token)) }
        return headers
    }

    public func authorization(_ request: Request, amzDate: String) -> String {
        let canonical = canonicalRequest(request)
        let signature = Hex.encode(HMACSHA256.authenticationCode(key: signingKey(day: String(amzDate.prefix(8))),
                                                                 data: Array(stringToSign(canonicalRequest: canonical, amzDate: amzDate).utf8)))
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(day: String(amzDate.prefix(8)))), "
            + "SignedHeaders=\(signedHeaders(request)), Signature=\(signature)"
    }

    // MARK: The steps, exposed so the test suite can check each one

    public func canonicalRequest(_ request: Request) -> String {
        let encoded: [(String, String)] = request.query.map { (Self.encode($0.0), Self.encode($0.1)) }
        let sorted = encoded.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        let query = sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let headers = canonicalHeaders(request)
        let headerLines = headers.map { "\($0.0):\($0.1)\n" }.joined()
        let names = headers.map(\.0).joined(separator: ";")
        let payload = Hex.encode(SHA256.hash(request.body))
        return [request.method, Self.canonicalPath(request.path), query, headerLines, names, payload].joined(separator: "\n")
    }

    public func stringToSign(canonicalRequest: String, amzDate: String) -> String {
        ["AWS4-HMAC-SHA256", amzDate, scope(day: String(amzDate.prefix(8))), Hex.encode(SHA256.hash(canonicalRequest))]
            .joined(separator: "\n")
    }

    func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    func signingKey(day: String) -> [UInt8] {
        let date = HMACSHA256.authenticationCode(key: Array("AWS4\(credentials.secretAccessKey)".utf8), data: Array(day.utf8))
        let region = HMACSHA256.authenticationCode(key: date, data: Array(self.region.utf8))
        let service = HMACSHA256.authenticationCode(key: region, data: Array(self.service.utf8))
        return HMACSHA256.authenticationCode(key: service, data: Array("aws4_request".utf8))
    }

    func signedHeaders(_ request: Request) -> String { canonicalHeaders(request).map(\.0).joined(separator: ";") }

    /// Lower-cased names in order; values trimmed, inner runs of spaces collapsed, repeats joined by commas
    /// in the order they were given.
    func canonicalHeaders(_ request: Request) -> [(String, String)] {
        var merged: [String: [String]] = [:]
        for (name, value) in request.headers {
            merged[name.lowercased(), default: []].append(Self.collapse(value))
        }
        return merged.keys.sorted().map { ($0, merged[$0]!.joined(separator: ",")) }
    }

    static func collapse(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    /// Removes `.` and `..` segments and empty segments, then percent-encodes each segment. A trailing slash
    /// is kept.
    static func canonicalPath(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        var result = "/" + segments.map { encode(String($0)) }.joined(separator: "/")
        if path.hasSuffix("/") && !segments.isEmpty { result += "/" }
        return result
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 requires.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    public static func amzDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}
