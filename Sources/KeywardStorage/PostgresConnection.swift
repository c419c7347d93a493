import CPostgres
import Glibc
import KeywardCore

/// One libpq connection. Queries go through PQexecParams with text parameters, so values are never
/// spliced into SQL text; `?` placeholders are rewritten to `$n`.
public final class PostgresConnection: SQLConnection {
    public let dialect = SQLDialect.postgresql
    private let handle: OpaquePointer

    public init(url: String) throws {
        guard let handle = PQconnectdb(url) else { throw StorageFailure.unavailable("libpq could not allocate a connection") }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle)).trimmedMessage
            PQfinish(handle)
            throw StorageFailure.unavailable("cannot connect to PostgreSQL: \(message)")
        }
        self.handle = handle
        try query("SET client_min_messages TO WARNING", [])
    }

    deinit { PQfinish(handle) }

    public func beginWrite() throws { try query("BEGIN", []) }

    @discardableResult
    public func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        let text = Self.numberPlaceholders(sql)
        // Parameters must outlive PQexecParams, so they are copied into C strings we free ourselves.
        let cStrings: [UnsafeMutablePointer<CChar>?] = parameters.map { value in
            switch value {
            case .null: nil
            case .integer(let number): strdup(String(number))
            case .text(let string): strdup(string)
            }
        }
        defer { cStrings.forEach { free($0) } }
        let result: OpaquePointer? = cStrings.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
            PQexecParams(handle, text, Int32(parameters.count), nil, buffer.baseAddress, nil, nil, 0)
        }
        guard let result else {
            throw StorageFailure.unavailable(String(cString: PQerrorMessage(handle)).trimmedMessage)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY: return []
        case PGRES_TUPLES_OK: break
        default: throw failure(result)
        }
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        var columns: [String: Int] = [:]
        for index in 0..<columnCount { columns[String(cString: PQfname(result, index))] = Int(index) }
        var rows: [SQLRow] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [SQLValue] = []
            for column in 0..<columnCount {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(.null)
                } else {
                    values.append(.text(String(cString: PQgetvalue(result, row, column))))
                }
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }

    private func failure(_ result: OpaquePointer) -> StorageFailure {
        let message = String(cString: PQresultErrorMessage(result)).trimmedMessage
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        if PQstatus(handle) != CONNECTION_OK { return .unavailable(message) }
        switch state {
        case "23505": return .uniqueViolation(message)
        case "23503": return .foreignKeyViolation(message)
        case let s where s.hasPrefix("08") || s.hasPrefix("57"): return .unavailable(message)
        default: return .other(message)
        }
    }

    /// `?` → `$1`, `$2`, … outside string literals.
    static func numberPlaceholders(_ sql: String) -> String {
        var out = ""
        var index = 0
        var inLiteral = false
        for character in sql {
            if character == "'" { inLiteral.toggle() }
            if character == "?" && !inLiteral {
                index += 1
                out += "$\(index)"
            } else {
                out.append(character)
            }
        }
        return out
    }
}

private extension String {
    var trimmedMessage: String {
        split(whereSeparator: \.isNewline).first.map(String.init) ?? self
    }
}
