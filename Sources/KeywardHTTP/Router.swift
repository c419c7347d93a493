/// Maps a method and a path to a route value. Patterns are `/`-separated literals and `{name}`
/// parameters; a parameter matches one non-empty segment.
public struct Router<Route: Sendable>: Sendable {
    public struct Entry: Sendable {
        public let method: HTTPMethod
        public let pattern: String
        public let route: Route
        let segments: [Segment]
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ route: Route) {
        let segments = Self.split(pattern).map { part -> Segment in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
        precondition(!entries.contains { $0.method == method && $0.segments == segments }, "duplicate route \(method) \(pattern)")
        entries.append(Entry(method: method, pattern: pattern, route: route, segments: segments))
    }

    public enum Match {
        case found(Route, parameters: [String: String], pattern: String)
        /// The path exists but not with this method; carries the methods that do exist.
        case methodNotAllowed([HTTPMethod])
        case notFound
    }

    public func match(method: String, path: String) -> Match {
        let parts = Self.split(path)
        var allowed: [HTTPMethod] = []
        for entry in entries where entry.segments.count == parts.count {
            guard let parameters = Self.bind(entry.segments, parts) else { continue }
            if entry.method.rawValue == method {
                return .found(entry.route, parameters: parameters, pattern: entry.pattern)
            }
            allowed.append(entry.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed.sorted())
    }

    private static func bind(_ segments: [Segment], _ parts: [Substring]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text): if part != text { return nil }
            case .parameter(let name): parameters[name] = String(part)
            }
        }
        return parameters
    }

    private static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().filter { !$0.isEmpty }
            .map { $0 }
    }
}
