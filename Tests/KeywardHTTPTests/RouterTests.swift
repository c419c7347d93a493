import Testing
@testable import KeywardHTTP

@Suite struct RouterTests {
    var router: Router<String> {
        var router = Router<String>()
        router.add(.GET, "/v1/workspaces", "list")
        router.add(.POST, "/v1/workspaces", "create")
        router.add(.GET, "/v1/workspaces/{workspace}", "get")
        router.add(.GET, "/v1/workspaces/{workspace}/projects/{project}", "project")
        return router
    }

    @Test func matchesLiteralsAndBindsParameters() {
        guard case .found(let route, let parameters, let pattern) = router.match(method: "GET", path: "/v1/workspaces/12/projects/7") else {
            Issue.record("no match"); return
        }
        #expect(route == "project")
        #expect(parameters == ["workspace": "12", "project": "7"])
        #expect(pattern == "/v1/workspaces/{workspace}/projects/{project}")
    }

    @Test func toleratesATrailingSlash() {
        guard case .found(let route, _, _) = router.match(method: "GET", path: "/v1/workspaces/") else { Issue.record("no match"); return }
        #expect(route == "list")
    }

    @Test func reportsAllowedMethodsForAKnownPath() {
        guard case .methodNotAllowed(let allowed) = router.match(method: "DELETE", path: "/v1/workspaces") else {
            Issue.record("expected 405"); return
        }
        #expect(allowed == [.GET, .POST])
    }

    @Test func unknownPathsAreNotFound() {
        for path in ["/", "/v1", "/v1/workspaces/1/extra", "/v2/workspaces", "/v1/workspaces/1/projects"] {
            guard case .notFound = router.match(method: "GET", path: path) else { Issue.record("\(path) matched"); continue }
        }
    }
}
