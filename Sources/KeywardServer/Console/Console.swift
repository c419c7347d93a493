import Foundation
import KeywardCore
import KeywardCrypto
import KeywardHTTP

/// The web console: server-rendered pages under /console, built through the API with the signed-in
/// user's token (so every permission is the API's). Sign-in and sign-out, and the secrets-management flows
/// of the guide, one page per screen.
final class Console: Sendable {
    let sessions = ConsoleSessions()
    static let sessionCookie = "kw_console"
    static let loginCookie = "kw_login"

    typealias API = (HTTPRequest) -> HTTPResponse

    /// Records a sign-in or sign-out of the token presented: action, token, outcome, request id.
    typealias SignInAudit = (AuditAction, String, String, String) -> Void

    func respond(to request: HTTPRequest, api: @escaping API, audit: SignInAudit) -> HTTPResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        let cookies = FormEncoding.cookies(request.header("cookie"))
        let sessionID = cookies[Self.sessionCookie]
        let session = sessions.session(sessionID)
        if request.method == "POST" {
            // Forms post from our own pages only: a cross-site Origin is refused before anything else.
            if let origin = request.header("origin"), let host = request.header("host"),
               origin != "http://\(host)" && origin != "https://\(host)" {
                return page(status: 403, title: "Not allowed", signedIn: false,
                            body: HTML.problem(["detail": "This form was posted from another site.", "code": "cross_site_request"]))
            }
        }
        switch (request.method, parts.dropFirst().first, parts.count) {
        case ("GET", nil, 1):
            return Self.redirect(session == nil ? "/console/sign-in" : "/console/workspaces")
        case ("GET", "sign-in", 2):
            return signInForm(error: nil)
        case ("POST", "sign-in", 2):
            return signIn(request, cookies: cookies, api: api, audit: audit)
        case ("POST", "sign-out", 2):
            guard let sessionID, let session, csrfMatches(request, session) else { return Self.redirect("/console/sign-in") }
            sessions.end(sessionID)
            audit(.signedOut, session.apiToken, "success", request.requestID)
            return Self.redirect("/console/sign-in", cookie: "\(Self.sessionCookie)=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0")
        default:
            break
        }
        guard let session else { return Self.redirect("/console/sign-in") }
        switch (request.method, Array(parts.dropFirst())) {
        case ("GET", ["workspaces"]):
            return workspaces(session, api: api)
        case ("GET", let rest) where rest.count == 3 && rest[0] == "workspaces" && rest[2] == "secrets-management":
            guard let ws = Int64(rest[1]), ws > 0 else { return notFound(session) }
            return WorkspaceSecretsPage.show(ws: ws, session: session, request: request, api: call(session, api))
        case ("POST", let rest) where rest.count == 4 && rest[0] == "workspaces" && rest[2] == "secrets-management" && rest[3] == "scope":
            guard let ws = Int64(rest[1]), ws > 0 else { return notFound(session) }
            guard csrfMatches(request, session) else { return forbidden(session) }
            return WorkspaceSecretsPage.switchScope(ws: ws, form: FormEncoding.parse(request.body), session: session, api: call(session, api))
        case ("GET", let rest) where rest.count == 3 && rest[0] == "workspaces" && rest[2] == "audit":
            guard let ws = Int64(rest[1]), ws > 0 else { return notFound(session) }
            return AuditPage.show(ws: ws, query: request.query, session: session, api: call(session, api))
        case ("GET", let rest) where rest.count == 5 && rest[0] == "workspaces" && rest[2] == "projects" && rest[4] == "secrets-management":
            guard let ws = Int64(rest[1]), let p = Int64(rest[3]), ws > 0, p > 0 else { return notFound(session) }
            return ProjectSecretsPage.show(ws: ws, p: p, session: session, api: call(session, api))
        case ("POST", let rest) where rest.count == 6 && rest[0] == "workspaces" && rest[2] == "projects" && rest[4] == "secrets-management":
            guard let ws = Int64(rest[1]), let p = Int64(rest[3]), ws > 0, p > 0 else { return notFound(session) }
            guard csrfMatches(request, session) else { return forbidden(session) }
            return ProjectSecretsPage.post(ws: ws, p: p, action: rest[5], form: FormEncoding.parse(request.body), session: session,
                                           api: call(session, api))
        default:
            return notFound(session)
        }
    }

    // MARK: Sign-in

    private func signInForm(error: String?) -> HTTPResponse {
        // Login CSRF: the form carries a random value that must match the cookie set with it.
        let value = SecureRandom.token(byteCount: 24)
        let problem = error.map { HTML.problem(["detail": $0, "hint": "Paste a whole API token; they start with kw_."]) } ?? ""
        let body = """
            \(problem)
            <section>
            <form method="post" action="/console/sign-in">
              <input type="hidden" name="login" value="\(value)">
              <label for="token">API token</label>
              <input type="password" id="token" name="token" autocomplete="off" required autofocus>
              <p><button type="submit">Sign in</button></p>
            </form>
            <p>Any token works; what you see and may do is what its role allows.</p>
            </section>
            """
        var response = page(status: error == nil ? 200 : 401, title: "Sign in", signedIn: false, body: body)
        response.headers.append(("Set-Cookie", "\(Self.loginCookie)=\(value); Path=/console/sign-in; HttpOnly; SameSite=Strict; Max-Age=600"))
        return response
    }

    private func signIn(_ request: HTTPRequest, cookies: [String: String], api: API, audit: SignInAudit) -> HTTPResponse {
        let form = FormEncoding.parse(request.body)
        guard let login = form["login"], let expected = cookies[Self.loginCookie],
              ConstantTime.equals(Array(login.utf8), Array(expected.utf8)) else {
            return signInForm(error: "The sign-in form expired; try again.")
        }
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let check = api(HTTPRequest(method: "GET", path: "/v1/whoami", headers: ["authorization": "Bearer \(token)"]))
        guard check.status == 200 else {
            let problem = (try? JSONSerialization.jsonObject(with: Data(check.body))) as? [String: Any]
            audit(.signedIn, token, problem?["code"] as? String ?? "invalid_token", request.requestID)
            return signInForm(error: problem?["detail"] as? String ?? "The token was not accepted.")
        }
        audit(.signedIn, token, "success", request.requestID)
        let (id, _) = sessions.create(apiToken: token)
        let secure = request.header("x-forwarded-proto") == "https" ? "; Secure" : ""
        return Self.redirect("/console/workspaces",
                        cookie: "\(Self.sessionCookie)=\(id); Path=/console; HttpOnly; SameSite=Strict; Max-Age=\(Int(ConsoleSessions.lifetime))\(secure)")
    }

    // MARK: Pages

    private func workspaces(_ session: ConsoleSessions.Session, api: @escaping API) -> HTTPResponse {
        let call = self.call(session, api)
        let whoami = call("GET", "/v1/whoami", nil).object
        var ids: [(Int64, String)] = []
        if let ws = (whoami["workspace_id"] as? NSNumber)?.int64Value {
            let workspace = call("GET", "/v1/workspaces/\(ws)", nil).object
            ids = [(ws, workspace["name"] as? String ?? "Workspace \(ws)")]
        } else {
            let list = call("GET", "/v1/workspaces", nil).object["items"] as? [[String: Any]] ?? []
            ids = list.compactMap { item in (item["id"] as? NSNumber).map { ($0.int64Value, item["name"] as? String ?? "") } }
        }
        let rows = ids.map { id, name in
            "<tr><td>\(HTML.escape(name))</td><td><a href=\"/console/workspaces/\(id)/secrets-management\">Settings › Secrets management</a> · <a href=\"/console/workspaces/\(id)/audit\">Audit trail</a></td></tr>"
        }.joined()
        let body = ids.isEmpty ? "<section><p>No workspace is visible to this token.</p></section>"
            : "<section><table><thead><tr><th>Workspace</th><th>Settings</th></tr></thead><tbody>\(rows)</tbody></table></section>"
        return page(status: 200, title: "Workspaces", signedIn: true, csrf: session.csrf, body: body)
    }

    private func notFound(_ session: ConsoleSessions.Session) -> HTTPResponse {
        page(status: 404, title: "Not found", signedIn: true, csrf: session.csrf,
             body: HTML.problem(["detail": "There is no such page.", "hint": "Start again from the workspaces list."]))
    }

    private func forbidden(_ session: ConsoleSessions.Session) -> HTTPResponse {
        page(status: 403, title: "Not allowed", signedIn: true, csrf: session.csrf,
             body: HTML.problem(["detail": "The form's security token did not match your session.", "code": "csrf_mismatch",
                                 "hint": "Reload the page and try again."]))
    }

    private func csrfMatches(_ request: HTTPRequest, _ session: ConsoleSessions.Session) -> Bool {
        guard let sent = FormEncoding.parse(request.body)["csrf"] else { return false }
        return ConstantTime.equals(Array(sent.utf8), Array(session.csrf.utf8))
    }

    // MARK: Plumbing

    /// An API call with the session's token; the answer's JSON object, or the problem document.
    struct Answer {
        let status: Int
        let object: [String: Any]
        var ok: Bool { (200..<300).contains(status) }
    }

    typealias Call = (String, String, [String: Any]?) -> Answer

    func call(_ session: ConsoleSessions.Session, _ api: @escaping API) -> Call {
        { method, path, body in
            var headers = ["authorization": "Bearer \(session.apiToken)"]
            var bytes: [UInt8] = []
            if let body {
                headers["content-type"] = "application/json"
                bytes = Array((try? JSONSerialization.data(withJSONObject: body)) ?? Data())
            }
            // A query in the path goes where the HTTP server would have put it.
            let pieces = path.split(separator: "?", maxSplits: 1)
            let query = pieces.count > 1 ? FormEncoding.parse(Array(pieces[1].utf8)) : [:]
            let response = api(HTTPRequest(method: method, path: String(pieces.first ?? ""), headers: headers, query: query, body: bytes))
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            return Answer(status: response.status, object: object)
        }
    }

    func page(status: Int, title: String, signedIn: Bool, csrf: String? = nil, body: String) -> HTTPResponse {
        Self.html(status: status, HTML.page(title: title, signedIn: signedIn, csrf: csrf, body: body))
    }

    static func html(status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [
            ("Content-Type", "text/html; charset=utf-8"),
            // Only our own inline styles and scripts; never framed.
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
            ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
        ], body: Array(text.utf8))
    }

    static func redirect(_ location: String, cookie: String? = nil) -> HTTPResponse {
        var headers = [("Location", location)]
        if let cookie { headers.append(("Set-Cookie", cookie)) }
        return HTTPResponse(status: 303, headers: headers, body: [])
    }
}
