import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An error answer from an AWS service, from either protocol: the query protocol's XML
/// (`<ErrorResponse><Error><Code>…`) or the JSON protocol's `__type` and `message`. Some emulators answer
/// JSON-protocol calls with XML errors, so both are read regardless of the service.
public struct AWSServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var requestID: String?

    public var description: String { "\(code) (HTTP \(status)): \(message)" }

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
        "RequestThrottled", "RequestThrottledException", "SlowDown", "PriorRequestNotComplete", "ProvisionedThroughputExceededException",
    ]

    public var isThrottling: Bool { status == 429 || Self.throttlingCodes.contains(code) }
    /// Throttling and server-side failures: worth another attempt after a pause.
    public var isRetryable: Bool { isThrottling || status >= 500 }

    public init(status: Int, code: String, message: String, requestID: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    public init(response: AWSHTTPResponse) {
        status = response.status
        requestID = response.headers["x-amzn-requestid"] ?? response.headers["x-amz-request-id"]
        var code = response.headers["x-amzn-errortype"].map { String($0.split(separator: ":").first ?? "") }
        var message: String?
        if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] {
            if let type = object["__type"] as? String { code = String(type.split(separator: "#").last ?? "") }
            message = (object["message"] ?? object["Message"]) as? String
        } else if Self.looksLikeXMLError(response.body), let document = try? XMLDocument(data: Data(response.body)) {
            let error = (try? document.nodes(forXPath: "//*[local-name()='Error']"))?.first
            if let text = (try? error?.nodes(forXPath: "./*[local-name()='Code']"))?.first?.stringValue { code = text }
            message = (try? error?.nodes(forXPath: "./*[local-name()='Message']"))?.first?.stringValue
            if requestID == nil { requestID = (try? document.nodes(forXPath: "//*[local-name()='RequestId']"))?.first?.stringValue }
        }
        self.code = (code?.isEmpty == false ? code : nil) ?? "HTTP\(response.status)"
        // Bounded, so a proxy's HTML error page cannot flood logs and problem documents.
        self.message = String((message ?? "").prefix(512))
    }

    /// Only AWS's XML error documents go to the XML parser: libxml2 complains on stderr about anything else
    /// (a proxy's HTML page), and the status code is all such a page is worth.
    static func looksLikeXMLError(_ body: [UInt8]) -> Bool {
        let start = String(decoding: body.prefix(64), as: UTF8.self).drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        return start.hasPrefix("<?xml") || start.hasPrefix("<ErrorResponse") || start.hasPrefix("<Error")
    }
}
