import Foundation
import KeywardCore
import KeywardProviders
import KeywardStorage
import KeywardTestSupport
import Synchronization
import Testing
@testable import KeywardResolver

/// The breaker in front of each store's secrets manager, with a scripted backend and a hand-moved clock.
@Suite struct CircuitBreakerTests {
    /// Fails with `failure` while it is set, and counts its calls.
    final class ScriptedBackend: SecretsBackend {
        let provider = SecretsProvider.builtin
        let calls = Mutex(0)
        let failure = Mutex<KeywardError?>(.providerUnavailable("down"))

        func read(_ name: String, version: SecretReference.Version?, context: SecretReadContext) throws -> SecretMaterial {
            calls.withLock { $0 += 1 }
            if let failure = failure.withLock({ $0 }) { throw failure }
            return SecretMaterial(value: "v", versionID: "1")
        }
        func verify(context: SecretReadContext, sampleSecret: String?) -> [StoreCheck] { [] }
        func forget(store: StoreID) {}
        var count: Int { calls.withLock { $0 } }
    }

    func store(_ id: Int64) -> SecretStore {
        SecretStore(id: StoreID(id), workspaceID: WorkspaceID(1), projectID: nil, provider: .builtin,
                    settings: try! StoreSettings(provider: .builtin, validating: ["cache_ttl_seconds": "0"]), revision: 1,
                    createdAt: Date(), updatedAt: Date())
    }

    @Test func repeatedTransientFailuresOpenTheCircuitThenOneTrialDecides() throws {
        let (sqlStore, cleanup) = try StoreEngine.sqlite.open()
        defer { cleanup() }
        let clock = ManualClock()
        let backend = ScriptedBackend()
        let resolver = Resolver(store: sqlStore, backends: [backend], cache: SecretCache(clock: { clock.read() }),
                                breaker: CircuitBreaker(clock: { clock.read() }))
        let reference = try SecretReference(name: "db")
        for _ in 0..<5 {
            #expect(throws: KeywardError.self) { try resolver.check(reference, through: store(1), project: ProjectID(1)) }
        }
        #expect(backend.count == 5)
        // Open: callers fail fast without calling the secrets manager; another store is not affected.
        let fast = #expect(throws: KeywardError.self) { try resolver.check(reference, through: store(1), project: ProjectID(1)) }
        #expect(fast?.code == "provider_unavailable")
        #expect(fast?.detail.contains("leaving it alone") == true)
        #expect(backend.count == 5)
        #expect(throws: KeywardError.self) { try resolver.check(reference, through: store(2), project: ProjectID(1)) }
        #expect(backend.count == 6)

        // After the cooldown one trial goes through; it fails, so the circuit opens again.
        clock.advance(31)
        #expect(throws: KeywardError.self) { try resolver.check(reference, through: store(1), project: ProjectID(1)) }
        #expect(backend.count == 7)
        #expect(throws: KeywardError.self) { try resolver.check(reference, through: store(1), project: ProjectID(1)) }
        #expect(backend.count == 7)

        // The backend recovers: the next trial closes the circuit.
        backend.failure.withLock { $0 = nil }
        clock.advance(31)
        #expect(try resolver.check(reference, through: store(1), project: ProjectID(1)).versionID == "1")
        #expect(try resolver.check(reference, through: store(1), project: ProjectID(1)).versionID == "1")
        #expect(backend.count == 9)
        let metrics = resolver.metrics.exposition()
        #expect(metrics.contains(#"operation="read",outcome="circuit_open"} 2"#))
    }

    @Test func configurationErrorsDoNotOpenTheCircuit() throws {
        let breaker = CircuitBreaker()
        for _ in 0..<20 { breaker.record(StoreID(1), error: .secretNotFound("x")) }
        #expect(!breaker.isOpen(StoreID(1)))
        for _ in 0..<5 { breaker.record(StoreID(1), error: .throttled("slow")) }
        #expect(breaker.isOpen(StoreID(1)))
        breaker.reset(StoreID(1))
        #expect(!breaker.isOpen(StoreID(1)))
    }
}
