import Foundation
import KeywardCore
import KeywardHTTP

/// The workspace's audit trail, filtered by action, project, outcome and time, one page at a time.
enum AuditPage {
    static let filters = ["action", "project", "outcome", "since", "until", "cursor"]

    static func show(ws: Int64, query: [String: String], session: ConsoleSessions.Session, api: Console.Call) -> HTTPResponse {
        var parameters = filters.compactMap { name in query[name].flatMap { $0.isEmpty ? nil : "\(name)=\(encode($0))" } }
        parameters.append("limit=50")
        let result = api("GET", "/v1/workspaces/\(ws)/audit?\(parameters.joined(separator: "&"))", nil)
        let title = "Audit trail"
        let form = filterForm(ws: ws, query)
        guard result.ok else {
            return Console.html(status: result.status, HTML.page(title: title, signedIn: true, csrf: session.csrf,
                                                                 body: form + HTML.problem(result.object)))
        }
        let rows = (result.object["items"] as? [[String: Any]] ?? []).map { event in
            let details = (event["details"] as? [String: Any]).flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .withoutEscapingSlashes]) }
                .map { String(decoding: $0, as: UTF8.self) } ?? ""
            func text(_ key: String) -> String { HTML.escape(HTML.text(event[key])) }
            return "<tr><td>\(text("at"))</td><td>\(text("action"))</td><td>\(text("actor_role")) <code>\(text("actor_token_id"))</code></td><td>\(text("project_id"))</td><td>\(text("outcome"))</td><td><code>\(HTML.escape(details))</code></td></tr>"
        }.joined()
        var next = ""
        if let cursor = result.object["next_cursor"] as? String {
            var following = query
            following["cursor"] = cursor
            next = "<p><a href=\"/console/workspaces/\(ws)/audit?\(filters.compactMap { name in following[name].map { "\(name)=\(encode($0))" } }.joined(separator: "&"))\">Next page</a></p>"
        }
        let table = rows.isEmpty ? "<p>No records match.</p>"
            : "<table><thead><tr><th>When</th><th>Action</th><th>Who</th><th>Project</th><th>Outcome</th><th>Details</th></tr></thead><tbody>\(rows)</tbody></table>"
        return Console.html(status: 200, HTML.page(title: title, signedIn: true, csrf: session.csrf,
                                                   body: form + "<section id=\"audit-records\">\(table)\(next)</section>"))
    }

    static func filterForm(ws: Int64, _ query: [String: String]) -> String {
        let actions = ["": "any action"].merging(Dictionary(uniqueKeysWithValues: AuditAction.allCases.map { ($0.rawValue, $0.rawValue) })) { a, _ in a }
        let options = actions.keys.sorted().map { value in
            "<option value=\"\(HTML.escape(value))\"\(query["action"] == value ? " selected" : "")>\(HTML.escape(actions[value] ?? value))</option>"
        }.joined()
        func field(_ name: String, _ label: String, _ placeholder: String) -> String {
            "<label for=\"filter-\(name)\">\(label)</label><input type=\"text\" id=\"filter-\(name)\" name=\"\(name)\" value=\"\(HTML.escape(query[name] ?? ""))\" placeholder=\"\(placeholder)\">"
        }
        return """
            <section aria-labelledby="filter-heading">
            <h2 id="filter-heading">Filter</h2>
            <form method="get" action="/console/workspaces/\(ws)/audit">
              <label for="filter-action">Action</label><select id="filter-action" name="action">\(options)</select>
              \(field("project", "Project id", "7"))
              \(field("outcome", "Outcome", "success, or an error code"))
              \(field("since", "Since", "2026-12-01T00:00:00Z"))
              \(field("until", "Until", "2026-12-31T00:00:00Z"))
              <p><button type="submit" id="apply-filter">Filter</button></p>
            </form>
            </section>
            """
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }
}
