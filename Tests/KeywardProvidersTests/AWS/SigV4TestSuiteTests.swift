import Foundation
import Testing
@testable import KeywardProviders

/// Every case of the AWS SigV4 test suite (../shared/testdata/aws-sigv4-testsuite): the canonical
/// request, the string to sign, and the Authorization header must each match AWS's expected text.
@Suite struct SigV4TestSuiteTests {
    static let suite = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/testdata/aws-sigv4-testsuite")

    static let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    /// The session token a case signs with: the suite's readme gives one for the post-sts-token cases, and
    /// get-vanilla-with-session-token's canonical request shows its own.
    static func sessionToken(for name: String) -> String? {
        if name.contains("post-sts-token") { return token }
        if name.hasSuffix("get-vanilla-with-session-token") { return "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267" }
        return nil
    }

    /// Every directory holding a `.req`, found by walking the suite.
    static var cases: [String] {
        guard let walker = FileManager.default.enumerator(at: suite, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { ($0 as? URL)?.path }
            .filter { $0.hasSuffix(".req") }
            .map { String($0.dropFirst(suite.path.count + 1).dropLast(4)) }
            .sorted()
    }

    @Test func theWholeSuiteIsPresent() {
        #expect(Self.cases.count >= 30, "found \(Self.cases.count) cases under \(Self.suite.path)")
    }

    @Test(arguments: cases)
    func matchesAWS(_ name: String) throws {
        let base = Self.suite.appendingPathComponent(name)
        func read(_ ext: String) throws -> String { try String(contentsOf: base.appendingPathExtension(ext), encoding: .utf8) }
        let parsed = try ParsedRequest(try read("req"))
        let afterSigning = name.hasSuffix("post-sts-header-after")
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                         sessionToken: Self.sessionToken(for: name))
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")

        // Sign from scratch: the signer adds the date (and the session token) itself.
        var unsigned = parsed.request
        unsigned.headers.removeAll { ["x-amz-date", "x-amz-security-token"].contains($0.0.lowercased()) }
        let placement: SigV4Signer.SessionTokenPlacement = afterSigning ? .afterSigning : .signed
        let signed = signer.sign(unsigned, at: parsed.date, sessionToken: placement)
        #expect(signed.first { $0.0 == "Authorization" }?.1 == (try read("authz")), "authorization of \(name)")
        if let token = credentials.sessionToken { #expect(signed.contains { $0.0 == "X-Amz-Security-Token" && $0.1 == token }) }

        // Each intermediate step matches too, computed on the headers that were signed.
        var asSigned = unsigned
        asSigned.headers = signed.filter { $0.0 != "Authorization" && !(afterSigning && $0.0 == "X-Amz-Security-Token") }
        let canonical = signer.canonicalRequest(asSigned)
        #expect(canonical == (try read("creq")), "canonical request of \(name)")
        #expect(signer.stringToSign(canonicalRequest: canonical, amzDate: parsed.amzDate) == (try read("sts")), "string to sign of \(name)")
    }

    @Test func credentialsNeverPrintTheirSecret() {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG", sessionToken: "tok")
        #expect(!"\(credentials)".contains("wJalr"))
        #expect(!"\(credentials)".contains("tok"))
        #expect(!String(reflecting: credentials).contains("wJalr"))
    }
}

/// A `.req` file: request line, headers (a folded line continues the header above it),
/// a blank line, the body.
struct ParsedRequest {
    var request: SigV4Signer.Request
    var amzDate: String
    var date: Date

    init(_ text: String) throws {
        let (head, body) = text.range(of: "\n\n").map { (String(text[..<$0.lowerBound]), String(text[$0.upperBound...])) } ?? (text, "")
        var lines = head.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        guard let firstSpace = requestLine.firstIndex(of: " "), let version = requestLine.range(of: " HTTP/", options: .backwards) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        let method = String(requestLine[..<firstSpace])
        let target = String(requestLine[requestLine.index(after: firstSpace)..<version.lowerBound])
        let (path, query) = target.firstIndex(of: "?").map { (String(target[..<$0]), String(target[target.index(after: $0)...])) } ?? (target, "")
        var headers: [(String, String)] = []
        for line in lines {
            if line.first == " " || line.first == "\t", let last = headers.popLast() {
                // A folded line continues the value above it.
                headers.append((last.0, last.1 + "\n" + line))
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        let pairs: [(String, String)] = query.isEmpty ? [] : query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(String(parts[0])), parts.count > 1 ? Self.decode(String(parts[1])) : "")
        }
        request = SigV4Signer.Request(method: method, path: Self.decode(path), query: pairs, headers: headers, body: Array(body.utf8))
        amzDate = headers.first { $0.0.lowercased() == "x-amz-date" }?.1 ?? ""
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        guard let date = formatter.date(from: amzDate) else { throw CocoaError(.fileReadCorruptFile) }
        self.date = date
    }

    static func decode(_ text: String) -> String { text.removingPercentEncoding ?? text }
}
