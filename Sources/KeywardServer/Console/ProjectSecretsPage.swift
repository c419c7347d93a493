import Foundation
import KeywardCore
import KeywardHTTP

/// Project Settings › Secrets management: "Which secrets manager do you want to use?", then for AWS the
/// guide's two steps — what to create in AWS (account, External ID, policies, each with a copy button) and
/// adding the role (ARN with inline validation, then Verify with each check's result) — and for the
/// built-in store its secrets (names and versions only) with adding a secret or a new version.
enum ProjectSecretsPage {
    static func path(_ ws: Int64, _ p: Int64) -> String { "/console/workspaces/\(ws)/projects/\(p)/secrets-management" }
    static func apiPath(_ ws: Int64, _ p: Int64) -> String { "/v1/workspaces/\(ws)/projects/\(p)/secrets-management" }

    static func show(ws: Int64, p: Int64, session: ConsoleSessions.Session, api: Console.Call, notice: String = "") -> HTTPResponse {
        let project = api("GET", "/v1/workspaces/\(ws)/projects/\(p)", nil)
        let title = "\(project.object["name"] as? String ?? "Project \(p)") › Secrets management"
        let settings = api("GET", apiPath(ws, p), nil)
        guard project.ok, settings.ok else {
            return Console.html(status: project.ok ? settings.status : project.status,
                                HTML.page(title: title, signedIn: true, csrf: session.csrf, body: HTML.problem(project.ok ? settings.object : project.object)))
        }
        let store = settings.object["store"] as? [String: Any]
        let provider = store?["provider"] as? String
        let scopeNote = settings.object["scope"] as? String == "workspace"
            ? "<p class=\"warning\">This workspace uses one configuration for all projects. The project's own secrets manager serves its connections only after the workspace switches to per-project scope.</p>"
            : ""
        var body = notice + scopeNote + choice(ws: ws, p: p, store: store, csrf: session.csrf)
        if provider == "aws_secrets_manager" {
            body += awsGuides(ws: ws, p: p, store: store ?? [:], csrf: session.csrf, api: api)
        } else if provider == "builtin" {
            body += builtinSecrets(ws: ws, p: p, csrf: session.csrf, api: api)
        }
        body += migrationPanel(ws: ws, p: p, settings.object, csrf: session.csrf)
        body += ConnectionsPanel.render(ws: ws, p: p, csrf: session.csrf, api: api)
        return Console.html(status: 200, HTML.page(title: title, signedIn: true, csrf: session.csrf, body: body + copyScript))
    }

    /// The forms of this page, by their last path segment.
    static func post(ws: Int64, p: Int64, action: String, form: [String: String], session: ConsoleSessions.Session, api: Console.Call) -> HTTPResponse {
        switch action {
        case "store":
            var settings: [String: Any] = [:]
            let provider = form["provider"] ?? ""
            if provider == "aws_secrets_manager" { settings["region"] = form["region"] ?? "" }
            return outcome(ws, p, session, api, api("PUT", apiPath(ws, p), ["provider": provider, "settings": settings]),
                           done: "The secrets manager is saved.")
        case "role":
            let current = api("GET", apiPath(ws, p), nil).object["store"] as? [String: Any]
            var settings = current?["settings"] as? [String: Any] ?? [:]
            settings["role_arn"] = (form["role_arn"] ?? "").trimmingCharacters(in: .whitespaces)
            return outcome(ws, p, session, api, api("PUT", apiPath(ws, p), ["provider": "aws_secrets_manager", "settings": settings]),
                           done: "The role is saved. Verify it below.")
        case "verify":
            var request: [String: Any] = [:]
            if let sample = form["sample_secret"], !sample.isEmpty { request["sample_secret"] = sample }
            let result = api("POST", "\(apiPath(ws, p))/verify", request)
            guard result.ok else { return outcome(ws, p, session, api, result, done: "") }
            return show(ws: ws, p: p, session: session, api: api, notice: checks(result.object))
        case "migrate":
            let apply = form["apply"] == "true"
            let result = api("POST", "\(apiPath(ws, p))/migrate", ["dry_run": !apply])
            guard result.ok else { return outcome(ws, p, session, api, result, done: "") }
            return show(ws: ws, p: p, session: session, api: api, notice: migration(result.object, apply: apply))
        case "test":
            guard let id = form["connection"].flatMap(Int64.init), id > 0 else { return unnamed(ws, p, session, api, "connection") }
            let result = api("POST", "/v1/connections/\(id)/test", nil)
            guard result.ok else { return outcome(ws, p, session, api, result, done: "") }
            return show(ws: ws, p: p, session: session, api: api, notice: ConnectionsPanel.testResult(id: id, result.object))
        case "connection":
            let result = api("POST", "/v1/workspaces/\(ws)/projects/\(p)/connections",
                             ["name": form["name"] ?? "", "type": form["type"] ?? "", "fields": ConnectionsPanel.fields(form["fields"] ?? "")])
            return outcome(ws, p, session, api, result, done: "Created the connection \(form["name"] ?? "").")
        case "connection-update":
            guard let id = form["connection"].flatMap(Int64.init), id > 0 else { return unnamed(ws, p, session, api, "connection") }
            let result = api("PATCH", "/v1/workspaces/\(ws)/projects/\(p)/connections/\(id)",
                             ["name": form["name"] ?? "", "fields": ConnectionsPanel.fields(form["fields"] ?? "")])
            return outcome(ws, p, session, api, result, done: "Saved the connection \(form["name"] ?? "").")
        case "connection-delete":
            guard let id = form["connection"].flatMap(Int64.init), id > 0 else { return unnamed(ws, p, session, api, "connection") }
            let name = form["name"] ?? "connection \(id)"
            guard form["confirm"] == "yes" else {
                return show(ws: ws, p: p, session: session, api: api, notice: HTML.confirmation(
                    id: "confirm-delete", question: "Delete the connection \(name)?",
                    consequence: "Its fields and references go; resolving it afterwards answers 404. Secrets stay in their secrets manager.",
                    action: "\(path(ws, p))/connection-delete", csrf: session.csrf, fields: [("connection", String(id)), ("name", name)],
                    button: "Delete \(name)", cancel: path(ws, p)))
            }
            let result = api("DELETE", "/v1/workspaces/\(ws)/projects/\(p)/connections/\(id)", nil)
            return outcome(ws, p, session, api, result, done: "Deleted the connection \(name).")
        case "secret-delete":
            guard let name = form["name"], !name.isEmpty else { return unnamed(ws, p, session, api, "secret") }
            guard form["confirm"] == "yes" else {
                return show(ws: ws, p: p, session: session, api: api, notice: HTML.confirmation(
                    id: "confirm-delete", question: "Delete the secret \(name) and all its versions?",
                    consequence: "References to it stop resolving (secret_not_found). This cannot be undone.",
                    action: "\(path(ws, p))/secret-delete", csrf: session.csrf, fields: [("name", name)],
                    button: "Delete \(name)", cancel: path(ws, p)))
            }
            let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
            let result = api("DELETE", "/v1/workspaces/\(ws)/projects/\(p)/secrets?name=\(encoded)", nil)
            return outcome(ws, p, session, api, result, done: "Deleted the secret \(name).")
        case "secret":
            let result = api("POST", "/v1/workspaces/\(ws)/projects/\(p)/secrets", ["name": form["name"] ?? "", "value": form["value"] ?? ""])
            let version = (result.object["latest_version"] as? NSNumber)?.intValue ?? 0
            return outcome(ws, p, session, api, result, done: "Saved \(form["name"] ?? "") as version \(version).")
        default:
            return Console.html(status: 404, HTML.page(title: "Not found", signedIn: true, csrf: session.csrf,
                                                       body: HTML.problem(["detail": "There is no such form."])))
        }
    }

    private static func unnamed(_ ws: Int64, _ p: Int64, _ session: ConsoleSessions.Session, _ api: Console.Call, _ what: String) -> HTTPResponse {
        outcome(ws, p, session, api, Console.Answer(status: 400, object: ["detail": "No \(what) was named."]), done: "")
    }

    private static func outcome(_ ws: Int64, _ p: Int64, _ session: ConsoleSessions.Session, _ api: Console.Call,
                                _ result: Console.Answer, done: String) -> HTTPResponse {
        let notice = result.ok ? "<div class=\"ok\" role=\"status\"><p>\(HTML.escape(done))</p></div>" : HTML.problem(result.object)
        var response = show(ws: ws, p: p, session: session, api: api, notice: notice)
        if !result.ok { response.status = result.status }
        return response
    }

    // MARK: Parts

    static func choice(ws: Int64, p: Int64, store: [String: Any]?, csrf: String) -> String {
        let provider = store?["provider"] as? String
        let region = HTML.escape((store?["settings"] as? [String: Any])?["region"] as? String ?? "")
        func option(_ value: String, _ label: String) -> String {
            "<label><input type=\"radio\" name=\"provider\" value=\"\(value)\"\(provider == value ? " checked" : "")> \(label)</label>"
        }
        return """
            <section aria-labelledby="provider-heading">
            <h2 id="provider-heading">Which secrets manager do you want to use?</h2>
            <form method="post" action="\(path(ws, p))/store">
              <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
              <fieldset><legend>Secrets manager</legend>
              \(option("builtin", "Keyward's built-in encrypted store"))
              \(option("aws_secrets_manager", "AWS Secrets Manager"))
              </fieldset>
              <label for="region">AWS region (for AWS Secrets Manager)</label>
              <input type="text" id="region" name="region" value="\(region)" placeholder="eu-west-1" pattern="[a-z]{1,12}(-[a-z]{1,12}){1,2}-[0-9]{1,2}">
              <p><button type="submit" id="save-provider">Save</button></p>
            </form>
            </section>
            """
    }

    static func awsGuides(ws: Int64, p: Int64, store: [String: Any], csrf: String, api: Console.Call) -> String {
        let setup = api("GET", "\(apiPath(ws, p))/aws-setup", nil)
        guard setup.ok else { return "<section><h2>Create a new permission policy and role in AWS</h2>\(HTML.problem(setup.object))</section>" }
        let guide = setup.object
        func copyable(_ id: String, _ label: String, _ value: String, block: Bool = false) -> String {
            let shown = block ? "<pre id=\"\(id)\"><code>\(HTML.escape(value))</code></pre>" : "<code id=\"\(id)\">\(HTML.escape(value))</code>"
            return "<div class=\"copyable\"><p><strong>\(label)</strong></p>\(shown) <button type=\"button\" class=\"secondary copy\" data-copy=\"\(id)\" aria-label=\"Copy \(label)\">Copy</button></div>"
        }
        func pretty(_ value: Any?) -> String {
            guard let value, let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            else { return "" }
            return String(decoding: data, as: UTF8.self)
        }
        let roleARN = HTML.escape((store["settings"] as? [String: Any])?["role_arn"] as? String ?? "")
        let warnings = (guide["warnings"] as? [String] ?? []).map { "<p class=\"warning\">\(HTML.escape($0))</p>" }.joined()
        return """
            <section aria-labelledby="guide-create">
            <h2 id="guide-create">Create a new permission policy and role in AWS</h2>
            \(copyable("account-id", "AWS Account ID", guide["platform_account_id"] as? String ?? ""))
            \(copyable("external-id", "External ID for this project", guide["external_id"] as? String ?? ""))
            <p>Create a role whose trust policy is the one below (it lets only Keyward's identity assume it, and only with this External ID), and attach the permission policy.</p>
            \(copyable("trust-policy", "Trust policy", pretty(guide["trust_policy"]), block: true))
            \(copyable("permission-policy", "Permission policy", pretty(guide["permission_policy"]), block: true))
            \(warnings)
            </section>
            <section aria-labelledby="guide-role">
            <h2 id="guide-role">Add the role</h2>
            <form method="post" action="\(path(ws, p))/role">
              <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
              <label for="role-arn">Role ARN</label>
              <input type="text" id="role-arn" name="role_arn" value="\(roleARN)" required placeholder="arn:aws:iam::123456789012:role/keyward-project"
                     pattern="arn:aws[a-z\\-]*:iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_\\-]+/)*[A-Za-z0-9+=,.@_\\-]{1,64}"
                     title="arn:aws:iam::<12-digit account>:role/<name>" aria-describedby="role-arn-help">
              <p id="role-arn-help">Copy it from the role's summary page in the IAM console.</p>
              <p><button type="submit" id="save-role">Save role</button></p>
            </form>
            <form method="post" action="\(path(ws, p))/verify">
              <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
              <label for="sample-secret">Sample secret to read (optional; its value is never shown)</label>
              <input type="text" id="sample-secret" name="sample_secret">
              <p><button type="submit" id="verify-role" class="secondary">Verify</button></p>
            </form>
            </section>
            """
    }

    /// After a scope switch: how many of this project's references are broken, and the assistant that
    /// rebinds those that resolve in the project's store now (a dry run first).
    static func migrationPanel(ws: Int64, p: Int64, _ settings: [String: Any], csrf: String) -> String {
        let references = settings["references"] as? [String: Any] ?? [:]
        let broken = ((references["out_of_scope"] as? NSNumber)?.intValue ?? 0) + ((references["store_deleted"] as? NSNumber)?.intValue ?? 0)
        guard broken > 0 else { return "" }
        func form(_ apply: Bool, _ label: String, _ id: String) -> String {
            """
            <form method="post" action="\(path(ws, p))/migrate" class="inline">
              <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
              <input type="hidden" name="apply" value="\(apply)">
              <button type="submit" id="\(id)"\(apply ? "" : " class=\"secondary\"")>\(label)</button>
            </form>
            """
        }
        return """
            <section aria-labelledby="migration-heading">
            <h2 id="migration-heading">Migrate broken references</h2>
            <p class="warning">\(broken) reference(s) of this project no longer work (the scope was switched or their store deleted).
            The assistant checks each one against the secrets manager that serves the project now and rebinds only those that resolve there.</p>
            <p>\(form(false, "Check what would move", "migrate-dry-run")) \(form(true, "Migrate", "migrate-apply"))</p>
            </section>
            """
    }

    static func migration(_ result: [String: Any], apply: Bool) -> String {
        let rows = (result["results"] as? [[String: Any]] ?? []).map { item in
            let error = (item["error"] as? [String: Any]).map { "\(($0["code"] as? String) ?? ""): \(($0["detail"] as? String) ?? "")" } ?? ""
            return "<tr><td>\(HTML.escape(item["connection_name"] as? String ?? ""))</td><td>\(HTML.escape(item["field"] as? String ?? ""))</td><td><code>\(HTML.escape(item["reference"] as? String ?? ""))</code></td><td><strong>\(HTML.escape(item["status"] as? String ?? ""))</strong> \(HTML.escape(error))</td></tr>"
        }.joined()
        return """
            <section id="migration-result" aria-labelledby="migration-result-heading">
            <h2 id="migration-result-heading">\(apply ? "Migration" : "Migration check (nothing changed)")</h2>
            <div class="\(apply ? "ok" : "warning")" role="status"><table><thead><tr><th>Connection</th><th>Field</th><th>Reference</th><th>Result</th></tr></thead><tbody>\(rows)</tbody></table></div>
            </section>
            """
    }

    static func checks(_ verification: [String: Any]) -> String {
        let result = verification["result"] as? String ?? ""
        return HTML.steps(id: "verification", heading: "Verification: \(result)", outcome: result, label: "Check",
                          verification["checks"] as? [[String: Any]] ?? [])
    }

    static func builtinSecrets(ws: Int64, p: Int64, csrf: String, api: Console.Call) -> String {
        let list = api("GET", "/v1/workspaces/\(ws)/projects/\(p)/secrets", nil)
        let rows = (list.object["items"] as? [[String: Any]] ?? []).enumerated().map { index, item in
            let name = HTML.escape(item["name"] as? String ?? "")
            return """
                <tr><td><code>\(name)</code></td><td>\((item["latest_version"] as? NSNumber)?.intValue ?? 0)</td><td>\(HTML.escape(item["updated_at"] as? String ?? ""))</td>
                <td><form method="post" action="\(path(ws, p))/secret-delete" class="inline">
                  <input type="hidden" name="csrf" value="\(HTML.escape(csrf))"><input type="hidden" name="name" value="\(name)">
                  <button type="submit" class="secondary" id="delete-secret-\(index)" aria-label="Delete \(name)">Delete…</button>
                </form></td></tr>
                """
        }.joined()
        return """
            <section aria-labelledby="secrets-heading">
            <h2 id="secrets-heading">Secrets in the built-in store</h2>
            \(rows.isEmpty ? "<p>No secrets yet.</p>" : "<table><thead><tr><th>Name</th><th>Version</th><th>Updated</th><th></th></tr></thead><tbody>\(rows)</tbody></table>")
            <form method="post" action="\(path(ws, p))/secret">
              <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">
              <label for="secret-name">Name (an existing name adds a new version)</label>
              <input type="text" id="secret-name" name="name" required>
              <label for="secret-value">Value</label>
              <input type="password" id="secret-value" name="value" required autocomplete="off">
              <p><button type="submit" id="save-secret">Save secret</button></p>
            </form>
            </section>
            """
    }

    static let copyScript = """
        <script>
          for (const button of document.querySelectorAll('button.copy')) {
            button.addEventListener('click', async () => {
              const text = document.getElementById(button.dataset.copy).innerText;
              try { await navigator.clipboard.writeText(text); button.textContent = 'Copied'; }
              catch { button.textContent = 'Select and copy'; }
            });
          }
        </script>
        """
}
