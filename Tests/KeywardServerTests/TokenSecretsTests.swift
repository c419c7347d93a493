import KeywardCore
import Testing
@testable import KeywardServer

@Suite struct TokenSecretsTests {
    let issued = TokenSecrets.issue(name: "ci", role: .runtime, scope: .project(WorkspaceID(1), ProjectID(1)), expiresAt: nil)

    @Test func anIssuedTokenParsesIntoItsIDAndMatchesItsStoredHash() throws {
        let (id, secretPart) = try #require(TokenSecrets.parse(issued.secret))
        #expect(id == issued.token.id)
        #expect(TokenSecrets.matches(secretPart, storedHash: issued.secretHash))
        #expect(issued.secretHash.count == 64 && !issued.secret.contains(issued.secretHash))
    }

    @Test func anyOtherSecretDoesNotMatch() throws {
        let (_, secretPart) = try #require(TokenSecrets.parse(issued.secret))
        var flipped = Array(secretPart.utf8)
        flipped[20] = flipped[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(!TokenSecrets.matches(String(decoding: flipped, as: UTF8.self), storedHash: issued.secretHash))
        #expect(!TokenSecrets.matches(secretPart, storedHash: String(issued.secretHash.dropLast())))
        #expect(!TokenSecrets.matches(secretPart, storedHash: issued.secretHash.uppercased()) || issued.secretHash == issued.secretHash.uppercased())
        // Every digit of the stored hash takes part in the comparison.
        for position in [0, 1, 31, 62, 63] {
            var edited = Array(issued.secretHash.utf8)
            edited[position] = edited[position] == UInt8(ascii: "0") ? UInt8(ascii: "f") : UInt8(ascii: "0")
            #expect(!TokenSecrets.matches(secretPart, storedHash: String(decoding: edited, as: UTF8.self)))
        }
    }

    @Test func somethingNotShapedLikeOurTokensIsNotParsed() {
        for presented in ["", "kw_", String(issued.secret.dropLast()), issued.secret + "x", "xx" + issued.secret.dropFirst(2),
                          issued.secret.replacingOccurrences(of: "_", with: "-")] {
            #expect(TokenSecrets.parse(presented) == nil, "\(presented)")
        }
    }

    @Test func theBearerSchemeIsCaseInsensitiveAndSpacesAroundTheTokenAreIgnored() {
        #expect(Authenticator.bearerToken("Bearer abc") == "abc")
        #expect(Authenticator.bearerToken("bEaReR   abc \t") == "abc")
        for header in ["Bearer", "Bearer ", "Bearer    ", "Basic abc", "Bearerabc", "Bearer\tabc"] {
            #expect(Authenticator.bearerToken(header) == nil, "\(header)")
        }
    }
}
