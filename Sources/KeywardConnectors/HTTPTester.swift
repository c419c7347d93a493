import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KeywardCore

/// Sends `GET base_url` (plus `test_path` if given) with the auth header: `auth_header` is either the
/// Authorization value ("Bearer …") or a whole header ("X-Api-Key: …"). Any answer below 400 passes.
/// Redirects are not followed: a redirect is the answer (following one would take the credential to an
/// address nobody checked).
struct HTTPTester: ConnectionTester {
    func test(_ fields: [String: JSONValue], within targets: TestTargetPolicy) -> ConnectionTestStep {
        guard let base = ConnectionTesters.string(fields, "base_url"),
              let url = URL(string: base + (ConnectionTesters.string(fields, "test_path") ?? "")),
              let scheme = url.scheme, ["http", "https"].contains(scheme), let host = url.host else {
            return ConnectionTestStep("connect", .fail, "An HTTP connection needs a base_url such as https://api.example.com.",
                                      hint: "Set base_url (http or https), and optionally test_path and auth_header.")
        }
        if let refusal = targets.refusal(host: host) { return ConnectionTesters.refused(refusal) }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 5)
        request.httpMethod = "GET"
        if let header = ConnectionTesters.string(fields, "auth_header") {
            if let colon = header.firstIndex(of: ":"), !header[..<colon].contains(" ") {
                request.setValue(header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces), forHTTPHeaderField: String(header[..<colon]))
            } else {
                request.setValue(header, forHTTPHeaderField: "Authorization")
            }
        }
        let target = "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")\(url.path)"
        let started = Date()
        let outcome = Self.send(request)
        let elapsed = Int(Date().timeIntervalSince(started) * 1000)
        switch outcome {
        case .success(let status) where status < 400:
            return ConnectionTestStep("connect", .pass, "GET \(target) answered HTTP \(status) in \(elapsed) ms.")
        case .success(let status) where status == 401 || status == 403:
            return ConnectionTestStep("connect", .fail, "GET \(target) answered HTTP \(status): the credentials were refused.",
                                      hint: "Check the secret auth_header refers to, and its format (\"Bearer …\" or \"Header-Name: value\").")
        case .success(let status):
            return ConnectionTestStep("connect", .fail, "GET \(target) answered HTTP \(status).", hint: "Check base_url and test_path.")
        case .failure(let message):
            return ConnectionTestStep("connect", .fail, "GET \(target) failed: \(message)", hint: "Check base_url, and that Keyward can reach it.")
        }
    }

    enum Outcome { case success(Int), failure(String) }

    static func send(_ request: URLRequest) -> Outcome {
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        session.dataTask(with: request) { _, response, error in
            box.set(error.map { .failure($0.localizedDescription) } ?? .success((response as? HTTPURLResponse)?.statusCode ?? 0))
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 7) == .success else {
            session.invalidateAndCancel()
            return .failure("no answer within 5 s")
        }
        session.finishTasksAndInvalidate()
        return box.get() ?? .failure("no answer")
    }

    final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }

    final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var outcome: Outcome?
        func set(_ value: Outcome) { lock.withLock { outcome = value } }
        func get() -> Outcome? { lock.withLock { outcome } }
    }
}
