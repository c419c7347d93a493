import Foundation
import KeywardHTTP
import Testing
@testable import KeywardServer

/// The OpenAPI document and the router must describe the same API: this fails when a route is added
/// without documenting it, or documentation names an operation that does not exist.
@Suite struct OpenAPIDocumentTests {
    func documentedOperations() throws -> [String: String] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations: [String: String] = [:]
        for (path, item) in paths {
            for (method, value) in item where method != "parameters" {
                let operation = try #require(value as? [String: Any])
                operations["\(method.uppercased()) \(path)"] = operation["operationId"] as? String
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedWithItsOperationID() throws {
        let api = try APIHarness()
        let documented = try documentedOperations()
        for route in api.app.routeTable {
            let key = "\(route.method.rawValue) \(route.pattern)"
            #expect(documented[key] == route.operationID, "\(key) is missing from /openapi.json or has another operationId")
        }
    }

    @Test func everyDocumentedOperationIsRouted() throws {
        let api = try APIHarness()
        let routed = Set(api.app.routeTable.map { "\($0.method.rawValue) \($0.pattern)" })
        for key in try documentedOperations().keys {
            #expect(routed.contains(key), "\(key) is documented but not routed")
        }
    }

    @Test func everySchemaReferenceResolves() throws {
        let text = String(decoding: OpenAPIDocument.json, as: UTF8.self)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json)) as? [String: Any])
        let components = try #require(document["components"] as? [String: [String: Any]])
        let pattern = try NSRegularExpression(pattern: "\"#/components/(schemas|responses)/([A-Za-z0-9]+)\"")
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let kind = String(text[Range(match.range(at: 1), in: text)!])
            let name = String(text[Range(match.range(at: 2), in: text)!])
            #expect(components[kind]?[name] != nil, "dangling reference to \(kind)/\(name)")
        }
    }

    @Test func isServedWithoutAToken() throws {
        let api = try APIHarness()
        let reply = api.call("GET", "/openapi.json", token: nil)
        #expect(reply.status == 200)
        #expect(reply.json["paths"] != nil)
    }
}
