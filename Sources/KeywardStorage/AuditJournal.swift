import Foundation
import KeywardCore
import KeywardCrypto

/// How audit records get from a request into the trail without a database commit per request.
///
/// A request's records are copied into this server's journal file, mapped into memory (`MAP_SHARED`), before
/// the request is answered: from then on they survive the process being killed (the pages belong to the
/// kernel's page cache, which writes them to the file; the database's own commits, SQLite with
/// `synchronous=NORMAL`, give the same guarantee). No system call per request; space is reserved with
/// `posix_fallocate` before it is mapped, so a full disk is an error, never a SIGBUS. A thread of the
/// journal then moves them into the trail in large group commits, off the request path: each commit chains
/// the records (`appendAudit`) and records the journal position it reached in the same transaction. On
/// start, records after that position are replayed; a record whose line was not completely written was
/// never acknowledged, and is dropped.
///
/// The journal is two files (segments), written one at a time: once the one being written holds 8 MiB,
/// new records go to the other, and the journal's thread zeros the first as soon as all its records are in
/// the trail. So the same pages are written over and over, already mapped: no page fault per page
/// written and no growing file under a steady load, and no request ever waits while a segment is emptied.
/// Each segment holds a header line with the journal's id, then one JSON line per record (its canonical
/// form plus its number `n`, from 1), then zeros up to its reserved size. A record's form is written there
/// once, by the request's thread, and the journal's thread chains and stores it from there
/// (`WrittenAuditRecord`): nothing is allocated for a record on the request path, and nothing freed on the
/// journal's thread.
public final class AuditJournal: @unchecked Sendable {
    public let instance: String
    private let store: any Store
    private let logger: Logger
    private let maximumBatch = 2048
    /// Above this size the segment being written is set aside for the other.
    private let switchAbove: Int = 8 << 20
    /// Taken by whoever switches or empties segments (the journal's thread; tests call it too).
    private let maintaining = NSLock()

    // Guarded by `state`: one lock, held briefly by each request (never while a database commits or a
    // segment is zeroed), and the condition the thread waits on for records, `flush` for the trail and
    // `append` for room in a backlog.
    private let state = NSCondition()
    /// The segment being written, and the other one.
    private var active: AuditJournalSegment
    private var standby: AuditJournalSegment
    private var appended: Int64
    /// Records appended but not yet taken by the thread, in order: the first is number `queuedAfter + 1`.
    /// Their forms are in the segments, which are emptied only once their records are in the trail.
    private var queue: [WrittenAuditRecord] = []
    private var queuedAfter: Int64
    private var indexed: Int64
    private var stopping = false
    private var stopped = false

    /// Opens (or creates, mode 0600) the journal at `file`, replays into the trail what a previous run left
    /// there, and starts moving new records.
    public init(file: URL, store: any Store, logger: Logger) throws {
        self.store = store
        self.logger = logger
        let paths = [file.path, file.path + ".2"]
        var lines: [Data.SubSequence] = []
        var found: String?
        for path in paths where FileManager.default.fileExists(atPath: path) {
            var segment = try AuditJournalSegment.written(at: path).split(separator: 0x0a, omittingEmptySubsequences: true)
            if let header = segment.first, let id = Self.instance(inHeader: Data(header)) {
                found = found ?? id
                segment.removeFirst()
            }
            lines += segment
        }
        instance = found ?? Hex.encode(SecureRandom.bytes(8))
        let position = try store.auditJournalPosition(instance)
        var replay: [(seq: Int64, entry: AuditEntry)] = []
        var last = position
        for line in lines {
            // A torn line (a record whose copy never finished, so never acknowledged) does not decode.
            guard let (seq, entry) = Self.decode(Data(line)) else { continue }
            last = max(last, seq)
            if seq > position { replay.append((seq, entry)) }
        }
        // The two segments' records, in the order they were written.
        replay.sort { $0.seq < $1.seq }
        var start = replay.startIndex
        while start < replay.endIndex {
            let end = min(replay.endIndex, start + maximumBatch)
            try store.appendAudit(replay[start..<end].map(\.entry), journal: AuditJournalPosition(instance: instance, seq: replay[end - 1].seq))
            start = end
        }
        if !replay.isEmpty { logger.info("replayed the audit journal into the trail", [("records", .int(Int64(replay.count)))]) }
        appended = max(last, position)
        indexed = appended
        queuedAfter = appended
        // Everything in the files is in the trail now: start them afresh.
        let header = Self.header(instance)
        active = try AuditJournalSegment(path: paths[0], header: header)
        standby = try AuditJournalSegment(path: paths[1], header: header)
        let thread = Thread { [self] in run() }
        thread.name = "keyward.audit"
        thread.start()
    }

    /// Writes `entries` into the journal; when it returns they are recorded (and will reach the trail).
    public func append(_ entries: [AuditEntry]) throws {
        guard !entries.isEmpty else { return }
        state.lock()
        defer { state.unlock() }
        // Waiting releases the lock, so it comes before the room is reserved and written.
        while appended - indexed >= backlogLimit && !stopped { state.wait() }
        let needed = entries.reduce(0) { $0 + $1.formCapacity + Self.lineEndCapacity }
        // Room for all of them first: a request's records are in the journal together or not at all.
        try active.reserve(needed)
        // A record's line is its canonical form with its number added last.
        for entry in entries {
            appended += 1
            let seq = appended
            queue.append(active.append(seq: seq) { line in
                let record = entry.writeForm(to: line)
                return (record.count + Self.writeLineEnd(seq, to: line + record.count), record)
            })
        }
        // The thread looks every few milliseconds anyway; waking it for each request would cost a context
        // switch per request. Only a large backlog calls it at once.
        if queue.count >= wakeAbove { state.broadcast() }
    }

    /// Waits until every record appended before the call is in the trail: readers of the trail call it
    /// first, so they see what was just recorded.
    public func flush() {
        state.lock()
        let target = appended
        while indexed < target && !stopped {
            state.broadcast()
            state.wait()
        }
        state.unlock()
    }

    /// Moves what is queued into the trail and stops the thread. Later appends still reach the file and
    /// are replayed on the next start.
    public func stop() {
        state.lock()
        stopping = true
        state.broadcast()
        while !stopped { state.wait() }
        state.unlock()
    }

    /// Records waiting for the trail beyond which appends wait for the trail to catch up: the journal
    /// absorbs bursts, not an overload that never ends.
    private let backlogLimit = 200_000
    private let wakeAbove = 1024
    private let gatherFor: TimeInterval = 0.01
    /// With nothing queued the thread still looks this often, so records reach the trail at low load too.
    private let idleCheck: TimeInterval = 0.05

    private func run() {
        // At the request threads' priority: a lower one let a burst run ahead of the trail until the backlog
        // limit, then every request waited on the trail at once. Keeping up costs less than catching up.
        var taken: [WrittenAuditRecord] = []
        var failures = 0
        while true {
            state.lock()
            // Group commit: take what gathered over a few milliseconds (or at once when woken).
            if !queue.isEmpty && queue.count < wakeAbove && !stopping { _ = state.wait(until: Date(timeIntervalSinceNow: gatherFor)) }
            while queue.isEmpty && !stopping { _ = state.wait(until: Date(timeIntervalSinceNow: idleCheck)) }
            if queue.isEmpty {
                stopped = true
                state.broadcast()
                state.unlock()
                return
            }
            // Everything queued, at once: the queue is swapped for the buffer emptied last time, so requests
            // never wait on the lock while records are copied or moved.
            swap(&taken, &queue)
            let first = queuedAfter + 1
            queuedAfter += Int64(taken.count)
            state.unlock()

            var start = taken.startIndex
            while start < taken.endIndex {
                let end = min(taken.endIndex, start + maximumBatch)
                let last = first + Int64(end) - 1
                do {
                    // Usually everything taken is one commit, passed as it is (no copy of each record).
                    let batch = start == 0 && end == taken.endIndex ? taken : Array(taken[start..<end])
                    try store.appendAudit(batch, journal: AuditJournalPosition(instance: instance, seq: last))
                    failures = 0
                } catch {
                    // The records are safe in the file; try again, more slowly each time. A server that is
                    // stopping does not wait for the database to come back: the next start replays them.
                    failures += 1
                    state.lock()
                    let giveUp = stopping
                    let waiting = taken.endIndex - start + queue.count
                    if giveUp {
                        stopped = true
                        state.broadcast()
                    }
                    state.unlock()
                    if giveUp {
                        logger.error("audit records not yet in the trail at shutdown; they stay in the journal and are replayed on the next start",
                                     [("error", .string("\(error)")), ("records", .int(Int64(waiting)))])
                        return
                    }
                    logger.error("cannot move audit records into the trail; retrying", [("error", .string("\(error)")), ("attempt", .int(Int64(failures)))])
                    Thread.sleep(forTimeInterval: min(5, 0.05 * Double(1 << min(failures, 7))))
                    continue
                }
                state.lock()
                indexed = last
                state.broadcast()
                state.unlock()
                start = end
            }
            taken.removeAll(keepingCapacity: true)
            maintainSegments()
        }
    }

    /// After a commit: once the segment being written holds `switchAbove` bytes and the other is empty,
    /// new records go to the other; a set-aside segment whose records are all in the trail is emptied (its
    /// pages stay mapped for the next time round). Zeroing takes no lock requests wait on: no one appends
    /// to a set-aside segment, and it is only written again once marked empty.
    func maintainSegments() {
        maintaining.lock()
        defer { maintaining.unlock() }
        state.lock()
        if active.offset > switchAbove && standby.lastSeq == 0 { swap(&active, &standby) }
        let setAside = standby, last = standby.lastSeq, inTrail = indexed >= last
        state.unlock()
        guard last > 0, inTrail else { return }
        setAside.zeroRecords()
        state.lock()
        setAside.markEmpty()
        state.unlock()
    }

    // MARK: Lines

    static func header(_ instance: String) -> [UInt8] {
        Array(#"{"keyward_audit_journal":1,"instance":"\#(instance)"}"#.utf8) + [0x0a]
    }

    static func instance(inHeader line: Data) -> String? {
        guard case .object(let header)? = try? JSONDecoder().decode(JSONValue.self, from: line),
              header["keyward_audit_journal"] == .number(1), case .string(let id)? = header["instance"],
              id.count == 16, id.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
        return id
    }

    private static let numberPrefix = Array(#","n":"#.utf8)
    private static let lineClose = Array("}\n".utf8)
    /// Room for what `writeLineEnd` writes.
    static let lineEndCapacity = numberPrefix.count + DecimalText.maximumLength + lineClose.count

    /// Writes the end of a record's line, `,"n":<seq>}` and a newline, at `destination`; returns its length.
    static func writeLineEnd(_ seq: Int64, to destination: UnsafeMutableRawPointer) -> Int {
        var count = 0
        func copy(_ bytes: UnsafeRawBufferPointer) {
            (destination + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            count += bytes.count
        }
        numberPrefix.withUnsafeBytes(copy)
        DecimalText.withDigits(of: seq, copy)
        lineClose.withUnsafeBytes(copy)
        return count
    }

    /// A record line exactly as `append` writes it, for tests that build a journal by hand.
    public static func encodeForTesting(seq: Int64, _ entry: AuditEntry, into out: inout [UInt8]) {
        AuditEntry.withWritten([entry]) { out.append(raw: $0[0].form) }
        out += [UInt8](unsafeUninitializedCapacity: lineEndCapacity) { buffer, count in
            count = writeLineEnd(seq, to: UnsafeMutableRawPointer(buffer.baseAddress!))
        }
    }

    /// A line back into its record. Earlier servers wrote lines with one-letter keys; both are read, so a
    /// journal left by one is still replayed after an upgrade.
    static func decode(_ line: Data) -> (Int64, AuditEntry)? {
        guard case .object(let o)? = try? JSONDecoder().decode(JSONValue.self, from: line) else { return nil }
        func member(_ key: String, _ older: String) -> JSONValue? { o[key] ?? o[older] }
        guard case .number(let n)? = o["n"], case .number(let w)? = member("workspace_id", "w"),
              case .string(let at)? = member("at", "at"), let date = Timestamp.parse(at),
              case .string(let t)? = member("actor_token_id", "t"), let token = TokenID(rawValue: t),
              case .string(let r)? = member("actor_role", "r"), let role = Role(rawValue: r),
              case .string(let q)? = member("request_id", "q"), case .string(let a)? = member("action", "a"),
              let action = AuditAction(rawValue: a), case .string(let outcome)? = member("outcome", "o"),
              case .object(let details)? = member("details", "d") else { return nil }
        func optional(_ key: String, _ older: String) -> Int64? {
            if case .number(let value)? = member(key, older) { return Int64(value) }
            return nil
        }
        return (Int64(n), AuditEntry(workspaceID: WorkspaceID(Int64(w)), at: date, actor: Actor(tokenID: token, role: role, requestID: q),
                                     action: action, projectID: optional("project_id", "p").map(ProjectID.init),
                                     connectionID: optional("connection_id", "c").map(ConnectionID.init),
                                     storeID: optional("store_id", "s").map(StoreID.init), outcome: outcome, details: details))
    }
}
