import CSQLite
import KeywardCore

/// One SQLite connection in WAL mode. WAL lets readers proceed while one writer commits; the busy
/// timeout makes a second writer wait for the lock instead of failing.
public final class SQLiteConnection: SQLConnection {
    public let dialect = SQLDialect.sqlite
    private var handle: OpaquePointer?

    public init(path: String, busyTimeoutMilliseconds: Int32 = 10_000) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw StorageFailure.unavailable("cannot open SQLite database at \(path): \(message)")
        }
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(handle, 1)
        try query("PRAGMA journal_mode=WAL", [])
        try query("PRAGMA foreign_keys=ON", [])
        try query("PRAGMA synchronous=NORMAL", [])
    }

    /// Prepared statements by their text: the same few queries run all the time (the audit journal's insert
    /// most of all), and parsing one costs more than running it. A connection is used by one thread at a time.
    private var statements: [String: OpaquePointer] = [:]
    /// The column positions of each prepared statement's rows, by name: made once, shared by every row.
    private var columnNames: [OpaquePointer: [String: Int]] = [:]

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    public func beginWrite() throws { try query("BEGIN IMMEDIATE", []) }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw failure(sqlite3_errcode(handle))
        }
        if statements.count >= 256 {
            for cached in statements.values { sqlite3_finalize(cached) }
            statements.removeAll()
            columnNames.removeAll()
        }
        statements[sql] = statement
        return statement
    }

    @discardableResult
    public func query(_ sql: String, _ parameters: [SQLValue]) throws -> [SQLRow] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        // Texts are bound from one buffer holding all of them, which outlives the statement's steps, so SQLite
        // uses them where they are instead of copying each into an allocation of its own (an audit batch
        // binds thousands).
        var texts: [UInt8] = []
        texts.reserveCapacity(parameters.reduce(0) { total, parameter in
            if case .text(let value) = parameter { total + value.utf8.count } else { total }
        })
        for parameter in parameters { if case .text(let value) = parameter { texts.append(contentsOf: value.utf8) } }
        return try texts.withUnsafeBufferPointer { texts in
            var offset = 0
            for (position, parameter) in parameters.enumerated() {
                let index = Int32(position + 1)
                let status: Int32
                switch parameter {
                case .null: status = sqlite3_bind_null(statement, index)
                case .integer(let value): status = sqlite3_bind_int64(statement, index, value)
                case .text(let value):
                    let count = value.utf8.count
                    // (An empty text is copied from a literal: a null address would bind NULL.)
                    status = count == 0 ? sqlite3_bind_text(statement, index, "", 0, csqlite_transient())
                        : sqlite3_bind_text(statement, index, texts.baseAddress! + offset, Int32(count), nil)
                    offset += count
                }
                guard status == SQLITE_OK else { throw failure(status) }
            }
            return try rows(statement)
        }
    }

    private func rows(_ statement: OpaquePointer) throws -> [SQLRow] {
        let columnCount = sqlite3_column_count(statement)
        // (A statement SQLite prepared again after a schema change may have other columns: then made anew.)
        let columns = columnNames[statement].flatMap { $0.count == Int(columnCount) ? $0 : nil } ?? {
            var columns: [String: Int] = [:]
            for index in 0..<columnCount {
                columns[String(cString: sqlite3_column_name(statement, index))] = Int(index)
            }
            columnNames[statement] = columns
            return columns
        }()
        var rows: [SQLRow] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw failure(status) }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(columnCount))
            for index in 0..<columnCount {
                switch sqlite3_column_type(statement, index) {
                case SQLITE_NULL: values.append(.null)
                case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(statement, index)))
                default:
                    if let text = sqlite3_column_text(statement, index) {
                        values.append(.text(String(cString: text)))
                    } else {
                        values.append(.null)
                    }
                }
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }

    private func failure(_ status: Int32) -> StorageFailure {
        let message = String(cString: sqlite3_errmsg(handle))
        switch status {
        case 2067, 1555: return .uniqueViolation(message)  // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
        case 787: return .foreignKeyViolation(message)     // SQLITE_CONSTRAINT_FOREIGNKEY
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL: return .unavailable(message)
        case SQLITE_CORRUPT, SQLITE_NOTADB: return .corrupt(message)
        default: return .other(message)
        }
    }
}
