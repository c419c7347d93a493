import Testing
@testable import KeywardCore

/// The reference syntax: one spelling for every legal secret name, unambiguous delimiters.
@Suite struct SecretReferenceTests {
    @Test(arguments: [
        "prod/db/password",
        "a+b=c.d@e-f_g",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
        "team alpha/db creds",              // Vault paths may contain spaces
        "weird#name?with}delims%and$and{",
        "ünïcødé/秘密",
    ])
    func namesRoundTripThroughTheCanonicalForm(_ name: String) throws {
        for version in [nil, SecretReference.Version.stage("AWSPREVIOUS"), .id("a1b2c3-d4")] {
            let reference = try SecretReference(name: name, keyPath: ["db", "pass.word"], version: version)
            let text = reference.description
            #expect(try SecretReference(parsing: text) == reference, "\(text)")
            #expect(try SecretReference(parsing: "${\(text)}") == reference)
            #expect(!text.dropFirst("secret:".count).contains("}"))
        }
    }

    @Test func awsLegalCharactersAreWrittenAsIs() throws {
        let reference = try SecretReference(name: "prod/app+x=y.z@w-v_u", keyPath: ["password"], version: .stage("AWSCURRENT"))
        #expect(reference.description == "secret:prod/app+x=y.z@w-v_u#password?stage=AWSCURRENT")
        #expect(try SecretReference(name: "a b#c").description == "secret:a%20b%23c")
        #expect(try SecretReference(name: "s", keyPath: ["a.b", "c"]).description == "secret:s#a%2Eb.c")
    }

    @Test(arguments: [
        "prod/db", "secret:", "secret:a b", "secret:a#", "secret:a#x..y", "secret:a?stage", "secret:a?colour=red",
        "secret:a?stage=has space", "secret:%zz", "secret:%FF", "secret:a?stage=", "secret:a}b",
    ])
    func malformedReferencesAreRejected(_ text: String) {
        #expect(throws: KeywardError.self) { try SecretReference(parsing: text) }
    }

    @Test func scannerFindsEmbeddedAndStructuredReferences() throws {
        let fields = try ConnectionFields(validating: [
            "url": .string("postgres://app:${secret:prod/db#password}@db:5432/app?x=${secret:prod/db#user}"),
            "literal": .string("costs $${HOME} and $5"),
            "token": .object(["$secret": .object(["name": .string("api/token"), "key": .array([.string("a"), .string("b")]),
                                                   "stage": .string("AWSPREVIOUS")])]),
            "nested": .object(["inner": .string("${secret:n}")]),
            "port": .number(5432),
        ])
        let found = try ReferenceScanner.references(in: fields)
        #expect(found.map(\.field) == ["nested.inner", "token", "url", "url"])
        #expect(found.map(\.reference.description) == [
            "secret:n", "secret:api/token#a.b?stage=AWSPREVIOUS", "secret:prod/db#password", "secret:prod/db#user",
        ])
    }

    @Test func scannerRejectsBrokenReferencesAndNamesTheField() {
        let cases: [JSONValue] = [
            .string("x ${secret:a"),
            .string("${secret:a b}"),
            .string("${vault:a}"),
            .object(["$secret": .string("a")]),
            .object(["$secret": .object(["name": .string("a")]), "other": .null]),
            .object(["$secret": .object(["name": .string("a"), "stage": .string("S"), "version": .string("V")])]),
            .object(["$secret": .object(["name": .string("a"), "colour": .string("red")])]),
        ]
        for value in cases {
            do {
                _ = try ReferenceScanner.references(in: try ConnectionFields(validating: ["f": value]))
                Issue.record("accepted \(value)")
            } catch let error as KeywardError {
                #expect(error.detail.contains("f"), "\(error.detail)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func plainValuesHaveNoReferences() throws {
        let fields = try ConnectionFields(validating: ["host": .string("db"), "cost": .string("$5 {ok}"), "n": .number(1)])
        #expect(try ReferenceScanner.references(in: fields).isEmpty)
    }
}
