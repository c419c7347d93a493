import Foundation
import KeywardCore
import KeywardCrypto

/// How audit records get from a request into the trail without a database commit per request.
///
/// A request's records are appended to this server's journal file with one `write` before the request is
/// answered: from then on they survive the process being killed (they are in the kernel's page cache; the
/// database's own commits, SQLite with `synchronous=NORMAL`, give the same guarantee). A thread of the
/// journal then moves them into the trail in large group commits, off the request path: each commit chains
/// the records (`appendAudit`) and records the journal position it reached in the same transaction. On
/// start, records after that position are replayed; a record whose line was not completely written was
/// never acknowledged, and is dropped. Once everything in the file is in the trail, the file is emptied.
///
/// The file holds a header line with the journal's id, then one JSON line per record, numbered from 1.
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
    private var descriptor: Int32
    private var appended: Int64
    private var failure: (any Error)?

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
        var lines = existing.split(separator: 0x0a, omittingEmptySubsequences: true).makeIterator()
        if let header = lines.next(), let id = Self.instance(inHeader: Data(header)) {
            instance = id
        } else {
            instance = Hex.encode(SecureRandom.bytes(8))
        }
        var position = try store.auditJournalPosition(instance)
        var replay: [AuditEntry] = []
        var last = position
        while let line = lines.next() {
            // A torn last line is a record whose write never returned: it was not acknowledged.
            guard let (seq, entry) = Self.decode(Data(line)) else { continue }
            last = max(last, seq)
            if seq > position { replay.append(entry) }
        }
        var start = replay.startIndex
        while start < replay.endIndex {
            let end = min(replay.endIndex, start + maximumBatch)
            position += Int64(end - start)
            try store.appendAudit(Array(replay[start..<end]), journal: AuditJournalPosition(instance: instance, seq: position))
            start = end
        }
        if !replay.isEmpty { logger.info("replayed the audit journal into the trail", [("records", .int(Int64(replay.count)))]) }
        appended = max(last, position)
        indexed = appended
        // Everything in the file is in the trail now: start it afresh.
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StorageFailure.unavailable("cannot open the audit journal \(path): \(String(cString: strerror(errno)))") }
        try writeAll(Self.header(instance))
        let thread = Thread { [self] in run() }
        thread.name = "keyward.audit"
        thread.start()
    }

    deinit { close(descriptor) }

    /// Writes `entries` to the journal; when it returns they are recorded (and will reach the trail).
    public func append(_ entries: [AuditEntry]) throws {
        guard !entries.isEmpty else { return }
        appending.lock()
        defer { appending.unlock() }
        if let failure { throw failure }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512 * entries.count)
        for (offset, entry) in entries.enumerated() {
            Self.encode(seq: appended + Int64(offset) + 1, entry, into: &bytes)
        }
        do {
            try writeAll(bytes)
        } catch {
            failure = error
            throw error
        }
        indexing.lock()
        while queue.count >= backlogLimit && !stopped { indexing.wait() }
        for (offset, entry) in entries.enumerated() { queue.append((appended + Int64(offset) + 1, entry)) }
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

    /// Empties the file when everything in it is in the trail and it has grown large.
    private func compactIfLarge() {
        appending.lock()
        defer { appending.unlock() }
        guard lseek(descriptor, 0, SEEK_END) > compactAbove else { return }
        indexing.lock()
        let caughtUp = indexed == appended
        indexing.unlock()
        guard caughtUp else { return }
        if ftruncate(descriptor, 0) != 0 || (try? writeAll(Self.header(instance))) == nil {
            logger.error("cannot empty the audit journal", [("path", .string(path)), ("error", .string(String(cString: strerror(errno))))])
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw StorageFailure.unavailable("cannot write the audit journal \(path): \(String(cString: strerror(errno)))")
            }
            written += result
        }
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

    /// One record as a JSON line, written directly: this runs on the request path.
    static func encode(seq: Int64, _ entry: AuditEntry, into out: inout [UInt8]) {
        func key(_ name: StaticString, first: Bool = false) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: "\":".utf8)
        }
        func integer(_ value: Int64?) {
            if let value { out.append(contentsOf: String(value).utf8) } else { out.append(contentsOf: "null".utf8) }
        }
        key("n", first: true); integer(seq)
        key("w"); integer(entry.workspaceID.rawValue)
        key("at"); JSONValue.writeString(Timestamp.format(entry.at), into: &out)
        key("t"); JSONValue.writeString(entry.actor.tokenID.rawValue, into: &out)
        key("r"); JSONValue.writeString(entry.actor.role.rawValue, into: &out)
        key("q"); JSONValue.writeString(entry.actor.requestID, into: &out)
        key("a"); JSONValue.writeString(entry.action.rawValue, into: &out)
        key("p"); integer(entry.projectID?.rawValue)
        key("c"); integer(entry.connectionID?.rawValue)
        key("s"); integer(entry.storeID?.rawValue)
        key("o"); JSONValue.writeString(entry.outcome, into: &out)
        key("d"); out.append(contentsOf: entry.detailsJSON)
        out.append(contentsOf: "}\n".utf8)
    }

    /// A record line exactly as `append` writes it, for tests that build a journal by hand.
    public static func encodeForTesting(seq: Int64, _ entry: AuditEntry, into out: inout [UInt8]) { encode(seq: seq, entry, into: &out) }

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
