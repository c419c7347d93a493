import Foundation

/// One text form for instants everywhere Keyward writes them (storage, logs): RFC 3339 in UTC with
/// exactly three fractional digits, which sorts as text in the same order as in time. Instants are kept
/// to whole milliseconds so a value read back from storage equals the one written.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        let milliseconds = wholeMilliseconds(date)
        let seconds = Date(timeIntervalSince1970: Double(milliseconds.floorDivided(by: 1000)))
        let fraction = String(milliseconds.floorModulo(1000)).leftPadded(to: 3)
        return String(seconds.formatted(secondsStyle).dropLast()) + ".\(fraction)Z"
    }

    /// Parses any RFC 3339 date-time: `T`, `t` or a space between date and time, any number of fractional
    /// digits (kept to milliseconds), and `Z` or a `±HH:MM` offset.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, bytes[range].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        guard let year = number(0..<4), bytes[4] == 45, let month = number(5..<7), bytes[7] == 45, let day = number(8..<10),
              [84, 116, 32].contains(bytes[10]), let hour = number(11..<13), bytes[13] == 58, let minute = number(14..<16),
              bytes[16] == 58, let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var milliseconds = 0
        if bytes[index] == 46 {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            guard index > start else { return nil }
            let digits = Array(bytes[start..<min(index, start + 3)]) + Array(repeating: UInt8(48), count: max(0, 3 - (index - start)))
            milliseconds = Int(String(decoding: digits, as: UTF8.self))!
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case 90, 122:
            guard index + 1 == bytes.count else { return nil }
        case 43, 45:
            guard index + 6 == bytes.count, bytes[index + 3] == 58, let h = number((index + 1)..<(index + 3)),
                  let m = number((index + 4)..<(index + 6)), h < 24, m < 60 else { return nil }
            offsetSeconds = (h * 3600 + m * 60) * (bytes[index] == 43 ? 1 : -1)
        default:
            return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        guard let base = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute,
                                                             second: min(second, 59))),
              calendar.component(.day, from: base) == day else { return nil }
        let seconds = Int64(base.timeIntervalSince1970) - Int64(offsetSeconds)
        return Date(timeIntervalSince1970: Double(seconds * 1000 + Int64(milliseconds)) / 1000)
    }

    public static func now() -> Date {
        Date(timeIntervalSince1970: Double(wholeMilliseconds(Date())) / 1000)
    }

    static func wholeMilliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    private static let secondsStyle = Date.ISO8601FormatStyle(timeZone: .gmt)
}

private extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor < 0) ? q - 1 : q
    }

    func floorModulo(_ divisor: Int64) -> Int64 {
        let r = self % divisor
        return r < 0 ? r + divisor : r
    }
}
