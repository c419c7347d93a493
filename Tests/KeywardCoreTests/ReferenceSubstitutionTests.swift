import Foundation
import Testing
@testable import KeywardCore

/// Putting values in place of references agrees with the scanner on what a reference is.
@Suite struct ReferenceSubstitutionTests {
    func substitute(_ fields: [String: JSONValue]) throws -> [String: JSONValue] {
        try ReferenceSubstitution.substitute(ConnectionFields(validating: fields)) { found in
            "<\(found.field)|\(found.reference)>"
        }
    }

    @Test func embeddedStructuredAndNestedReferencesAreReplaced() throws {
        let out = try substitute([
            "url": "postgres://etl:${secret:db#password}@h/${secret:db#name?stage=AWSPREVIOUS}",
            "password": .object(["$secret": .object(["name": "db", "key": "password"])]),
            "options": .object(["token": "Bearer ${secret:api}", "port": 5432]),
        ])
        #expect(out["url"] == "postgres://etl:<url|secret:db#password>@h/<url|secret:db#name?stage=AWSPREVIOUS>")
        #expect(out["password"] == "<password|secret:db#password>")
        #expect(out["options"] == .object(["token": "Bearer <options.token|secret:api>", "port": 5432]))
    }

    @Test func escapesAndDollarsAreLiteral() throws {
        let out = try substitute(["a": "costs $${PRICE} and $$5, $x", "b": "$$${secret:s}", "c": "plain"])
        #expect(out["a"] == "costs ${PRICE} and $$5, $x")
        #expect(out["b"] == "$$<b|secret:s>")
        #expect(out["c"] == "plain")
        // The scanner finds exactly the references that were substituted.
        let found = try ReferenceScanner.references(in: ConnectionFields(validating: ["a": "costs $${PRICE} and $$5, $x", "b": "$$${secret:s}"]))
        #expect(found.map(\.reference.description) == ["secret:s"])
    }
}

@Suite struct JSONTextTests {
    @Test func writesWhatFoundationReadsBack() throws {
        let value: JSONValue = .object([
            "s": "quote \" backslash \\ newline \n tab \t bell \u{7} slash / é 🔑",
            "n": 5432, "f": .number(1.5), "neg": -3, "t": true, "z": .null, "a": [1, "x", .object(["k": "v"])],
        ])
        let text = value.jsonText
        #expect(text.hasPrefix(#"{"a":[1,"x",{"k":"v"}],"f":1.5,"n":5432,"neg":-3,"#))
        #expect(text.contains(#"\u0007"#) && text.contains(#"\n"#) && text.contains("/"))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(decoded == value)
    }
}
