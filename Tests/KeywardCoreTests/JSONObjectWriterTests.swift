import Foundation
import Testing
@testable import KeywardCore

@Suite struct JSONObjectWriterTests {
    @Test func writesMembersInTheOrderGivenAsJSONFoundationReads() throws {
        var writer = JSONObjectWriter()
        writer.string("a", "quote \" backslash \\ newline \n")
        writer.integer("b", 42)
        writer.integer("c", nil)
        writer.bool("d", true)
        writer.value("e", .object(["y": .number(1), "x": .string("z")]))
        writer.json("f", Array("[1,2]".utf8))
        let text = String(decoding: writer.closed(), as: UTF8.self)
        #expect(text == #"{"a":"quote \" backslash \\ newline \n","b":42,"c":null,"d":true,"e":{"x":"z","y":1},"f":[1,2]}"#)
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(decoded["a"] as? String == "quote \" backslash \\ newline \n" && decoded["c"] is NSNull)
        #expect(String(decoding: JSONObjectWriter().closed(), as: UTF8.self) == "{}")
    }
}
