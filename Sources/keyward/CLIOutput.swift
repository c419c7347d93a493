import Foundation

enum OutputFormat: String {
    case table
    case json
}

enum CLIOutput {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// Prints a problem+json body as `error: detail (code)` and its hint.
    static func problem(_ response: APIClient.Response) {
        guard let object = response.json as? [String: Any], let code = object["code"] as? String else {
            error("the server answered \(response.status)")
            return
        }
        error("\(object["detail"] as? String ?? "request failed") (\(code))")
        if let hint = object["hint"] as? String { note("hint: \(hint)") }
    }

    /// A decoded JSON value as pretty JSON text.
    static func pretty(_ value: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    static func json(_ data: Data) {
        if let object = try? JSONSerialization.jsonObject(with: data),
           let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
            print(String(decoding: pretty, as: UTF8.self))
        } else {
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// Renders rows as aligned columns under upper-case headers.
    static func table(_ columns: [Column], _ rows: [[String: Any]]) {
        let cells = rows.map { row in columns.map { $0.render(row) } }
        let widths = columns.indices.map { index in
            max(columns[index].title.count, cells.map { $0[index].count }.max() ?? 0)
        }
        func line(_ values: [String]) -> String {
            zip(values, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingSuffixWhitespace()
        }
        print(line(columns.map(\.title)))
        cells.forEach { print(line($0)) }
    }

    struct Column: Sendable {
        let title: String
        let render: @Sendable ([String: Any]) -> String

        init(_ title: String, _ key: String) {
            self.title = title
            render = { row in describe(row[key]) }
        }

        init(_ title: String, render: @escaping @Sendable ([String: Any]) -> String) {
            self.title = title
            self.render = render
        }
    }

    static func describe(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return "-"
        case let text as String: return text
        // JSON true/false arrive as a boolean subclass of NSNumber, which would print as 1/0.
        case let number as NSNumber where String(describing: type(of: number)).contains("Boolean"): return number.boolValue ? "true" : "false"
        case let number as NSNumber: return number.stringValue
        case let list as [Any]: return list.isEmpty ? "-" : list.map { describe($0) }.joined(separator: ",")
        case let object as [String: Any]: return object.keys.sorted().joined(separator: ",")
        default: return "\(value!)"
        }
    }
}

extension String {
    func trimmingSuffixWhitespace() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
