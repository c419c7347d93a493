import Testing
@testable import KeywardCrypto

@Suite struct DigestTests {
    @Test func sha256KnownAnswers() {
        #expect(Hex.encode(SHA256.hash("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(SHA256.hash("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func aReusedDigesterGivesEachInputsOwnHash() {
        let digester = SHA256HexDigester()
        #expect(digester.digest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digester.digest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for length in [1, 55, 56, 64, 700, 5000] {
            let input = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            #expect(digester.digest(input) == Hex.encode(SHA256.hash(input)))
        }
    }

    @Test func hmacSHA256MatchesRFC4231TestCase2() {
        let mac = HMACSHA256.authenticationCode(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hexRoundTripsAndRejectsGarbage() {
        #expect(Hex.decode("00ff10Ab") == [0x00, 0xff, 0x10, 0xab])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}

@Suite struct RandomAndCompareTests {
    @Test func randomBytesHaveTheRequestedLengthAndDiffer() {
        #expect(SecureRandom.bytes(32).count == 32)
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }

    @Test func base64URLHasNoPaddingOrUnsafeCharacters() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.encode(Array("any carnal pleas".utf8)) == "YW55IGNhcm5hbCBwbGVhcw")
        #expect(SecureRandom.token(byteCount: 32).count == 43)
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([], []))
    }
}

@Suite struct AESGCMTests {
    let key = [UInt8](repeating: 7, count: 32)

    @Test func knownAnswerForZeroKeyAndNonce() throws {
        // GCM spec (McGrew & Viega) test case 13: 256-bit zero key, zero IV, empty plaintext.
        let sealed = try AESGCM.seal([], key: [UInt8](repeating: 0, count: 32), nonce: [UInt8](repeating: 0, count: 12), associatedData: [])
        #expect(Hex.encode(sealed.suffix(16)) == "530f8afbc74536b9a963b4f1c4cb738b")
    }

    @Test func sealThenOpenRoundTrips() throws {
        let plaintext = Array("s3cr3t-value".utf8)
        let sealed = try AESGCM.seal(plaintext, key: key, associatedData: Array("ws=1;p=2".utf8))
        #expect(sealed.count == 12 + plaintext.count + 16)
        #expect(try AESGCM.open(sealed, key: key, associatedData: Array("ws=1;p=2".utf8)) == plaintext)
    }

    @Test func tamperingOrOtherContextFailsAuthentication() throws {
        let sealed = try AESGCM.seal(Array("value".utf8), key: key, associatedData: Array("a".utf8))
        #expect(throws: AESGCM.Failure.authenticationFailed) { try AESGCM.open(sealed, key: key, associatedData: Array("b".utf8)) }
        var flipped = sealed
        flipped[14] ^= 1
        #expect(throws: AESGCM.Failure.authenticationFailed) { try AESGCM.open(flipped, key: key, associatedData: Array("a".utf8)) }
        #expect(throws: AESGCM.Failure.authenticationFailed) {
            try AESGCM.open(sealed, key: [UInt8](repeating: 8, count: 32), associatedData: Array("a".utf8))
        }
        #expect(throws: AESGCM.Failure.malformed) { try AESGCM.open([1, 2, 3], key: key, associatedData: []) }
        #expect(throws: AESGCM.Failure.invalidKey) { try AESGCM.seal([], key: [1], associatedData: []) }
    }
}
