import struct Foundation.Date

public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }

    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where log lines go. The process supplies one that writes JSON lines to stderr; tests supply one that
/// collects them.
public protocol LogSink: Sendable {
    func write(_ line: String)
}

/// Structured logging as values: a level, a message, and typed fields. There is deliberately no way to log
/// a request body or an arbitrary object, so secret material has no path into a log line by accident.
public struct Logger: Sendable {
    public let minimumLevel: LogLevel
    let sink: any LogSink
    let baseFields: [(String, LogValue)]

    public init(minimumLevel: LogLevel, sink: any LogSink) {
        self.minimumLevel = minimumLevel
        self.sink = sink
        self.baseFields = []
    }

    private init(minimumLevel: LogLevel, sink: any LogSink, baseFields: [(String, LogValue)]) {
        self.minimumLevel = minimumLevel
        self.sink = sink
        self.baseFields = baseFields
    }

    public func with(_ fields: [(String, LogValue)]) -> Logger {
        Logger(minimumLevel: minimumLevel, sink: sink, baseFields: baseFields + fields)
    }

    public func log(_ level: LogLevel, _ message: String, _ fields: [(String, LogValue)] = []) {
        guard level >= minimumLevel else { return }
        var line = "{\"ts\":\"\(Timestamp.format(Date()))\",\"level\":\"\(level.name)\",\"msg\":"
        line += LogValue.string(message).json
        for (key, value) in baseFields + fields {
            line += ",\(LogValue.string(key).json):\(value.json)"
        }
        line += "}"
        sink.write(line)
    }

    public func debug(_ message: String, _ fields: [(String, LogValue)] = []) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: [(String, LogValue)] = []) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [(String, LogValue)] = []) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [(String, LogValue)] = []) { log(.error, message, fields) }
}

public enum LogValue: Sendable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)

    var json: String {
        switch self {
        case .int(let value): return String(value)
        case .double(let value): return value.isFinite ? String(value) : "null"
        case .bool(let value): return value ? "true" : "false"
        case .string(let value):
            var out = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 { out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4) }
                    else { out.unicodeScalars.append(scalar) }
                }
            }
            return out + "\""
        }
    }
}
