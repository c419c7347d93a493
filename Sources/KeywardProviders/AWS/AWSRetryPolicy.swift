import Foundation

/// Capped exponential backoff with full jitter (the schedule AWS recommends): attempt n waits a uniformly
/// random time in [0, min(cap, base · 2ⁿ)]. Only throttling, 5xx and transport failures are retried.
public struct AWSRetryPolicy: Sendable {
    public var maxAttempts: Int
    public var base: TimeInterval
    public var cap: TimeInterval
    /// Per attempt.
    public var timeout: TimeInterval

    public init(maxAttempts: Int = 3, base: TimeInterval = 0.1, cap: TimeInterval = 2, timeout: TimeInterval = 5) {
        self.maxAttempts = max(1, maxAttempts)
        self.base = base
        self.cap = cap
        self.timeout = timeout
    }

    /// How long to wait before retry number `retry` (1 for the first retry), given a random fraction in [0, 1).
    public func delay(beforeRetry retry: Int, random fraction: Double) -> TimeInterval {
        let ceiling = min(cap, base * pow(2, Double(retry - 1)))
        return ceiling * min(max(fraction, 0), 1)
    }
}

/// Waits between attempts. Tests substitute one that records instead of sleeping, so nothing depends on timing.
public protocol AWSSleeper: Sendable {
    func sleep(_ interval: TimeInterval)
}

public struct ThreadSleeper: AWSSleeper {
    public init() {}
    public func sleep(_ interval: TimeInterval) { if interval > 0 { Thread.sleep(forTimeInterval: interval) } }
}
