import KeywardCore
import Testing
@testable import KeywardHTTP

@Suite struct JSONBodyTests {
    struct Body: RequestBody {
        let name: String
        let count: Int?
        enum CodingKeys: String, CodingKey, CaseIterable { case name, count }
    }

    func request(_ body: String, contentType: String? = "application/json") -> HTTPRequest {
        var headers: [String: String] = [:]
        if let contentType { headers["content-type"] = contentType }
        return HTTPRequest(method: "POST", path: "/", headers: headers, body: Array(body.utf8))
    }

    func code(_ body: String, contentType: String? = "application/json") -> String? {
        do {
            _ = try JSONBody.decode(Body.self, from: request(body, contentType: contentType))
            return nil
        } catch {
            return (error as? KeywardError)?.code
        }
    }

    @Test func decodesAValidBody() throws {
        let body = try JSONBody.decode(Body.self, from: request(#"{"name":"a","count":3}"#, contentType: "application/json; charset=utf-8"))
        #expect(body.name == "a")
        #expect(body.count == 3)
    }

    @Test func namesEachKindOfMistake() {
        #expect(code(#"{"name":"a""#) == "malformed_json")
        #expect(code("[1,2]") == "malformed_json")
        #expect(code(#"{"name":"a","colour":"red"}"#) == "unknown_field")
        #expect(code(#"{"name":7}"#) == "invalid_field")
        #expect(code(#"{"name":null}"#) == "invalid_field")
        #expect(code(#"{"count":1}"#) == "missing_field")
        #expect(code(#"{"name":"a","count":1.5}"#) == "invalid_field")
        #expect(code("") == "missing_body")
        #expect(code(#"{"name":"a"}"#, contentType: "text/plain") == "unsupported_media_type")
    }

    @Test func unknownFieldErrorNamesTheField() throws {
        do {
            _ = try JSONBody.decode(Body.self, from: request(#"{"name":"a","nmae":"b"}"#))
            Issue.record("accepted an unknown field")
        } catch let error as KeywardError {
            #expect(error.extras["field"] == .string("nmae"))
            #expect(error.hint?.contains("count, name") == true)
        }
    }

    @Test func problemsAreRFC9457WithOurCode() throws {
        let response = Problem.response(KeywardError.forbidden, requestID: "r1", instance: "/v1/x")
        #expect(response.status == 403)
        #expect(response.header("content-type") == "application/problem+json")
        let text = String(decoding: response.body, as: UTF8.self)
        for member in [#""code":"forbidden""#, #""status":403"#, #""request_id":"r1""#, #""type":"urn:keyward:problem:forbidden""#, #""hint":"#] {
            #expect(text.contains(member), "\(member) in \(text)")
        }
    }
}
