import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The CLI's view of the API: JSON in, status and JSON out.
struct APIClient {
    let server: URL
    let token: String?

    struct Response {
        let status: Int
        let body: Data

        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    }

    struct Unreachable: Error, CustomStringConvertible {
        let description: String
    }

    func send(_ method: String, _ path: String, query: [(String, String)] = [], body: [String: Any]? = nil) async throws -> Response {
        guard var components = URLComponents(url: server, resolvingAgainstBaseURL: false) else {
            throw UsageError("--server must be a URL such as http://127.0.0.1:8080")
        }
        components.path = components.path.trimmingSuffix("/") + path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components.url else { throw UsageError("cannot build a URL from --server \(server)") }
        var request = URLRequest(url: url, timeoutInterval: 60)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            return Response(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
        } catch {
            throw Unreachable(description: "cannot reach Keyward at \(server.absoluteString): \(error.localizedDescription). Is `keyward serve` running there?")
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
