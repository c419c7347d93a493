import Dispatch
import Glibc
import Synchronization

/// Counts changes made through this server. Every write request moves it forward, which empties every
/// `ReadCache` built on it at once.
public final class ChangeCounter: Sendable {
    @usableFromInline let generation = Atomic<Int>(0)

    public init() {}

    @inlinable public var current: Int { generation.load(ordering: .acquiring) }

    public func bump() { generation.add(1, ordering: .releasing) }
}

/// Store reads kept briefly, for the hot paths (authentication, resolution) that would otherwise read the
/// database on every request. An entry is served while it is younger than `ttl` and no change has been
/// made through this server since it was read; so changes made here are seen at once, and changes made
/// through another server within `ttl`.
///
/// Inlinable, so each use is specialized for its key and value types: this runs on every request, where
/// generic dispatch would cost more than the lookup.
public final class ReadCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    @usableFromInline struct Entry {
        @usableFromInline var value: Value
        @usableFromInline var generation: Int
        @usableFromInline var expires: UInt64

        @inlinable init(value: Value, generation: Int, expires: UInt64) {
            self.value = value
            self.generation = generation
            self.expires = expires
        }
    }

    /// Under a reader-writer lock: hits (nearly every call) share it, so worker threads never queue on a hit.
    @usableFromInline let entries = ReadWriteLocked<[Key: Entry]>([:])
    @usableFromInline let ttlNanoseconds: UInt64
    @usableFromInline let changes: ChangeCounter
    @usableFromInline let capacity: Int

    public init(ttl: Double, changes: ChangeCounter, capacity: Int = 50_000) {
        ttlNanoseconds = UInt64(ttl * 1_000_000_000)
        self.changes = changes
        self.capacity = capacity
    }

    /// Replaces the entry for `key` with a value derived from data read under the current generation.
    @inlinable public func set(_ key: Key, _ value: Value) {
        let now = DispatchTime.now().uptimeNanoseconds
        let generation = changes.current
        entries.write { $0[key] = Entry(value: value, generation: generation, expires: now + ttlNanoseconds) }
    }

    @inlinable public func removeAll() {
        entries.write { $0.removeAll(keepingCapacity: true) }
    }

    /// The cached value, else `load()`'s, which is kept unless it is nil.
    @inlinable public func value(_ key: Key, load: () throws -> Value?) rethrows -> Value? {
        let now = DispatchTime.now().uptimeNanoseconds
        // Read before loading: a value loaded before a concurrent change is then stored as already stale.
        let generation = changes.current
        if let entry = entries.read({ $0[key] }), entry.generation == generation, entry.expires > now {
            return entry.value
        }
        guard let loaded = try load() else { return nil }
        entries.write { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(value: loaded, generation: generation, expires: now + ttlNanoseconds)
        }
        return loaded
    }
}

/// A value behind a POSIX reader-writer lock.
@usableFromInline final class ReadWriteLocked<Value>: @unchecked Sendable {
    @usableFromInline var value: Value
    @usableFromInline let lock: UnsafeMutablePointer<pthread_rwlock_t>

    @usableFromInline init(_ value: Value) {
        self.value = value
        lock = .allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    @inlinable func read<Result>(_ body: (Value) throws -> Result) rethrows -> Result {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(value)
    }

    @inlinable func write<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&value)
    }
}
