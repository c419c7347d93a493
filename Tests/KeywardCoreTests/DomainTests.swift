import Foundation
import Testing
@testable import KeywardCore

@Suite struct NamesTests {
    @Test func trimsAndAccepts() throws {
        #expect(try Names.validated("  Payments  ") == "Payments")
        #expect(try Names.validated("Zahlungen – Ü") == "Zahlungen – Ü")
    }

    @Test(arguments: ["", "   ", String(repeating: "x", count: 101), "bad\u{0}name", "tab\tin"])
    func rejects(_ name: String) {
        #expect(throws: KeywardError.self) { try Names.validated(name) }
    }
}

@Suite struct IdentifierTests {
    @Test func parsingIsStrict() {
        #expect(WorkspaceID("12") == WorkspaceID(12))
        #expect(WorkspaceID("0") == nil)
        #expect(WorkspaceID("-3") == nil)
        #expect(WorkspaceID("1e3") == nil)
        #expect(TokenID(rawValue: "0123456789abcdef") != nil)
        #expect(TokenID(rawValue: "0123456789ABCDEF") == nil)
        #expect(TokenID(rawValue: "0123") == nil)
    }

    @Test func idsEncodeAsNumbers() throws {
        let data = try JSONEncoder().encode(["id": ProjectID(7)])
        #expect(String(decoding: data, as: UTF8.self) == #"{"id":7}"#)
    }
}

@Suite struct PageRequestTests {
    @Test func defaultsAndBounds() throws {
        #expect(try PageRequest(limit: nil, cursor: nil) == PageRequest(limit: 50, after: nil))
        #expect(try PageRequest(limit: "500", cursor: nil).limit == 500)
        for bad in ["0", "501", "-1", "ten", ""] {
            #expect(throws: KeywardError.self) { try PageRequest(limit: bad, cursor: nil) }
        }
    }

    @Test func cursorsRoundTripAndForgeriesAreRejected() throws {
        let page = Page(fetched: [1, 2, 3], limit: 2, key: { String($0) })
        #expect(page.items == [1, 2])
        let cursor = try #require(page.nextCursor)
        #expect(try PageRequest(limit: nil, cursor: cursor).after == "2")
        for bad in ["2", "c1.", "c1.zz", "c1.abc", "c2.32"] {
            #expect(throws: KeywardError.self) { try PageRequest(limit: nil, cursor: bad) }
        }
        #expect(Page(fetched: [1, 2], limit: 2, key: { String($0) }).nextCursor == nil)
    }
}

@Suite struct TimestampTests {
    @Test func formatsWithMillisecondsInUTCAndRoundTrips() throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000.123)
        #expect(Timestamp.format(date) == "2023-11-14T22:13:20.123Z")
        #expect(Timestamp.parse("2023-11-14T22:13:20.123Z") == Timestamp.parse(Timestamp.format(date)))
        let now = Timestamp.now()
        #expect(Timestamp.parse(Timestamp.format(now)) == now)
        #expect(Timestamp.parse("2023-11-14T22:13:20Z") == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(Timestamp.parse("yesterday") == nil)
        // Every RFC 3339 form: offsets, lower-case separators, any precision.
        #expect(Timestamp.parse("2023-11-14T23:13:20.123+01:00") == Timestamp.parse("2023-11-14T22:13:20.123Z"))
        #expect(Timestamp.parse("2023-11-14t22:13:20.1234567z") == Timestamp.parse("2023-11-14T22:13:20.123Z"))
        #expect(Timestamp.parse("2023-11-14 22:13:20-00:30") == Timestamp.parse("2023-11-14T22:43:20Z"))
        for bad in ["2023-02-30T00:00:00Z", "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z", "2023-11-14T25:00:00Z", "2023-11-14T22:13:20+0100"] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func theCalendarArithmeticAgreesWithFoundationAcrossCenturies() throws {
        let reference = Date.ISO8601FormatStyle(timeZone: .gmt)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        // Every 9973rd second from 1900 to 2200, leap years and century rules included.
        var seconds: Int64 = -2_208_988_800
        while seconds < 7_258_118_400 {
            let date = Date(timeIntervalSince1970: Double(seconds) + 0.5)  // exact in binary
            let text = Timestamp.format(date)
            #expect(text == String(Date(timeIntervalSince1970: Double(seconds)).formatted(reference).dropLast()) + ".500Z", "\(seconds)")
            #expect(Timestamp.parse(text) == date, "\(text)")
            seconds += 9973 * 97
        }
        #expect(Timestamp.parse("2024-02-29T00:00:00Z") != nil && Timestamp.parse("2023-02-29T00:00:00Z") == nil)
        #expect(Timestamp.parse("2000-02-29T12:00:00Z") != nil && Timestamp.parse("1900-02-29T12:00:00Z") == nil)
        #expect(Timestamp.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test func textOrderIsTimeOrder() {
        let earlier = Timestamp.format(Date(timeIntervalSince1970: 999.999))
        let later = Timestamp.format(Date(timeIntervalSince1970: 1000.001))
        #expect(earlier < later)
    }
}

@Suite struct ConnectionFieldsTests {
    @Test func acceptsScalarsAndObjects() throws {
        let fields = try ConnectionFields(validating: ["host": .string("h"), "port": .number(5432), "tls": .bool(true),
                                                        "opts": .object(["a": .string("b")])])
        #expect(fields.values.count == 4)
    }

    @Test func rejectsBadKeysArraysAndTooMany() {
        #expect(throws: KeywardError.self) { try ConnectionFields(validating: ["bad key": .string("x")]) }
        #expect(throws: KeywardError.self) { try ConnectionFields(validating: ["": .string("x")]) }
        #expect(throws: KeywardError.self) { try ConnectionFields(validating: ["list": .array([])]) }
        let many = Dictionary(uniqueKeysWithValues: (0...64).map { ("k\($0)", JSONValue.null) })
        #expect(throws: KeywardError.self) { try ConnectionFields(validating: many) }
    }

    @Test func jsonValueKeepsIntegersIntegral() throws {
        let data = try JSONEncoder().encode(JSONValue.object(["port": .number(5432), "ratio": .number(0.5)]))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"port\":5432"))
        #expect(text.contains("0.5"))
    }
}

@Suite struct LoggerTests {
    final class Collect: LogSink, @unchecked Sendable {
        let lock = NSLock()
        var lines: [String] = []
        func write(_ line: String) { lock.withLock { lines.append(line) } }
    }

    @Test func writesOneJSONObjectPerLineAndHonoursTheLevel() throws {
        let sink = Collect()
        let logger = Logger(minimumLevel: .info, sink: sink).with([("component", .string("test"))])
        logger.debug("hidden")
        logger.info("hello \"world\"\n", [("n", .int(3)), ("ok", .bool(true))])
        #expect(sink.lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(sink.lines[0].utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "hello \"world\"\n")
        #expect(object["level"] as? String == "info")
        #expect(object["component"] as? String == "test")
        #expect(object["n"] as? Int == 3)
        #expect(!sink.lines[0].contains("\n"))
    }
}

/// `Names.validated` and `Names.pattern` must accept exactly the same strings, or the OpenAPI document lies.
@Suite struct NamesPatternAgreementTests {
    @Test(arguments: ["Payments", "  Payments  ", "\u{3000}x\u{3000}", "x y", "Ü", "a\u{200B}b", "\u{3000}", " ", "",
                      "a\tb", "\u{1C}x", "x\u{85}", String(repeating: "y", count: 100), String(repeating: "y", count: 101),
                      "\u{FEFF}", "e\u{301}"])
    func agree(_ name: String) throws {
        let matchesPattern = name.unicodeScalars.count <= Names.maximumLength && Self.matches(name)
        let accepted = (try? Names.validated(name)) != nil
        #expect(matchesPattern == accepted, "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    /// Evaluates the pattern with ECMA-262 semantics on ICU: `\uXXXX` becomes `\x{XXXX}`, and the final `$`
    /// becomes `\z`, because ICU's `$` also matches before a trailing line terminator and ECMA's does not.
    static func matches(_ text: String) -> Bool {
        var icu = Names.pattern.replacingOccurrences(of: #"\\u([0-9A-Fa-f]{4})"#, with: "\\\\x{$1}", options: .regularExpression)
        icu = String(icu.dropLast()) + "\\z"
        let regex = try! NSRegularExpression(pattern: icu)
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
