/// Maps a method and a path to a route value. Patterns are `/`-separated literals and `{name}`
/// parameters; a parameter matches one non-empty segment.
public struct Router<Route: Sendable>: Sendable {
    public struct Entry: Sendable {
        public let method: HTTPMethod
        public let pattern: String
        public let route: Route
    }

    public private(set) var entries: [Entry] = []
    /// The routes alone, indexed like the table: the generic part of a match is one array read.
    @usableFromInline var routes: [Route] = []
    @usableFromInline var table = RouteTable()

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ route: Route) {
        table.add(method, pattern)
        entries.append(Entry(method: method, pattern: pattern, route: route))
        routes.append(route)
    }

    public enum Match {
        case found(Route, parameters: [String: String], pattern: String)
        /// The path exists but not with this method; carries the methods that do exist.
        case methodNotAllowed([HTTPMethod])
        case notFound
    }

    /// Inlinable so the caller's module specializes it for its `Route`: unspecialized, every request
    /// would go through generic metadata and value witnesses.
    @inlinable
    public func match(method: String, path: String) -> Match {
        switch table.match(method: method, path: path) {
        case .found(let index, let parameters, let pattern): .found(routes[index], parameters: parameters, pattern: pattern)
        case .methodNotAllowed(let allowed): .methodNotAllowed(allowed)
        case .notFound: .notFound
        }
    }
}

/// The non-generic half of `Router`: patterns and methods, indexed by segment count so a path is only
/// compared with patterns of its own length. Matching answers with the index of the route.
@usableFromInline
struct RouteTable: Sendable {
    @usableFromInline
    enum Match {
        case found(Int, parameters: [String: String], pattern: String)
        case methodNotAllowed([HTTPMethod])
        case notFound
    }

    struct Shape: Sendable {
        let path: PathPattern
        let method: HTTPMethod
        let pattern: String
    }

    private var shapes: [Shape] = []
    private var bySegmentCount: [Int: [Int]] = [:]

    mutating func add(_ method: HTTPMethod, _ pattern: String) {
        let path = PathPattern(pattern)
        precondition(!shapes.contains { $0.method == method && $0.path == path }, "duplicate route \(method) \(pattern)")
        shapes.append(Shape(path: path, method: method, pattern: pattern))
        bySegmentCount[path.segments.count, default: []].append(shapes.count - 1)
    }

    @usableFromInline
    func match(method: String, path: String) -> Match {
        let parts = PathPattern.split(path)
        var allowed: [HTTPMethod] = []
        for index in bySegmentCount[parts.count] ?? [] where shapes[index].path.matchesLiterals(parts) {
            let shape = shapes[index]
            if shape.method.rawValue == method {
                return .found(index, parameters: shape.path.bind(parts), pattern: shape.pattern)
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
    /// Scans the UTF-8 bytes by hand: the generic `split` costs several times more, on every request.
    static func split(_ path: String) -> [Substring] {
        var parts: [Substring] = []
        parts.reserveCapacity(8)
        let bytes = path.utf8
        var start = bytes.startIndex
        var index = start
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: "/") {
                if start != index { parts.append(path[start..<index]) }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        if start != index { parts.append(path[start..<index]) }
        return parts
    }
}
