import Foundation

/// A project's connections with the state of each reference (ok, out of scope, store deleted), and a Test
/// button that resolves the connection as at run time and tries it against the real system.
enum ConnectionsPanel {
    static let statusLabels = ["ok": "ok", "out_of_scope": "broken: out of scope", "store_deleted": "broken: store deleted"]

    static func render(ws: Int64, p: Int64, csrf: String, api: Console.Call) -> String {
        let items = api("GET", "/v1/workspaces/\(ws)/projects/\(p)/connections", nil).object["items"] as? [[String: Any]] ?? []
        let rows = items.compactMap { connection -> String? in
            guard let id = (connection["id"] as? NSNumber)?.int64Value else { return nil }
            let references = (connection["references"] as? [[String: Any]] ?? []).map { reference in
                let status = reference["status"] as? String ?? ""
                return "<li><code>\(HTML.escape(reference["reference"] as? String ?? ""))</code> in \(HTML.escape(reference["field"] as? String ?? "")): <strong class=\"ref-\(HTML.escape(status))\">\(HTML.escape(statusLabels[status] ?? status))</strong></li>"
            }.joined()
            return """
                <tr><td>\(HTML.escape(connection["name"] as? String ?? ""))</td><td>\(HTML.escape(connection["type"] as? String ?? ""))</td>
                <td>\(references.isEmpty ? "no references" : "<ul>\(references)</ul>")</td>
                <td><form method="post" action="\(ProjectSecretsPage.path(ws, p))/test">
                  <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
                  <input type="hidden" name="connection" value="\(id)">
                  <button type="submit" class="secondary" id="test-\(id)">Test</button>
                </form></td></tr>
                """
        }.joined()
        return """
            <section aria-labelledby="connections-heading">
            <h2 id="connections-heading">Connections</h2>
            \(rows.isEmpty ? "<p>No connections yet.</p>" : "<table><thead><tr><th>Name</th><th>Type</th><th>References</th><th></th></tr></thead><tbody>\(rows)</tbody></table>")
            </section>
            """
    }

    static func testResult(id: Int64, _ result: [String: Any]) -> String {
        let ok = result["ok"] as? Bool ?? false
        let rows = (result["steps"] as? [[String: Any]] ?? []).map { step in
            let hint = (step["hint"] as? String).map { "<br><small>\(HTML.escape($0))</small>" } ?? ""
            return "<tr><td>\(HTML.escape(step["name"] as? String ?? ""))</td><td><strong>\(HTML.escape(step["status"] as? String ?? ""))</strong></td><td>\(HTML.escape(step["detail"] as? String ?? ""))\(hint)</td></tr>"
        }.joined()
        return """
            <section id="test-result" aria-labelledby="test-heading">
            <h2 id="test-heading">Connection test: \(ok ? "passed" : "failed")</h2>
            <div class="\(ok ? "ok" : "error")" role="status"><table><thead><tr><th>Step</th><th>Result</th><th>Detail</th></tr></thead><tbody>\(rows)</tbody></table></div>
            </section>
            """
    }
}
