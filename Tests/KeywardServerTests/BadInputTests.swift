import Foundation
import KeywardCore
import Testing
@testable import KeywardServer

/// Malformed, mistyped, unknown and oversized input: always a clear 4xx problem, never a crash, and
/// never a half-written change.
@Suite struct BadInputTests {
    @Test(arguments: [
        (#"{"name": "x""#, "malformed_json"),
        ("null", "malformed_json"),
        (#"["x"]"#, "malformed_json"),
        (#"{"name": 42}"#, "invalid_field"),
        (#"{"name": "x", "type": "generic", "fields": "nope"}"#, "invalid_field"),
        (#"{"name": "x", "type": "oracle"}"#, "invalid_field"),
        (#"{"name": "x", "type": "generic", "fields": {"bad key": 1}}"#, "invalid_field"),
        (#"{"name": "x", "type": "generic", "fields": {"list": [1]}}"#, "invalid_field"),
        (#"{"name": "x", "type": "generic", "password": "p"}"#, "unknown_field"),
        (#"{"type": "generic"}"#, "missing_field"),
        (#"{"name": "", "type": "generic"}"#, "invalid_field"),
        ("", "missing_body"),
    ])
    func connectionCreateRejects(_ body: String, _ expected: String) throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let p = api.project(ws)
        let path = "/v1/workspaces/\(ws)/projects/\(p)/connections"
        let reply = api.op("POST", path, body)
        #expect(reply.status == 400)
        #expect(reply.code == expected)
        #expect(reply.json["hint"] != nil || reply.json["detail"] != nil)
        #expect(api.op("GET", path).items.isEmpty, "nothing was written")
    }

    @Test func wrongMediaTypeIs415() throws {
        let api = try APIHarness()
        let reply = api.call("POST", "/v1/workspaces", token: api.operatorToken, body: #"{"name":"x"}"#, contentType: "text/plain")
        #expect(reply.status == 415)
        #expect(reply.code == "unsupported_media_type")
    }

    @Test(arguments: ["abc", "0", "-1", "1.5", "99999999999999999999999"])
    func malformedPathIdsAre400(_ id: String) throws {
        let api = try APIHarness()
        let reply = api.op("GET", "/v1/workspaces/\(id)")
        #expect(reply.status == 400)
        #expect(reply.code == "invalid_id")
    }

    @Test func duplicateNamesAre409AndLeaveTheOriginal() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let p = api.project(ws, "Payments")
        let conflict = api.op("POST", "/v1/workspaces/\(ws)/projects", #"{"name":"Payments"}"#)
        #expect(conflict.status == 409)
        #expect(conflict.code == "name_taken")
        #expect(api.op("GET", "/v1/workspaces/\(ws)/projects").items.count == 1)
        #expect(api.op("GET", "/v1/workspaces/\(ws)/projects/\(p)").json["name"] as? String == "Payments")
    }

    @Test func tokenExpiryOutsideBoundsIsRejected() throws {
        let api = try APIHarness()
        for seconds in ["0", "59", "999999999999", "\"soon\""] {
            let reply = api.op("POST", "/v1/tokens", #"{"name":"x","role":"operator","expires_in_seconds":\#(seconds)}"#)
            #expect(reply.status == 400, "\(seconds)")
        }
        #expect(api.op("POST", "/v1/tokens", #"{"name":"x","role":"root"}"#).code == "invalid_field")
    }

    @Test func errorsNeverEchoTheRequestBody() throws {
        let api = try APIHarness()
        let ws = api.workspace()
        let p = api.project(ws)
        let canary = "CANARY-s3cr3t-\(UUID().uuidString)"
        let reply = api.op("POST", "/v1/workspaces/\(ws)/projects/\(p)/connections",
                           #"{"name":"x","type":"generic","fields":{"password":"\#(canary)"},"extra":"\#(canary)"}"#)
        #expect(reply.status == 400)
        #expect(!String(decoding: reply.body, as: UTF8.self).contains(canary))
    }
}
