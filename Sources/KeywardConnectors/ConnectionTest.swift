import Foundation
import KeywardCore

/// One step of testing a connection, as the console and CLI show it.
public struct ConnectionTestStep: Sendable, Equatable, Encodable {
    public enum Status: String, Sendable, Encodable { case pass, fail, skip }

    public var name: String
    public var status: Status
    public var detail: String
    public var hint: String?

    public init(_ name: String, _ status: Status, _ detail: String, hint: String? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.hint = hint
    }
}

/// Tests one connection type against the real system, with fields whose secrets are already in place.
/// Details never contain a field's value: only hosts, names, status codes and the system's own error text.
public protocol ConnectionTester: Sendable {
    /// Connects only to addresses `targets` allows.
    func test(_ fields: [String: JSONValue], within targets: TestTargetPolicy) -> ConnectionTestStep
}

public enum ConnectionTesters {
    /// Tests a connection of `type`. `secretValues` are the values its references resolved to: the step's
    /// texts are scrubbed of them, because a system's error may quote what it was sent (a user, a database,
    /// a host in a URL).
    public static func test(_ type: ConnectionType, fields: [String: JSONValue], secretValues: [String],
                            within targets: TestTargetPolicy) -> ConnectionTestStep {
        var step = tester(for: type).test(fields, within: targets)
        step.detail = redact(step.detail, secretValues)
        step.hint = step.hint.map { redact($0, secretValues) }
        return step
    }

    /// Every occurrence of a secret value replaced by `[secret]`, longest first (one value may contain
    /// another). Values shorter than 4 characters are left: replacing them would mangle ordinary words.
    static func redact(_ text: String, _ values: [String]) -> String {
        values.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
            .reduce(text) { $0.replacingOccurrences(of: $1, with: "[secret]") }
    }

    static func tester(for type: ConnectionType) -> any ConnectionTester {
        switch type {
        case .postgresql: PostgreSQLTester()
        case .http: HTTPTester()
        case .generic: GenericTester()
        }
    }

    /// The failed step of a test that did not connect because `targets` refuses where it points.
    static func refused(_ refusal: String) -> ConnectionTestStep {
        ConnectionTestStep("connect", .fail, "Not connected: \(refusal)",
                           hint: "Point the connection at the system itself. Connection tests never reach link-local addresses (cloud metadata endpoints) or networks an operator denied with --connection-test-deny.")
    }

    static func string(_ fields: [String: JSONValue], _ name: String) -> String? {
        switch fields[name] {
        case .string(let text)?: text
        case .number(let number)? where number.rounded() == number: String(Int64(number))
        default: nil
        }
    }
}

/// A generic connection has free fields and nothing to connect to: resolving its references is the test.
struct GenericTester: ConnectionTester {
    func test(_ fields: [String: JSONValue], within targets: TestTargetPolicy) -> ConnectionTestStep {
        ConnectionTestStep("connect", .skip, "Generic connections have no system to connect to; their references resolved.")
    }
}
