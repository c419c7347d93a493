import Synchronization

/// Counters and histograms for `/metrics` (Prometheus text format). Lock-free on the hot path: a counter
/// is one atomic; labelled families look their counter up under a lock, so hot call sites keep the
/// counters they use. Labels never carry names or values of tenants' things, only ids, codes and kinds.
public final class Counter: Sendable {
    let count = Atomic<Int>(0)
    public init() {}
    public func increment(by amount: Int = 1) { count.add(amount, ordering: .relaxed) }
    public var value: Int { count.load(ordering: .relaxed) }
}

public final class Histogram: Sendable {
    public let bounds: [Double]
    let buckets: [Counter]
    let sumMicroseconds = Atomic<Int>(0)
    let total = Counter()

    public init(bounds: [Double]) {
        self.bounds = bounds
        buckets = bounds.map { _ in Counter() }
    }

    public func observe(seconds: Double) {
        // Buckets are cumulative when written out; here each observation lands in its first bucket.
        if let index = bounds.firstIndex(where: { seconds <= $0 }) { buckets[index].increment() }
        sumMicroseconds.add(Int(seconds * 1_000_000), ordering: .relaxed)
        total.increment()
    }
}

public final class CounterFamily: Sendable {
    public let name: String
    public let help: String
    public let labelNames: [String]
    let counters = Mutex<[[String]: Counter]>([:])

    public init(_ name: String, help: String, labels: [String]) {
        self.name = name
        self.help = help
        labelNames = labels
    }

    public func counter(_ labels: String...) -> Counter {
        counters.withLock { counters in
            if let existing = counters[labels] { return existing }
            let created = Counter()
            counters[labels] = created
            return created
        }
    }
}

public final class HistogramFamily: Sendable {
    public let name: String
    public let help: String
    public let labelNames: [String]
    let bounds: [Double]
    let histograms = Mutex<[[String]: Histogram]>([:])

    public init(_ name: String, help: String, labels: [String], bounds: [Double]) {
        self.name = name
        self.help = help
        labelNames = labels
        self.bounds = bounds
    }

    public func histogram(_ labels: String...) -> Histogram {
        histograms.withLock { histograms in
            if let existing = histograms[labels] { return existing }
            let created = Histogram(bounds: bounds)
            histograms[labels] = created
            return created
        }
    }
}

/// Every metric Keyward exports.
public final class Metrics: Sendable {
    static let latencyBounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public let resolves = CounterFamily("keyward_resolves_total", help: "Connection resolutions by outcome: ok, or the error code.",
                                        labels: ["outcome"])
    public let cache = CounterFamily("keyward_secret_cache_total", help: "Secret reads by cache result: hit, miss or stale.",
                                     labels: ["result"])
    public let providerCalls = CounterFamily("keyward_provider_calls_total",
                                             help: "Calls to secrets managers by store, provider, operation and outcome (ok or error code).",
                                             labels: ["store", "provider", "operation", "outcome"])
    public let resolveDuration = HistogramFamily("keyward_resolve_duration_seconds", help: "Time to resolve a connection.",
                                                 labels: [], bounds: latencyBounds)
    public let providerDuration = HistogramFamily("keyward_provider_call_duration_seconds",
                                                  help: "Time of calls to secrets managers, by provider.", labels: ["provider"], bounds: latencyBounds)
    public let requests = CounterFamily("keyward_http_requests_total", help: "HTTP requests answered, by status class.", labels: ["class"])

    public init() {}

    /// The Prometheus text exposition format, version 0.0.4.
    public func exposition() -> String {
        var out = ""
        for family in [resolves, cache, providerCalls, requests] {
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) counter\n"
            let counters = family.counters.withLock { $0 }
            for (labels, counter) in counters.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                out += "\(family.name)\(Self.labels(family.labelNames, labels)) \(counter.value)\n"
            }
        }
        for family in [resolveDuration, providerDuration] {
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) histogram\n"
            let histograms = family.histograms.withLock { $0 }
            for (labels, histogram) in histograms.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                var cumulative = 0
                for (bound, bucket) in zip(histogram.bounds, histogram.buckets) {
                    cumulative += bucket.value
                    out += "\(family.name)_bucket\(Self.labels(family.labelNames + ["le"], labels + [String(bound)])) \(cumulative)\n"
                }
                let count = histogram.total.value
                out += "\(family.name)_bucket\(Self.labels(family.labelNames + ["le"], labels + ["+Inf"])) \(count)\n"
                out += "\(family.name)_sum\(Self.labels(family.labelNames, labels)) \(Double(histogram.sumMicroseconds.load(ordering: .relaxed)) / 1_000_000)\n"
                out += "\(family.name)_count\(Self.labels(family.labelNames, labels)) \(count)\n"
            }
        }
        return out
    }

    static func labels(_ names: [String], _ values: [String]) -> String {
        guard !names.isEmpty else { return "" }
        let pairs = zip(names, values).map { name, value in
            "\(name)=\"\(value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n"))\""
        }
        return "{" + pairs.joined(separator: ",") + "}"
    }
}
