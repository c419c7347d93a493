import Foundation
import KeywardCore
import KeywardHTTP
import KeywardTestSupport
import Testing
@testable import KeywardServer

/// Which answers run on the event loop and which are handed off because they may wait on a secrets
/// manager or a connection's server (`Route.Waits`). The HTTP server's tests show that a handed-off
/// answer does not hold the event loop.
@Suite struct WaitingAnswersTests {
    let api: APIHarness
    let ws: Int64, p: Int64
    let runtime: String

    init() throws {
        api = try APIHarness()
        ws = api.workspace()
        api.op("PUT", "/v1/workspaces/\(ws)/addons/advanced_security")
        p = api.project(ws)
        runtime = api.token(.runtime, ws: ws, project: p)
        api.op("PUT", "/v1/workspaces/\(ws)/secrets-management", #"{"provider":"builtin"}"#)
        api.op("POST", "/v1/workspaces/\(ws)/secrets", #"{"name":"db","value":"canary-waiting"}"#)
    }

    func request(_ method: String, _ path: String, token: String? = nil, body: String = "") -> HTTPRequest {
        HTTPRequest(method: method, path: path, headers: ["authorization": "Bearer \(token ?? api.operatorToken)"],
                    body: Array(body.utf8), requestID: "waiting-test")
    }

    func connection(_ field: String) -> Int64 {
        api.op("POST", "/v1/workspaces/\(ws)/projects/\(p)/connections",
               #"{"name":"c\#(UUID().uuidString.prefix(8))","type":"generic","fields":{"password":"\#(field)"}}"#).int("id")
    }

    @Test func aResolveIsAnsweredOnTheEventLoopOnlyWhenEverySecretIsInMemory() throws {
        let id = connection("${secret:db}")
        let resolve = request("POST", "/v1/connections/\(id)/resolve", token: runtime)
        guard case .later(let work) = api.app.answer(to: resolve) else { Issue.record("a cold resolve must not run on the event loop"); return }
        let first = work()
        #expect(first.status == 200 && String(decoding: first.body, as: UTF8.self).contains("canary-waiting"))

        // Answered on the event loop, its audit record already in the journal.
        guard case .now(let warm) = api.app.answer(to: resolve) else { Issue.record("a cached resolve runs on the event loop"); return }
        #expect(warm.status == 200 && String(decoding: warm.body, as: UTF8.self).contains(#""cache":"hit""#))

        // ?refresh=true always asks the secrets manager.
        var refresh = resolve
        refresh.query = ["refresh": "true"]
        guard case .later = api.app.answer(to: refresh) else { Issue.record("a refresh must not run on the event loop"); return }
    }

    @Test func whatFailsAtOnceIsAnsweredAtOnce() throws {
        // Not found, unauthenticated, and a reference with no store behind it: nothing to wait for.
        for (path, token) in [("/v1/connections/999/resolve", runtime), ("/v1/connections/1/resolve", "kw_nope")] {
            guard case .now(let response) = api.app.answer(to: request("POST", path, token: token)) else {
                Issue.record("\(path) waited"); continue
            }
            #expect(response.status == 404 || response.status == 401)
        }
        // Nothing to record either: a health check is answered at once.
        guard case .now(let health) = api.app.answer(to: HTTPRequest(method: "GET", path: "/healthz")) else {
            Issue.record("health waited"); return
        }
        #expect(health.status == 200)
    }

    @Test func testsChecksVerificationsAndConsolePagesAreAlwaysHandedOff() throws {
        let id = connection("${secret:db}")
        let waiting = [
            request("POST", "/v1/connections/\(id)/test"),
            request("POST", "/v1/workspaces/\(ws)/projects/\(p)/references/check", body: #"{"reference":"${secret:db}"}"#),
            request("POST", "/v1/workspaces/\(ws)/secrets-management/verify"),
            request("GET", "/v1/workspaces/\(ws)/projects/\(p)/secrets-management/aws-setup"),
            request("POST", "/v1/workspaces/\(ws)/projects/\(p)/secrets-management/migrate"),
            HTTPRequest(method: "GET", path: "/console/sign-in"),
        ]
        for request in waiting {
            guard case .later(let work) = api.app.answer(to: request) else { Issue.record("\(request.path) ran on the event loop"); continue }
            #expect(work().status < 500, "\(request.path)")
        }
    }
}
