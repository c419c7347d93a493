import Foundation
import KeywardCore
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
        for (column, value) in [("outcome", "'access_denied'"), ("details", "'{}'"), ("actor_token_id", "'00000000000000ff'"),
                                ("at", "'2020-01-01T00:00:00.000Z'"), ("connection_id", "NULL"), ("request_id", "'other'")] {
            let f = try Fixture(engine)
            defer { f.cleanup() }
            try f.fill()
            try f.raw.query("UPDATE audit_events SET \(column) = \(value) WHERE workspace_id = 7 AND seq = 4", [])
            let report = try f.verify()
            #expect(!report.ok && report.problem?.kind == .edited && report.problem?.seq == 4, "\(column): \(report)")
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
    func recordsFromBeforeTheChainAreChainedOnceAfterTheMigration(_ engine: StoreEngine) throws {
        let f = try Fixture(engine)
        defer { f.cleanup() }
        // A record as schema version 3 wrote it: no position, no hashes.
        func legacy(_ request: String) throws {
            try f.raw.query("""
                INSERT INTO audit_events (workspace_id, at, actor_token_id, actor_role, action, outcome, details, request_id)
                VALUES (7, '2026-01-01T00:00:00.000Z', '00000000000000a1', 'workspace_admin', 'secrets.scope.switch', 'success', '{}', ?)
                """, [.text(request)])
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
        try f.store.chainLegacyAuditRecords()
        #expect(try f.verify().records == 2)
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
