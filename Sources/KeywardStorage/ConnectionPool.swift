import Foundation
import KeywardCore

/// A fixed set of database connections shared by request threads. A caller borrows one for the length of
/// a closure; if all are busy it waits. Connections that failed at the network level are replaced.
public final class ConnectionPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var idle: [any SQLConnection]
    private var created: Int
    private let capacity: Int
    private let open: @Sendable () throws -> any SQLConnection
    public let dialect: SQLDialect

    /// Opens one connection eagerly so a bad URL or unreachable server fails at start-up, not on first use.
    public init(capacity: Int, dialect: SQLDialect, open: @escaping @Sendable () throws -> any SQLConnection) throws {
        precondition(capacity >= 1)
        self.capacity = capacity
        self.open = open
        self.dialect = dialect
        self.idle = [try open()]
        self.created = 1
    }

    public func withConnection<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        let connection = try checkout()
        var healthy = true
        defer { checkin(connection, healthy: healthy) }
        do {
            return try body(connection)
        } catch let failure as StorageFailure {
            if case .unavailable = failure { healthy = false }
            throw failure
        }
    }

    private func checkout() throws -> any SQLConnection {
        condition.lock()
        while idle.isEmpty && created >= capacity { condition.wait() }
        if let connection = idle.popLast() {
            condition.unlock()
            return connection
        }
        created += 1
        condition.unlock()
        do {
            return try open()
        } catch {
            condition.lock()
            created -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func checkin(_ connection: any SQLConnection, healthy: Bool) {
        condition.lock()
        if healthy { idle.append(connection) } else { created -= 1 }
        condition.signal()
        condition.unlock()
    }
}
