/// Keyset pagination: items come in id order, and a page ends with an opaque cursor for the next one.
/// Keyset (not offset) pagination stays correct when rows are added or deleted between pages.
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 50
    public static let maximumLimit = 500

    public var limit: Int
    /// The sort key of the last item of the previous page; nil for the first page.
    public var after: String?

    public init(limit: Int = PageRequest.defaultLimit, after: String? = nil) {
        self.limit = limit
        self.after = after
    }

    /// Reads `limit` and `cursor` query parameters, rejecting values a client could not have meant.
    public init(limit rawLimit: String?, cursor: String?) throws {
        var limit = Self.defaultLimit
        if let rawLimit {
            guard let value = Int(rawLimit), value >= 1, value <= Self.maximumLimit else {
                throw KeywardError.invalidField("limit", "must be an integer from 1 to \(Self.maximumLimit)")
            }
            limit = value
        }
        var after: String?
        if let cursor {
            guard let decoded = Cursor.decode(cursor) else { throw Self.invalidCursor }
            after = decoded
        }
        self.init(limit: limit, after: after)
    }

    public static let invalidCursor = KeywardError(
        .badRequest, code: "invalid_cursor", title: "Invalid cursor", detail: "The cursor is not one this server issued.",
        hint: "Pass the next_cursor value of a previous page unchanged.")
}

public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    /// Builds a page from up to `limit + 1` fetched rows: the extra row only says another page exists.
    public init(fetched: [Item], limit: Int, key: (Item) -> String) {
        if fetched.count > limit {
            let items = Array(fetched.prefix(limit))
            self.init(items: items, nextCursor: items.last.map { Cursor.encode(key($0)) })
        } else {
            self.init(items: fetched, nextCursor: nil)
        }
    }

    public func map<T>(_ transform: (Item) throws -> T) rethrows -> Page<T> {
        Page<T>(items: try items.map(transform), nextCursor: nextCursor)
    }
}

private enum PageCodingKeys: String, CodingKey {
    case items
    case nextCursor = "next_cursor"
}

extension Page: Encodable where Item: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: PageCodingKeys.self)
        try c.encode(items, forKey: .items)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}

extension Page: Decodable where Item: Decodable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PageCodingKeys.self)
        items = try c.decode([Item].self, forKey: .items)
        nextCursor = try c.decodeIfPresent(String.self, forKey: .nextCursor)
    }
}

/// Cursors are opaque to clients (so the sort key can change), but not secret: `c1.` plus hex of the key.
enum Cursor {
    static func encode(_ key: String) -> String {
        "c1." + key.utf8.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    static func decode(_ cursor: String) -> String? {
        guard cursor.hasPrefix("c1."), cursor.utf8.count <= 259 else { return nil }
        let hex = Array(cursor.utf8.dropFirst(3))
        guard hex.count.isMultiple(of: 2), !hex.isEmpty else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index < hex.count {
            guard let byte = UInt8(String(decoding: hex[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            index += 2
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
