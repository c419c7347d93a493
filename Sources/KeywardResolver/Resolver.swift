import Foundation
import Synchronization
import Dispatch
import KeywardCore
import KeywardProviders
import KeywardStorage

/// One reference of a resolved connection, as reported to the caller: never its value.
public struct ResolvedReference: Sendable, Encodable {
    public var field: String
    public var reference: String
    public var store: StoreID
    public var cache: CacheOutcome
    /// The version that was read, when the secrets manager has versions.
    public var versionID: String?

    enum CodingKeys: String, CodingKey { case field, reference, store = "store_id", cache, versionID = "version_id" }
}

/// A connection with its secrets in place. Only ever held in memory and sent to the caller that asked.
public struct ResolvedConnection: Sendable {
    public var connection: Connection
    public var fields: [String: JSONValue]
    public var references: [ResolvedReference]
    /// Names this rendering: answers that carry the same number are the same answer, so whatever was
    /// derived from one (its encoded form) can be reused for the other.
    public var rendering: UInt64 = 0
    /// The values put in place of references, so that text derived from the fields (a connection test's
    /// messages, which may quote a host or a user) can be scrubbed of them before it leaves the server.
    public var secretValues: [String] = []
    /// Whether this answer may be kept for a second: not when a value is stale, nor when the store asked for
    /// values not to be cached (cache_ttl_seconds below one second).
    var keepable = true
    /// At least one value came from an expired cache entry because the secrets manager was failing.
    public var stale: Bool { references.contains { $0.cache == .stale } }
}

/// The only path by which a secret value is obtained. For each reference it checks that the reference is
/// bound to the store that serves the project now (else `reference_out_of_scope`: never an empty value and
/// never a read through the old store), then reads through the cache and that store's backend, then picks
/// the key the reference names.
public final class Resolver: Sendable {
    let store: any Store
    let backends: [SecretsProvider: any SecretsBackend]
    public let cache: SecretCache

    /// Resolution plans by connection, for a second at most, and never across a change made through this server.
    let plans: ReadCache<ConnectionID, CompiledPlan>

    /// Whole resolved connections, for a second at most: when every reference was a cache hit a moment ago,
    /// rendering again would give the same answer. Never holds a stale-if-error answer; dropped with the
    /// plans on any change, and with the secrets of a store when that store is invalidated.
    let resolved: ReadCache<ConnectionID, ResolvedConnection>

    public let metrics: Metrics
    public let breaker: CircuitBreaker
    private let renderings = Atomic<UInt64>(0)
    // The counters every resolution touches, looked up once.
    private let resolvedOK: Counter, hits: Counter, misses: Counter, staleAnswers: Counter
    private let duration: Histogram

    public init(store: any Store, backends: [any SecretsBackend], cache: SecretCache = SecretCache(), changes: ChangeCounter = ChangeCounter(),
                metrics: Metrics = Metrics(), breaker: CircuitBreaker = CircuitBreaker()) {
        self.metrics = metrics
        self.breaker = breaker
        resolvedOK = metrics.resolves.counter("ok")
        hits = metrics.cache.counter("hit")
        misses = metrics.cache.counter("miss")
        staleAnswers = metrics.cache.counter("stale")
        duration = metrics.resolveDuration.histogram()
        self.store = store
        plans = ReadCache(ttl: 1, changes: changes)
        resolved = ReadCache(ttl: 1, changes: changes)
        self.backends = Dictionary(backends.map { ($0.provider, $0) }, uniquingKeysWith: { first, _ in first })
        self.cache = cache
    }

    /// Thrown by a resolution asked to answer from memory only (`fromMemoryOnly`) when it would have to
    /// ask a secrets manager: the caller then resolves again where waiting does no harm.
    public struct WouldWait: Error {}

    /// `refresh` reads every secret from its secrets manager instead of the cache (after a rotation).
    /// `fromMemoryOnly` answers only when every secret is fresh in the cache, else throws `WouldWait`
    /// before counting or reading anything.
    public func resolve(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID, refresh: Bool = false,
                        fromMemoryOnly: Bool = false) throws -> ResolvedConnection {
        if fromMemoryOnly {
            guard !refresh, try answersFromMemory(id, in: workspace, project: project) else { throw WouldWait() }
        }
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let result = try resolveCached(id, in: workspace, project: project, refresh: refresh)
            resolvedOK.increment()
            duration.observe(seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            return result
        } catch let error as KeywardError {
            metrics.resolves.counter(error.code).increment()
            throw error
        }
    }

    private func resolveCached(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID, refresh: Bool) throws -> ResolvedConnection {
        if refresh { return try render(id, in: workspace, project: project, refresh: true) }
        var fresh: ResolvedConnection?
        let memo = try resolved.value(id) {
            let rendered = try render(id, in: workspace, project: project, refresh: false)
            fresh = rendered
            // Kept as the next callers will see it: every value then comes from the cache.
            var kept = rendered
            for index in kept.references.indices { kept.references[index].cache = .hit }
            kept.rendering = renderings.add(1, ordering: .relaxed).newValue
            return rendered.stale || !rendered.keepable ? nil : kept
        }
        if let fresh { return fresh }
        guard let recent = memo, recent.connection.workspaceID == workspace, recent.connection.projectID == project else {
            return try render(id, in: workspace, project: project, refresh: false)
        }
        hits.increment(by: recent.references.count)
        return recent
    }

    /// Whether resolving `id` now needs no secrets manager: it was resolved a moment ago, or each of its
    /// references will fail at once or is fresh (or negatively cached) in memory.
    private func answersFromMemory(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID) throws -> Bool {
        if resolved.value(id, load: { nil }) != nil { return true }
        guard let compiled = try plans.value(id, load: { try CompiledPlan(store.resolutionPlan(id, in: workspace, project: project)) })
        else { return true }
        let plan = compiled.plan
        return compiled.bindings.allSatisfy { binding in
            guard let binding, plan.rule.status(of: binding) == .ok, let storeInScope = plan.storeInScope,
                  storeInScope.id == binding.storeID, backends[storeInScope.provider] != nil else { return true }
            return cache.answersAtOnce(SecretCache.Key(store: storeInScope.id, storeRevision: storeInScope.revision,
                                                       name: binding.reference.name, version: binding.reference.version))
        }
    }

    private func render(_ id: ConnectionID, in workspace: WorkspaceID, project: ProjectID, refresh: Bool) throws -> ResolvedConnection {
        guard let compiled = try plans.value(id, load: { try CompiledPlan(store.resolutionPlan(id, in: workspace, project: project)) }),
              compiled.plan.connection.workspaceID == workspace, compiled.plan.connection.projectID == project else {
            throw KeywardError.notFound("Connection", code: "connection_not_found", id: String(id.rawValue))
        }
        let plan = compiled.plan
        var reported: [ResolvedReference] = []
        var values: [String] = []
        reported.reserveCapacity(compiled.bindings.count)
        let fields = try compiled.template.render { index, found in
            guard let binding = compiled.bindings[index] else {
                throw KeywardError.internalError("a reference of connection \(id) has no saved binding")
            }
            do {
                let (value, outcome) = try read(binding, plan.rule, plan.storeInScope, workspace: workspace, refresh: refresh)
                reported.append(ResolvedReference(field: found.field, reference: found.reference.description, store: outcome.store,
                                                  cache: outcome.cache, versionID: outcome.versionID))
                values.append(value)
                return value
            } catch var error as KeywardError {
                error.extras["field"] = .string(found.field)
                error.extras["reference"] = .string(found.reference.description)
                throw error
            }
        }
        var result = ResolvedConnection(connection: plan.connection, fields: fields, references: reported)
        result.secretValues = values
        result.keepable = (plan.storeInScope?.settings.cacheTTL ?? 1) >= 1
        return result
    }

    /// A resolution plan made ready to render: the fields as a template, and each reference occurrence
    /// matched to its saved binding (bindings were saved in the order the scanner finds references).
    struct CompiledPlan: Sendable {
        let plan: ResolutionPlan
        let template: ConnectionTemplate
        let bindings: [ReferenceBinding?]

        init(_ plan: ResolutionPlan) throws {
            self.plan = plan
            template = try ConnectionTemplate(plan.connection.fields)
            var byField = Dictionary(grouping: plan.bindings, by: \.field)
            bindings = template.references.map { found in
                guard var queue = byField[found.field], let index = queue.firstIndex(where: { $0.reference == found.reference }) else { return nil }
                let binding = queue.remove(at: index)
                byField[found.field] = queue
                return binding
            }
        }
    }

    /// Whether `reference` resolves for `project` now, without returning the value. Checks always ask the
    /// secrets manager: someone who just created the secret must not be told it is missing.
    public func check(_ reference: SecretReference, in workspace: WorkspaceID, project: ProjectID) throws -> ResolvedReference {
        let (storeInScope, scope) = try store.storeInScope(for: project, in: workspace)
        guard let storeInScope else { throw KeywardError.noStoreInScope(project: project, scope: scope) }
        return try check(reference, through: storeInScope, project: project)
    }

    /// Whether `reference` resolves through `secretStore` for `project`, without returning the value.
    public func check(_ reference: SecretReference, through secretStore: SecretStore, project: ProjectID) throws -> ResolvedReference {
        let (_, outcome) = try value(of: reference, through: secretStore, workspace: secretStore.workspaceID, project: project, refresh: true)
        return ResolvedReference(field: "", reference: reference.description, store: secretStore.id, cache: outcome.cache,
                                 versionID: outcome.versionID)
    }

    struct Outcome {
        var store: StoreID
        var cache: CacheOutcome
        var versionID: String?
    }

    private func read(_ binding: ReferenceBinding, _ rule: ScopeRule, _ storeInScope: SecretStore?,
                      workspace: WorkspaceID, refresh: Bool) throws -> (String, Outcome) {
        let status = rule.status(of: binding)
        guard status == .ok, let storeInScope, storeInScope.id == binding.storeID else {
            throw KeywardError.referenceOutOfScope(binding.reference.description, project: binding.projectID,
                                                   status: status == .ok ? .outOfScope : status)
        }
        return try value(of: binding.reference, through: storeInScope, workspace: workspace, project: binding.projectID, refresh: refresh)
    }

    private func value(of reference: SecretReference, through secretStore: SecretStore, workspace: WorkspaceID,
                       project: ProjectID, refresh: Bool) throws -> (String, Outcome) {
        guard let backend = backends[secretStore.provider] else {
            throw KeywardError(.failedDependency, code: "provider_not_enabled", title: "Secrets manager not enabled",
                               detail: "The \(secretStore.provider.rawValue) secrets manager is not enabled on this server.",
                               hint: "Configure the store with a provider this server supports.")
        }
        let context = SecretReadContext(workspaceID: workspace, projectID: project, store: secretStore)
        let key = SecretCache.Key(store: secretStore.id, storeRevision: secretStore.revision, name: reference.name, version: reference.version)
        let (material, outcome) = try cache.value(key, refresh: refresh, ttl: secretStore.settings.cacheTTL) {
            // Every load is a miss, whether or not the secrets manager then answers.
            misses.increment()
            return try measured(secretStore, "read") { try backend.read(reference.name, version: reference.version, context: context) }
        }
        switch outcome {
        case .hit: hits.increment()
        case .miss: break
        case .stale: staleAnswers.increment()
        }
        let value = try material.parsed.select(reference.keyPath, secret: reference.name)
        return (value, Outcome(store: secretStore.id, cache: outcome, versionID: material.versionID))
    }

    /// Runs one call to a secrets manager, counted by store, provider, operation and outcome, and timed.
    /// Runs one call to a secrets manager through the store's circuit breaker, counted and timed.
    private func measured<T>(_ secretStore: SecretStore, _ operation: String, _ call: () throws -> T) throws -> T {
        let provider = secretStore.provider.rawValue
        let store = String(secretStore.id.rawValue)
        do {
            try breaker.admit(secretStore.id)
        } catch {
            metrics.providerCalls.counter(store, provider, operation, "circuit_open").increment()
            throw error
        }
        let started = DispatchTime.now().uptimeNanoseconds
        defer { metrics.providerDuration.histogram(provider).observe(seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9) }
        do {
            let result = try call()
            breaker.record(secretStore.id, error: nil)
            metrics.providerCalls.counter(store, provider, operation, "ok").increment()
            return result
        } catch {
            let keyward = error as? KeywardError
            breaker.record(secretStore.id, error: keyward ?? .providerUnavailable("unexpected failure"))
            metrics.providerCalls.counter(store, provider, operation, keyward?.code ?? "unexpected").increment()
            throw error
        }
    }

    /// Drops cached values and credentials of one store (its configuration changed, or it was deleted).
    public func invalidate(store id: StoreID) {
        invalidate(stores: [id], secret: nil)
    }

    /// Drops cached values of `stores` (only those of `secret` when given), the resolved connections kept
    /// for a second, and, for whole stores, their cached credentials and circuit state. Returns how many
    /// cached values were dropped.
    @discardableResult
    public func invalidate(stores: Set<StoreID>, secret: String?) -> Int {
        let dropped = cache.invalidate { stores.contains($0.store) && (secret == nil || $0.name == secret) }
        resolved.removeAll()
        if secret == nil {
            for id in stores {
                breaker.reset(id)
                for backend in backends.values { backend.forget(store: id) }
            }
        }
        return dropped
    }

    public func verify(_ secretStore: SecretStore, project: ProjectID?, sampleSecret: String?) -> [StoreCheck] {
        guard let backend = backends[secretStore.provider] else {
            return [StoreCheck("provider", .fail, "The \(secretStore.provider.rawValue) secrets manager is not enabled on this server.")]
        }
        let checks = backend.verify(context: SecretReadContext(workspaceID: secretStore.workspaceID, projectID: project, store: secretStore),
                                    sampleSecret: sampleSecret)
        let outcome = checks.contains { $0.status == .fail } ? "fail" : "ok"
        metrics.providerCalls.counter(String(secretStore.id.rawValue), secretStore.provider.rawValue, "verify", outcome).increment()
        return checks
    }
}
