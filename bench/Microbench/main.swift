import Foundation
import KeywardCore
import KeywardProviders
import KeywardResolver
import KeywardStorage

// Two in-process costs, one line each.

// A cache hit: SecretCache.value for a key that is present and fresh.
let cache = SecretCache()
let key = SecretCache.Key(store: StoreID(1), storeRevision: 1, name: "bench/db", version: nil)
_ = try cache.value(key) { SecretMaterial(value: #"{"password":"x"}"#, versionID: "1") }
let iterations = 2_000_000
var sink = 0
for _ in 0..<100_000 { sink &+= try cache.value(key) { fatalError("miss") }.0.value.utf8.count }
var start = DispatchTime.now().uptimeNanoseconds
for _ in 0..<iterations { sink &+= try cache.value(key) { fatalError("miss") }.0.value.utf8.count }
let perHit = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations)
print(String(format: "%.0f ns per hit", perHit) + (sink == 0 ? "" : ""))

// Chaining audit records into the trail (SQLite), as the journal's thread does: batches of 2048 records like
// those of the resolve benchmark (two references, cache hits), each with its own request id and time.
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-microbench-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let store = try StoreLocation.sqlite(path: directory.appendingPathComponent("bench.db").path).open()
let reference: (String, String) -> JSONValue = { field, name in
    .object(["cache": .string("hit"), "field": .string(field), "reference": .string("secret:\(name)"), "store_id": .number(1), "version_id": .string("1")])
}
let details = JSONValue.object(["references": .array([reference("password", "bench/db#password"), reference("user", "bench/db#user")]),
                                "refresh": .bool(false)]).jsonBytes
let batch = 2048, batches = 100
let entries = (0..<batch).map { index in
    AuditEntry(workspaceID: WorkspaceID(1), at: Date(), actor: Actor(tokenID: TokenID(rawValue: "54b812c5ed328fee")!, role: .runtime,
                                                                     requestID: "1a6cc9c47f44-\(String(100_000 + index, radix: 16))"),
               action: .connectionResolved, projectID: ProjectID(1), connectionID: ConnectionID(1), detailsJSON: details)
}
// CPU time, not elapsed time: what the journal's thread takes from request threads (waiting for the disk does not).
func cpuNanoseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
}
// Written once, as request threads write them into the journal: what is measured is the journal's thread.
let perRecord = try AuditEntry.withWritten(entries) { records in
    try store.appendAudit(records, journal: nil)
    let cpuStart = cpuNanoseconds()
    for _ in 0..<batches { try store.appendAudit(records, journal: nil) }
    return (cpuNanoseconds() - cpuStart) / Double(batch * batches) / 1000
}
print(String(format: "%.2f µs of CPU per audit record chained and stored", perRecord))

// The request thread's part: making a resolve's record (its time, its canonical form) and copying it into the
// journal, as the server does before it answers. The journal's thread chains them meanwhile, on its own CPU.
let journal = try AuditJournal(file: directory.appendingPathComponent("audit.journal"), store: store,
                               logger: Logger(minimumLevel: .error, sink: DiscardingLogSink()))
let actor = Actor(tokenID: TokenID(rawValue: "54b812c5ed328fee")!, role: .runtime, requestID: "1a6cc9c47f44-186a0")
let requests = 200_000
let requestStart = cpuNanoseconds()
for request in 1...requests {
    try journal.append([AuditEntry(workspaceID: WorkspaceID(1), actor: actor, action: .connectionResolved, projectID: ProjectID(1),
                                   connectionID: ConnectionID(1), detailsJSON: details)])
    // The trail keeps up with a server's load (records reach it ~10 ms after their answer); a loop that
    // only appends would not let it, and measure a journal growing without end instead.
    if request.isMultiple(of: 1000) { journal.flush() }
}
let perRequest = (cpuNanoseconds() - requestStart) / Double(requests) / 1000
journal.stop()
print(String(format: "%.2f µs of CPU per audit record made and journaled on the request thread", perRequest))

struct DiscardingLogSink: LogSink { func write(_ line: String) {} }
