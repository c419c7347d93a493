import Foundation
import KeywardCore
import KeywardCrypto
@testable import KeywardStorage
import KeywardTestSupport
import Testing

/// The audit trail's hash chain on both engines, and every kind of tampering done to the real database
/// behind the store's back: edit, delete, reorder, truncate. Verification names the record where the chain
/// breaks.
@Suite struct AuditChainContractTests {
    static let ws = WorkspaceID(7), other = WorkspaceID(8)

    struct Fixture: @unchecked Sendable {
        let store: SQLStore
        let raw: any SQLConnection
        let cleanup: () -> Void

        init(_ engine: StoreEngine) throws {
            let opened = try engine.openWithRawAccess()
            store = opened.0
            raw = try opened.raw()
            cleanup = opened.cleanup
        }

        func entry(_ n: Int, workspace: WorkspaceID = AuditChainContractTests.ws, at: Date = Timestamp.now()) -> AuditEntry {
            AuditEntry(workspaceID: workspace, at: at, actor: Actor(tokenID: TokenID(rawValue: "00000000000000a1")!, role: .runtime, requestID: "r-\(n)"),
                       action: .connectionResolved, projectID: ProjectID(1), connectionID: ConnectionID(Int64(n)),
                       details: ["references": .array([.object(["reference": .string("secret:db#password"), "cache": .string("hit")])]), "n": .number(Double(n))])
        }

        /// Ten records in the workspace's chain, three in another, interleaved in two commits.
        func fill() throws {
            try store.appendAudit((1...5).map { entry($0) } + [entry(100, workspace: AuditChainContractTests.other)])
            try store.appendAudit((6...10).map { entry($0) } + [entry(101, workspace: AuditChainContractTests.other), entry(102, workspace: AuditChainContractTests.other)])
        }

        func verify(_ workspace: WorkspaceID = AuditChainContractTests.ws, exported: AuditChain.SignedHead? = nil) throws -> AuditChain.Report {
            try store.verifyAudit(in: workspace, exported: exported)
        }

        func head() throws -> AuditChain.SignedHead {
            let ends = try store.auditChainEnds(AuditChainContractTests.ws)
            return AuditChain.SignedHead(workspaceID: AuditChainContractTests.ws.rawValue, seq: ends.headSeq, hash: ends.headHash, at: "now")
        }
    }

    @Test(arguments: StoreEngine.available)
    func recordsAreChainedPerWorkspaceInCommitOrder(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        try f.fill()
        let report = try f.verify()
        #expect(report.ok && report.records == 10 && report.firstSeq == 1 && report.lastSeq == 10 && report.problem == nil)
        #expect(try f.verify(Self.other).records == 3)
        #expect(try f.store.auditChains() == [Self.ws, Self.other])
        let events = try f.store.listAudit(in: Self.ws, AuditFilter(), PageRequest(limit: 100)).items
        #expect(events.map(\.seq) == Array(1...10))
        #expect(events[0].prevHash == AuditChain.genesis)
        #expect(zip(events.dropFirst(), events).allSatisfy { $0.prevHash == $1.hash })
        #expect(Set(events.map(\.hash)).count == 10)
        // A settings change written inside its own transaction joins the same chain.
        try f.store.recordAudit(in: Self.ws, action: .cacheInvalidated, project: nil, details: [:],
                                by: Actor(tokenID: TokenID(rawValue: "00000000000000b2")!, role: .workspaceAdmin, requestID: "r-x"))
        #expect(try f.verify().records == 11)
    }

    @Test(arguments: StoreEngine.available)
    func anEditedRecordIsFoundWhereverTheEditIs(_ engine: StoreEngine) throws {
        let edits = [("outcome", "'access_denied'"), ("actor_token_id", "'00000000000000ff'"), ("at", "'2020-01-01T00:00:00.000Z'"),
                     ("connection_id", "NULL"), ("request_id", "'other'")].map { column, value in
            "UPDATE audit_events SET \(column) = \(value) WHERE workspace_id = 7 AND seq = 4"
        } + [
            // Details live in their own table.
            "UPDATE audit_details SET body = '{}' WHERE id = (SELECT details_id FROM audit_events WHERE workspace_id = 7 AND seq = 4)",
            "UPDATE audit_events SET details_id = (SELECT details_id FROM audit_events WHERE workspace_id = 7 AND seq = 5) WHERE workspace_id = 7 AND seq = 4",
            "DELETE FROM audit_details WHERE id = (SELECT details_id FROM audit_events WHERE workspace_id = 7 AND seq = 4)",
        ]
        for edit in edits {
            let f = try Fixture(engine)
            defer { f.cleanup() }
            try f.fill()
            try f.raw.query(edit, [])
            let report = try f.verify()
            #expect(!report.ok && report.problem?.kind == .edited && report.problem?.seq == 4, "\(edit): \(report)")
            #expect(report.lastSeq == 3)
            #expect(try f.verify(Self.other).ok, "other chains are not affected")
        }
    }

    @Test(arguments: StoreEngine.available)
    func aDeletedRecordIsMissing(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        try f.fill()
        try f.raw.query("DELETE FROM audit_events WHERE workspace_id = 7 AND seq IN (5, 6)", [])
        let report = try f.verify()
        #expect(report.problem?.kind == .missing && report.problem?.seq == 5)
        #expect(report.problem?.detail.contains("5–6") == true)
    }

    @Test(arguments: StoreEngine.available)
    func reorderedRecordsDoNotFollowEachOther(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        try f.fill()
        // Swap positions 3 and 4 (through a free number, past the unique index).
        try f.raw.query("UPDATE audit_events SET seq = 1000 WHERE workspace_id = 7 AND seq = 3", [])
        try f.raw.query("UPDATE audit_events SET seq = 3 WHERE workspace_id = 7 AND seq = 4", [])
        try f.raw.query("UPDATE audit_events SET seq = 4 WHERE workspace_id = 7 AND seq = 1000", [])
        let report = try f.verify()
        #expect(report.problem?.kind == .outOfOrder && report.problem?.seq == 3)

        // Swapping ids instead (the order the trail is listed in) is caught too.
        let g = try Fixture(engine)
        defer { g.cleanup() }
        try g.fill()
        let ids = try g.raw.query("SELECT id FROM audit_events WHERE workspace_id = 7 AND seq IN (6, 7) ORDER BY seq", []).map { try $0.integer("id") }
        try g.raw.query("UPDATE audit_events SET id = 100000 WHERE id = ?", [.integer(ids[0])])
        try g.raw.query("UPDATE audit_events SET id = ? WHERE id = ?", [.integer(ids[0]), .integer(ids[1])])
        try g.raw.query("UPDATE audit_events SET id = ? WHERE id = 100000", [.integer(ids[1])])
        #expect(try g.verify().problem?.kind == .outOfOrder)
    }

    @Test(arguments: StoreEngine.available)
    func truncationIsCaughtByTheHeadOrByAnExportedHead(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        try f.fill()
        let exported = try f.head()
        #expect(try f.verify(exported: exported).ok)

        try f.raw.query("DELETE FROM audit_events WHERE workspace_id = 7 AND seq > 8", [])
        let cut = try f.verify()
        #expect(cut.problem?.kind == .truncated && cut.problem?.seq == 9)

        // Someone who also moves the head back leaves a chain that is whole as far as it goes; the head
        // exported before says otherwise.
        let eighth = try #require(try f.raw.queryOne("SELECT hash FROM audit_events WHERE workspace_id = 7 AND seq = 8", []))
        try f.raw.query("UPDATE audit_chains SET head_seq = 8, head_hash = ? WHERE workspace_id = 7", [.text(try eighth.text("hash"))])
        #expect(try f.verify().ok)
        let report = try f.verify(exported: exported)
        #expect(report.problem?.kind == .truncated && report.problem?.detail.contains("record 10") == true)

        // Rewriting the chain from some point on, hashes and all, does not match the exported head either.
        var forged = exported
        forged.seq = 8
        forged.hash = String(repeating: "a", count: 64)
        #expect(try f.verify(exported: forged).problem?.kind == .edited)
    }

    @Test(arguments: StoreEngine.available)
    func pruningKeepsWhatRemainsVerifiable(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        let old = Date(timeIntervalSinceNow: -40 * 86_400)
        try f.store.appendAudit((1...4).map { f.entry($0, at: old) } + [f.entry(50, workspace: Self.other, at: old)])
        try f.store.appendAudit((5...7).map { f.entry($0) })
        let exported = try f.head()
        #expect(try f.store.pruneAudit(before: Date(timeIntervalSinceNow: -30 * 86_400)) == 5)
        let report = try f.verify(exported: exported)
        #expect(report.ok && report.firstSeq == 5 && report.records == 3)
        #expect(try f.store.auditChainEnds(Self.ws).anchorSeq == 4)
        #expect(try f.verify(Self.other).records == 0)
        // Nothing older remains, so pruning again removes nothing; new records continue the chain.
        #expect(try f.store.pruneAudit(before: Date(timeIntervalSinceNow: -30 * 86_400)) == 0)
        try f.store.appendAudit([f.entry(8)])
        #expect(try f.verify().lastSeq == 8)
        // Tampering with what is kept is still found.
        try f.raw.query("UPDATE audit_events SET outcome = 'x' WHERE workspace_id = 7 AND seq = 5", [])
        #expect(try f.verify().problem?.seq == 5)
    }

    @Test(arguments: StoreEngine.available)
    func recordsOfACommitStoreTheDetailsTheyShareOnce(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        func details(_ cache: String) -> [String: JSONValue] {
            ["references": .array([.object(["reference": .string("secret:db#password"), "cache": .string(cache)])])]
        }
        func resolve(_ n: Int, cache: String, workspace: WorkspaceID = Self.ws, at: Date = Timestamp.now()) -> AuditEntry {
            AuditEntry(workspaceID: workspace, at: at, actor: Actor(tokenID: TokenID(rawValue: "00000000000000a1")!, role: .runtime, requestID: "r-\(n)"),
                       action: .connectionResolved, projectID: ProjectID(1), connectionID: ConnectionID(1), details: details(cache))
        }
        func detailsRows() throws -> Int64 { try #require(try f.raw.queryOne("SELECT COUNT(*) AS n FROM audit_details", [])).integer("n") }
        let old = Date(timeIntervalSinceNow: -40 * 86_400)
        // Two values in one chain and one in another: three rows for eight records.
        try f.store.appendAudit((1...3).map { resolve($0, cache: "hit", at: old) } + [resolve(4, cache: "miss", at: old)]
                                + (5...6).map { resolve($0, cache: "hit", at: old) } + [resolve(7, cache: "hit", workspace: Self.other)])
        #expect(try detailsRows() == 3)
        // Each commit writes its own.
        try f.store.appendAudit((8...9).map { resolve($0, cache: "hit") })
        #expect(try detailsRows() == 4)
        let events = try f.store.listAudit(in: Self.ws, AuditFilter(), PageRequest(limit: 100)).items
        #expect(events.map(\.requestID) == ["r-1", "r-2", "r-3", "r-4", "r-5", "r-6", "r-8", "r-9"])
        #expect(events.map(\.details) == [1, 2, 3, 4, 5, 6, 8, 9].map { details($0 == 4 ? "miss" : "hit") })
        #expect(try f.verify().ok && f.verify(Self.other).ok)

        // Pruning takes the details no kept record points at.
        #expect(try f.store.pruneAudit(before: Date(timeIntervalSinceNow: -30 * 86_400)) == 6)
        #expect(try detailsRows() == 2)
        #expect(try f.store.listAudit(in: Self.ws, AuditFilter(), PageRequest(limit: 100)).items.map(\.requestID) == ["r-8", "r-9"])
        #expect(try f.verify().ok && f.verify(Self.other).ok)

        // An edit of a shared row breaks the chain at the first record pointing at it.
        try f.raw.query("UPDATE audit_details SET body = '{}' WHERE workspace_id = 7", [])
        #expect(try f.verify().problem?.seq == 7)
    }

    @Test(arguments: StoreEngine.available)
    func aTrailWrittenBeforeDetailsWereSharedStillVerifiesAndReads(_ engine: StoreEngine) throws {
        let database = try engine.emptyDatabase()
        defer { database.cleanup() }
        let raw = try database.raw()
        _ = try Migrations.apply(Migrations.all.filter { $0.version <= 4 }, on: raw)
        // Two records as schema version 4 stored them (details in the row), hashed as the chain's writer did.
        var previous = AuditChain.genesis
        var written: [AuditEvent] = []
        for n in 1...2 {
            var event = AuditEvent(id: 0, workspaceID: Self.ws, at: Timestamp.parse("2026-11-0\(n)T10:00:00.000Z")!,
                                   actorTokenID: TokenID(rawValue: "00000000000000a1")!, actorRole: .runtime, action: .connectionResolved,
                                   projectID: ProjectID(1), connectionID: ConnectionID(1), storeID: nil, outcome: "success",
                                   details: ["n": .number(Double(n))], requestID: "r-\(n)")
            event.seq = Int64(n)
            event.prevHash = previous
            event.hash = Hex.encode(SHA256.hash(AuditChain.hashInput(event)))
            try raw.query("""
                INSERT INTO audit_events (workspace_id, at, actor_token_id, actor_role, action, project_id, connection_id, outcome, details,
                                          request_id, seq, prev_hash, hash)
                VALUES (7, ?, '00000000000000a1', 'runtime', 'connection.resolve', 1, 1, 'success', ?, ?, ?, ?, ?)
                """, [.text(Timestamp.format(event.at)), .text(String(decoding: JSONValue.object(event.details).jsonBytes, as: UTF8.self)),
                      .text(event.requestID), .integer(event.seq), .text(event.prevHash), .text(event.hash)])
            try raw.query("""
                INSERT INTO audit_chains (workspace_id, head_seq, head_hash, anchor_seq, anchor_hash) VALUES (7, ?, ?, 0, ?)
                ON CONFLICT (workspace_id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash
                """, [.integer(event.seq), .text(event.hash), .text(AuditChain.genesis)])
            previous = event.hash
            written.append(event)
        }
        try raw.query("DELETE FROM audit_unchained", [])

        let store = try database.openStore()
        #expect(try store.verifyAudit(in: Self.ws, exported: nil).ok)
        let listed = try store.listAudit(in: Self.ws, AuditFilter(), PageRequest(limit: 10)).items
        #expect(listed.map(\.details) == written.map(\.details) && listed.map(\.hash) == written.map(\.hash))
        // New records continue the chain, and new details rows do not collide with the moved ones.
        try store.appendAudit([AuditEntry(workspaceID: Self.ws, actor: Actor(tokenID: TokenID(rawValue: "00000000000000a1")!, role: .runtime, requestID: "r-3"),
                                          action: .connectionResolved, details: ["n": .number(3)])])
        #expect(try store.verifyAudit(in: Self.ws, exported: nil).records == 3)
        #expect(try store.listAudit(in: Self.ws, AuditFilter(), PageRequest(limit: 10)).items.last?.details["n"] == .number(3))
    }

    @Test(arguments: StoreEngine.available)
    func recordsFromBeforeTheChainAreChainedOnceAfterTheMigration(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        // A record as schema version 3 wrote it: no position, no hashes.
        // (Its details as migration 5 moved them: a row of their own.)
        func legacy(_ request: String) throws {
            let details = try #require(try f.raw.queryOne("INSERT INTO audit_details (workspace_id, body) VALUES (7, '{}') RETURNING id", []))
            try f.raw.query("""
                INSERT INTO audit_events (workspace_id, at, actor_token_id, actor_role, action, outcome, details_id, request_id)
                VALUES (7, '2026-01-01T00:00:00.000Z', '00000000000000a1', 'workspace_admin', 'secrets.scope.switch', 'success', ?, ?)
                """, [.integer(try details.integer("id")), .text(request)])
        }
        try legacy("old-1")
        try legacy("old-2")
        // The store opened after migration 4 has already done it: only the migration's marker asks for it.
        try f.store.chainLegacyAuditRecords()
        #expect(try f.verify().records == 0)
        try f.raw.query("INSERT INTO audit_unchained (pending) VALUES (1)", [])
        try f.store.chainLegacyAuditRecords()
        #expect(try f.verify().ok && f.verify().records == 2)
        #expect(try f.store.listAudit(in: Self.ws, AuditFilter(), PageRequest(limit: 10)).items.map(\.requestID) == ["old-1", "old-2"])
        #expect(try f.raw.queryOne("SELECT pending FROM audit_unchained", []) == nil)
        // Their details rows went with them; the chained records share one.
        #expect(try f.raw.queryOne("SELECT COUNT(*) AS n FROM audit_details", [])?.integer("n") == 1)
        try f.store.chainLegacyAuditRecords()
        #expect(try f.verify().records == 2)
    }

    // MARK: Runs: records alike but for time, request and hash, stored as one row

    /// A resolve like every other one here but for its time and request id.
    static func alike(_ n: Int, at: Date) -> AuditEntry {
        AuditEntry(workspaceID: ws, at: at, actor: Actor(tokenID: TokenID(rawValue: "00000000000000a1")!, role: .runtime, requestID: "r-\(n)"),
                   action: .connectionResolved, projectID: ProjectID(1), connectionID: ConnectionID(1),
                   details: ["references": .array([.object(["reference": .string("secret:db#password"), "cache": .string("hit")])])])
    }

    /// Records 1 and 10 unlike the others; 2–9 alike, a second apart, from `start`: three rows.
    static func fillRun(_ f: Fixture, start: Date = Date(timeIntervalSince1970: 1_800_000_000)) throws {
        try f.store.appendAudit([f.entry(1)] + (2...9).map { alike($0, at: start.addingTimeInterval(Double($0))) } + [f.entry(10)])
    }

    @Test(arguments: StoreEngine.available)
    func recordsAlikeButForTimeRequestAndHashShareARowAndReadAsThemselves(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        try Self.fillRun(f)
        #expect(try f.raw.queryOne("SELECT COUNT(*) AS n FROM audit_events WHERE workspace_id = 7", [])?.integer("n") == 3)
        let events = try f.store.listAudit(in: Self.ws, AuditFilter(), PageRequest(limit: 100)).items
        #expect(events.map(\.seq) == Array(1...10))
        #expect(events.map(\.requestID) == (1...10).map { "r-\($0)" })
        #expect(events[0].prevHash == AuditChain.genesis && zip(events.dropFirst(), events).allSatisfy { $0.prevHash == $1.hash })
        #expect(events[1...8].allSatisfy { $0.details == events[1].details && $0.connectionID == ConnectionID(1) })
        #expect(try f.verify().ok && f.verify().records == 10)

        // Pages may end inside a run and go on from there.
        var seen: [Int64] = []
        var cursor: String?
        repeat {
            let page = try f.store.listAudit(in: Self.ws, AuditFilter(), PageRequest(limit: "3", cursor: cursor))
            seen += page.items.map(\.seq)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == Array(1...10))

        // A time filter takes the records of a run that are in it, not the whole run.
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let window = AuditFilter(since: start.addingTimeInterval(4), until: start.addingTimeInterval(7))
        #expect(try f.store.listAudit(in: Self.ws, window, PageRequest(limit: 100)).items.map(\.seq) == [4, 5, 6])
        #expect(try f.store.listAudit(in: Self.ws, window, PageRequest(limit: 2, after: "4")).items.map(\.seq) == [5, 6])
        #expect(try f.store.listAudit(in: Self.ws, AuditFilter(connectionID: ConnectionID(1)), PageRequest(limit: 100)).items.map(\.seq)
                == [1] + Array(2...9))
    }

    @Test(arguments: StoreEngine.available)
    func tamperingInsideARunIsFoundAtItsRecord(_ engine: StoreEngine) throws {
        // Each edit of the stored run, and where verification must find it.
        let edits: [(String, (String) -> String, AuditChain.Problem.Kind, Int64)] = [
            ("a request id", { $0.replacingOccurrences(of: "\"r-5\"", with: "\"r-x\"") }, .edited, 5),
            ("a time", { $0.replacingOccurrences(of: "2027-01-15T08:00:05.000Z", with: "2027-01-15T08:00:05.001Z") }, .edited, 5),
            ("a hash", { $0.replacingOccurrences(of: "\"r-6\",\"", with: "\"r-6\",\"0") }, .edited, 6),
            ("a deleted record", { run in Self.elements(run).filter { !$0.hasPrefix("[5,") }.joined(separator: ",").wrapped }, .missing, 5),
            ("two records swapped", { run in
                var items = Self.elements(run)
                items.swapAt(2, 3)
                return items.joined(separator: ",").wrapped
            }, .outOfOrder, 6),

            ("a run that is not one any more", { _ in "[[" }, .edited, 2),
        ]
        for (name, edit, kind, seq) in edits {
            let f = try Fixture(engine)
            defer { f.cleanup() }
            try Self.fillRun(f)
            let run = try #require(try f.raw.queryOne("SELECT run FROM audit_events WHERE workspace_id = 7 AND seq = 2", [])).text("run")
            #expect(edit(run) != run, "\(name)")
            try f.raw.query("UPDATE audit_events SET run = ? WHERE workspace_id = 7 AND seq = 2", [.text(edit(run))])
            let report = try f.verify()
            #expect(!report.ok && report.problem?.kind == kind && report.problem?.seq == seq, "\(name): \(report)")
        }
        // The row's own columns for its end must agree with its records.
        for column in ["last_seq = 8", "last_hash = '\(String(repeating: "1", count: 64))'", "last_at = '2030-01-01T00:00:00.000Z'"] {
            let f = try Fixture(engine)
            defer { f.cleanup() }
            try Self.fillRun(f)
            try f.raw.query("UPDATE audit_events SET \(column) WHERE workspace_id = 7 AND seq = 2", [])
            let report = try f.verify()
            #expect(!report.ok && report.problem?.kind == .edited && report.problem?.seq == 9, "\(column): \(report)")
        }
    }

    /// The elements of a stored run, as their JSON texts.
    static func elements(_ run: String) -> [String] {
        run.dropFirst(2).dropLast(2).components(separatedBy: "],[").map { "[\($0)]" }
    }

    @Test(arguments: StoreEngine.available)
    func pruningTakesWholeRowsAndCountsTheirRecords(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        let old = Date(timeIntervalSinceNow: -40 * 86_400)
        try f.store.appendAudit((1...4).map { Self.alike($0, at: old) })
        try f.store.appendAudit((5...7).map { Self.alike($0, at: Timestamp.now()) })
        #expect(try f.store.pruneAudit(before: Date(timeIntervalSinceNow: -30 * 86_400)) == 4)
        #expect(try f.store.auditChainEnds(Self.ws).anchorSeq == 4)
        let report = try f.verify()
        #expect(report.ok && report.firstSeq == 5 && report.records == 3)

        // A row with records on both sides of the cut is kept whole (a run spans the milliseconds of one commit).
        let g = try Fixture(engine)
        defer { g.cleanup() }
        try g.store.appendAudit([Self.alike(1, at: old), Self.alike(2, at: old), Self.alike(3, at: Timestamp.now())])
        #expect(try g.store.pruneAudit(before: Date(timeIntervalSinceNow: -30 * 86_400)) == 0)
        #expect(try g.verify().records == 3)
    }

    @Test(arguments: StoreEngine.available)
    func concurrentWritersNeverForkAChain(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        let group = DispatchGroup()
        let failures = Failures()
        for writer in 0..<4 {
            DispatchQueue.global().async(group: group) {
                for batch in 0..<10 {
                    do {
                        try f.store.appendAudit((0..<5).map { f.entry(writer * 1000 + batch * 10 + $0, workspace: $0.isMultiple(of: 2) ? Self.ws : Self.other) })
                    } catch { failures.add("\(error)") }
                }
            }
        }
        group.wait()
        #expect(failures.all.isEmpty, "\(failures.all)")
        #expect(try f.verify().records == 120 && f.verify().ok)
        #expect(try f.verify(Self.other).records == 80 && f.verify(Self.other).ok)
    }

    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ item: String) { lock.withLock { items.append(item) } }
        var all: [String] { lock.withLock { items } }
    }
}

private extension String {
    /// The text as a JSON array's members: in brackets.
    var wrapped: String { "[\(self)]" }
}
