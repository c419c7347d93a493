import Foundation
import Synchronization
import KeywardCore
import KeywardProviders

/// Whether an answer came from the cache, from the secrets manager, or from an expired cache entry because
/// the secrets manager was failing.
public enum CacheOutcome: String, Sendable, Encodable {
    case hit, miss, stale
}

/// Secrets in memory, keyed by (store, store revision, name, version): a change of a store's
/// configuration changes its revision, so nothing cached under the old configuration is ever served.
///
/// - Single-flight: concurrent misses of one key make one load; the others wait and share its result.
///   A failed load is shared too, and does not stop the next request from trying again.
/// - TTL with ±10 % jitter, so entries loaded together do not expire together (PEERS #7).
/// - Stale-if-error: when a load fails with `provider_unavailable` or `throttled`, an expired value is
///   served (flagged stale) for up to `staleWindow` after it expired.
/// - Negative caching: `secret_not_found` and `access_denied` are remembered for `negativeTTL`.
public final class SecretCache: Sendable {
    public struct Key: Hashable, Sendable {
        public var store: StoreID
        public var storeRevision: Int64
        public var name: String
        public var version: SecretReference.Version?

        public init(store: StoreID, storeRevision: Int64, name: String, version: SecretReference.Version?) {
            self.store = store
            self.storeRevision = storeRevision
            self.name = name
            self.version = version
        }
    }

    public struct Policy: Sendable {
        public var ttl: TimeInterval = 300
        public var staleWindow: TimeInterval = 900
        public var negativeTTL: TimeInterval = 10
        public init() {}
    }

    public let policy: Policy
    private let clock: @Sendable () -> Date
    private let random: @Sendable () -> Double
    private let slots = Mutex<[Key: Slot]>([:])

    public init(policy: Policy = Policy(), clock: @escaping @Sendable () -> Date = Date.init,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.policy = policy
        self.clock = clock
        self.random = random
    }

    static let staleable: Set<String> = ["provider_unavailable", "throttled"]
    static let negative: Set<String> = ["secret_not_found", "access_denied"]

    /// One key's state. Its condition guards everything in it.
    private final class Slot: @unchecked Sendable {
        let condition = NSCondition()
        var material: SecretMaterial?
        var expiresAt = Date.distantPast
        var negative: (error: KeywardError, until: Date)?
        var loading = false
        /// Counts finished loads, so a waiter knows which load's outcome is its own.
        var generation = 0
        var lastLoad: (generation: Int, result: Result<SecretMaterial, KeywardError>)?
    }

    /// The value for `key`: from memory while fresh, else from `load`. `refresh` skips fresh and negative
    /// entries and loads (still joining a load already in flight), for a check that must see the source now.
    public func value(_ key: Key, refresh: Bool = false, ttl: TimeInterval? = nil,
                      load: () throws -> SecretMaterial) throws -> (SecretMaterial, CacheOutcome) {
        let slot = slots.withLock { slots in
            if let slot = slots[key] { return slot }
            let slot = Slot()
            slots[key] = slot
            return slot
        }
        slot.condition.lock()
        let now = clock()
        if !refresh, let material = slot.material, slot.expiresAt > now {
            slot.condition.unlock()
            return (material, .hit)
        }
        if !refresh, let negative = slot.negative, negative.until > now {
            slot.condition.unlock()
            throw negative.error
        }
        if slot.loading {
            let awaited = slot.generation + 1
            while slot.loading && slot.generation < awaited { slot.condition.wait() }
            defer { slot.condition.unlock() }
            // The outcome of the load this caller waited for is its answer, even if it is already expired
            // (a store with a TTL of 0): waiting for a load and then not using it would be a failure.
            if let load = slot.lastLoad, load.generation == awaited {
                switch load.result {
                case .success(let material): return (material, .hit)
                case .failure(let error): return try fallback(slot, error)
                }
            }
            if let material = slot.material, slot.expiresAt > clock() { return (material, .hit) }
            throw KeywardError.internalError("a cache waiter woke without the outcome of the load it waited for")
        }
        slot.loading = true
        slot.condition.unlock()

        let result: Result<SecretMaterial, KeywardError>
        do { result = .success(try load()) }
        catch let error as KeywardError { result = .failure(error) }
        catch { result = .failure(.providerUnavailable("The secrets manager failed unexpectedly.", cause: "\(error)")) }

        slot.condition.lock()
        defer {
            slot.loading = false
            slot.generation += 1
            slot.condition.broadcast()
            slot.condition.unlock()
        }
        slot.lastLoad = (slot.generation + 1, result)
        switch result {
        case .success(let material):
            slot.material = material
            slot.negative = nil
            slot.expiresAt = clock().addingTimeInterval((ttl ?? policy.ttl) * (0.9 + 0.2 * random()))
            return (material, .miss)
        case .failure(let error):
            if Self.negative.contains(error.code) { slot.negative = (error, clock().addingTimeInterval(policy.negativeTTL)) }
            return try fallback(slot, error)
        }
    }

    /// With the slot locked: the stale value if the error allows one and it is recent enough, else the error.
    private func fallback(_ slot: Slot, _ error: KeywardError) throws -> (SecretMaterial, CacheOutcome) {
        if Self.staleable.contains(error.code), let material = slot.material,
           clock().timeIntervalSince(slot.expiresAt) <= policy.staleWindow {
            return (material, .stale)
        }
        throw error
    }

    /// What this cache holds for a key, as a connection's status shows it.
    public enum EntryState: String, Sendable, CaseIterable, Encodable {
        /// A value within its TTL.
        case fresh
        /// An expired value, served because the last read of the secrets manager failed with an error
        /// stale-if-error covers, still within the stale window.
        case stale
        /// Nothing usable: never read, expired, or dropped.
        case none
    }

    public func state(_ key: Key) -> EntryState {
        guard let slot = slots.withLock({ $0[key] }) else { return .none }
        slot.condition.lock()
        defer { slot.condition.unlock() }
        let now = clock()
        guard slot.material != nil else { return .none }
        if slot.expiresAt > now { return .fresh }
        if case .failure(let error)? = slot.lastLoad?.result, Self.staleable.contains(error.code),
           now.timeIntervalSince(slot.expiresAt) <= policy.staleWindow {
            return .stale
        }
        return .none
    }

    /// Whether `value(key)` would answer without loading: the entry is fresh, or negatively cached.
    public func answersAtOnce(_ key: Key) -> Bool {
        guard let slot = slots.withLock({ $0[key] }) else { return false }
        slot.condition.lock()
        defer { slot.condition.unlock() }
        let now = clock()
        return (slot.material != nil && slot.expiresAt > now) || (slot.negative.map { $0.until > now } ?? false)
    }

    /// Drops every entry `matches` selects and returns how many; loads in flight finish but their slots
    /// are no longer reachable.
    @discardableResult
    public func invalidate(where matches: (Key) -> Bool) -> Int {
        slots.withLock { slots in
            let before = slots.count
            slots = slots.filter { !matches($0.key) }
            return before - slots.count
        }
    }

    public var count: Int { slots.withLock { $0.count } }
}
