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

    func requests(_ store: SQLStore) throws -> [String] {
        try store.listAudit(in: WorkspaceID(3), AuditFilter(), PageRequest(limit: 500)).items.map(\.requestID)
    }

    @Test(arguments: StoreEngine.available)
    func appendedRecordsReachTheTrailInOrder(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
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

    @Test func aJournalThatGrewIsEmptiedOnceItIsInTheTrailAndKeepsWorking() throws {
        let (store, cleanup) = try StoreEngine.sqlite.open()
        defer { cleanup() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let journal = try AuditJournal(file: file, store: store, logger: logger)
        // Past the 16 MiB first reservation (the file grows) and the 8 MiB compaction threshold.
        let padding = String(repeating: "x", count: 700)
        for batch in 0..<40 {
            try journal.append((0..<500).map { n in
                AuditEntry(workspaceID: WorkspaceID(3), actor: Actor(tokenID: TokenID(rawValue: "00000000000000c3")!, role: .runtime, requestID: "b\(batch)-\(n)"),
                           action: .connectionResolved, details: ["padding": .string(padding)])
            })
        }
        journal.flush()
        #expect(try Data(contentsOf: file).count > AuditJournal.initialSize)
        journal.compactIfLarge()
        let lines = try Data(contentsOf: file).split(separator: 0x0a).filter { $0.first != 0 }
        #expect(lines.count == 1, "only the header is left")
        try journal.append([entry(1)])
        journal.stop()
        let reopened = try AuditJournal(file: file, store: store, logger: logger)
        reopened.flush()
        #expect(try store.verifyAudit(in: WorkspaceID(3), exported: nil).records == 20_001)
        reopened.stop()
    }

    @Test(arguments: StoreEngine.available)
    func whatAKilledServerLeftIsReplayedOnceAndATornLineDropped(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
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
}
