import Testing
@testable import KeywardHTTP

@Suite struct RequestIDTests {
    @Test func generatedIDsAreAPrefixAndACounterInHex() {
        let generator = RequestIDGenerator()
        let ids = (0..<300).map { _ in generator.accept(nil) }
        let prefix = ids[0].split(separator: "-")[0]
        #expect(prefix.count == 12 && prefix.allSatisfy(\.isHexDigit))
        #expect(ids.allSatisfy { $0.hasPrefix("\(prefix)-") })
        #expect(ids.map { UInt64($0.split(separator: "-")[1], radix: 16)! } == Array(1...300))
        #expect(ids[15] == "\(prefix)-10" && ids[255] == "\(prefix)-100")
    }

    @Test func keepsOnlyReasonableClientIDs() {
        let generator = RequestIDGenerator()
        #expect(generator.accept("trace-42.a_b:c") == "trace-42.a_b:c")
        for offered in ["", "<script>", "a b", String(repeating: "x", count: 129)] {
            #expect(generator.accept(offered) != offered)
        }
    }
}
