import Foundation
import KeywardCore
import KeywardCrypto

extension SQLStore {
    /// A record with its details. A LEFT JOIN: a record whose details row went missing still reads, and
    /// fails to decode, so verification reports it instead of skipping it.
    static let auditColumns = """
        SELECT e.id, e.workspace_id, e.at, e.actor_token_id, e.actor_role, e.action, e.project_id, e.connection_id, e.store_id,
               e.outcome, d.body AS details, e.request_id, e.seq, e.prev_hash, e.hash, e.last_seq, e.last_at, e.last_hash, e.run
        FROM audit_events e LEFT JOIN audit_details d ON d.id = e.details_id
        """

    /// Appends one record inside the caller's transaction, so a change and its record land together.
    static func appendAudit(_ connection: any SQLConnection, workspace: WorkspaceID, actor: Actor, action: AuditAction,
                            project: ProjectID?, store: StoreID?, connectionID: ConnectionID? = nil, outcome: String = "success",
                            details: [String: JSONValue]) throws {
        try appendAudit(connection, [AuditEntry(workspaceID: workspace, actor: actor, action: action, projectID: project,
                                                connectionID: connectionID, storeID: store, outcome: outcome, details: details)])
    }

    /// Appends records to their chains inside the caller's write transaction.
    static func appendAudit(_ connection: any SQLConnection, _ entries: [AuditEntry]) throws {
        try AuditEntry.withWritten(entries) { try appendAudit(connection, $0) }
    }

    /// Appends written records to their chains inside the caller's write transaction: per chain (in
    /// workspace order, so two writers never wait on each other crosswise), lock its head, hash each record
    /// onto it, insert them (consecutive records alike but for time, request and hash as one row:
    /// `AuditRun`), move the head.
    static func appendAudit(_ connection: any SQLConnection, _ records: [WrittenAuditRecord]) throws {
        // Positions grouped by chain, in order within each (a batch usually holds one or a few chains).
        let order = records.indices.sorted { (records[$0].workspaceID, $0) < (records[$1].workspaceID, $1) }
        var input: [UInt8] = []
        let digester = SHA256HexDigester()
        // The values of the rows not inserted yet, one row after another: at most one INSERT's worth.
        var rows: [SQLValue] = []
        rows.reserveCapacity(min(records.count, rowsPerInsert) * columnCount)
        var next = order.startIndex
        while next < order.endIndex {
            let workspace = records[order[next]].workspaceID
            var end = next
            while end < order.endIndex && records[order[end]].workspaceID == workspace { end += 1 }
            try connection.query("""
                INSERT INTO audit_chains (workspace_id, head_seq, head_hash, anchor_seq, anchor_hash) VALUES (?, 0, ?, 0, ?)
                ON CONFLICT DO NOTHING
                """, [.integer(workspace.rawValue), .text(AuditChain.genesis), .text(AuditChain.genesis)])
            guard let head = try connection.queryOne(
                "SELECT head_seq, head_hash FROM audit_chains WHERE workspace_id = ?\(connection.dialect.forUpdate)",
                [.integer(workspace.rawValue)]) else { throw StorageFailure.corrupt("audit chain \(workspace) has no head") }
            var seq = try head.integer("head_seq")
            var previous = try head.text("head_hash")
            var details = SharedDetails(workspace: workspace)
            var run: AuditRun?
            for position in order[next..<end] {
                let record = records[position]
                seq += 1
                input.removeAll(keepingCapacity: true)
                record.writeHashInput(seq: seq, prevHash: previous, into: &input)
                let hash = digester.digest(input)
                if run?.admits(record) == true {
                    run!.append(record, seq: seq, hash: hash)
                } else {
                    if let finished = run { try appendRow(finished, &details, connection, &rows) }
                    run = AuditRun(record, seq: seq, prevHash: previous, hash: hash)
                }
                previous = hash
            }
            if let finished = run { try appendRow(finished, &details, connection, &rows) }
            try insert(connection, &rows)
            try connection.query("UPDATE audit_chains SET head_seq = ?, head_hash = ? WHERE workspace_id = ?",
                                 [.integer(seq), .text(previous), .integer(workspace.rawValue)])
            next = end
        }
    }

    /// The details rows one commit writes for one chain: each distinct value once (consecutive records
    /// usually share it).
    private struct SharedDetails {
        let workspace: WorkspaceID
        var ids: [[UInt8]: Int64] = [:]
        var last: (body: [UInt8], id: Int64)?

        init(workspace: WorkspaceID) { self.workspace = workspace }

        mutating func id(of written: UnsafeRawBufferPointer, _ connection: any SQLConnection) throws -> Int64 {
            if let last, last.body.withUnsafeBytes({ WrittenAuditRecord.equal($0, written) }) { return last.id }
            let body = Array(written)
            let id: Int64
            if let known = ids[body] {
                id = known
            } else {
                guard let row = try connection.queryOne("INSERT INTO audit_details (workspace_id, body) VALUES (?, ?) RETURNING id",
                                                        [.integer(workspace.rawValue), .text(String(decoding: body, as: UTF8.self))])
                else { throw StorageFailure.corrupt("audit_details returned no id") }
                id = try row.integer("id")
                ids[body] = id
            }
            last = (body, id)
            return id
        }
    }

    private static let insertColumns = """
        workspace_id, at, actor_token_id, actor_role, action, project_id, connection_id, store_id, outcome, details_id, request_id, seq, \
        prev_hash, hash, last_seq, last_at, last_hash, run
        """
    private static let columnCount = 18
    private static let rowsPerInsert = 128

    /// Inserts the rows in `rows` (their values one row after another, at most 128 rows) in one multi-row
    /// INSERT, and empties it: one statement per row would cost more than the rest of a batch. The
    /// statements' texts are made once (and their prepared statements kept by the connection).
    private static func insert(_ connection: any SQLConnection, _ rows: inout [SQLValue]) throws {
        guard !rows.isEmpty else { return }
        try connection.query(insertStatements[rows.count / columnCount], rows)
        rows.removeAll(keepingCapacity: true)
    }

    private static let insertStatements: [String] = (0...rowsPerInsert).map { count in
        "INSERT INTO audit_events (\(insertColumns)) VALUES "
            + Array(repeating: "(" + Array(repeating: "?", count: columnCount).joined(separator: ", ") + ")", count: count).joined(separator: ", ")
    }

    /// Adds the row of `run` to `rows`, inserting them first if they are a whole INSERT's worth.
    private static func appendRow(_ run: AuditRun, _ details: inout SharedDetails, _ connection: any SQLConnection,
                                  _ rows: inout [SQLValue]) throws {
        let record = run.first
        let detailsID = try details.id(of: record.detailsJSON, connection)
        rows.append(.integer(record.workspaceID.rawValue))
        rows.append(.text(record.timeText))
        rows.append(.text(record.tokenIDText))
        rows.append(.text(record.role.rawValue))
        rows.append(.text(record.action.rawValue))
        rows.append(record.projectID.map { .integer($0.rawValue) } ?? .null)
        rows.append(record.connectionID.map { .integer($0.rawValue) } ?? .null)
        rows.append(record.storeID.map { .integer($0.rawValue) } ?? .null)
        rows.append(.text(record.outcomeText))
        rows.append(.integer(detailsID))
        rows.append(.text(record.requestIDText))
        rows.append(.integer(run.firstSeq))
        rows.append(.text(run.prevHash))
        rows.append(.text(run.firstHash))
        rows.append(.integer(run.lastSeq))
        rows.append(.text(Timestamp.format(run.lastAt)))
        rows.append(.text(run.lastHash))
        rows.append(run.runText.map { .text($0) } ?? .null)
        if rows.count == rowsPerInsert * columnCount { try insert(connection, &rows) }
    }

    public func appendAudit(_ records: [WrittenAuditRecord], journal: AuditJournalPosition?) throws {
        guard !records.isEmpty || journal != nil else { return }
        try write { connection in
            try Self.appendAudit(connection, records)
            if let journal {
                try connection.query("""
                    INSERT INTO audit_journals (instance, indexed_seq) VALUES (?, ?)
                    ON CONFLICT (instance) DO UPDATE SET indexed_seq = excluded.indexed_seq
                    """, [.text(journal.instance), .integer(journal.seq)])
            }
        }
    }

    public func auditJournalPosition(_ instance: String) throws -> Int64 {
        try run { connection in
            try connection.queryOne("SELECT indexed_seq FROM audit_journals WHERE instance = ?", [.text(instance)])?.integer("indexed_seq") ?? 0
        }
    }

    public func recordAudit(in workspace: WorkspaceID, action: AuditAction, project: ProjectID?, details: [String: JSONValue],
                            by actor: Actor) throws {
        try write { connection in
            try Self.appendAudit(connection, workspace: workspace, actor: actor, action: action, project: project, store: nil, details: details)
        }
    }

    public func listAudit(in workspace: WorkspaceID, _ filter: AuditFilter, _ request: PageRequest) throws -> Page<AuditEvent> {
        var conditions = ["e.workspace_id = ?"]
        var parameters: [SQLValue] = [.integer(workspace.rawValue)]
        func add(_ condition: String, _ value: SQLValue) {
            conditions.append(condition)
            parameters.append(value)
        }
        // A row's records share everything filtered by but their times, which lie between its first (`at`)
        // and its last (`last_at`): rows are chosen here, their records one by one below.
        if let since = filter.since { add("e.last_at >= ?", .text(Timestamp.format(since))) }
        if let until = filter.until { add("e.at < ?", .text(Timestamp.format(until))) }
        if let actor = filter.actor { add("e.actor_token_id = ?", .text(actor.rawValue)) }
        if let project = filter.projectID { add("e.project_id = ?", .integer(project.rawValue)) }
        if let id = filter.connectionID { add("e.connection_id = ?", .integer(id.rawValue)) }
        if let action = filter.action { add("e.action = ?", .text(action.rawValue)) }
        if let outcome = filter.outcome { add("e.outcome = ?", .text(outcome)) }
        var cursor: Int64 = 0
        if let after = request.after {
            guard let seq = Int64(after) else { throw PageRequest.invalidCursor }
            cursor = seq
        }
        func admits(_ event: AuditEvent) -> Bool {
            event.seq > cursor && filter.since.map { event.at >= $0 } ?? true && filter.until.map { event.at < $0 } ?? true
        }
        return try run { connection in
            var found: [AuditEvent] = []
            try Self.readAuditRows(connection, where: conditions, parameters, after: cursor, rowsPerRead: request.limit + 1) { row in
                for record in try Self.decodeAuditRow(row) where admits(record) {
                    found.append(record)
                    if found.count > request.limit { return false }
                }
                return true
            }
            return Page(fetched: found, limit: request.limit, key: { String($0.seq) })
        }
    }

    /// Hands `body` the rows `conditions` choose (the first one naming the workspace) that end after position
    /// `after`, in chain order, `rowsPerRead` per query, until it returns false or none are left. The index on
    /// (workspace_id, last_seq) serves it.
    static func readAuditRows(_ connection: any SQLConnection, where conditions: [String], _ parameters: [SQLValue], after: Int64,
                              rowsPerRead: Int, _ body: (SQLRow) throws -> Bool) throws {
        let statement = "\(auditColumns) WHERE \(conditions.joined(separator: " AND ")) AND e.last_seq > ? ORDER BY e.seq LIMIT ?"
        var after = after
        while true {
            let rows = try connection.query(statement, parameters + [.integer(after), .integer(Int64(rowsPerRead))])
            for row in rows {
                guard try body(row) else { return }
                after = max(after, try row.integer("last_seq"))
            }
            if rows.count < rowsPerRead { return }
        }
    }

    // MARK: Chains

    public func auditChains() throws -> [WorkspaceID] {
        try run { connection in
            try connection.query("SELECT workspace_id FROM audit_chains ORDER BY workspace_id", []).map { WorkspaceID(try $0.integer("workspace_id")) }
        }
    }

    public func auditChainEnds(_ workspace: WorkspaceID) throws -> AuditChain.Ends {
        try run { connection in try Self.ends(connection, workspace) }
    }

    static func ends(_ connection: any SQLConnection, _ workspace: WorkspaceID) throws -> AuditChain.Ends {
        guard let row = try connection.queryOne(
            "SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM audit_chains WHERE workspace_id = ?", [.integer(workspace.rawValue)])
        else { return AuditChain.Ends() }
        return AuditChain.Ends(anchorSeq: try row.integer("anchor_seq"), anchorHash: try row.text("anchor_hash"),
                               headSeq: try row.integer("head_seq"), headHash: try row.text("head_hash"))
    }

    /// Reads the chain in `seq` order, a page at a time, through `AuditChain.Verifier`.
    public func verifyAudit(in workspace: WorkspaceID, exported: AuditChain.SignedHead?) throws -> AuditChain.Report {
        try run { connection in
            let ends = try Self.ends(connection, workspace)
            let digester = SHA256HexDigester()
            var verifier = AuditChain.Verifier(workspace, ends: ends, exported: exported) { digester.digest($0) }
            try Self.readAuditRows(connection, where: ["e.workspace_id = ?"], [.integer(workspace.rawValue)], after: -1, rowsPerRead: 2000) { row in
                // A row that no longer decodes was edited into something the schema does not allow.
                guard let records = try? Self.decodeAuditRow(row) else {
                    verifier.unreadable(seq: (try? row.integer("seq")) ?? verifier.expected, recordID: try? row.integer("id"))
                    return false
                }
                guard verifier.check(row: records) else { return false }
                // Its end as the row's own columns give it (paging, retention and anchors use them).
                let last = records[records.count - 1]
                guard (try? row.optionalInteger("last_seq")) == last.seq, (try? row.optionalText("last_hash")) == last.hash,
                      (try? row.optionalText("last_at")) == Timestamp.format(last.at) else {
                    verifier.unreadable(seq: last.seq, recordID: last.id)
                    return false
                }
                return true
            }
            return verifier.finish()
        }
    }

    /// Deletes, per chain, the records written before `cutoff` (a prefix of the chain) and moves the chain's
    /// anchor to the last one deleted, so what is kept still verifies. Returns how many were deleted.
    public func pruneAudit(before cutoff: Date) throws -> Int {
        try write { connection in
            var deleted = 0
            for workspace in try connection.query("SELECT workspace_id FROM audit_chains ORDER BY workspace_id\(connection.dialect.forUpdate)", [])
                .map({ WorkspaceID(try $0.integer("workspace_id")) }) {
                let ends = try Self.ends(connection, workspace)
                // The first row with a record to keep; everything before it in the chain goes, even if a later
                // one is older. (A row is kept whole: its first records may be a few milliseconds older.)
                let keep = try connection.queryOne("SELECT MIN(seq) AS seq FROM audit_events WHERE workspace_id = ? AND last_at >= ?",
                                                   [.integer(workspace.rawValue), .text(Timestamp.format(cutoff))])
                let lastPruned = try keep?.optionalInteger("seq").map { $0 - 1 } ?? ends.headSeq
                guard lastPruned > ends.anchorSeq,
                      let anchor = try connection.queryOne("SELECT last_hash AS hash FROM audit_events WHERE workspace_id = ? AND last_seq = ?",
                                                           [.integer(workspace.rawValue), .integer(lastPruned)]) else { continue }
                let rows = try connection.query("DELETE FROM audit_events WHERE workspace_id = ? AND last_seq <= ? RETURNING seq, last_seq",
                                                [.integer(workspace.rawValue), .integer(lastPruned)])
                // A chain's details rows are numbered in chain order (its head is locked before they are
                // written), so every row older than the oldest one a retained record points at belonged to
                // pruned records only. (A row shared within the commit where the cut falls may stay.)
                try connection.query("""
                    DELETE FROM audit_details WHERE workspace_id = ?
                    AND id < COALESCE((SELECT MIN(details_id) FROM audit_events WHERE workspace_id = ?), (SELECT MAX(id) + 1 FROM audit_details))
                    """, [.integer(workspace.rawValue), .integer(workspace.rawValue)])
                try connection.query("UPDATE audit_chains SET anchor_seq = ?, anchor_hash = ? WHERE workspace_id = ?",
                                     [.integer(lastPruned), .text(try anchor.text("hash")), .integer(workspace.rawValue)])
                deleted += try rows.reduce(0) { $0 + Int(try $1.integer("last_seq") - $1.integer("seq") + 1) }
            }
            return deleted
        }
    }

    /// Gives records written before the chain existed (schema version 3 and earlier) their place in it, in
    /// id order, once: when the store opens after migration 4, which left a row in audit_unchained; the row
    /// goes in the same transaction.
    func chainLegacyAuditRecords() throws {
        guard try run({ try $0.queryOne("SELECT pending FROM audit_unchained", []) }) != nil else { return }
        try write { connection in
            guard try connection.queryOne("SELECT pending FROM audit_unchained\(connection.dialect.forUpdate)", []) != nil else { return }
            try connection.query("DELETE FROM audit_unchained", [])
            let rows = try connection.query("\(Self.auditColumns) WHERE e.seq IS NULL ORDER BY e.id", [])
            guard !rows.isEmpty else { return }
            let events = try rows.map(Self.decodeAudit)
            try connection.query("DELETE FROM audit_details WHERE id IN (SELECT details_id FROM audit_events WHERE seq IS NULL)", [])
            try connection.query("DELETE FROM audit_events WHERE seq IS NULL", [])
            try Self.appendAudit(connection, events.map { event in
                AuditEntry(workspaceID: event.workspaceID, at: event.at,
                           actor: Actor(tokenID: event.actorTokenID, role: event.actorRole, requestID: event.requestID),
                           action: event.action, projectID: event.projectID, connectionID: event.connectionID, storeID: event.storeID,
                           outcome: event.outcome, details: event.details)
            })
        }
    }

    /// The records of a row: one, or a run (`AuditRun`).
    static func decodeAuditRow(_ row: SQLRow) throws -> [AuditEvent] {
        try AuditRun.records(first: decodeAudit(row), run: row.optionalText("run"))
    }

    /// A row's first record (its only one unless it holds a run).
    static func decodeAudit(_ row: SQLRow) throws -> AuditEvent {
        guard let token = TokenID(rawValue: try row.text("actor_token_id")), let role = Role(rawValue: try row.text("actor_role")),
              let action = AuditAction(rawValue: try row.text("action")) else {
            throw StorageFailure.corrupt("audit_events row has an unknown actor, role or action")
        }
        let details = try JSONDecoder().decode([String: JSONValue].self, from: Data(try row.text("details").utf8))
        var event = AuditEvent(id: try row.integer("id"), workspaceID: WorkspaceID(try row.integer("workspace_id")),
                               at: try date(row, "at"), actorTokenID: token, actorRole: role, action: action,
                               projectID: try row.optionalInteger("project_id").map(ProjectID.init),
                               connectionID: try row.optionalInteger("connection_id").map(ConnectionID.init),
                               storeID: try row.optionalInteger("store_id").map(StoreID.init), outcome: try row.text("outcome"),
                               details: details, requestID: try row.text("request_id"))
        // NULL only for records not yet chained (written before schema version 4).
        event.seq = try row.optionalInteger("seq") ?? 0
        event.prevHash = try row.optionalText("prev_hash") ?? ""
        event.hash = try row.optionalText("hash") ?? ""
        return event
    }
}
