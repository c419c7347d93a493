import Foundation
import KeywardCore

/// Where the control plane keeps its data, as given by `--database`: `sqlite:PATH` (or a bare path) for
/// the embedded default, `postgres://…` / `postgresql://…` for a PostgreSQL server.
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    public init(parsing text: String) throws {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw Self.invalid(text) }
            self = .sqlite(path: path)
        } else if !text.contains("://"), !text.isEmpty {
            self = .sqlite(path: text)
        } else {
            throw Self.invalid(text)
        }
    }

    /// Opens the store and brings its schema up to date.
    public func open(poolSize: Int = 8) throws -> SQLStore {
        let pool: ConnectionPool
        switch self {
        case .sqlite(let path):
            pool = try ConnectionPool(capacity: poolSize, dialect: .sqlite) { try SQLiteConnection(path: path) }
        case .postgres(let url):
            pool = try ConnectionPool(capacity: poolSize, dialect: .postgresql) { try PostgresConnection(url: url) }
        }
        return try SQLStore(pool: pool)
    }

    /// For logs: the engine and where, without a password.
    public var redacted: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres://…" }
            if components.password != nil { components.password = "***" }
            components.query = nil
            return components.string ?? "postgres://…"
        }
    }

    private static func invalid(_ text: String) -> KeywardError {
        KeywardError(.badRequest, code: "invalid_database", title: "Invalid database location",
                     detail: "'\(text.prefix(80))' is not a database location Keyward understands.",
                     hint: "Use sqlite:PATH for the embedded database or postgres://USER@HOST:PORT/DB for PostgreSQL.")
    }
}
