import Foundation
import KeywardCore

/// A request body type. Its `CodingKeys` list every member a client may send; anything else is rejected,
/// so a typo in a field name is an error rather than a silently ignored setting.
public protocol RequestBody: Decodable {
    associatedtype CodingKeys: CodingKey & CaseIterable
}

public enum JSONBody {
    public static func encode<Value: Encodable>(_ value: Value, pretty: Bool = false) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            // Our response types always encode; reaching here is a programming error worth a loud failure.
            preconditionFailure("response did not encode: \(error)")
        }
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 timestamp")
            }
            return date
        }
        return decoder
    }

    /// Decodes a request body strictly: JSON media type, well-formed, an object with only known members,
    /// each of the right type. Every failure is a 4xx problem naming what was wrong.
    public static func decode<Body: RequestBody>(_ type: Body.Type, from request: HTTPRequest) throws -> Body {
        let mediaType = request.header("content-type")?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" || (mediaType == nil && request.body.isEmpty) else {
            throw KeywardError(.unsupportedMediaType, code: "unsupported_media_type", title: "Unsupported media type",
                               detail: "The request body must be JSON.", hint: "Send Content-Type: application/json.")
        }
        guard !request.body.isEmpty else {
            throw KeywardError(.badRequest, code: "missing_body", title: "Missing request body",
                               detail: "This endpoint needs a JSON object in the request body.")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(request.body), options: [])
        } catch {
            throw KeywardError(.badRequest, code: "malformed_json", title: "Malformed JSON",
                               detail: "The request body is not valid JSON.",
                               hint: "Check quoting, commas and brackets; the body must be one JSON object.")
        }
        guard let members = object as? [String: Any] else {
            throw KeywardError(.badRequest, code: "malformed_json", title: "Malformed JSON",
                               detail: "The request body must be a JSON object.")
        }
        let known = Set(Body.CodingKeys.allCases.map(\.stringValue))
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw KeywardError(.badRequest, code: "unknown_field", title: "Unknown field",
                               detail: "The field '\(unknown.prefix(64))' is not part of this request.",
                               hint: "Allowed fields: \(known.sorted().joined(separator: ", ")).",
                               extras: ["field": .string(String(unknown.prefix(64)))])
        }
        if let null = members.keys.sorted().first(where: { members[$0] is NSNull }) {
            throw KeywardError.invalidField(null, "must not be null", hint: "Leave the field out to keep its current value.")
        }
        do {
            return try decoder().decode(Body.self, from: Data(request.body))
        } catch let error as KeywardError {
            throw error
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw KeywardError(.badRequest, code: "invalid_body", title: "Invalid request body", detail: "\(error)")
        }
    }

    static func describe(_ error: DecodingError) -> KeywardError {
        func path(_ codingPath: [CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return .invalidField(path(context.codingPath), "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return .invalidField(path(context.codingPath), "must be \(describe(type)), not null")
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return KeywardError(.badRequest, code: "missing_field", title: "Missing field",
                                detail: "The field '\(field)' is required.", extras: ["field": .string(field)])
        case .dataCorrupted(let context):
            return .invalidField(path(context.codingPath).isEmpty ? "body" : path(context.codingPath),
                                 context.debugDescription)
        @unknown default:
            return KeywardError(.badRequest, code: "invalid_body", title: "Invalid request body", detail: "\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt16.Type: "an integer"
        case is Double.Type: "a number"
        default:
            if type is any IntegerIdentifier.Type { "an integer id" }
            else if "\(type)".hasPrefix("Dictionary") { "an object" }
            else if "\(type)".hasPrefix("Array") { "an array" }
            else { "of another type" }
        }
    }
}
