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
/// never acknowledged, and is dropped. Once everything in the file is in the trail, the file is emptied.
///
/// The file holds a header line with the journal's id, then one JSON line per record, numbered from 1,
/// then zeros up to its reserved size.
public final class AuditJournal: @unchecked Sendable {
    public let instance: String
    private let store: any Store
    private let logger: Logger
    private let path: String
    private let maximumBatch = 2048
    /// Above this size a fully indexed file is emptied.
    private let compactAbove: Int = 8 << 20

    // Guarded by `appending` (taken before `indexing` when both are needed).
    private let appending = NSLock()
    private let descriptor: Int32
    private var mapping: UnsafeMutableRawPointer
    private var mappedSize: Int
    /// Where the next record goes; the header ends at `headerSize`.
    private var offset: Int
    private let headerSize: Int
    private var appended: Int64

    // Guarded by `indexing`.
    private let indexing = NSCondition()
    private var queue: [(seq: Int64, entry: AuditEntry)] = []
    private var indexed: Int64
    private var stopping = false
    private var stopped = false

    /// Opens (or creates, mode 0600) the journal at `file`, replays into the trail what a previous run left
    /// there, and starts moving new records.
    public init(file: URL, store: any Store, logger: Logger) throws {
        self.store = store
        self.logger = logger
        path = file.path
        let existing = FileManager.default.fileExists(atPath: path) ? try Data(contentsOf: file) : Data()
        // Records end where the zeros of the reservation begin (a compaction zeroes what it empties).
        let used = existing.prefix(upTo: existing.firstIndex(of: 0) ?? existing.endIndex)
        var lines = used.split(separator: 0x0a, omittingEmptySubsequences: true).makeIterator()
        if let header = lines.next(), let id = Self.instance(inHeader: Data(header)) {
            instance = id
        } else {
            instance = Hex.encode(SecureRandom.bytes(8))
        }
        let position = try store.auditJournalPosition(instance)
        var replay: [(seq: Int64, entry: AuditEntry)] = []
        var last = position
        while let line = lines.next() {
            // A torn line (a record whose copy never finished, so never acknowledged) does not decode.
            guard let (seq, entry) = Self.decode(Data(line)) else { continue }
            last = max(last, seq)
            if seq > position { replay.append((seq, entry)) }
        }
        var start = replay.startIndex
        while start < replay.endIndex {
            let end = min(replay.endIndex, start + maximumBatch)
            try store.appendAudit(replay[start..<end].map(\.entry), journal: AuditJournalPosition(instance: instance, seq: replay[end - 1].seq))
            start = end
        }
        if !replay.isEmpty { logger.info("replayed the audit journal into the trail", [("records", .int(Int64(replay.count)))]) }
        appended = max(last, position)
        indexed = appended
        // Everything in the file is in the trail now: start it afresh.
        descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StorageFailure.unavailable("cannot open the audit journal \(path): \(String(cString: strerror(errno)))") }
        let header = Self.header(instance)
        headerSize = header.count
        let (pointer, size) = try Self.map(descriptor, size: Self.initialSize, path: path)
        header.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: header.count) }
        (mapping, mappedSize) = (pointer, size)
        offset = header.count
        let thread = Thread { [self] in run() }
        thread.name = "keyward.audit"
        thread.start()
    }

    deinit {
        munmap(mapping, mappedSize)
        close(descriptor)
    }

    static let initialSize = 16 << 20

    /// Reserves `size` bytes of the file on disk and maps them.
    private static func map(_ descriptor: Int32, size: Int, path: String) throws -> (UnsafeMutableRawPointer, Int) {
        let reserved = posix_fallocate(descriptor, 0, off_t(size))
        guard reserved == 0 else {
            throw StorageFailure.unavailable("cannot reserve \(size) bytes for the audit journal \(path): \(String(cString: strerror(reserved)))")
        }
        guard let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), pointer != MAP_FAILED else {
            throw StorageFailure.unavailable("cannot map the audit journal \(path): \(String(cString: strerror(errno)))")
        }
        return (pointer, size)
    }

    /// Makes room for `needed` more bytes: a larger reservation, mapped anew. Called with `appending` held.
    private func grow(toFit needed: Int) throws {
        var size = mappedSize
        while offset + needed > size { size *= 2 }
        let (pointer, newSize) = try Self.map(descriptor, size: size, path: path)
        munmap(mapping, mappedSize)
        mapping = pointer
        mappedSize = newSize
    }

    /// Copies `entries` into the journal; when it returns they are recorded (and will reach the trail).
    public func append(_ entries: [AuditEntry]) throws {
        guard !entries.isEmpty else { return }
        // Everything but each record's number is written before taking the lock.
        let bodies = entries.map { entry -> [UInt8] in
            var body: [UInt8] = []
            Self.encodeBody(entry, into: &body)
            return body
        }
        appending.lock()
        defer { appending.unlock() }
        var lines: [UInt8] = []
        lines.reserveCapacity(bodies.reduce(0) { $0 + $1.count + 24 })
        for (index, body) in bodies.enumerated() {
            lines.append(contentsOf: body)
            Self.encodeNumber(appended + Int64(index) + 1, into: &lines)
        }
        // Room for all of them first: a request's records are in the journal together or not at all.
        if offset + lines.count > mappedSize { try grow(toFit: lines.count) }
        lines.withUnsafeBytes { (mapping + offset).copyMemory(from: $0.baseAddress!, byteCount: lines.count) }
        offset += lines.count
        indexing.lock()
        while queue.count >= backlogLimit && !stopped { indexing.wait() }
        for (index, entry) in entries.enumerated() { queue.append((appended + Int64(index) + 1, entry)) }
        // The thread looks every few milliseconds anyway; waking it for each request would cost a context
        // switch per request. Only a large backlog calls it at once.
        if queue.count >= wakeAbove { indexing.signal() }
        indexing.unlock()
        appended += Int64(entries.count)
    }

    /// Waits until every record appended before the call is in the trail: readers of the trail call it
    /// first, so they see what was just recorded.
    public func flush() {
        appending.lock()
        let target = appended
        appending.unlock()
        indexing.lock()
        while indexed < target && !stopped {
            indexing.signal()
            indexing.wait()
        }
        indexing.unlock()
    }

    /// Moves what is queued into the trail and stops the thread. Later appends still reach the file and
    /// are replayed on the next start.
    public func stop() {
        indexing.lock()
        stopping = true
        indexing.signal()
        while !stopped { indexing.wait() }
        indexing.unlock()
    }

    /// Records waiting for the trail beyond which appends wait for the trail to catch up: the journal
    /// absorbs bursts, not an overload that never ends.
    private let backlogLimit = 200_000
    private let wakeAbove = 1024
    private let gatherFor: TimeInterval = 0.002
    /// With nothing queued the thread still looks this often, so records reach the trail at low load too.
    private let idleCheck: TimeInterval = 0.05

    private func run() {
        // Below the request threads: under a burst, answering comes first and the trail catches up after.
        // (On Linux, PRIO_PROCESS with id 0 sets the calling thread's nice value, not the whole process's.)
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        var failures = 0
        while true {
            indexing.lock()
            // Group commit: take what gathered over a few milliseconds (or at once when woken).
            if !queue.isEmpty && queue.count < wakeAbove && !stopping { _ = indexing.wait(until: Date(timeIntervalSinceNow: gatherFor)) }
            while queue.isEmpty && !stopping { _ = indexing.wait(until: Date(timeIntervalSinceNow: idleCheck)) }
            if queue.isEmpty {
                stopped = true
                indexing.broadcast()
                indexing.unlock()
                return
            }
            let batch = Array(queue.prefix(maximumBatch))
            indexing.unlock()

            do {
                try store.appendAudit(batch.map(\.entry), journal: AuditJournalPosition(instance: instance, seq: batch.last!.seq))
                failures = 0
            } catch {
                // The records are safe in the file; try again, more slowly each time.
                failures += 1
                logger.error("cannot move audit records into the trail; retrying", [("error", .string("\(error)")), ("attempt", .int(Int64(failures)))])
                Thread.sleep(forTimeInterval: min(5, 0.05 * Double(1 << min(failures, 7))))
                continue
            }
            indexing.lock()
            queue.removeFirst(batch.count)
            indexed = batch.last!.seq
            indexing.broadcast()
            let idle = queue.isEmpty
            indexing.unlock()
            if idle { compactIfLarge() }
        }
    }

    /// Empties the journal when everything in it is in the trail and it has grown large: zeros over the
    /// records (they are in the trail), the next one at the start again. The reservation is kept.
    func compactIfLarge() {
        appending.lock()
        defer { appending.unlock() }
        guard offset > compactAbove else { return }
        indexing.lock()
        let caughtUp = indexed == appended
        indexing.unlock()
        guard caughtUp else { return }
        (mapping + headerSize).initializeMemory(as: UInt8.self, repeating: 0, count: offset - headerSize)
        offset = headerSize
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

    /// A record as a JSON line, written directly (this runs on the request path): everything but its number,
    /// which `encodeNumber` adds last, under the journal's lock.
    static func encodeBody(_ entry: AuditEntry, into out: inout [UInt8]) {
        var record = JSONObjectWriter(capacity: 320 + entry.detailsJSON.count)
        record.integer("w", entry.workspaceID.rawValue)
        record.string("at", Timestamp.format(entry.at))
        record.string("t", entry.actor.tokenID.rawValue)
        record.string("r", entry.actor.role.rawValue)
        record.string("q", entry.actor.requestID)
        record.string("a", entry.action.rawValue)
        record.integer("p", entry.projectID?.rawValue)
        record.integer("c", entry.connectionID?.rawValue)
        record.integer("s", entry.storeID?.rawValue)
        record.string("o", entry.outcome)
        record.json("d", entry.detailsJSON)
        out.append(contentsOf: record.bytes)
    }

    static func encodeNumber(_ seq: Int64, into out: inout [UInt8]) {
        out.append(contentsOf: ",\"n\":".utf8)
        out.append(contentsOf: String(seq).utf8)
        out.append(contentsOf: "}\n".utf8)
    }

    /// A record line exactly as `append` writes it, for tests that build a journal by hand.
    public static func encodeForTesting(seq: Int64, _ entry: AuditEntry, into out: inout [UInt8]) {
        encodeBody(entry, into: &out)
        encodeNumber(seq, into: &out)
    }

    static func decode(_ line: Data) -> (Int64, AuditEntry)? {
        guard case .object(let o)? = try? JSONDecoder().decode(JSONValue.self, from: line),
              case .number(let n)? = o["n"], case .number(let w)? = o["w"], case .string(let at)? = o["at"], let date = Timestamp.parse(at),
              case .string(let t)? = o["t"], let token = TokenID(rawValue: t), case .string(let r)? = o["r"], let role = Role(rawValue: r),
              case .string(let q)? = o["q"], case .string(let a)? = o["a"], let action = AuditAction(rawValue: a),
              case .string(let outcome)? = o["o"], case .object(let details)? = o["d"] else { return nil }
        func optional(_ key: String) -> Int64? {
            if case .number(let value)? = o[key] { return Int64(value) }
            return nil
        }
        return (Int64(n), AuditEntry(workspaceID: WorkspaceID(Int64(w)), at: date, actor: Actor(tokenID: token, role: role, requestID: q),
                                     action: action, projectID: optional("p").map(ProjectID.init), connectionID: optional("c").map(ConnectionID.init),
                                     storeID: optional("s").map(StoreID.init), outcome: outcome, details: details))
    }
}
