import Foundation
import KeywardCore
@testable import KeywardStorage
import KeywardTestSupport
import Testing

/// The audit journal: what a request appends reaches the trail, and what a killed server left in the file
/// is replayed exactly once; a line whose write never finished (never acknowledged) is dropped.
@Suite struct AuditJournalTests {
    struct Silent: LogSink { func write(_ line: String) {} }
    let logger = Logger(minimumLevel: .error, sink: Silent())

    func entry(_ n: Int) -> AuditEntry {
        AuditEntry(workspaceID: WorkspaceID(3), actor: Actor(tokenID: TokenID(rawValue: "00000000000000c3")!, role: .runtime, requestID: "q-\(n)"),
                   action: .connectionResolved, connectionID: ConnectionID(Int64(n)), details: ["n": .number(Double(n)), "s": .string("a\"b\\\n")])
    }

    /// A store, and where a journal goes (with its second segment beside it) in a directory of its own;
    /// `cleanup` removes both.
    func opened(_ engine: StoreEngine) throws -> (SQLStore, raw: () throws -> any SQLConnection, file: URL, cleanup: () -> Void) {
        let (store, raw, cleanup) = try engine.openWithRawAccess()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            cleanup()
            throw error
        }
        return (store, raw, directory.appendingPathComponent("audit.journal"), {
            try? FileManager.default.removeItem(at: directory)
            cleanup()
        })
    }

    /// Lines of a journal segment up to its zeros, header included.
    func lines(_ path: String) throws -> [Data] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        return bytes.prefix(upTo: bytes.firstIndex(of: 0) ?? bytes.endIndex).split(separator: 0x0a).map { Data($0) }
    }

    /// `count` records of about 1 KiB each, numbered from `first`.
    func large(_ first: Int, _ count: Int) -> [AuditEntry] {
        let padding = String(repeating: "x", count: 700)
        return (first..<first + count).map { n in
            AuditEntry(workspaceID: WorkspaceID(3), actor: Actor(tokenID: TokenID(rawValue: "00000000000000c3")!, role: .runtime, requestID: "q-\(n)"),
                       action: .connectionResolved, details: ["padding": .string(padding)])
        }
    }

    func requests(_ store: SQLStore) throws -> [String] {
        try store.listAudit(in: WorkspaceID(3), AuditFilter(), PageRequest(limit: 500)).items.map(\.requestID)
    }

    @Test(arguments: StoreEngine.available)
    func appendedRecordsReachTheTrailInOrder(_ engine: StoreEngine) throws {
        let (store, _, file, cleanup) = try opened(engine)
        defer { cleanup() }
        let journal = try AuditJournal(file: file, store: store, logger: logger)
        for n in 1...30 { try journal.append([entry(n)]) }
        try journal.append([entry(31), entry(32)])
        journal.flush()
        #expect(try requests(store) == (1...32).map { "q-\($0)" })
        #expect(try store.verifyAudit(in: WorkspaceID(3), exported: nil).ok)
        #expect(try store.auditJournalPosition(journal.instance) == 32)
        journal.stop()
        // Everything is in the trail, so opening the journal again replays nothing.
        let reopened = try AuditJournal(file: file, store: store, logger: logger)
        reopened.flush()
        #expect(try requests(store).count == 32 && reopened.instance == journal.instance)
        reopened.stop()
    }

    @Test func pastEightMiBRecordsGoToTheOtherSegmentAndTheFirstIsEmptiedOnceInTheTrail() throws {
        let (store, _, file, cleanup) = try opened(.sqlite)
        defer { cleanup() }
        let journal = try AuditJournal(file: file, store: store, logger: logger)
        // 12 MiB of records: past the switch (the journal's thread may switch during the burst or after it).
        for batch in 0..<24 { try journal.append(large(batch * 500 + 1, 500)) }
        journal.flush()
        journal.maintainSegments()
        #expect(try lines(file.path).count == 1, "the first segment holds only its header")
        try journal.append([entry(12_001)])
        #expect(try lines(file.path + ".2").last.flatMap { AuditJournal.decode($0)?.0 } == 12_001)
        journal.stop()
        let reopened = try AuditJournal(file: file, store: store, logger: logger)
        reopened.flush()
        let report = try store.verifyAudit(in: WorkspaceID(3), exported: nil)
        #expect(report.ok && report.records == 12_001)
        reopened.stop()
    }

    /// Records are chained from where the request wrote them. A burst larger than the segment maps it anew,
    /// larger; records written before still reach the trail whole, read through the mapping they were
    /// written to.
    @Test func recordsWrittenBeforeTheSegmentGrewReachTheTrailWhole() throws {
        let (store, raw, file, cleanup) = try opened(.sqlite)
        defer { cleanup() }
        let journal = try AuditJournal(file: file, store: store, logger: logger)
        // Nothing reaches the trail meanwhile (the table of journal positions is gone): every record stays queued.
        try raw().query("DROP TABLE audit_journals", [])
        for batch in 0..<40 { try journal.append(large(batch * 500 + 1, 500)) }
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0
        #expect(size > AuditJournalSegment.initialSize, "20 MiB of records grew the segment")
        try raw().query("CREATE TABLE audit_journals (instance TEXT PRIMARY KEY, indexed_seq BIGINT NOT NULL)", [])
        journal.flush()
        let first = try store.listAudit(in: WorkspaceID(3), AuditFilter(), PageRequest(limit: 500)).items
        #expect(first.map(\.requestID) == (1...500).map { "q-\($0)" })
        #expect(first.allSatisfy { $0.details["padding"] == .string(String(repeating: "x", count: 700)) })
        let report = try store.verifyAudit(in: WorkspaceID(3), exported: nil)
        #expect(report.ok && report.records == 20_000)
        journal.stop()
    }

    /// Texts are written into the journal as JSON strings, escaped where they must be, and stored from there
    /// (a run keeps them as JSON strings): they read back as they were given.
    @Test(arguments: StoreEngine.available)
    func textsThatNeedEscapingReachTheTrailAsTheyWere(_ engine: StoreEngine) throws {
        let (store, _, file, cleanup) = try opened(engine)
        defer { cleanup() }
        let journal = try AuditJournal(file: file, store: store, logger: logger)
        let requests = ["a\"quote", "back\\slash", "line\nbreak", "ctl\u{01}", "ünïcode"]
        let outcome = "odd \"outcome\""
        try journal.append(requests.map { request in
            AuditEntry(workspaceID: WorkspaceID(3), actor: Actor(tokenID: TokenID(rawValue: "00000000000000c3")!, role: .runtime, requestID: request),
                       action: .connectionResolved, connectionID: ConnectionID(1), outcome: outcome, details: ["s": .string("a\"b")])
        })
        journal.flush()
        let events = try store.listAudit(in: WorkspaceID(3), AuditFilter(), PageRequest(limit: 10)).items
        #expect(events.map(\.requestID) == requests)
        #expect(events.allSatisfy { $0.outcome == outcome && $0.details["s"] == .string("a\"b") })
        #expect(try store.verifyAudit(in: WorkspaceID(3), exported: nil).ok)
        journal.stop()
    }

    @Test func recordsLeftInBothSegmentsAreReplayedInTheOrderTheyWereWritten() throws {
        let (store, raw, file, cleanup) = try opened(.sqlite)
        defer { cleanup() }
        let journal = try AuditJournal(file: file, store: store, logger: logger)
        // Nothing reaches the trail (the table of journal positions is gone), so the first segment, set
        // aside after 8 MiB, is not emptied; the next records go to the second.
        try raw().query("DROP TABLE audit_journals", [])
        for batch in 0..<20 { try journal.append(large(batch * 500 + 1, 500)) }
        journal.maintainSegments()
        try journal.append(large(10_001, 100))
        #expect(try lines(file.path).count == 10_001 && lines(file.path + ".2").count == 101)
        journal.stop()
        try raw().query("CREATE TABLE audit_journals (instance TEXT PRIMARY KEY, indexed_seq BIGINT NOT NULL)", [])
        let reopened = try AuditJournal(file: file, store: store, logger: logger)
        let listed = try store.listAudit(in: WorkspaceID(3), AuditFilter(), PageRequest(limit: 500, after: "9950")).items.map(\.requestID)
        #expect(listed == (9_951...10_100).map { "q-\($0)" })
        let report = try store.verifyAudit(in: WorkspaceID(3), exported: nil)
        #expect(report.ok && report.records == 10_100)
        reopened.stop()
    }

    @Test(arguments: StoreEngine.available)
    func whatAKilledServerLeftIsReplayedOnceAndATornLineDropped(_ engine: StoreEngine) throws {
        let (store, _, file, cleanup) = try opened(engine)
        defer { cleanup() }
        // A journal as a server left it: three complete records, the first already in the trail, and the
        // start of a fourth whose write was cut off.
        let instance = "00112233aabbccdd"
        try store.appendAudit([entry(1)], journal: AuditJournalPosition(instance: instance, seq: 1))
        var bytes = Array(#"{"keyward_audit_journal":1,"instance":"\#(instance)"}"#.utf8) + [0x0a]
        for n in 1...3 { AuditJournal.encodeForTesting(seq: Int64(n), entry(n), into: &bytes) }
        AuditJournal.encodeForTesting(seq: 4, entry(4), into: &bytes)
        bytes.removeLast(20)
        try Data(bytes).write(to: file)

        let journal = try AuditJournal(file: file, store: store, logger: logger)
        #expect(journal.instance == instance)
        #expect(try requests(store) == ["q-1", "q-2", "q-3"])
        #expect(try store.auditJournalPosition(instance) == 3)
        // New records continue after the replayed ones.
        try journal.append([entry(5)])
        journal.flush()
        #expect(try requests(store) == ["q-1", "q-2", "q-3", "q-5"])
        #expect(try store.verifyAudit(in: WorkspaceID(3), exported: nil).ok)
        #expect(try store.listAudit(in: WorkspaceID(3), AuditFilter(), PageRequest(limit: 10)).items.last?.details["s"] == .string("a\"b\\\n"))
        journal.stop()
    }

    @Test func aJournalLeftByAnEarlierServerIsReplayedAfterAnUpgrade() throws {
        let (store, _, file, cleanup) = try opened(.sqlite)
        defer { cleanup() }
        // Lines as servers before the canonical-form journal wrote them: one-letter keys.
        let lines = [
            #"{"keyward_audit_journal":1,"instance":"0011223344556677"}"#,
            #"{"w":3,"at":"2026-12-01T10:00:00.123Z","t":"00000000000000c3","r":"runtime","q":"old-1","a":"connection.resolve","p":1,"c":2,"s":null,"o":"success","d":{"refresh":false},"n":1}"#,
            #"{"w":3,"at":"2026-12-01T10:00:01.000Z","t":"00000000000000c3","r":"runtime","q":"old-2","a":"reference.check","p":null,"c":null,"s":4,"o":"secret_not_found","d":{},"n":2}"#,
        ]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        let journal = try AuditJournal(file: file, store: store, logger: logger)
        let events = try store.listAudit(in: WorkspaceID(3), AuditFilter(), PageRequest(limit: 10)).items
        #expect(events.map(\.requestID) == ["old-1", "old-2"])
        #expect(events[0].connectionID == ConnectionID(2) && events[0].projectID == ProjectID(1) && events[0].storeID == nil)
        #expect(events[1].outcome == "secret_not_found" && events[1].storeID == StoreID(4) && events[1].action == .referenceChecked)
        #expect(Timestamp.format(events[0].at) == "2026-12-01T10:00:00.123Z")
        #expect(try store.verifyAudit(in: WorkspaceID(3), exported: nil).ok)
        journal.stop()
    }

    @Test func aServerStoppingWhileTheDatabaseRefusesRecordsStopsAndTheNextStartReplaysThem() throws {
        let (store, raw, file, cleanup) = try opened(.sqlite)
        defer { cleanup() }
        let journal = try AuditJournal(file: file, store: store, logger: logger)
        try journal.append([entry(1)])
        journal.flush()
        // The database now refuses every group commit (the table holding journal positions is gone).
        try raw().query("DROP TABLE audit_journals", [])
        try journal.append([entry(2), entry(3)])
        journal.stop()
        #expect(try requests(store) == ["q-1"])
        try raw().query("CREATE TABLE audit_journals (instance TEXT PRIMARY KEY, indexed_seq BIGINT NOT NULL)", [])
        try raw().query("INSERT INTO audit_journals (instance, indexed_seq) VALUES (?, 1)", [.text(journal.instance)])
        let reopened = try AuditJournal(file: file, store: store, logger: logger)
        #expect(try requests(store) == ["q-1", "q-2", "q-3"])
        #expect(try store.verifyAudit(in: WorkspaceID(3), exported: nil).ok)
        reopened.stop()
    }
}
