import Foundation
import KeywardCore

/// Consecutive records of one chain, chained in one commit, that differ only in their time, request id and
/// hash: under load, nearly every record is the same resolve by the same token. They are stored as one row
/// of `audit_events`. The first record fills the row's columns, as a record on its own does; the others
/// are the row's `run`, a JSON array of `[seq, at, request_id, hash]`. Inserting one row per record was
/// most of what the audit trail cost. The row's last position, time and hash are columns too, so paging,
/// retention and anchors need not read the run.
struct AuditRun {
    let first: WrittenAuditRecord
    let firstSeq: Int64
    let prevHash: String
    let firstHash: String
    private(set) var lastSeq: Int64
    private(set) var lastAt: Date
    private(set) var lastHash: String
    /// The later records as JSON text without its closing bracket; empty while there are none.
    private var later: [UInt8] = []

    init(_ record: WrittenAuditRecord, seq: Int64, prevHash: String, hash: String) {
        first = record
        firstSeq = seq
        self.prevHash = prevHash
        firstHash = hash
        lastSeq = seq
        lastAt = record.at
        lastHash = hash
    }

    /// Whether `record` may join: alike in everything but time, request and hash, and not earlier than the
    /// last one, so that a run's first and last times bound all of its times.
    func admits(_ record: WrittenAuditRecord) -> Bool {
        record.at >= lastAt && record.isAlike(first)
    }

    /// Adds the record at `seq` (the next position). Its time and request id are copied as the JSON strings
    /// its form holds.
    mutating func append(_ record: WrittenAuditRecord, seq: Int64, hash: String) {
        later.append(later.isEmpty ? UInt8(ascii: "[") : UInt8(ascii: ","))
        later.append(UInt8(ascii: "["))
        later.append(decimal: seq)
        later.append(UInt8(ascii: ","))
        later.append(raw: record.timeJSON)
        later.append(UInt8(ascii: ","))
        later.append(raw: record.requestIDJSON)
        later.append(UInt8(ascii: ","))
        // A hash is hex: nothing to escape.
        later.append(UInt8(ascii: "\""))
        later.append(contentsOf: hash.utf8)
        later.append(UInt8(ascii: "\""))
        later.append(UInt8(ascii: "]"))
        lastSeq = seq
        lastAt = record.at
        lastHash = hash
    }
    /// The `run` column: nil for a record on its own.
    var runText: String? {
        later.isEmpty ? nil : String(decoding: later + [UInt8(ascii: "]")], as: UTF8.self)
    }

    /// The records of a stored row: `first`, decoded from its columns, then those of its run, each after the
    /// one before it in the chain. A run that does not read as one throws.
    static func records(first: AuditEvent, run: String?) throws -> [AuditEvent] {
        guard let run else { return [first] }
        let later = try JSONDecoder().decode([[JSONValue]].self, from: Data(run.utf8))
        var records = [first]
        records.reserveCapacity(later.count + 1)
        for item in later {
            guard item.count == 4, case .number(let seq) = item[0], case .string(let at) = item[1], let date = Timestamp.parse(at),
                  case .string(let requestID) = item[2], case .string(let hash) = item[3] else {
                throw StorageFailure.corrupt("audit_events run has an element that is not [seq, at, request_id, hash]")
            }
            var record = first
            record.seq = Int64(seq)
            record.at = date
            record.requestID = requestID
            record.prevHash = records[records.count - 1].hash
            record.hash = hash
            records.append(record)
        }
        return records
    }
}
