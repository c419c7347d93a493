import Foundation
import KeywardCore
import Testing
@testable import KeywardStorage
import KeywardTestSupport

/// Secrets-management persistence, on both engines: stores, reference binding, scope switching, audit.
@Suite("Secrets store contract")
struct SecretsStoreContractTests {
    let actor = Actor(tokenID: TokenID(rawValue: "00000000000000ab")!, role: .workspaceAdmin, requestID: "req-1")

    func expectError(_ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(code), but nothing was thrown", sourceLocation: sourceLocation)
        } catch {
            #expect((error as? KeywardError)?.code == code, "\(error)", sourceLocation: sourceLocation)
        }
    }

    func fields(_ text: String) throws -> ConnectionFields {
        try ConnectionFields(validating: ["password": .string(text)])
    }

    func builtin() throws -> StoreSettings { try StoreSettings(provider: .builtin, validating: [:]) }

    /// A workspace with the add-on, one project, and a workspace store.
    func seeded(_ store: SQLStore) throws -> (WorkspaceID, ProjectID, SecretStore) {
        let ws = try store.createWorkspace(name: "A").id
        _ = try store.grantAddon(.advancedSecurity, to: ws)
        let p = try store.createProject(in: ws, name: "P").id
        let (workspaceStore, created) = try store.putStore(in: ws, project: nil, provider: .builtin, settings: builtin(), by: actor)
        #expect(created)
        return (ws, p, workspaceStore)
    }

    @Test(arguments: StoreEngine.available)
    func defaultsToWorkspaceScopeWithNoStore(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A").id
        let settings = try store.secretsSettings(ws)
        #expect(settings.scope == .workspace)
        #expect(settings.workspaceStore == nil)
        #expect(settings.revision == 0)
    }

    @Test(arguments: StoreEngine.available)
    func aWorkspaceThatNeverConfiguredAnythingCanSwitchScope(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A").id
        let switched = try store.switchScope(in: ws, to: .project, expectedRevision: 0, summary: [:], by: actor)
        #expect(switched.scope == .project)
        #expect(switched.revision == 1)
        expectError("stale_confirmation") { _ = try store.switchScope(in: ws, to: .workspace, expectedRevision: 0, summary: [:], by: actor) }
    }

    @Test(arguments: StoreEngine.available)
    func theResolutionPlanNamesTheStoreInScopeAndTheConnectionsBindings(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let (ws, p, workspaceStore) = try seeded(store)
        let connection = try store.createConnection(ConnectionDraft(name: "c", type: .generic, fields: fields("${secret:a}-${secret:b#k}")),
                                                    in: ws, project: p, by: actor)
        _ = try store.createConnection(ConnectionDraft(name: "other", type: .generic, fields: fields("${secret:c}")), in: ws, project: p, by: actor)
        let location = try store.connectionLocation(connection.id)
        #expect(location?.workspace == ws && location?.project == p)
        #expect(try store.connectionLocation(ConnectionID(999_999)) == nil)

        let plan = try store.resolutionPlan(connection.id, in: ws, project: p)
        #expect(plan.connection == connection)
        #expect(plan.bindings.map(\.reference.description) == ["secret:a", "secret:b#k"])
        #expect(plan.storeInScope?.id == workspaceStore.id)
        #expect(try store.storeInScope(for: p, in: ws).store?.id == workspaceStore.id)
        let elsewhere = try store.createProject(in: ws, name: "Q").id
        expectError("connection_not_found") { _ = try store.resolutionPlan(connection.id, in: ws, project: elsewhere) }
    }

    @Test(arguments: StoreEngine.available)
    func referencesBindToTheStoreInScopeAndNeedTheAddonAndAStore(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A").id
        let p = try store.createProject(in: ws, name: "P").id
        let draft = ConnectionDraft(name: "db", type: .generic, fields: try fields("${secret:prod/db#password}"))
        expectError("addon_required") { _ = try store.createConnection(draft, in: ws, project: p, by: actor) }
        _ = try store.grantAddon(.advancedSecurity, to: ws)
        expectError("no_store_in_scope") { _ = try store.createConnection(draft, in: ws, project: p, by: actor) }
        #expect(try store.listConnections(in: ws, project: p, PageRequest()).items.isEmpty, "nothing half-written")

        let (workspaceStore, _) = try store.putStore(in: ws, project: nil, provider: .builtin, settings: builtin(), by: actor)
        let connection = try store.createConnection(draft, in: ws, project: p, by: actor)
        let bindings = try store.referenceBindings(in: ws, project: p)
        #expect(bindings.count == 1)
        #expect(bindings.first?.storeID == workspaceStore.id)
        #expect(bindings.first?.field == "password")
        #expect(bindings.first?.connectionID == connection.id)
        #expect(try store.scopeRule(ws).status(of: bindings[0]) == .ok)

        // Plain values need neither the add-on nor a store.
        let other = try store.createWorkspace(name: "B").id
        let q = try store.createProject(in: other, name: "Q").id
        _ = try store.createConnection(ConnectionDraft(name: "plain", type: .generic, fields: try fields("hunter2")), in: other, project: q, by: actor)
    }

    @Test(arguments: StoreEngine.available)
    func switchingScopeMakesOldReferencesOutOfScopeAndSwitchingBackRestoresThem(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let (ws, p, workspaceStore) = try seeded(store)
        _ = try store.createConnection(ConnectionDraft(name: "db", type: .generic, fields: try fields("${secret:a}")), in: ws, project: p, by: actor)
        let before = try store.secretsSettings(ws)

        let switched = try store.switchScope(in: ws, to: .project, expectedRevision: before.revision, summary: ["breaking": 1], by: actor)
        #expect(switched.scope == .project)
        #expect(switched.revision == before.revision + 1)
        let binding = try store.referenceBindings(in: ws, project: nil)[0]
        #expect(binding.storeID == workspaceStore.id, "the binding itself never moves")
        #expect(try store.scopeRule(ws).status(of: binding) == .outOfScope)

        // A project store, then a new reference in that project binds to it.
        let (projectStore, _) = try store.putStore(in: ws, project: p, provider: .builtin, settings: builtin(), by: actor)
        _ = try store.createConnection(ConnectionDraft(name: "api", type: .generic, fields: try fields("${secret:b}")), in: ws, project: p, by: actor)
        let bindings = try store.referenceBindings(in: ws, project: p)
        #expect(bindings.map(\.storeID) == [workspaceStore.id, projectStore.id])

        let back = try store.switchScope(in: ws, to: .workspace, expectedRevision: try store.secretsSettings(ws).revision, summary: [:], by: actor)
        #expect(back.scope == .workspace)
        let rule = try store.scopeRule(ws)
        #expect(bindings.map { rule.status(of: $0) } == [.ok, .outOfScope])
    }

    @Test(arguments: StoreEngine.available)
    func aStaleRevisionIsRefusedAndAnyChangeMakesItStale(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let (ws, p, _) = try seeded(store)
        let revision = try store.secretsSettings(ws).revision
        _ = try store.createConnection(ConnectionDraft(name: "db", type: .generic, fields: try fields("${secret:a}")), in: ws, project: p, by: actor)
        expectError("stale_confirmation") { _ = try store.switchScope(in: ws, to: .project, expectedRevision: revision, summary: [:], by: actor) }
        #expect(try store.secretsSettings(ws).scope == .workspace)
        let current = try store.secretsSettings(ws).revision
        expectError("scope_unchanged") { _ = try store.switchScope(in: ws, to: .workspace, expectedRevision: current, summary: [:], by: actor) }
    }

    @Test(arguments: StoreEngine.available)
    func concurrentSwitchesAgainstTheSameRevisionExactlyOneWins(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let (ws, _, _) = try seeded(store)
        let revision = try store.secretsSettings(ws).revision
        let outcomes = Locked<[String]>([])
        let actor = self.actor
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do {
                _ = try store.switchScope(in: ws, to: .project, expectedRevision: revision, summary: [:], by: actor)
                outcomes.mutate { $0.append("ok") }
            } catch {
                outcomes.mutate { $0.append((error as? KeywardError)?.code ?? "\(error)") }
            }
        }
        #expect(outcomes.value.filter { $0 == "ok" }.count == 1, "\(outcomes.value)")
        #expect(outcomes.value.allSatisfy { $0 == "ok" || $0 == "stale_confirmation" || $0 == "scope_unchanged" }, "\(outcomes.value)")
        #expect(try store.listAudit(in: ws, AuditFilter(action: .scopeSwitched), PageRequest()).items.count == 1)
    }

    @Test(arguments: StoreEngine.available)
    func aReferencedStoreIsNotDeletedUnlessForced(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let (ws, p, workspaceStore) = try seeded(store)
        let c = try store.createConnection(ConnectionDraft(name: "db", type: .generic, fields: try fields("${secret:a}")), in: ws, project: p, by: actor)
        do {
            _ = try store.deleteStore(in: ws, project: nil, force: false, by: actor)
            Issue.record("deleted a referenced store")
        } catch let error as KeywardError {
            #expect(error.code == "store_in_use")
            guard case .array(let listed)? = error.extras["references"], case .object(let first)? = listed.first else {
                Issue.record("no reference list"); return
            }
            #expect(first["connection_id"] == .number(Double(c.id.rawValue)))
            #expect(first["reference"] == .string("secret:a"))
        }
        #expect(try store.secretsSettings(ws).workspaceStore?.id == workspaceStore.id)
        #expect(try store.deleteStore(in: ws, project: nil, force: true, by: actor) == 1)
        let binding = try store.referenceBindings(in: ws, project: nil)[0]
        #expect(binding.storeID == nil)
        #expect(try store.scopeRule(ws).status(of: binding) == .storeDeleted)
        expectError("store_not_found") { _ = try store.deleteStore(in: ws, project: nil, force: false, by: actor) }
    }

    @Test(arguments: StoreEngine.available)
    func updatingAStoreKeepsItsIdAndBumpsItsRevisionButChangingProviderIsRefused(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A").id
        let aws = try StoreSettings(provider: .awsSecretsManager, validating: ["region": .string("eu-west-1")])
        let (first, created) = try store.putStore(in: ws, project: nil, provider: .awsSecretsManager, settings: aws, by: actor)
        #expect(created)
        let moved = try StoreSettings(provider: .awsSecretsManager, validating: ["region": .string("eu-central-1")])
        let (second, createdAgain) = try store.putStore(in: ws, project: nil, provider: .awsSecretsManager, settings: moved, by: actor)
        #expect(!createdAgain)
        #expect(second.id == first.id)
        #expect(second.revision == first.revision + 1)
        #expect(second.settings.values["region"] == "eu-central-1")
        expectError("provider_change") { _ = try store.putStore(in: ws, project: nil, provider: .builtin, settings: try builtin(), by: actor) }
    }

    @Test(arguments: StoreEngine.available)
    func auditRecordsSettingsChangesAndFilters(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let (ws, p, _) = try seeded(store)
        _ = try store.putStore(in: ws, project: p, provider: .builtin, settings: builtin(), by: actor)
        _ = try store.switchScope(in: ws, to: .project, expectedRevision: try store.secretsSettings(ws).revision,
                                  summary: ["breaking": 0], by: actor)
        let all = try store.listAudit(in: ws, AuditFilter(), PageRequest()).items
        #expect(all.map(\.action) == [.storeCreated, .storeCreated, .scopeSwitched])
        #expect(all.allSatisfy { $0.actorTokenID == actor.tokenID && $0.requestID == "req-1" && $0.outcome == "success" })
        #expect(all.last?.details["from"] == .string("workspace"))
        #expect(all.last?.details["to"] == .string("project"))
        #expect(try store.listAudit(in: ws, AuditFilter(projectID: p), PageRequest()).items.count == 1)
        #expect(try store.listAudit(in: ws, AuditFilter(action: .scopeSwitched), PageRequest()).items.count == 1)
        #expect(try store.listAudit(in: ws, AuditFilter(since: Date().addingTimeInterval(3600)), PageRequest()).items.isEmpty)
        let page = try store.listAudit(in: ws, AuditFilter(), PageRequest(limit: 2))
        #expect(page.items.count == 2)
        #expect(try store.listAudit(in: ws, AuditFilter(), PageRequest(limit: "2", cursor: page.nextCursor)).items.count == 1)
    }

    @Test(arguments: StoreEngine.available)
    func rewritingFieldsRebindsAndDeletingTheConnectionDropsBindings(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let (ws, p, _) = try seeded(store)
        let c = try store.createConnection(ConnectionDraft(name: "db", type: .generic, fields: try fields("${secret:a} ${secret:b}")), in: ws, project: p, by: actor)
        #expect(try store.referenceBindings(in: ws, project: p).count == 2)
        _ = try store.updateConnection(c.id, in: ws, project: p, ConnectionChange(fields: try fields("${secret:c}")), by: actor)
        #expect(try store.referenceBindings(in: ws, project: p).map(\.reference.name) == ["c"])
        _ = try store.updateConnection(c.id, in: ws, project: p, ConnectionChange(name: "renamed"), by: actor)
        #expect(try store.referenceBindings(in: ws, project: p).map(\.connectionName) == ["renamed"])
        try store.deleteConnection(c.id, in: ws, project: p, by: actor)
        #expect(try store.referenceBindings(in: ws, project: p).isEmpty)
    }
}
