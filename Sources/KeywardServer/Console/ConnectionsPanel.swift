import Foundation

/// A project's connections with the state of each reference (ok, stale, broken: out of scope or store
/// deleted), a Test button that resolves the connection as at run time and tries it against the real
/// system, and editing and deleting (with a confirmation step).
enum ConnectionsPanel {
    static let statusLabels = ["ok": "ok", "out_of_scope": "broken: out of scope", "store_deleted": "broken: store deleted"]

    /// The label of one reference: its binding status, and for a working one whether it is served stale.
    static func label(status: String, cache: String?) -> (css: String, text: String) {
        if status == "ok" && cache == "stale" {
            return ("stale", "stale: the secrets manager is failing; the last value read is served")
        }
        return (status, statusLabels[status] ?? status)
    }

    static func render(ws: Int64, p: Int64, csrf: String, api: Console.Call) -> String {
        let items = api("GET", "/v1/workspaces/\(ws)/projects/\(p)/connections", nil).object["items"] as? [[String: Any]] ?? []
        let action = ProjectSecretsPage.path(ws, p)
        let rows = items.compactMap { connection -> String? in
            guard let id = (connection["id"] as? NSNumber)?.int64Value else { return nil }
            let name = connection["name"] as? String ?? ""
            let references = (connection["references"] as? [[String: Any]] ?? []).map { reference in
                let (css, text) = label(status: reference["status"] as? String ?? "", cache: reference["cache"] as? String)
                return "<li><code>\(HTML.escape(reference["reference"] as? String ?? ""))</code> in \(HTML.escape(reference["field"] as? String ?? "")): <strong class=\"ref-\(HTML.escape(css))\">\(HTML.escape(text))</strong></li>"
            }.joined()
            return """
                <tr><td>\(HTML.escape(name))</td><td>\(HTML.escape(connection["type"] as? String ?? ""))</td>
                <td>\(references.isEmpty ? "no references" : "<ul>\(references)</ul>")</td>
                <td><form method="post" action="\(action)/test">
                  <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
                  <input type="hidden" name="connection" value="\(id)">
                  <button type="submit" class="secondary" id="test-\(id)">Test</button>
                </form>
                <details id="edit-\(id)"><summary>Edit</summary>
                <form method="post" action="\(action)/connection-update">
                  <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
                  <input type="hidden" name="connection" value="\(id)">
                  <label for="edit-name-\(id)">Name</label>
                  <input type="text" id="edit-name-\(id)" name="name" value="\(HTML.escape(name))" required>
                  <label for="edit-fields-\(id)">Fields, one per line as name=value</label>
                  <textarea id="edit-fields-\(id)" name="fields" rows="5">\(HTML.escape(lines(connection["fields"])))</textarea>
                  <p><button type="submit" id="save-\(id)">Save changes</button></p>
                </form>
                <form method="post" action="\(action)/connection-delete">
                  <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
                  <input type="hidden" name="connection" value="\(id)">
                  <input type="hidden" name="name" value="\(HTML.escape(name))">
                  <button type="submit" class="secondary" id="delete-\(id)">Delete…</button>
                </form>
                </details></td></tr>
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

    /// A connection's fields as the form edits them: name=value per line, strings as they are, other JSON
    /// values as JSON.
    static func lines(_ fields: Any?) -> String {
        guard let fields = fields as? [String: Any] else { return "" }
        return fields.keys.sorted().map { name in
            let value = fields[name]
            if let text = value as? String { return "\(name)=\(text)" }
            let data = value.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed, .sortedKeys]) }
            return "\(name)=\(data.map { String(decoding: $0, as: UTF8.self) } ?? "")"
        }.joined(separator: "\n")
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
