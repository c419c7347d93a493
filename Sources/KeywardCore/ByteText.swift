/// Bytes of text written without making a String: an audit record writes several integers and copies
/// several spans of bytes, on the request path and again when it is chained.
public enum DecimalText {
    /// The longest an Int64 is in decimal: "-9223372036854775808".
    public static let maximumLength = 20

    /// Calls `body` with the decimal digits (and sign) of `value`, in scratch memory valid during the call.
    public static func withDigits<Result>(of value: Int64, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes
        return try Swift.withUnsafeMutableBytes(of: &scratch) { scratch in
            var rest = value.magnitude, start = scratch.count
            repeat {
                start -= 1
                scratch[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            if value < 0 { start -= 1; scratch[start] = UInt8(ascii: "-") }
            return try body(UnsafeRawBufferPointer(rebasing: scratch[start...]))
        }
    }
}

extension [UInt8] {
    /// Appends raw bytes in one copy (a raw buffer's slice would be appended byte by byte).
    public mutating func append(raw bytes: UnsafeRawBufferPointer) {
        append(contentsOf: UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }

    /// Appends an integer in decimal.
    public mutating func append(decimal value: Int64) {
        DecimalText.withDigits(of: value) { append(raw: $0) }
    }
}
