import Foundation
import KeywardCore

/// The `Store` over any SQL engine we drive. Queries use the subset SQLite and PostgreSQL share, so the
/// domain logic exists once and the engines differ only in their connection type.
public final class SQLStore: Store {
    let pool: ConnectionPool

    public init(pool: ConnectionPool) throws {
        self.pool = pool
        _ = try pool.withConnection { try Migrations.apply(on: $0) }
        try chainLegacyAuditRecords()
    }

    /// Runs `body` on a pooled connection, turning engine failures into domain errors.
    func run<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        do {
            return try pool.withConnection(body)
        } catch let failure as StorageFailure {
            switch failure {
            case .unavailable:
                throw KeywardError(.unavailable, code: "storage_unavailable", title: "Database unavailable",
                                   detail: "The database could not be reached.",
                                   hint: "Retry shortly; an operator should check the database.",
                                   internalCause: failure.description)
            case .uniqueViolation:
                throw KeywardError.conflict(code: "name_taken", "That name is already used here.",
                                            hint: "Choose another name, or change the existing item.")
            default:
                throw KeywardError(.internalError, code: "storage_error", title: "Database error",
                                   detail: "The database rejected the operation.",
                                   hint: "Retry; if it persists, report it with the request id.",
                                   internalCause: failure.description)
            }
        }
    }

    /// Like `run`, in one write transaction.
    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try run { connection in try connection.transaction { try body(connection) } }
    }

    public func ping() throws {
        _ = try run { try $0.query("SELECT 1 AS one", []) }
    }
}

// MARK: - Shared helpers

extension SQLStore {
    static func now() -> (Date, SQLValue) {
        let date = Timestamp.now()
        return (date, .text(Timestamp.format(date)))
    }

    static func date(_ row: SQLRow, _ column: String) throws -> Date {
        let text = try row.text(column)
        guard let date = Timestamp.parse(text) else { throw StorageFailure.corrupt("\(column) is not a timestamp") }
        return date
    }

    static func optionalDate(_ row: SQLRow, _ column: String) throws -> Date? {
        guard let text = try row.optionalText(column) else { return nil }
        guard let date = Timestamp.parse(text) else { throw StorageFailure.corrupt("\(column) is not a timestamp") }
        return date
    }

    /// Fetches one page in id order: `limit + 1` rows tell whether another page follows.
    static func page<Item>(_ connection: any SQLConnection, select: String, where conditions: [String],
                           _ parameters: [SQLValue], _ request: PageRequest, key: (Item) -> String,
                           decode: (SQLRow) throws -> Item) throws -> Page<Item> {
        var clauses = conditions
        var values = parameters
        if let after = request.after {
            clauses.append("id > ?")
            guard let id = Int64(after) else { throw PageRequest.invalidCursor }
            values.append(.integer(id))
        }
        let whereText = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        values.append(.integer(Int64(request.limit + 1)))
        let rows = try connection.query("\(select)\(whereText) ORDER BY id LIMIT ?", values)
        return Page(fetched: try rows.map(decode), limit: request.limit, key: key)
    }
}
