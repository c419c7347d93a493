import Foundation
import Synchronization
import KeywardCore

/// STS credentials per (project, role, External ID, region), refreshed before they expire (PEERS #9: no
/// AssumeRole per request). Concurrent callers of one key wait for one AssumeRole instead of each making
/// their own.
final class AssumedRoleCache: Sendable {
    struct Key: Hashable, Sendable {
        var store: StoreID
        var project: ProjectID?
        var roleARN: String
        var externalID: String
        var region: String
    }

    /// Refresh when less than this much lifetime is left, so a request never starts with credentials that
    /// expire during it.
    let refreshMargin: TimeInterval
    private let clock: @Sendable () -> Date
    private let entries = Mutex<[Key: Entry]>([:])

    init(refreshMargin: TimeInterval = 300, clock: @escaping @Sendable () -> Date = Date.init) {
        self.refreshMargin = refreshMargin
        self.clock = clock
    }

    /// One key's credentials, with its own lock so that one slow AssumeRole holds up only its own key.
    private final class Entry: @unchecked Sendable {
        let lock = NSLock()
        var credentials: AWSCredentials?
    }

    func credentials(_ key: Key, assume: () throws -> AWSCredentials) throws -> AWSCredentials {
        let entry = entries.withLock { entries in
            if let entry = entries[key] { return entry }
            let entry = Entry()
            entries[key] = entry
            return entry
        }
        entry.lock.lock()
        defer { entry.lock.unlock() }
        if let current = entry.credentials, let expiration = current.expiration, expiration.timeIntervalSince(clock()) > refreshMargin {
            return current
        }
        let fresh = try assume()
        entry.credentials = fresh
        return fresh
    }

    func drop(_ key: Key) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }

    func drop(store: StoreID) {
        entries.withLock { entries in entries = entries.filter { $0.key.store != store } }
    }
}
