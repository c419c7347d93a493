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
            \(form(ws: ws, p: p, csrf: csrf, secretNames: secretNames(ws: ws, p: p, api: api)))
            """
    }

    /// Names the reference picker offers: the built-in store's secrets, when the project uses it.
    static func secretNames(ws: Int64, p: Int64, api: Console.Call) -> [String] {
        let list = api("GET", "/v1/workspaces/\(ws)/projects/\(p)/secrets", nil)
        guard list.ok else { return [] }
        return (list.object["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    /// A new connection: its fields one per line as name=value, with a picker that writes a reference at
    /// the cursor (`${secret:NAME#key}`), so nobody has to remember the syntax.
    static func form(ws: Int64, p: Int64, csrf: String, secretNames: [String]) -> String {
        let options = secretNames.map { "<option value=\"\(HTML.escape($0))\">" }.joined()
        return """
            <section aria-labelledby="new-connection-heading">
            <h2 id="new-connection-heading">New connection</h2>
            <form method="post" action="\(ProjectSecretsPage.path(ws, p))/connection">
              <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
              <label for="connection-name">Name</label>
              <input type="text" id="connection-name" name="name" required>
              <label for="connection-type">Type</label>
              <select id="connection-type" name="type">
                <option value="postgresql">PostgreSQL (host, port, database, user, password, sslmode)</option>
                <option value="http">HTTP (base_url, auth_header, test_path)</option>
                <option value="generic">Generic (any fields)</option>
              </select>
              <label for="connection-fields">Fields, one per line as name=value</label>
              <textarea id="connection-fields" name="fields" rows="6" style="width:100%;max-width:32rem;font:inherit" required></textarea>
              <fieldset><legend>Insert a secret reference</legend>
                <label for="picker-name">Secret</label>
                <input type="text" id="picker-name" list="secret-names" placeholder="prod/db">
                <datalist id="secret-names">\(options)</datalist>
                <label for="picker-key">Key in a JSON secret (optional)</label>
                <input type="text" id="picker-key" placeholder="password">
                <p><button type="button" class="secondary" id="insert-reference">Insert at the cursor</button></p>
              </fieldset>
              <p><button type="submit" id="save-connection">Create connection</button></p>
            </form>
            <script>
              document.getElementById('insert-reference').addEventListener('click', () => {
                const encode = (text, keep) => Array.from(new TextEncoder().encode(text)).map(b => {
                  const c = String.fromCharCode(b);
                  return /[A-Za-z0-9]/.test(c) || keep.includes(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
                }).join('');
                const name = document.getElementById('picker-name').value.trim();
                if (!name) { document.getElementById('picker-name').focus(); return; }
                const key = document.getElementById('picker-key').value.trim();
                const reference = '${secret:' + encode(name, '/_+=.@-:') + (key ? '#' + key.split('.').map(k => encode(k, '/_+=@-:')).join('.') : '') + '}';
                const area = document.getElementById('connection-fields');
                const at = area.selectionStart ?? area.value.length;
                area.value = area.value.slice(0, at) + reference + area.value.slice(area.selectionEnd ?? at);
                area.focus();
                area.selectionStart = area.selectionEnd = at + reference.length;
              });
            </script>
            </section>
            """
    }

    /// name=value lines into fields; values stay strings (the API keeps them as given).
    static func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { fields[name] = String(line[line.index(after: equals)...]).trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }

    static func testResult(id: Int64, _ result: [String: Any]) -> String {
        let ok = result["ok"] as? Bool ?? false
        return HTML.steps(id: "test-result", heading: "Connection test: \(ok ? "passed" : "failed")", outcome: ok ? "pass" : "fail",
                          label: "Step", result["steps"] as? [[String: Any]] ?? [])
    }
}
