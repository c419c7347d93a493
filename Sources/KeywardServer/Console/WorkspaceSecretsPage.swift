import Foundation
import KeywardHTTP

/// Workspace Settings › Secrets management: the add-on, the scope choice, and switching it the safe way —
/// the warning, then a confirmation dialog listing exactly which references stop working (the API's
/// preview), then the switch with the preview's confirmation token.
enum WorkspaceSecretsPage {
    static let choices = [
        ("workspace", "One configuration for the whole workspace"),
        ("project", "Set up secrets management for each project individually"),
    ]

    static func show(ws: Int64, session: ConsoleSessions.Session, request: HTTPRequest, api: Console.Call) -> HTTPResponse {
        let settings = api("GET", "/v1/workspaces/\(ws)/secrets-management", nil)
        let workspace = api("GET", "/v1/workspaces/\(ws)", nil).object
        let title = "\(workspace["name"] as? String ?? "Workspace \(ws)") › Secrets management"
        guard settings.ok else {
            return Console.html(status: settings.status, HTML.page(title: title, signedIn: true, csrf: session.csrf,
                                                                    body: addonSection(settings.object) + HTML.problem(settings.object)))
        }
        let switched = request.query["switched"].map { "<div class=\"ok\" role=\"status\"><p>The scope is now <strong>\(HTML.escape($0))</strong>. The switch is in the audit trail.</p></div>" } ?? ""
        return Console.html(status: 200, HTML.page(title: title, signedIn: true, csrf: session.csrf,
                                                   body: switched + status(settings.object) + scopeForm(ws: ws, settings.object, csrf: session.csrf)
                                                       + projects(ws: ws, api: api)))
    }

    static func switchScope(ws: Int64, form: [String: String], session: ConsoleSessions.Session, api: Console.Call) -> HTTPResponse {
        let title = "Secrets management"
        guard let scope = form["scope"], choices.contains(where: { $0.0 == scope }) else {
            return Console.html(status: 400, HTML.page(title: title, signedIn: true, csrf: session.csrf,
                                                       body: HTML.problem(["detail": "Choose one of the two scopes."])))
        }
        if let confirmation = form["confirmation"] {
            let result = api("PUT", "/v1/workspaces/\(ws)/secrets-management/scope", ["scope": scope, "confirmation": confirmation])
            guard result.ok else {
                return Console.html(status: result.status, HTML.page(title: title, signedIn: true, csrf: session.csrf,
                                                                     body: HTML.problem(result.object) + back(ws)))
            }
            return Console.redirect("/console/workspaces/\(ws)/secrets-management?switched=\(scope)")
        }
        let preview = api("POST", "/v1/workspaces/\(ws)/secrets-management/scope/preview", ["scope": scope])
        guard preview.ok else {
            return Console.html(status: preview.status, HTML.page(title: title, signedIn: true, csrf: session.csrf,
                                                                  body: HTML.problem(preview.object) + back(ws)))
        }
        return Console.html(status: 200, HTML.page(title: title, signedIn: true, csrf: session.csrf,
                                                   body: confirmDialog(ws: ws, scope: scope, preview.object, csrf: session.csrf)))
    }

    // MARK: Parts

    static func addonSection(_ problem: [String: Any]) -> String {
        guard problem["code"] as? String == "addon_required" else { return "" }
        return "<section><h2>Add-on</h2><p>Secrets management needs the <strong>Advanced Security</strong> add-on, which this workspace does not have.</p></section>"
    }

    static func status(_ settings: [String: Any]) -> String {
        let store = settings["store"] as? [String: Any]
        let provider = store?["provider"] as? String
        let references = settings["references"] as? [String: Any] ?? [:]
        func count(_ key: String) -> Int { (references[key] as? NSNumber)?.intValue ?? 0 }
        return """
            <section aria-labelledby="status-heading">
            <h2 id="status-heading">Status</h2>
            <p>Add-on: <strong>Advanced Security</strong> (active).</p>
            <p>Workspace secrets manager: <strong>\(HTML.escape(provider ?? "none"))</strong>.</p>
            <p>References: <strong>\(count("ok"))</strong> working, <strong>\(count("out_of_scope"))</strong> out of scope, <strong>\(count("store_deleted"))</strong> with a deleted store.</p>
            </section>
            """
    }

    static func scopeForm(ws: Int64, _ settings: [String: Any], csrf: String) -> String {
        let current = settings["scope"] as? String ?? "workspace"
        let options = choices.map { value, label in
            """
            <label><input type="radio" name="scope" value="\(value)"\(value == current ? " checked" : "")> \(HTML.escape(label))</label>
            """
        }.joined(separator: "\n")
        return """
            <section aria-labelledby="scope-heading">
            <h2 id="scope-heading">Scope</h2>
            <form method="post" action="/console/workspaces/\(ws)/secrets-management/scope">
              <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
              <fieldset><legend>How is secrets management set up?</legend>
              \(options)
              </fieldset>
              <p class="warning">Switching the scope makes every secret reference configured under the current scope stop working. You will see exactly which ones before anything changes.</p>
              <p><button type="submit" id="save-scope">Save changes</button></p>
            </form>
            </section>
            """
    }

    static func confirmDialog(ws: Int64, scope: String, _ preview: [String: Any], csrf: String) -> String {
        let breaking = preview["breaking"] as? [[String: Any]] ?? []
        let restored = preview["restored"] as? [[String: Any]] ?? []
        let label = choices.first { $0.0 == scope }?.1 ?? scope
        func rows(_ items: [[String: Any]]) -> String {
            items.map { item in
                let project = HTML.escape(item["project_name"] as? String ?? "")
                let connection = HTML.escape(item["connection_name"] as? String ?? "")
                let field = HTML.escape(item["field"] as? String ?? "")
                let reference = HTML.escape(item["reference"] as? String ?? "")
                return "<tr><td>\(project)</td><td>\(connection)</td><td>\(field)</td><td><code>\(reference)</code></td></tr>"
            }.joined()
        }
        let table = { (items: [[String: Any]]) in
            "<table><thead><tr><th>Project</th><th>Connection</th><th>Field</th><th>Reference</th></tr></thead><tbody>\(rows(items))</tbody></table>"
        }
        let breakingText = breaking.isEmpty ? "<p>No saved reference stops working.</p>"
            : "<p><strong>\(breaking.count) reference(s) will stop working:</strong></p>\(table(breaking))"
        let restoredText = restored.isEmpty ? "" : "<p>\(restored.count) reference(s) will work again:</p>\(table(restored))"
        return """
            <section>
            <p class="warning">All previously configured references to external secrets under the current scope will stop working.</p>
            <p><a href="/console/workspaces/\(ws)/secrets-management">Back without changing anything</a></p>
            </section>
            <dialog id="confirm-switch" aria-labelledby="confirm-heading">
              <h2 id="confirm-heading">Switch to “\(HTML.escape(label))”?</h2>
              \(breakingText)
              \(restoredText)
              <form method="post" action="/console/workspaces/\(ws)/secrets-management/scope">
                <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
                <input type="hidden" name="scope" value="\(HTML.escape(scope))">
                <input type="hidden" name="confirmation" value="\(HTML.escape(preview["confirmation"] as? String ?? ""))">
                <p><button type="submit" id="confirm-button">Switch scope</button>
                <a href="/console/workspaces/\(ws)/secrets-management" id="cancel-button">Cancel</a></p>
              </form>
            </dialog>
            <script>
              // A modal dialog keeps keyboard focus inside until it is answered; Escape cancels.
              const dialog = document.getElementById('confirm-switch');
              dialog.showModal();
              dialog.addEventListener('cancel', () => { location.href = '/console/workspaces/\(ws)/secrets-management'; });
              // Tab and Shift+Tab cycle through the dialog's controls instead of leaving it.
              dialog.addEventListener('keydown', (event) => {
                if (event.key !== 'Tab') return;
                const controls = Array.from(dialog.querySelectorAll('button, a[href]'));
                const at = controls.indexOf(document.activeElement);
                const next = (at + (event.shiftKey ? controls.length - 1 : 1)) % controls.length;
                controls[at < 0 ? 0 : next].focus();
                event.preventDefault();
              });
              document.getElementById('confirm-button').focus();
            </script>
            """
    }

    static func projects(ws: Int64, api: Console.Call) -> String {
        let items = api("GET", "/v1/workspaces/\(ws)/projects", nil).object["items"] as? [[String: Any]] ?? []
        let rows = items.compactMap { item -> String? in
            guard let id = (item["id"] as? NSNumber)?.int64Value else { return nil }
            return "<tr><td>\(HTML.escape(item["name"] as? String ?? ""))</td><td><a href=\"\(ProjectSecretsPage.path(ws, id))\">Project Settings › Secrets management</a></td></tr>"
        }.joined()
        return "<section aria-labelledby=\"projects-heading\"><h2 id=\"projects-heading\">Projects</h2><table><thead><tr><th>Project</th><th>Settings</th></tr></thead><tbody>\(rows)</tbody></table></section>"
    }

    static func back(_ ws: Int64) -> String {
        "<p><a href=\"/console/workspaces/\(ws)/secrets-management\">Back to secrets management</a></p>"
    }
}
