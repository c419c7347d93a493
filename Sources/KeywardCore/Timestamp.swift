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

    public static func parse(_ text: String) -> Date? {
        guard text.hasSuffix("Z") else { return nil }
        let body = text.dropLast()
        let parts = body.split(separator: ".", maxSplits: 1)
        guard let whole = try? secondsStyle.parse(String(parts[0]) + "Z") else { return nil }
        var milliseconds = Int64(whole.timeIntervalSince1970) * 1000
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCII), let value = Int64(digits) else { return nil }
            milliseconds += value * 1000 / Int64(pow(10, Double(digits.count)))
        }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
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
