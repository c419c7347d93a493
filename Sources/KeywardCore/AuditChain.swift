import struct Foundation.Date

/// The rules of a workspace's tamper-evident audit chain. Each record carries its position (`seq`, from 1),
/// the hash of the record before it, and its own hash: SHA-256 over the previous hash, a newline, and the
/// record's canonical bytes (`AuditEvent.canonical`). Editing, deleting or reordering a record breaks the
/// chain at that record; truncating the end is caught against the chain's head, or against a head exported
/// and signed earlier. Pruning old records keeps the last pruned record's position and hash as the anchor the
/// retained chain starts from.
public enum AuditChain {
    /// The previous hash of a chain's first record.
    public static let genesis = String(repeating: "0", count: 64)

    /// The bytes hashed for a record: its previous hash, a newline, its canonical form (with `seq` and
    /// `prevHash` in it). The chain's writer makes them from the written record
    /// (`WrittenAuditRecord.writeHashInput`); verification from the stored one.
    public static func hashInput(_ event: AuditEvent) -> [UInt8] {
        Array(event.prevHash.utf8) + [0x0a] + event.canonical
    }

    /// Where a retained chain starts (position 0 and `genesis` until something was pruned) and where it ends.
    public struct Ends: Sendable, Equatable, Codable {
        public var anchorSeq: Int64
        public var anchorHash: String
        public var headSeq: Int64
        public var headHash: String

        public init(anchorSeq: Int64 = 0, anchorHash: String = AuditChain.genesis, headSeq: Int64 = 0, headHash: String = AuditChain.genesis) {
            self.anchorSeq = anchorSeq
            self.anchorHash = anchorHash
            self.headSeq = headSeq
            self.headHash = headHash
        }
    }

    /// What verification found.
    public struct Report: Sendable, Equatable, Encodable {
        public var workspaceID: WorkspaceID
        public var ok: Bool
        /// Records checked, from `firstSeq` to `lastSeq`.
        public var records: Int64
        public var firstSeq: Int64
        public var lastSeq: Int64
        public var headHash: String
        /// The first break, if any.
        public var problem: Problem?

        enum CodingKeys: String, CodingKey {
            case ok, records, problem
            case workspaceID = "workspace_id", firstSeq = "first_seq", lastSeq = "last_seq", headHash = "head_hash"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(workspaceID.rawValue, forKey: .workspaceID)
            try c.encode(ok, forKey: .ok)
            try c.encode(records, forKey: .records)
            try c.encode(firstSeq, forKey: .firstSeq)
            try c.encode(lastSeq, forKey: .lastSeq)
            try c.encode(headHash, forKey: .headHash)
            try c.encode(problem, forKey: .problem)
        }
    }

    public struct Problem: Sendable, Equatable, Encodable {
        public enum Kind: String, Sendable, Encodable {
            /// A record's content does not match its hash.
            case edited
            /// Positions are missing between two records.
            case missing
            /// A record does not follow the one before it (its previous hash or its id says otherwise).
            case outOfOrder = "out_of_order"
            /// The trail ends before the chain's head, or before a head exported earlier.
            case truncated
        }

        public var kind: Kind
        /// The position where the chain breaks, and the database id of the record found there (if any).
        public var seq: Int64
        public var recordID: Int64?
        public var detail: String

        enum CodingKeys: String, CodingKey { case kind, seq, detail, recordID = "record_id" }

        public init(_ kind: Kind, seq: Int64, recordID: Int64?, _ detail: String) {
            self.kind = kind
            self.seq = seq
            self.recordID = recordID
            self.detail = detail
        }
    }

    /// A chain head as exported: the workspace, its last position and hash, when, and a signature over them.
    public struct SignedHead: Sendable, Equatable, Codable {
        public var workspaceID: Int64
        public var seq: Int64
        public var hash: String
        public var at: String
        public var signature: String

        enum CodingKeys: String, CodingKey { case seq, hash, at, signature, workspaceID = "workspace_id" }

        public init(workspaceID: Int64, seq: Int64, hash: String, at: String, signature: String = "") {
            self.workspaceID = workspaceID
            self.seq = seq
            self.hash = hash
            self.at = at
            self.signature = signature
        }

        /// The bytes the signature covers.
        public var signedBytes: [UInt8] { Array("keyward-audit-head|\(workspaceID)|\(seq)|\(hash)|\(at)".utf8) }
    }

    /// Checks one chain's retained records, fed in `seq` order, against its ends and optionally against a
    /// head exported earlier. Streaming: a chain of any length is checked in constant memory.
    public struct Verifier {
        let workspace: WorkspaceID
        let ends: Ends
        let exported: SignedHead?
        let hash: ([UInt8]) -> String
        /// The position the next record must have.
        public private(set) var expected: Int64
        var previous: String
        /// Ids never go back along the chain (the records of one stored row share its id).
        var previousID: Int64 = 0
        var exportedHashFound: String?
        public private(set) var problem: Problem?

        /// `hash` is SHA-256 as lower-case hex.
        public init(_ workspace: WorkspaceID, ends: Ends, exported: SignedHead? = nil, hash: @escaping ([UInt8]) -> String) {
            self.workspace = workspace
            self.ends = ends
            self.exported = exported
            self.hash = hash
            expected = ends.anchorSeq + 1
            previous = ends.anchorHash
        }

        /// Checks the next record; false once the chain is broken (the rest need not be read).
        public mutating func check(_ event: AuditEvent) -> Bool {
            guard problem == nil else { return false }
            if event.seq > expected {
                let range = event.seq - 1 > expected ? "\(expected)–\(event.seq - 1)" : "\(expected)"
                problem = Problem(.missing, seq: expected, recordID: nil, "Record(s) \(range) are missing: deleted after they were written.")
            } else if event.seq < expected || event.prevHash != previous || event.id < previousID {
                problem = Problem(.outOfOrder, seq: event.seq, recordID: event.id,
                                  "Record \(event.seq) (id \(event.id)) does not follow the record before it: records were reordered, replaced or inserted.")
            } else if hash(hashInput(event)) != event.hash {
                problem = Problem(.edited, seq: event.seq, recordID: event.id,
                                  "Record \(event.seq) (id \(event.id)) does not match its hash: it was changed after it was written.")
            }
            guard problem == nil else { return false }
            if event.seq == exported?.seq { exportedHashFound = event.hash }
            previous = event.hash
            previousID = event.id
            expected += 1
            return true
        }

        /// Checks the records of one stored row, in their stored order. They are consecutive positions by
        /// construction, so a row holding every one of its positions, but not in order, was reordered: that
        /// is reported at the first record out of its place (not as the position it left missing).
        public mutating func check(row records: [AuditEvent]) -> Bool {
            let positions = records.map(\.seq)
            let inOrder = positions.indices.allSatisfy { positions[$0] == positions[0] + Int64($0) }
            if !inOrder, let lowest = positions.min(), positions.sorted() == Array(lowest..<lowest + Int64(positions.count)),
               let misplaced = positions.indices.first(where: { positions[$0] != lowest + Int64($0) }) {
                for record in records[..<misplaced] { guard check(record) else { return false } }
                guard problem == nil else { return false }
                let record = records[misplaced]
                problem = Problem(.outOfOrder, seq: record.seq, recordID: record.id,
                                  "Record \(record.seq) (id \(record.id)) is out of its place in the chain: records were reordered.")
                return false
            }
            for record in records { guard check(record) else { return false } }
            return true
        }

        /// A record that no longer reads as one (a column edited into something the schema does not allow).
        public mutating func unreadable(seq: Int64, recordID: Int64?) {
            guard problem == nil else { return }
            problem = Problem(.edited, seq: seq, recordID: recordID,
                              "Record \(seq) (id \(recordID.map(String.init) ?? "?")) no longer reads as an audit record: it was edited.")
        }

        public mutating func finish() -> Report {
            let last = expected - 1
            if problem == nil {
                if ends.headSeq > last {
                    problem = Problem(.truncated, seq: last + 1, recordID: nil,
                                      "The chain's head is record \(ends.headSeq) but the trail ends at \(last): records were removed from the end.")
                } else if ends.headSeq < last || ends.headHash != previous {
                    problem = Problem(.edited, seq: last, recordID: nil, "The chain's head does not match its last record.")
                } else if let exported, exported.seq > last {
                    problem = Problem(.truncated, seq: last + 1, recordID: nil,
                                      "The head exported at \(exported.at) is record \(exported.seq), but the trail ends at \(last): records were removed from the end.")
                } else if let exported, exported.seq > ends.anchorSeq, exportedHashFound != exported.hash {
                    problem = Problem(.edited, seq: exported.seq, recordID: nil,
                                      "Record \(exported.seq) is not the one the head exported at \(exported.at) names: the chain was rewritten.")
                }
            }
            return Report(workspaceID: workspace, ok: problem == nil, records: last - ends.anchorSeq, firstSeq: ends.anchorSeq + 1,
                          lastSeq: last, headHash: previous, problem: problem)
        }
    }
}
