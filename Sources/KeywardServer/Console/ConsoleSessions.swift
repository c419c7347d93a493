import Foundation
import KeywardCore
import KeywardCrypto
import Synchronization

/// Signed-in console users. A session holds the API token the user signed in with, in memory only, so
/// every page is built through the API with that token and RBAC stays where it is enforced; the browser
/// holds only a random session id (HttpOnly, SameSite=Strict) and sends a per-session CSRF token with
/// every form.
final class ConsoleSessions: Sendable {
    struct Session: Sendable {
        let apiToken: String
        let csrf: String
        let expires: Date
    }

    static let lifetime: TimeInterval = 8 * 3600
    private let sessions = Mutex<[String: Session]>([:])

    func create(apiToken: String) -> (id: String, session: Session) {
        let id = SecureRandom.token(byteCount: 32)
        let session = Session(apiToken: apiToken, csrf: SecureRandom.token(byteCount: 32), expires: Date().addingTimeInterval(Self.lifetime))
        sessions.withLock { sessions in
            // Expired sessions go whenever a new one is made.
            let now = Date()
            sessions = sessions.filter { $0.value.expires > now }
            sessions[id] = session
        }
        return (id, session)
    }

    func session(_ id: String?) -> Session? {
        guard let id else { return nil }
        return sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > Date() else {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }
}

/// `application/x-www-form-urlencoded` bodies and `Cookie` headers.
enum FormEncoding {
    static func parse(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return fields
    }

    static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    static func cookies(_ header: String?) -> [String: String] {
        var cookies: [String: String] = [:]
        for part in (header ?? "").split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            cookies[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(in: .whitespaces)
        }
        return cookies
    }
}
