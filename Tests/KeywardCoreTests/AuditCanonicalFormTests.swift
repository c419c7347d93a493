import Foundation
@testable import KeywardCore
import Testing

/// The bytes an audit record's hash covers. They are pinned: a stored chain verifies only as long as the
/// same record gives the same bytes.
@Suite struct AuditCanonicalFormTests {
    let at = Timestamp.parse("2026-12-05T03:04:05.678Z")!

    func entry(outcome: String = "success", connection: ConnectionID? = ConnectionID(7)) -> AuditEntry {
        AuditEntry(workspaceID: WorkspaceID(3), at: at, actor: Actor(tokenID: TokenID(rawValue: "00000000000000c3")!, role: .runtime, requestID: "r-1"),
                   action: .connectionResolved, projectID: ProjectID(2), connectionID: connection, outcome: outcome,
                   details: ["note": .string("a\"b\\\n"), "refresh": .bool(false)])
    }

    /// The form of `entry` with its chain fields, as the chain's writer hashes it.
    func spliced(_ entry: AuditEntry, seq: Int64, prevHash: String) -> [UInt8] {
        var out: [UInt8] = []
        AuditEntry.withWritten([entry]) { $0[0].write(seq: seq, prevHash: prevHash, into: &out) }
        return out
    }

    @Test func theCanonicalFormIsSortedJSONWithItsChainFieldsInPlace() {
        let out = spliced(entry(), seq: 12, prevHash: "ab")
        #expect(String(decoding: out, as: UTF8.self) == #"""
            {"action":"connection.resolve","actor_role":"runtime","actor_token_id":"00000000000000c3","at":"2026-12-05T03:04:05.678Z","connection_id":7,"details":{"note":"a\"b\\\n","refresh":false},"outcome":"success","prev_hash":"ab","project_id":2,"request_id":"r-1","seq":12,"store_id":null,"workspace_id":3}
            """#)
    }

    @Test(arguments: ["success", "secret_not_found"])
    func theFormMadeWithTheEntryIsTheOneTheStoredRecordGives(_ outcome: String) {
        for connection in [ConnectionID(7), nil] {
            let entry = entry(outcome: outcome, connection: connection)
            var event = AuditEvent(id: 99, workspaceID: entry.workspaceID, at: entry.at, actorTokenID: entry.actor.tokenID, actorRole: entry.actor.role,
                                   action: entry.action, projectID: entry.projectID, connectionID: entry.connectionID, storeID: entry.storeID,
                                   outcome: entry.outcome, details: ["note": .string("a\"b\\\n"), "refresh": .bool(false)], requestID: entry.actor.requestID)
            event.seq = 40
            event.prevHash = String(repeating: "f", count: 64)
            #expect(spliced(entry, seq: 40, prevHash: event.prevHash) == event.canonical)
        }
    }

    /// The form is copied together from literals, its texts escaped only where they need it. It gives the
    /// same bytes, and the same places for the chain fields, as an independent encoding member by member, and
    /// its texts read back as they were given.
    @Test(arguments: ["r-1", "a\"quote", "back\\slash", "line\nbreak", "ctl\u{01}", "ünïcode"])
    func copyingAndEncodingGiveTheSameForm(_ requestID: String) throws {
        let ids: [Int64?] = [nil, 0, 7, 1_000_000_007, Int64.max]
        for (index, id) in ids.enumerated() {
            let details = JSONValue.object(["note": .string("a\"b\\\n"), "n": .number(Double(index))]).jsonBytes
            let arguments = (action: AuditAction.allCases[index % AuditAction.allCases.count], role: Role.allCases[index % Role.allCases.count],
                             outcome: index.isMultiple(of: 2) ? "success" : "secret_not_found")
            let (project, store) = (ids[(index + 1) % ids.count], ids[(index + 2) % ids.count])
            let entry = AuditEntry(workspaceID: WorkspaceID(id ?? 1), at: at,
                                   actor: Actor(tokenID: TokenID(rawValue: "00000000000000c3")!, role: arguments.role, requestID: requestID),
                                   action: arguments.action, projectID: project.map(ProjectID.init), connectionID: id.map(ConnectionID.init),
                                   storeID: store.map(StoreID.init), outcome: arguments.outcome, detailsJSON: details)
            var record = JSONObjectWriter(capacity: 512)
            record.string("action", arguments.action.rawValue)
            record.string("actor_role", arguments.role.rawValue)
            record.string("actor_token_id", "00000000000000c3")
            record.string("at", "2026-12-05T03:04:05.678Z")
            record.integer("connection_id", id)
            record.json("details", details)
            record.string("outcome", arguments.outcome)
            let prevHashAt = record.bytes.count + 1
            record.integer("project_id", project)
            record.string("request_id", requestID)
            let seqAt = record.bytes.count + 1
            record.integer("store_id", store)
            record.integer("workspace_id", id ?? 1)
            let encoded = record.closed()
            try AuditEntry.withWritten([entry]) { written in
                let form = written[0]
                #expect(Array(form.form) + [UInt8(ascii: "}")] == encoded, "\(String(decoding: form.form, as: UTF8.self))")
                #expect(Int(form.prevHashAt) == prevHashAt && Int(form.seqAt) == seqAt)
                #expect(form.requestIDText == requestID && form.tokenIDText == "00000000000000c3" && form.outcomeText == arguments.outcome)
                #expect(form.timeText == "2026-12-05T03:04:05.678Z" && Array(form.detailsJSON) == details)
                var spliced: [UInt8] = []
                form.write(seq: 3, prevHash: "ab", into: &spliced)
                let object = try JSONDecoder().decode([String: JSONValue].self, from: Data(spliced))
                #expect(object["seq"] == .number(3) && object["prev_hash"] == .string("ab") && object["request_id"] == .string(requestID))
            }
        }
    }

    @Test func theJournalLineIsTheFormWithoutItsChainFields() throws {
        let object = try AuditEntry.withWritten([entry()]) {
            try JSONDecoder().decode([String: JSONValue].self, from: Data($0[0].form) + Data("}".utf8))
        }
        #expect(object["prev_hash"] == nil && object["seq"] == nil && object["request_id"] == .string("r-1"))
        #expect(object.count == 11)
    }

    /// Records alike but for their time and request id are stored as one row; anything else tells them apart.
    @Test func recordsAreAlikeWhenOnlyTheirTimeAndRequestDiffer() {
        func record(at: Date? = nil, request: String = "r-1", token: String = "00000000000000c3", role: Role = .runtime,
                    connection: ConnectionID? = ConnectionID(7), outcome: String = "success", note: String = "n") -> AuditEntry {
            AuditEntry(workspaceID: WorkspaceID(3), at: at ?? self.at, actor: Actor(tokenID: TokenID(rawValue: token)!, role: role, requestID: request),
                       action: .connectionResolved, projectID: ProjectID(2), connectionID: connection, outcome: outcome, details: ["note": .string(note)])
        }
        let others = [record(token: "00000000000000c4"), record(role: .projectAdmin), record(connection: nil), record(connection: ConnectionID(8)),
                      record(outcome: "secret_not_found"), record(note: "m")]
        AuditEntry.withWritten([record(), record(at: at.addingTimeInterval(1), request: "r-2-longer")] + others) { written in
            #expect(written[0].isAlike(written[1]))
            for other in written.dropFirst(2) { #expect(!written[0].isAlike(other) && !other.isAlike(written[0])) }
        }
    }
}
