/// JSON text for a `JSONValue`, written directly: keys sorted, slashes as is, integers without a fraction.
/// The resolve endpoint answers with it on every request, where Foundation's encoder would cost more than
/// everything else together.
extension JSONValue {
    public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }

    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value):
            if value.rounded() == value, abs(value) <= 9_007_199_254_740_992 { out.append(contentsOf: String(Int64(value)).utf8) }
            else { out.append(contentsOf: String(value).utf8) }
        case .string(let value): Self.writeString(value, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    public static func writeString(_ text: String, into out: inout [UInt8]) {
        // Native strings are contiguous UTF-8: scan and copy them through a pointer (this runs for every
        // string of every resolve answer, journal line and hashed audit record).
        var text = text
        text.withUTF8 { writeString($0, into: &out) }
    }

    /// Whether a string's byte must be escaped in JSON: control characters, quote and backslash.
    static func needsEscaping(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    static func writeString<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escaping: copy them whole.
        if !bytes.contains(where: needsEscaping) {
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A JSON object written member by member, in the order given, for the few places that write one per
/// request or per record (a resolve's answer, an audit record's hashed form, its journal line) and know
/// their keys. Keys are literals that need no escaping; give them sorted where the bytes must be canonical.
/// `bytes` is the object so far, without its closing brace: `closed()` adds it.
public struct JSONObjectWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    private mutating func key(_ name: StaticString) {
        bytes.append(bytes.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    public mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        JSONValue.writeString(value, into: &bytes)
    }

    /// `null` when `value` is nil.
    public mutating func integer(_ name: StaticString, _ value: Int64?) {
        key(name)
        bytes.append(contentsOf: value.map { String($0) }?.utf8 ?? "null".utf8)
    }

    public mutating func bool(_ name: StaticString, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func value(_ name: StaticString, _ value: JSONValue) {
        key(name)
        value.write(into: &bytes)
    }

    /// A member whose value is already JSON.
    public mutating func json(_ name: StaticString, _ encoded: [UInt8]) {
        key(name)
        bytes.append(contentsOf: encoded)
    }

    public consuming func closed() -> [UInt8] {
        if bytes.isEmpty { return Array("{}".utf8) }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
