import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The AWS query protocol (STS, IAM): `Action`, `Version` and parameters form-encoded in a POST, XML back.
public struct AWSQueryProtocol: Sendable {
    public let client: AWSClient
    public let service: String
    public let version: String

    public init(client: AWSClient, service: String, version: String) {
        self.client = client
        self.service = service
        self.version = version
    }

    public func call(_ action: String, _ parameters: [(String, String)], endpoint: URL, region: String,
                     credentials: AWSCredentials) throws(AWSCallFailure) -> XMLDocument {
        // Form values are encoded exactly as SigV4 encodes query strings (RFC 3986 unreserved as is).
        let form = ([("Action", action), ("Version", version)] + parameters)
            .map { "\(SigV4Signer.encode($0.0))=\(SigV4Signer.encode($0.1))" }.joined(separator: "&")
        let response = try client.post(service: service, region: region, endpoint: endpoint, credentials: credentials,
                                       headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                                       body: Array(form.utf8))
        guard let document = try? XMLDocument(data: Data(response.body)) else {
            throw .service(AWSServiceError(status: response.status, code: "MalformedResponse", message: "\(service) \(action) did not answer XML"))
        }
        return document
    }

    /// The text of the first node `xpath` selects.
    public static func text(_ document: XMLDocument, _ xpath: String) -> String? {
        (try? document.nodes(forXPath: xpath))?.first?.stringValue
    }
}
