import Foundation
import KeywardCore
import KeywardProviders
import Synchronization
import Testing
@testable import KeywardResolver

/// The cache's rules, with a hand-moved clock: nothing here depends on timing.
@Suite struct SecretCacheTests {
    let clock = ManualClock()
    var cache: SecretCache {
        let clock = self.clock
        return SecretCache(clock: { clock.read() }, random: { 0.5 })
    }
    let key = SecretCache.Key(store: StoreID(1), storeRevision: 1, name: "db", version: nil)

    final class Loads: Sendable {
        let count = Mutex(0)
        func next(_ value: String = "v") -> SecretMaterial {
            let n = count.withLock { $0 += 1; return $0 }
            return SecretMaterial(value: "\(value)\(n)", versionID: "ver\(n)")
        }
        var total: Int { count.withLock { $0 } }
    }

    @Test func aValueIsServedFromMemoryUntilItsTTLThenReloaded() throws {
        let cache = self.cache, loads = Loads()
        #expect(try cache.value(key) { loads.next() }.1 == .miss)
        clock.advance(299)
        let (hit, outcome) = try cache.value(key) { loads.next() }
        #expect(outcome == .hit)
        #expect(hit.value == "v1")
        clock.advance(2)
        #expect(try cache.value(key) { loads.next() }.0.value == "v2")
        #expect(loads.total == 2)
    }

    @Test func theStateOfAnEntryIsFreshThenNoneThenStaleWhileTheSecretsManagerFails() throws {
        let cache = self.cache, loads = Loads()
        #expect(cache.state(key) == .none)
        #expect(!cache.answersAtOnce(key))
        _ = try cache.value(key) { loads.next() }
        #expect(cache.state(key) == .fresh)
        #expect(cache.answersAtOnce(key))
        clock.advance(301)
        #expect(cache.state(key) == .none)   // expired; nobody asked the secrets manager yet
        #expect(!cache.answersAtOnce(key))
        #expect(try cache.value(key) { throw KeywardError.providerUnavailable("down") }.1 == .stale)
        #expect(cache.state(key) == .stale)
        clock.advance(901)
        #expect(cache.state(key) == .none)   // past the stale window
        #expect(try cache.value(key) { loads.next() }.1 == .miss)
        #expect(cache.state(key) == .fresh)
    }

    @Test func aNegativelyCachedFailureAnswersAtOnceWithoutAValue() throws {
        let cache = self.cache
        #expect(throws: KeywardError.self) { try cache.value(key) { throw KeywardError.secretNotFound("db") } }
        #expect(cache.answersAtOnce(key))
        #expect(cache.state(key) == .none)
    }

    @Test func aChangedStoreRevisionIsADifferentKey() throws {
        let cache = self.cache, loads = Loads()
        _ = try cache.value(key) { loads.next() }
        var changed = key
        changed.storeRevision = 2
        #expect(try cache.value(changed) { loads.next() }.1 == .miss)
        var otherStore = key
        otherStore.store = StoreID(2)
        #expect(try cache.value(otherStore) { loads.next() }.1 == .miss)
        #expect(loads.total == 3)
    }

    @Test func concurrentMissesMakeOneLoad() throws {
        let cache = self.cache, loads = Loads(), arrived = Loads(), key = self.key
        let callers = 16
        let outcomes = Mutex<[CacheOutcome]>([])
        let done = DispatchGroup()
        for _ in 0..<callers {
            done.enter()
            Thread.detachNewThread {
                _ = arrived.next()
                if let outcome = try? cache.value(key, load: {
                    // The one load holds on until every caller has arrived, so each of them meets it in flight
                    // or finds its result: either way, no second load.
                    while arrived.total < callers { Thread.sleep(forTimeInterval: 0.001) }
                    return loads.next()
                }).1 { outcomes.withLock { $0.append(outcome) } }
                done.leave()
            }
        }
        done.wait()
        let all = outcomes.withLock { $0 }
        #expect(loads.total == 1)
        #expect(all.filter { $0 == .miss }.count == 1)
        #expect(all.filter { $0 == .hit }.count == callers - 1)
    }

    @Test func aFailedLoadDoesNotBlockTheRetry() throws {
        let cache = self.cache, loads = Loads()
        #expect(throws: KeywardError.self) { try cache.value(key) { throw KeywardError.providerUnavailable("down") } }
        #expect(try cache.value(key) { loads.next() }.0.value == "v1")
    }

    @Test func anExpiredValueIsServedStaleWhileTheProviderIsDownWithinTheWindow() throws {
        let cache = self.cache, loads = Loads()
        _ = try cache.value(key) { loads.next() }
        clock.advance(300 + 600)
        let (stale, outcome) = try cache.value(key) { throw KeywardError.throttled("slow down") }
        #expect(outcome == .stale)
        #expect(stale.value == "v1")
        clock.advance(400)
        let error = #expect(throws: KeywardError.self) { try cache.value(key) { throw KeywardError.providerUnavailable("down") } }
        #expect(error?.code == "provider_unavailable")
    }

    @Test func staleIsNeverServedForAConfigurationError() throws {
        let cache = self.cache, loads = Loads()
        _ = try cache.value(key) { loads.next() }
        clock.advance(301)
        let error = #expect(throws: KeywardError.self) {
            try cache.value(key) { throw KeywardError.accessDenied(secret: "db", awsCode: "AccessDenied", awsMessage: "no") }
        }
        #expect(error?.code == "access_denied")
    }

    @Test func notFoundIsRememberedBriefly() throws {
        let cache = self.cache, loads = Loads()
        #expect(throws: KeywardError.self) { try cache.value(key) { throw KeywardError.secretNotFound("db") } }
        let remembered = #expect(throws: KeywardError.self) { try cache.value(key) { loads.next() } }
        #expect(remembered?.code == "secret_not_found")
        #expect(loads.total == 0)
        clock.advance(11)
        #expect(try cache.value(key) { loads.next() }.0.value == "v1")
    }

    @Test func invalidationDropsOnlyWhatItSelects() throws {
        let cache = self.cache, loads = Loads()
        var other = key
        other.store = StoreID(2)
        _ = try cache.value(key) { loads.next() }
        _ = try cache.value(other) { loads.next() }
        cache.invalidate { $0.store == StoreID(1) }
        #expect(try cache.value(key) { loads.next() }.1 == .miss)
        #expect(try cache.value(other) { loads.next() }.1 == .hit)
    }
}

extension SecretCacheTests {
    @Test func aRefreshBypassesFreshAndNegativeEntries() throws {
        let cache = self.cache, loads = Loads()
        _ = try cache.value(key) { loads.next() }
        let (refreshed, outcome) = try cache.value(key, refresh: true) { loads.next() }
        #expect(outcome == .miss)
        #expect(refreshed.value == "v2")
        #expect(try cache.value(key) { loads.next() }.0.value == "v2")

        var missing = key
        missing.name = "created-later"
        #expect(throws: KeywardError.self) { try cache.value(missing) { throw KeywardError.secretNotFound("x") } }
        #expect(try cache.value(missing, refresh: true) { loads.next() }.0.value == "v3")
    }
}

extension SecretCacheTests {
    @Test func aStoreMayChooseItsOwnTTL() throws {
        let cache = self.cache, loads = Loads()
        _ = try cache.value(key, ttl: 10) { loads.next() }
        clock.advance(9)
        #expect(try cache.value(key, ttl: 10) { loads.next() }.1 == .hit)
        clock.advance(3)
        #expect(try cache.value(key, ttl: 10) { loads.next() }.1 == .miss)
        // 0 keeps nothing: every read asks the secrets manager.
        var other = key
        other.name = "uncached"
        _ = try cache.value(other, ttl: 0) { loads.next() }
        #expect(try cache.value(other, ttl: 0) { loads.next() }.1 == .miss)
    }
}

extension SecretCacheTests {
    /// With a TTL of 0 a value expires as it is stored; callers who waited for that load still get it.
    @Test func waitersGetTheLoadTheyWaitedForEvenWithATTLOfZero() throws {
        let cache = self.cache, loads = Loads(), arrived = Loads(), key = self.key
        let callers = 8
        let failures = Mutex(0)
        let done = DispatchGroup()
        for _ in 0..<callers {
            done.enter()
            Thread.detachNewThread {
                _ = arrived.next()
                do {
                    _ = try cache.value(key, ttl: 0) {
                        while arrived.total < callers { Thread.sleep(forTimeInterval: 0.001) }
                        return loads.next()
                    }
                } catch {
                    failures.withLock { $0 += 1 }
                }
                done.leave()
            }
        }
        done.wait()
        #expect(failures.withLock { $0 } == 0)
    }
}
