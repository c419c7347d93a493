import Foundation
import KeywardCore
import KeywardHTTP
import Testing
@testable import KeywardServer

/// The console's own rules, in process: sessions, cookies, CSRF and escaping. The flows themselves are
/// driven in a real browser by tests/console/test_console.py.
@Suite struct ConsoleTests {
    func request(_ api: APIHarness, _ method: String, _ path: String, cookie: String? = nil, form: String? = nil,
                 origin: String? = nil) -> HTTPResponse {
        var headers = ["host": "keyward.test"]
        if let cookie { headers["cookie"] = cookie }
        if let origin { headers["origin"] = origin }
        if form != nil { headers["content-type"] = "application/x-www-form-urlencoded" }
        return api.app.respond(to: HTTPRequest(method: method, path: path, headers: headers, body: Array((form ?? "").utf8)))
    }

    func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    /// Signs in with the operator token and returns the session cookie.
    func signIn(_ api: APIHarness) throws -> String {
        let form = request(api, "GET", "/console/sign-in")
        let login = try #require(form.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        let value = String(login.split(separator: "=")[1])
        let token = api.operatorToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let signedIn = request(api, "POST", "/console/sign-in", cookie: login, form: "login=\(value)&token=\(token)")
        #expect(signedIn.status == 303)
        let cookie = try #require(signedIn.header("Set-Cookie"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"))
        return String(cookie.split(separator: ";")[0])
    }

    @Test func pagesNeedASessionAndFormsTheirCSRFToken() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        #expect(request(api, "GET", "/console/workspaces").header("Location") == "/console/sign-in")
        // Signing in needs the form's own value back (login CSRF).
        #expect(request(api, "POST", "/console/sign-in", form: "token=\(api.operatorToken)").status == 401)

        let cookie = try signIn(api)
        let page = request(api, "GET", "/console/workspaces", cookie: cookie)
        #expect(page.status == 200)
        #expect(page.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        let forged = request(api, "POST", "/console/workspaces/\(ws)/secrets-management/scope", cookie: cookie, form: "scope=project&csrf=guess")
        #expect(forged.status == 403)
        let crossSite = request(api, "POST", "/console/sign-out", cookie: cookie, form: "csrf=x", origin: "https://elsewhere.test")
        #expect(crossSite.status == 403)

        let csrf = try #require(text(page).split(separator: "name=\"csrf\" value=\"").dropFirst().first?.split(separator: "\"").first)
        #expect(request(api, "POST", "/console/sign-out", cookie: cookie, form: "csrf=\(csrf)", origin: "http://keyward.test").status == 303)
        #expect(request(api, "GET", "/console/workspaces", cookie: cookie).header("Location") == "/console/sign-in")
    }

    @Test func namesAreEscaped() throws {
        let api = try APIHarness()
        _ = api.workspace("<img src=x onerror=alert(1)>")
        let page = text(request(api, "GET", "/console/workspaces", cookie: try signIn(api)))
        #expect(page.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!page.contains("<img src=x"))
    }
}
