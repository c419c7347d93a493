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

    @Test func theCanonicalFormIsSortedJSONWithItsChainFieldsInPlace() {
        var out: [UInt8] = []
        entry().canonicalForm.write(seq: 12, prevHash: "ab", into: &out)
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
            var spliced: [UInt8] = []
            entry.canonicalForm.write(seq: 40, prevHash: event.prevHash, into: &spliced)
            #expect(spliced == event.canonical)
        }
    }

    /// The form is copied together from literals, its texts escaped only where they need it. It gives the
    /// same bytes, and the same places for the chain fields, as an independent encoding member by member.
    @Test(arguments: ["r-1", "a\"quote", "back\\slash", "line\nbreak", "ctl\u{01}", "ünïcode"])
    func copyingAndEncodingGiveTheSameForm(_ requestID: String) {
        let ids: [Int64?] = [nil, 0, 7, 1_000_000_007, Int64.max]
        for (index, id) in ids.enumerated() {
            let details = JSONValue.object(["note": .string("a\"b\\\n"), "n": .number(Double(index))]).jsonBytes
            let arguments = (action: AuditAction.allCases[index % AuditAction.allCases.count], role: Role.allCases[index % Role.allCases.count],
                             outcome: index.isMultiple(of: 2) ? "success" : "secret_not_found")
            let (project, store) = (ids[(index + 1) % ids.count], ids[(index + 2) % ids.count])
            let copied = AuditCanonicalForm(action: arguments.action, actorRole: arguments.role, actorTokenID: TokenID(rawValue: "00000000000000c3")!,
                                            at: "2026-12-05T03:04:05.678Z", connectionID: id.map(ConnectionID.init), details: details,
                                            outcome: arguments.outcome, projectID: project.map(ProjectID.init),
                                            requestID: requestID, storeID: store.map(StoreID.init), workspaceID: WorkspaceID(id ?? 1))
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
            let encoded = AuditCanonicalForm(bytes: record.closed(), prevHashAt: prevHashAt, seqAt: seqAt)
            #expect(copied == encoded, "\(String(decoding: copied.bytes, as: UTF8.self))")
            var spliced: [UInt8] = []
            copied.write(seq: 3, prevHash: "ab", into: &spliced)
            #expect((try? JSONDecoder().decode(JSONValue.self, from: Data(spliced))) != nil)
        }
    }

    @Test func theJournalLineIsTheFormWithoutItsChainFields() throws {
        let form = entry().canonicalForm
        let object = try JSONDecoder().decode([String: JSONValue].self, from: Data(form.bytes))
        #expect(object["prev_hash"] == nil && object["seq"] == nil && object["request_id"] == .string("r-1"))
        #expect(object.count == 11)
    }
}
