import Foundation

/// An audit record's canonical form: the JSON object its hash covers, keys sorted, integers as integers and
/// the time as stored. It is written once, when the record is made, straight into memory its writer keeps
/// (the audit journal's mapped file, or a buffer for records written outside the journal), without the two
/// fields its chain gives it later (`prev_hash` and `seq`) and without its closing brace.
public enum AuditCanonicalForm {
    /// The keys and punctuation the form holds.
    private static let literalsLength = #"{"action":,"actor_role":,"actor_token_id":,"at":,"connection_id":,"details":,"outcome":,"project_id":,"request_id":,"store_id":,"workspace_id":"#.utf8.count

    /// Room enough for a form of these texts and details: texts may grow six-fold when escaped (a control
    /// character becomes `\u00XX`); four integers and a time.
    static func capacity(action: AuditAction, role: Role, tokenID: TokenID, requestID: String, outcome: String, details: Int) -> Int {
        let texts = action.rawValue.utf8.count + role.rawValue.utf8.count + tokenID.rawValue.utf8.count + requestID.utf8.count + outcome.utf8.count
        return literalsLength + details + 4 * DecimalText.maximumLength + 6 * texts + 2 * 6 + Timestamp.maximumLength
    }

    /// Writes a form at `destination`, which has room for `capacity` bytes. Keys and punctuation are copied
    /// as literals and texts as they are unless they need escaping (ids, codes and times never do): one
    /// record is made per request.
    static func write(to destination: UnsafeMutableRawPointer, workspaceID: WorkspaceID, at: Date, action: AuditAction, role: Role,
                      tokenID: TokenID, requestID: String, projectID: ProjectID?, connectionID: ConnectionID?, storeID: StoreID?,
                      outcome: String, details: UnsafeRawBufferPointer) -> WrittenAuditRecord {
        var out = FormCursor(start: destination.assumingMemoryBound(to: UInt8.self))
        out.write(#"{"action":"#)
        out.write(text: action.rawValue)
        out.write(#","actor_role":"#)
        out.write(text: role.rawValue)
        out.write(#","actor_token_id":"#)
        let token = out.write(text: tokenID.rawValue)
        out.write(#","at":"#)
        let time = out.write(time: at)
        out.write(#","connection_id":"#)
        out.write(integer: connectionID?.rawValue)
        out.write(#","details":"#)
        let detailsAt = out.count
        out.write(details)
        let detailsSpan = WrittenAuditRecord.Span(from: detailsAt, to: out.count)
        out.write(#","outcome":"#)
        let outcomeSpan = out.write(text: outcome)
        out.write(",")
        let prevHashAt = out.count
        out.write(#""project_id":"#)
        out.write(integer: projectID?.rawValue)
        out.write(#","request_id":"#)
        let request = out.write(text: requestID)
        out.write(",")
        let seqAt = out.count
        out.write(#""store_id":"#)
        out.write(integer: storeID?.rawValue)
        out.write(#","workspace_id":"#)
        out.write(integer: workspaceID.rawValue)
        return WrittenAuditRecord(base: UnsafeRawPointer(destination), count: out.count, workspaceID: workspaceID, at: at, action: action, role: role,
                                  projectID: projectID, connectionID: connectionID, storeID: storeID,
                                  prevHashAt: Int32(prevHashAt), seqAt: Int32(seqAt), token: token, time: time, outcome: outcomeSpan,
                                  requestID: request, details: detailsSpan, escaped: out.escaped)
    }
}

/// A record's canonical form as written (see `AuditCanonicalForm`), with the fields the chain's writer
/// compares without reading text, and where the texts it stores are. The chain's writer splices the chain
/// fields in to hash it, compares records for runs, and takes a stored row's texts from it: a record made on
/// a request's thread is handed to the journal's thread as this value, and nothing is allocated for it on
/// the one or freed on the other.
public struct WrittenAuditRecord: @unchecked Sendable {
    /// Where the form starts. Valid as long as its writer keeps the memory (the journal: until the record is
    /// in the trail).
    public let base: UnsafeRawPointer
    /// The form's length, without its closing brace.
    public let count: Int
    public let workspaceID: WorkspaceID
    public let at: Date
    public let action: AuditAction
    public let role: Role
    public let projectID: ProjectID?
    public let connectionID: ConnectionID?
    public let storeID: StoreID?
    /// Where `"prev_hash":…,` and `"seq":…,` go: both keys sort between others.
    let prevHashAt: Int32
    let seqAt: Int32
    /// The JSON values as written (texts with their quotes) of the token id, the time, the outcome, the
    /// request id and the details.
    let token: Span
    let time: Span
    let outcome: Span
    let requestID: Span
    let details: Span
    /// Whether some text had to be escaped: then a text's value is not simply what is between its quotes.
    let escaped: Bool

    struct Span {
        let start: Int32
        let count: Int32

        init(from start: Int, to end: Int) {
            self.start = Int32(start)
            count = Int32(end - start)
        }
    }

    /// The bytes of `span`, or of the form up to its closing brace.
    func bytes(_ span: Span) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base + Int(span.start), count: Int(span.count)) }
    public var form: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// The JSON string literals of its time and request id, and its details as JSON: a run of records
    /// stores them as they are.
    public var timeJSON: UnsafeRawBufferPointer { bytes(time) }
    public var requestIDJSON: UnsafeRawBufferPointer { bytes(requestID) }
    public var detailsJSON: UnsafeRawBufferPointer { bytes(details) }

    /// Its texts, for a stored row's columns.
    public var tokenIDText: String { text(token) }
    public var timeText: String { text(time) }
    public var outcomeText: String { text(outcome) }
    public var requestIDText: String { text(requestID) }

    private func text(_ span: Span) -> String {
        let literal = bytes(span)
        if !escaped { return String(decoding: UnsafeRawBufferPointer(rebasing: literal.dropFirst().dropLast()), as: UTF8.self) }
        // Only a text written by this type is read here: it decodes.
        return (try? JSONDecoder().decode(String.self, from: Data(literal))) ?? ""
    }

    /// Whether `other` is the same record but for its time and request id (and so its place in the chain):
    /// same chain, action, actor, subject, outcome and details.
    public func isAlike(_ other: WrittenAuditRecord) -> Bool {
        workspaceID == other.workspaceID && action == other.action && role == other.role && projectID == other.projectID
            && connectionID == other.connectionID && storeID == other.storeID
            && Self.equal(bytes(token), other.bytes(token)) && Self.equal(bytes(outcome), other.bytes(outcome))
            && Self.equal(bytes(details), other.bytes(details))
    }

    /// Byte for byte (memcmp: records' details are compared for every record chained).
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    private static let prevHashKey = Array(#""prev_hash":""#.utf8)
    private static let seqKey = Array(#""seq":"#.utf8)

    /// Appends its canonical form as the record at `seq` after `prevHash` to `out`: the chain fields spliced
    /// in, and the closing brace.
    public func write(seq: Int64, prevHash: String, into out: inout [UInt8]) {
        out.reserveCapacity(out.count + count + prevHash.utf8.count + 44)
        let form = self.form
        out.append(raw: UnsafeRawBufferPointer(rebasing: form[..<Int(prevHashAt)]))
        out.append(contentsOf: Self.prevHashKey)
        out.append(contentsOf: prevHash.utf8)
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ","))
        out.append(raw: UnsafeRawBufferPointer(rebasing: form[Int(prevHashAt)..<Int(seqAt)]))
        out.append(contentsOf: Self.seqKey)
        out.append(decimal: seq)
        out.append(UInt8(ascii: ","))
        out.append(raw: UnsafeRawBufferPointer(rebasing: form[Int(seqAt)...]))
        out.append(UInt8(ascii: "}"))
    }

    /// The bytes hashed for it as the record at `seq` after `prevHash` (see `AuditChain`), appended to `out`.
    public func writeHashInput(seq: Int64, prevHash: String, into out: inout [UInt8]) {
        out.append(contentsOf: prevHash.utf8)
        out.append(0x0a)
        write(seq: seq, prevHash: prevHash, into: &out)
    }
}

/// Writes a form into memory reserved beforehand (by `AuditCanonicalForm.capacity`).
private struct FormCursor {
    let start: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var escaped = false

    init(start: UnsafeMutablePointer<UInt8>) { self.start = start }

    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        UnsafeMutableRawPointer(start + count).copyMemory(from: base, byteCount: bytes.count)
        count += bytes.count
    }

    mutating func write(_ literal: StaticString) { write(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)) }

    /// A JSON string: as it is between quotes, or escaped by JSONValue's writer when it has to be.
    @discardableResult
    mutating func write(text: String) -> WrittenAuditRecord.Span {
        let begin = count
        var text = text
        text.withUTF8 { bytes in
            if bytes.contains(where: JSONValue.needsEscaping) {
                escaped = true
                var literal: [UInt8] = []
                JSONValue.writeString(bytes, into: &literal)
                literal.withUnsafeBytes { write($0) }
            } else {
                start[count] = UInt8(ascii: "\"")
                count += 1
                write(UnsafeRawBufferPointer(bytes))
                start[count] = UInt8(ascii: "\"")
                count += 1
            }
        }
        return WrittenAuditRecord.Span(from: begin, to: count)
    }

    mutating func write(time: Date) -> WrittenAuditRecord.Span {
        let begin = count
        start[count] = UInt8(ascii: "\"")
        count += 1
        count += Timestamp.write(time, to: start + count)
        start[count] = UInt8(ascii: "\"")
        count += 1
        return WrittenAuditRecord.Span(from: begin, to: count)
    }

    /// Decimal, or `null`.
    mutating func write(integer: Int64?) {
        guard let value = integer else { return write("null") }
        DecimalText.withDigits(of: value) { write($0) }
    }
}
