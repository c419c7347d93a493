import Foundation

/// One text form for instants everywhere Keyward writes them (storage, logs): RFC 3339 in UTC with
/// exactly three fractional digits, which sorts as text in the same order as in time. Instants are kept
/// to whole milliseconds so a value read back from storage equals the one written.
public enum Timestamp {
    /// Written digit by digit from the civil date (no formatter): the audit journal formats one per record.
    public static func format(_ date: Date) -> String {
        String(unsafeUninitializedCapacity: maximumLength) { write(date, to: $0.baseAddress!) }
    }

    /// The most `write` writes.
    public static let maximumLength = 30

    /// Writes the text of `date` at `destination` (room for `maximumLength` bytes); returns its length. The
    /// audit trail writes each record's time straight into the record's canonical form.
    public static func write(_ date: Date, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        let milliseconds = wholeMilliseconds(date)
        let seconds = milliseconds.floorDivided(by: 1000)
        let (year, month, day) = civil(days: seconds.floorDivided(by: 86_400))
        let time = seconds.floorModulo(86_400)
        var count = 0
        func digits(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                destination[count] = UInt8(48 + rest / divisor)
                rest %= divisor
                divisor /= 10
                count += 1
            }
        }
        func character(_ byte: UInt8) { destination[count] = byte; count += 1 }
        digits(year, 4); character(45); digits(month, 2); character(45); digits(day, 2); character(84)
        digits(time / 3600, 2); character(58); digits(time / 60 % 60, 2); character(58); digits(time % 60, 2)
        character(46); digits(milliseconds.floorModulo(1000), 3); character(90)
        return count
    }

    /// Year, month and day of a count of days since 1970-01-01 in the proleptic Gregorian calendar
    /// (H. Hinnant's civil_from_days).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of a civil date (days_from_civil).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
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
        // A day that does not exist in its month (February 30) is refused, not rolled over.
        let days = days(year: Int64(year), month: Int64(month), day: Int64(day))
        guard civil(days: days) == (Int64(year), Int64(month), Int64(day)) else { return nil }
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetSeconds)
        return Date(timeIntervalSince1970: Double(seconds * 1000 + Int64(milliseconds)) / 1000)
    }

    public static func now() -> Date {
        Date(timeIntervalSince1970: Double(wholeMilliseconds(Date())) / 1000)
    }

    static func wholeMilliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
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
