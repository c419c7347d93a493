/// Maps a method and a path to a route value. Patterns are `/`-separated literals and `{name}`
/// parameters; a parameter matches one non-empty segment.
public struct Router<Route: Sendable>: Sendable {
    public struct Entry: Sendable {
        public let method: HTTPMethod
        public let pattern: String
        public let route: Route
        let path: PathPattern
    }

    public private(set) var entries: [Entry] = []
    /// The entries' paths and methods again, in a plain (non-generic) array: matching scans these on every
    /// request, and scanning generic entries would copy each one through its value witness.
    private var shapes: [(path: PathPattern, method: HTTPMethod)] = []
    /// Route indices by segment count: a path is only compared with patterns of its own length.
    private var bySegmentCount: [Int: [Int]] = [:]

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ route: Route) {
        let path = PathPattern(pattern)
        precondition(!entries.contains { $0.method == method && $0.path == path }, "duplicate route \(method) \(pattern)")
        entries.append(Entry(method: method, pattern: pattern, route: route, path: path))
        shapes.append((path, method))
        bySegmentCount[path.segments.count, default: []].append(shapes.count - 1)
    }

    public enum Match {
        case found(Route, parameters: [String: String], pattern: String)
        /// The path exists but not with this method; carries the methods that do exist.
        case methodNotAllowed([HTTPMethod])
        case notFound
    }

    public func match(method: String, path: String) -> Match {
        let parts = PathPattern.split(path)
        var allowed: [HTTPMethod] = []
        for index in bySegmentCount[parts.count] ?? [] where shapes[index].path.matchesLiterals(parts) {
            let shape = shapes[index]
            if shape.method.rawValue == method {
                let entry = entries[index]
                return .found(entry.route, parameters: shape.path.bind(parts), pattern: entry.pattern)
            }
            allowed.append(shape.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed.sorted())
    }
}

/// A route's path, split into segments once. Kept outside the generic `Router` so matching runs as
/// specialized code rather than through generic metadata at every request.
struct PathPattern: Sendable, Equatable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    let segments: [Segment]

    init(_ pattern: String) {
        segments = Self.split(pattern).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
    }

    /// Compares the segment count and the literal segments, allocating nothing: most routes fail here.
    func matchesLiterals(_ parts: [Substring]) -> Bool {
        guard parts.count == segments.count else { return false }
        for index in segments.indices {
            if case .literal(let text) = segments[index], parts[index] != text { return false }
        }
        return true
    }

    func bind(_ parts: [Substring]) -> [String: String] {
        var parameters: [String: String] = [:]
        for index in segments.indices {
            if case .parameter(let name) = segments[index] { parameters[name] = String(parts[index]) }
        }
        return parameters
    }

    /// Non-empty segments after the leading `/`; a trailing slash is ignored.
    static func split(_ path: String) -> [Substring] {
        path.utf8.first == UInt8(ascii: "/") ? path.dropFirst().split(separator: "/") : path.split(separator: "/")
    }
}
