import Foundation
import KeywardCore
import KeywardStorage

/// The engines the store contract runs on. PostgreSQL is the server `make test` started; its URL is in
/// KEYWARD_TEST_POSTGRES_URL.
public enum StoreEngine: String, CaseIterable, Sendable {
    case sqlite
    case postgresql

    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["KEYWARD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// SQLite always; PostgreSQL when a server is configured. `postgresIsConfiguredWhenRequired` makes a
    /// missing server a failure under `make test`, so the PostgreSQL half can never silently not run.
    public static var available: [StoreEngine] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgresql] }

    /// A fresh, empty store and the closure that deletes it.
    public func open() throws -> (SQLStore, cleanup: () -> Void) {
        let (store, _, cleanup) = try openWithRawAccess()
        return (store, cleanup)
    }

    /// A fresh store, and a connection of its own to the same database, beside the store: what someone with
    /// access to the database file (or server) could do behind Keyward's back.
    public func openWithRawAccess() throws -> (SQLStore, raw: () throws -> any SQLConnection, cleanup: () -> Void) {
        let database = try emptyDatabase()
        do {
            return (try database.openStore(), database.raw, database.cleanup)
        } catch {
            database.cleanup()
            throw error
        }
    }

    /// A database with nothing in it yet (no schema): for tests that bring it to an older schema first.
    public func emptyDatabase() throws -> EmptyDatabase {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("keyward.db").path
            return EmptyDatabase(location: .sqlite(path: path), raw: { try SQLiteConnection(path: path) },
                                 cleanup: { try? FileManager.default.removeItem(at: directory) })
        case .postgresql:
            guard let url = Self.postgresURL else { throw MissingPostgres() }
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let admin = try PostgresConnection(url: url)
            try admin.query("CREATE SCHEMA \(schema)", [])
            let scoped = url + (url.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
            return EmptyDatabase(location: .postgres(url: scoped), raw: { try PostgresConnection(url: scoped) },
                                 cleanup: { _ = try? admin.query("DROP SCHEMA \(schema) CASCADE", []) })
        }
    }
}

public struct EmptyDatabase {
    public let location: StoreLocation
    /// A connection of its own, outside any store.
    public let raw: () throws -> any SQLConnection
    public let cleanup: () -> Void

    /// The store on it (which brings its schema up to date).
    public func openStore() throws -> SQLStore { try location.open(poolSize: 4) }
}

public struct MissingPostgres: Error, CustomStringConvertible {
    public var description: String { "KEYWARD_TEST_POSTGRES_URL is not set" }
}
