import Foundation
import KeywardCore
import Testing
@testable import KeywardStorage
import KeywardTestSupport

/// The behaviour every `Store` must have, run once per engine; each test gets an empty store.
@Suite("Store contract")
struct StoreContractTests {
    let actor = Actor(tokenID: TokenID(rawValue: "00000000000000ab")!, role: .operator, requestID: "req-1")

    private func expectError(_ code: String, sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(code), but nothing was thrown", sourceLocation: sourceLocation)
        } catch {
            #expect((error as? KeywardError)?.code == code, "\(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Workspaces

    @Test(arguments: StoreEngine.available)
    func workspaceRoundTripsWithIncreasingIds(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let a = try store.createWorkspace(name: "Acme")
        let b = try store.createWorkspace(name: "Globex")
        #expect(a.id < b.id)
        #expect(try store.workspace(a.id) == a)
        #expect(try store.workspace(b.id).name == "Globex")
    }

    @Test(arguments: StoreEngine.available)
    func missingWorkspaceIsNotFound(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        expectError("workspace_not_found") { _ = try store.workspace(WorkspaceID(999)) }
        expectError("workspace_not_found") { _ = try store.renameWorkspace(WorkspaceID(999), to: "x") }
        expectError("workspace_not_found") { try store.deleteWorkspace(WorkspaceID(999)) }
    }

    @Test(arguments: StoreEngine.available)
    func renameWorkspaceChangesNameAndUpdatedAt(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let created = try store.createWorkspace(name: "Acme")
        let renamed = try store.renameWorkspace(created.id, to: "Acme Corp")
        #expect(renamed.name == "Acme Corp")
        #expect(renamed.createdAt == created.createdAt)
        #expect(renamed.updatedAt >= created.updatedAt)
    }

    @Test(arguments: StoreEngine.available)
    func workspacesPageInIdOrderWithoutGapsOrRepeats(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let created = try (1...7).map { try store.createWorkspace(name: "ws\($0)") }
        var seen: [WorkspaceID] = []
        var cursor: String?
        repeat {
            let request = try PageRequest(limit: "3", cursor: cursor)
            let page = try store.listWorkspaces(request)
            #expect(page.items.count <= 3)
            seen += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == created.map(\.id))
    }

    @Test(arguments: StoreEngine.available)
    func addonsGrantAndRevokeIdempotently(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "Acme")
        #expect(!(ws.has(.advancedSecurity)))
        #expect(try store.grantAddon(.advancedSecurity, to: ws.id).has(.advancedSecurity))
        #expect(try store.grantAddon(.advancedSecurity, to: ws.id).addons == [.advancedSecurity])
        #expect(try store.listWorkspaces(PageRequest()).items.first?.addons == [.advancedSecurity])
        #expect(!(try store.revokeAddon(.advancedSecurity, from: ws.id).has(.advancedSecurity)))
        #expect(!(try store.revokeAddon(.advancedSecurity, from: ws.id).has(.advancedSecurity)))
        expectError("workspace_not_found") { _ = try store.grantAddon(.advancedSecurity, to: WorkspaceID(404)) }
    }

    @Test(arguments: StoreEngine.available)
    func deletingWorkspaceRemovesProjectsConnectionsAndRevokesTokens(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "Acme")
        let project = try store.createProject(in: ws.id, name: "P")
        let connection = try store.createConnection(draft("db"), in: ws.id, project: project.id, by: actor)
        let token = try store.createToken(makeToken(.projectAdmin, .project(ws.id, project.id)), secretHash: "h", by: actor)
        try store.deleteWorkspace(ws.id)
        expectError("workspace_not_found") { _ = try store.workspace(ws.id) }
        expectError("workspace_not_found") { _ = try store.project(project.id, in: ws.id) }
        expectError("workspace_not_found") { _ = try store.connection(connection.id, in: ws.id, project: project.id) }
        #expect(try store.token(token.id).revokedAt != nil)
        // Ids are never reused, so an External ID built from them can never point at a new tenant.
        #expect(try store.createWorkspace(name: "Next").id > ws.id)
    }

    // MARK: Projects

    @Test(arguments: StoreEngine.available)
    func projectsBelongToOneWorkspace(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let a = try store.createWorkspace(name: "A")
        let b = try store.createWorkspace(name: "B")
        let project = try store.createProject(in: a.id, name: "Payments")
        #expect(try store.project(project.id, in: a.id) == project)
        expectError("project_not_found") { _ = try store.project(project.id, in: b.id) }
        expectError("project_not_found") { _ = try store.renameProject(project.id, in: b.id, to: "x") }
        expectError("project_not_found") { try store.deleteProject(project.id, in: b.id) }
        expectError("workspace_not_found") { _ = try store.createProject(in: WorkspaceID(999), name: "x") }
        #expect(try store.listProjects(in: b.id, only: nil, PageRequest()).items == [])
    }

    @Test(arguments: StoreEngine.available)
    func projectNamesAreUniqueWithinAWorkspaceOnly(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let a = try store.createWorkspace(name: "A")
        let b = try store.createWorkspace(name: "B")
        _ = try store.createProject(in: a.id, name: "Payments")
        expectError("name_taken") { _ = try store.createProject(in: a.id, name: "Payments") }
        #expect(throws: Never.self) { try store.createProject(in: b.id, name: "Payments") }
        let other = try store.createProject(in: a.id, name: "Other")
        expectError("name_taken") { _ = try store.renameProject(other.id, in: a.id, to: "Payments") }
        #expect(try store.project(other.id, in: a.id).name == "Other")
    }

    @Test(arguments: StoreEngine.available)
    func listProjectsCanBeNarrowedToOne(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let p1 = try store.createProject(in: ws.id, name: "one")
        _ = try store.createProject(in: ws.id, name: "two")
        #expect(try store.listProjects(in: ws.id, only: nil, PageRequest()).items.count == 2)
        #expect(try store.listProjects(in: ws.id, only: p1.id, PageRequest()).items == [p1])
    }

    @Test(arguments: StoreEngine.available)
    func deletingProjectRemovesItsConnectionsAndRevokesItsTokensOnly(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let p1 = try store.createProject(in: ws.id, name: "one")
        let p2 = try store.createProject(in: ws.id, name: "two")
        let c1 = try store.createConnection(draft("db"), in: ws.id, project: p1.id, by: actor)
        let c2 = try store.createConnection(draft("db"), in: ws.id, project: p2.id, by: actor)
        let t1 = try store.createToken(makeToken(.runtime, .project(ws.id, p1.id)), secretHash: "h", by: actor)
        let t2 = try store.createToken(makeToken(.runtime, .project(ws.id, p2.id)), secretHash: "h", by: actor)
        try store.deleteProject(p1.id, in: ws.id)
        expectError("project_not_found") { _ = try store.connection(c1.id, in: ws.id, project: p1.id) }
        #expect(try store.connection(c2.id, in: ws.id, project: p2.id) == c2)
        #expect(try store.token(t1.id).revokedAt != nil)
        #expect(try store.token(t2.id).revokedAt == nil)
    }

    // MARK: Connections

    @Test(arguments: StoreEngine.available)
    func connectionRoundTripsFieldsExactly(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let p = try store.createProject(in: ws.id, name: "P")
        let fields = try ConnectionFields(validating: [
            "host": .string("db.internal"), "port": .number(5432), "ssl": .bool(true),
            "options": .object(["application_name": .string("keyward")]), "note": .null,
        ])
        let created = try store.createConnection(ConnectionDraft(name: "warehouse", type: .postgresql, fields: fields),
                                                 in: ws.id, project: p.id, by: actor)
        let loaded = try store.connection(created.id, in: ws.id, project: p.id)
        #expect(loaded == created)
        #expect(loaded.fields.values["port"] == .number(5432))
    }

    @Test(arguments: StoreEngine.available)
    func connectionsAreOnlyReachableThroughTheirProject(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let other = try store.createWorkspace(name: "B")
        let p1 = try store.createProject(in: ws.id, name: "one")
        let p2 = try store.createProject(in: ws.id, name: "two")
        let p3 = try store.createProject(in: other.id, name: "three")
        let c = try store.createConnection(draft("db"), in: ws.id, project: p1.id, by: actor)
        expectError("connection_not_found") { _ = try store.connection(c.id, in: ws.id, project: p2.id) }
        expectError("project_not_found") { _ = try store.connection(c.id, in: ws.id, project: p3.id) }
        expectError("connection_not_found") { try store.deleteConnection(c.id, in: ws.id, project: p2.id, by: actor) }
        expectError("connection_not_found") {
            _ = try store.updateConnection(c.id, in: ws.id, project: p2.id, ConnectionChange(name: "x"), by: actor)
        }
        #expect(try store.connection(c.id, in: ws.id, project: p1.id).name == "db")
    }

    @Test(arguments: StoreEngine.available)
    func updateConnectionChangesOnlyWhatIsGiven(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let p = try store.createProject(in: ws.id, name: "P")
        let c = try store.createConnection(draft("db"), in: ws.id, project: p.id, by: actor)
        let renamed = try store.updateConnection(c.id, in: ws.id, project: p.id, ConnectionChange(name: "db2"), by: actor)
        #expect(renamed.fields == c.fields)
        #expect(renamed.name == "db2")
        let newFields = try ConnectionFields(validating: ["url": .string("https://example.test")])
        let refilled = try store.updateConnection(c.id, in: ws.id, project: p.id, ConnectionChange(fields: newFields), by: actor)
        #expect(refilled.name == "db2")
        #expect(try store.connection(c.id, in: ws.id, project: p.id).fields == newFields)
        _ = try store.createConnection(draft("taken"), in: ws.id, project: p.id, by: actor)
        expectError("name_taken") { _ = try store.updateConnection(c.id, in: ws.id, project: p.id, ConnectionChange(name: "taken"), by: actor) }
    }

    @Test(arguments: StoreEngine.available)
    func connectionsPage(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let p = try store.createProject(in: ws.id, name: "P")
        let created = try (1...5).map { try store.createConnection(draft("c\($0)"), in: ws.id, project: p.id, by: actor) }
        let first = try store.listConnections(in: ws.id, project: p.id, PageRequest(limit: 2))
        #expect(first.items.map(\.id) == created.prefix(2).map(\.id))
        let second = try store.listConnections(in: ws.id, project: p.id, PageRequest(limit: "2", cursor: first.nextCursor))
        #expect(second.items.map(\.id) == created.dropFirst(2).prefix(2).map(\.id))
        let last = try store.listConnections(in: ws.id, project: p.id, PageRequest(limit: "2", cursor: second.nextCursor))
        #expect(last.items.map(\.id) == [created[4].id])
        #expect(last.nextCursor == nil)
    }

    // MARK: Tokens

    @Test(arguments: StoreEngine.available)
    func tokensStoreOnlyTheHashAndTheirScope(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let p = try store.createProject(in: ws.id, name: "P")
        let token = try store.createToken(makeToken(.runtime, .project(ws.id, p.id)), secretHash: "abc123", by: actor)
        let credential = try #require(try store.credential(for: token.id))
        #expect(credential.token == token)
        #expect(credential.secretHash == "abc123")
        #expect(try store.credential(for: TokenID(rawValue: "00000000000000ff")!) == nil)
    }

    @Test(arguments: StoreEngine.available)
    func tokenForMissingScopeIsRejected(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        expectError("workspace_not_found") {
            _ = try store.createToken(makeToken(.workspaceAdmin, .workspace(WorkspaceID(77))), secretHash: "h", by: actor)
        }
    }

    @Test(arguments: StoreEngine.available)
    func revokeIsIdempotentAndKeepsTheFirstTime(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let token = try store.createToken(makeToken(.operator, .platform), secretHash: "h", by: actor)
        let first = try store.revokeToken(token.id, at: Date(timeIntervalSince1970: 1_000), by: actor)
        let second = try store.revokeToken(token.id, at: Date(timeIntervalSince1970: 2_000), by: actor)
        #expect(first.revokedAt == Date(timeIntervalSince1970: 1_000))
        #expect(second.revokedAt == first.revokedAt)
        #expect(try store.renameToken(token.id, to: "renamed", by: actor).name == "renamed")
        #expect(try store.countTokens() == 1)
    }

    @Test(arguments: StoreEngine.available)
    func tokenVisibilityFollowsScope(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let other = try store.createWorkspace(name: "B")
        let p1 = try store.createProject(in: ws.id, name: "one")
        let p2 = try store.createProject(in: ws.id, name: "two")
        let op = try store.createToken(makeToken(.operator, .platform), secretHash: "h", by: actor)
        let wsAdmin = try store.createToken(makeToken(.workspaceAdmin, .workspace(ws.id)), secretHash: "h", by: actor)
        let p1Admin = try store.createToken(makeToken(.projectAdmin, .project(ws.id, p1.id)), secretHash: "h", by: actor)
        let p2Runtime = try store.createToken(makeToken(.runtime, .project(ws.id, p2.id)), secretHash: "h", by: actor)
        let otherAdmin = try store.createToken(makeToken(.workspaceAdmin, .workspace(other.id)), secretHash: "h", by: actor)

        func ids(_ visibility: TokenVisibility) throws -> Set<TokenID> {
            Set(try store.listTokens(visibility, PageRequest()).items.map(\.id))
        }
        #expect(try ids(.all) == [op.id, wsAdmin.id, p1Admin.id, p2Runtime.id, otherAdmin.id])
        #expect(try ids(.within(.workspace(ws.id), alsoSelf: wsAdmin.id)) == [wsAdmin.id, p1Admin.id, p2Runtime.id])
        #expect(try ids(.within(.project(ws.id, p1.id), alsoSelf: p1Admin.id)) == [p1Admin.id])
        #expect(try ids(.only(p2Runtime.id)) == [p2Runtime.id])
    }

    @Test(arguments: StoreEngine.available)
    func tokensPageByIdText(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let tokens = try (0..<5).map { try store.createToken(makeToken(.operator, .platform), secretHash: "h\($0)", by: actor) }
        let first = try store.listTokens(.all, PageRequest(limit: 3))
        let rest = try store.listTokens(.all, PageRequest(limit: "3", cursor: first.nextCursor))
        #expect(Set(first.items.map(\.id) + rest.items.map(\.id)) == Set(tokens.map(\.id)))
        #expect((first.items + rest.items).map(\.id.rawValue) == tokens.map(\.id.rawValue).sorted())
        #expect(rest.nextCursor == nil)
    }

    // MARK: Atomicity and concurrency

    @Test(arguments: StoreEngine.available)
    func failedMultiRowChangeLeavesNothingHalfWritten(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let p = try store.createProject(in: ws.id, name: "P")
        _ = try store.createConnection(draft("db"), in: ws.id, project: p.id, by: actor)
        #expect(throws: KeywardError.self) {
            try store.write { connection in
                try connection.query("DELETE FROM connections WHERE project_id = ?", [.integer(p.id.rawValue)])
                throw KeywardError.internalError("simulated failure after the first statement")
            }
        }
        #expect(try store.listConnections(in: ws.id, project: p.id, PageRequest()).items.count == 1)
    }

    @Test(arguments: StoreEngine.available)
    func concurrentWritersAllLand(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            do { _ = try store.createProject(in: ws.id, name: "p\(index)") } catch { failures.mutate { $0 += 1 } }
        }
        #expect(failures.value == 0)
        #expect(try store.listProjects(in: ws.id, only: nil, PageRequest(limit: 100)).items.count == 40)
    }

    @Test(arguments: StoreEngine.available)
    func concurrentDuplicateNamesExactlyOneWins(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "A")
        let outcomes = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 12) { _ in
            do {
                _ = try store.createProject(in: ws.id, name: "same")
                outcomes.mutate { $0.append("ok") }
            } catch let error as KeywardError {
                outcomes.mutate { $0.append(error.code) }
            } catch {
                outcomes.mutate { $0.append("\(error)") }
            }
        }
        #expect(outcomes.value.filter { $0 == "ok" }.count == 1)
        #expect(outcomes.value.filter { $0 == "name_taken" }.count == 11, "\(outcomes.value)")
    }

    @Test(arguments: StoreEngine.available)
    func migrationsAreRecordedAndReapplyingIsANoOp(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let (version, reapplied) = try store.pool.withConnection { connection in
            (try Migrations.currentVersion(on: connection), try Migrations.apply(on: connection))
        }
        #expect(version == Migrations.all.map(\.version).max())
        #expect(reapplied == [])
    }

    @Test(arguments: StoreEngine.available)
    func ping(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        #expect(throws: Never.self) { try store.ping() }
    }

    // MARK: Audit of changes

    @Test(arguments: StoreEngine.available)
    func changesToConnectionsAndTokensAreRecordedByTheirActorInTheirTransaction(_ engine: StoreEngine) throws {
        let (store, cleanup) = try engine.open()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "Acme")
        let p = try store.createProject(in: ws.id, name: "etl")
        let c = try store.createConnection(draft("db"), in: ws.id, project: p.id, by: actor)
        _ = try store.updateConnection(c.id, in: ws.id, project: p.id, ConnectionChange(name: "db2"), by: actor)
        try store.deleteConnection(c.id, in: ws.id, project: p.id, by: actor)
        let token = try store.createToken(makeToken(.runtime, .project(ws.id, p.id)), secretHash: "h", by: actor)
        _ = try store.renameToken(token.id, to: "renamed", by: actor)
        _ = try store.revokeToken(token.id, at: Date(timeIntervalSince1970: 1_000), by: actor)

        // Read straight from the store: no journal in between, the records were committed with the changes.
        let records = try store.listAudit(in: ws.id, AuditFilter(), PageRequest(limit: 50)).items
        #expect(records.map(\.action) == [.connectionCreated, .connectionUpdated, .connectionDeleted,
                                           .tokenCreated, .tokenUpdated, .tokenRevoked])
        #expect(records.allSatisfy { $0.actorTokenID == actor.tokenID && $0.actorRole == .operator && $0.requestID == "req-1" })
        #expect(records.allSatisfy { $0.projectID == p.id && $0.outcome == "success" })
        #expect(records[0].connectionID == c.id)
        #expect(records[0].details == ["name": .string("db"), "type": .string("generic"), "fields": .array([.string("k")])])
        #expect(records[1].details["name"] == .string("db2"))
        #expect(records[4].details == ["token_id": .string(token.id.rawValue), "name": .string("renamed"), "role": .string("runtime")])
        #expect(try store.verifyAudit(in: ws.id, exported: nil).ok)

        // An operator's token belongs to no workspace: its changes go to the platform's chain.
        let op = try store.createToken(makeToken(.operator, .platform), secretHash: "h", by: actor)
        #expect(try store.listAudit(in: .platform, AuditFilter(), PageRequest(limit: 50)).items.map { $0.details["token_id"] }
                == [.string(op.id.rawValue)])
    }

    @Test(arguments: StoreEngine.available)
    func aChangeWhoseAuditRecordCannotBeWrittenIsNotMade(_ engine: StoreEngine) throws {
        let (store, raw, cleanup) = try engine.openWithRawAccess()
        defer { cleanup() }
        let ws = try store.createWorkspace(name: "Acme")
        let p = try store.createProject(in: ws.id, name: "etl")
        let kept = try store.createConnection(draft("kept"), in: ws.id, project: p.id, by: actor)
        // Every record's details go to this table: without it no record can be written.
        try raw().query("DROP TABLE audit_details", [])

        expectError("storage_error") { _ = try store.createConnection(draft("db"), in: ws.id, project: p.id, by: actor) }
        expectError("storage_error") { _ = try store.updateConnection(kept.id, in: ws.id, project: p.id, ConnectionChange(name: "x"), by: actor) }
        expectError("storage_error") { try store.deleteConnection(kept.id, in: ws.id, project: p.id, by: actor) }
        expectError("storage_error") { _ = try store.createToken(makeToken(.runtime, .project(ws.id, p.id)), secretHash: "h", by: actor) }
        #expect(try store.listConnections(in: ws.id, project: p.id, PageRequest()).items == [kept])
        #expect(try store.countTokens() == 0)
    }

    // MARK: Helpers

    func draft(_ name: String) -> ConnectionDraft {
        ConnectionDraft(name: name, type: .generic, fields: try! ConnectionFields(validating: ["k": .string("v")]))
    }

    func makeToken(_ role: Role, _ scope: ResourceScope) -> Token {
        let hex = (0..<16).map { _ in "0123456789abcdef".randomElement()! }
        return Token(id: TokenID(rawValue: String(hex))!, name: "t", role: role, scope: scope,
                     createdAt: Timestamp.now(), expiresAt: nil, revokedAt: nil)
    }
}

final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
