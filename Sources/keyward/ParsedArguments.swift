/// A command line split into options (`--name value` or `--name=value`, repeatable), flags and
/// positionals. Only the options and flags a command declares are accepted.
struct ParsedArguments {
    private(set) var options: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []
    private(set) var help = false

    init(_ arguments: [String], options known: Set<String>, flags knownFlags: Set<String>) throws {
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("-") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" { onlyPositionals = true; continue }
            if argument == "-h" || argument == "--help" { help = true; continue }
            guard argument.hasPrefix("--") else { throw UsageError("unknown option \(argument)") }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if knownFlags.contains(name) {
                guard value == nil else { throw UsageError("--\(name) takes no value") }
                flags.insert(name)
            } else if known.contains(name) {
                if value == nil {
                    guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
                    value = arguments[index]
                    index += 1
                }
                options[name, default: []].append(value!)
            } else {
                throw UsageError("unknown option --\(name)")
            }
        }
    }

    func value(_ name: String) -> String? { options[name]?.last }
    func values(_ name: String) -> [String] { options[name] ?? [] }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    func required(_ name: String) throws -> String {
        guard let value = value(name), !value.isEmpty else { throw UsageError("--\(name) is required") }
        return value
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func positiveID(_ name: String) throws -> Int64? {
        guard let text = value(name) else { return nil }
        guard let number = Int64(text), number > 0 else { throw UsageError("--\(name) must be a positive integer id") }
        return number
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Exit codes scripts can rely on. They are part of the CLI's contract and documented in its help.
enum ExitCode {
    static let success: Int32 = 0
    /// The server failed (5xx), or something unexpected happened.
    static let failure: Int32 = 1
    /// The command line was wrong.
    static let usage: Int32 = 2
    /// The token is missing, invalid, revoked or expired (401), or not allowed to do this (403).
    static let denied: Int32 = 3
    /// What was named does not exist (404).
    static let notFound: Int32 = 4
    /// The request conflicts with the current state, for example a name already in use (409).
    static let conflict: Int32 = 5
    /// The server rejected the input (400, 413, 415).
    static let invalid: Int32 = 6
    /// The server could not be reached.
    static let unreachable: Int32 = 7
    /// The secrets manager refused, or lacks the secret or key (424).
    static let secretsManager: Int32 = 8

    static func forStatus(_ status: Int) -> Int32 {
        switch status {
        case 200..<300: success
        case 401, 403: denied
        case 404: notFound
        case 409: conflict
        case 424: secretsManager
        case 400..<500: invalid
        default: failure
        }
    }
}
