import KeywardCore

/// One step of the schema's history. Steps are append-only: a released step is never edited, a change is
/// a new step. Each runs in its own transaction together with the row recording it.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: @Sendable (SQLDialect) -> [String]
}

public enum Migrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "control plane: workspaces, add-ons, projects, connections, tokens") { dialect in
            [
                """
                CREATE TABLE workspaces (
                    id \(dialect.identityPrimaryKey),
                    name TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE workspace_addons (
                    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                    addon TEXT NOT NULL,
                    granted_at TEXT NOT NULL,
                    PRIMARY KEY (workspace_id, addon))
                """,
                """
                CREATE TABLE projects (
                    id \(dialect.identityPrimaryKey),
                    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    UNIQUE (workspace_id, name))
                """,
                """
                CREATE TABLE connections (
                    id \(dialect.identityPrimaryKey),
                    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                    project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    type TEXT NOT NULL,
                    fields TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    UNIQUE (project_id, name))
                """,
                """
                CREATE TABLE api_tokens (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    workspace_id BIGINT,
                    project_id BIGINT,
                    secret_hash TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    expires_at TEXT,
                    revoked_at TEXT)
                """,
                "CREATE INDEX api_tokens_scope ON api_tokens (workspace_id, project_id)",
                "CREATE INDEX projects_workspace ON projects (workspace_id, id)",
                "CREATE INDEX connections_project ON connections (project_id, id)",
            ]
        },
        Migration(version: 2, name: "secrets management: scope, stores, reference bindings, audit trail") { dialect in
            [
                """
                CREATE TABLE workspace_secrets (
                    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
                    scope TEXT NOT NULL,
                    revision BIGINT NOT NULL,
                    updated_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE secret_stores (
                    id \(dialect.identityPrimaryKey),
                    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                    project_id BIGINT REFERENCES projects(id) ON DELETE CASCADE,
                    provider TEXT NOT NULL,
                    settings TEXT NOT NULL,
                    revision BIGINT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL)
                """,
                // One store for the workspace, and at most one per project.
                "CREATE UNIQUE INDEX secret_stores_workspace ON secret_stores (workspace_id) WHERE project_id IS NULL",
                "CREATE UNIQUE INDEX secret_stores_project ON secret_stores (project_id) WHERE project_id IS NOT NULL",
                """
                CREATE TABLE connection_references (
                    connection_id BIGINT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
                    position BIGINT NOT NULL,
                    workspace_id BIGINT NOT NULL,
                    project_id BIGINT NOT NULL,
                    field TEXT NOT NULL,
                    reference TEXT NOT NULL,
                    store_id BIGINT REFERENCES secret_stores(id) ON DELETE SET NULL,
                    PRIMARY KEY (connection_id, position))
                """,
                "CREATE INDEX connection_references_workspace ON connection_references (workspace_id, project_id)",
                "CREATE INDEX connection_references_store ON connection_references (store_id)",
                // No foreign key to workspaces: the trail outlives what it describes.
                """
                CREATE TABLE audit_events (
                    id \(dialect.identityPrimaryKey),
                    workspace_id BIGINT NOT NULL,
                    at TEXT NOT NULL,
                    actor_token_id TEXT NOT NULL,
                    actor_role TEXT NOT NULL,
                    action TEXT NOT NULL,
                    project_id BIGINT,
                    connection_id BIGINT,
                    store_id BIGINT,
                    outcome TEXT NOT NULL,
                    details TEXT NOT NULL,
                    request_id TEXT NOT NULL)
                """,
                "CREATE INDEX audit_events_workspace ON audit_events (workspace_id, id)",
            ]
        },
        Migration(version: 3, name: "built-in store: wrapped data keys, encrypted secret versions") { dialect in
            [
                // One data key per owner: the workspace (project_id NULL) or one project. Wrapped by a master key.
                """
                CREATE TABLE builtin_data_keys (
                    id \(dialect.identityPrimaryKey),
                    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                    project_id BIGINT REFERENCES projects(id) ON DELETE CASCADE,
                    master_key_id TEXT NOT NULL,
                    wrapped_key TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    rewrapped_at TEXT)
                """,
                "CREATE UNIQUE INDEX builtin_data_keys_workspace ON builtin_data_keys (workspace_id) WHERE project_id IS NULL",
                "CREATE UNIQUE INDEX builtin_data_keys_project ON builtin_data_keys (project_id) WHERE project_id IS NOT NULL",
                """
                CREATE TABLE builtin_secrets (
                    id \(dialect.identityPrimaryKey),
                    data_key_id BIGINT NOT NULL REFERENCES builtin_data_keys(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    latest_version BIGINT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    UNIQUE (data_key_id, name))
                """,
                // Every version is kept; the ciphertext is bound (AAD) to workspace, project, name and version.
                """
                CREATE TABLE builtin_secret_versions (
                    secret_id BIGINT NOT NULL REFERENCES builtin_secrets(id) ON DELETE CASCADE,
                    version BIGINT NOT NULL,
                    ciphertext TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    created_by TEXT NOT NULL,
                    PRIMARY KEY (secret_id, version))
                """,
            ]
        },
        Migration(version: 4, name: "audit trail: hash chain per workspace, chain heads and anchors") { _ in
            [
                // Records written before this step get their chain fields when the store opens (SQLStore.init);
                // until then they are NULL, which the unique index allows any number of. The one row of
                // audit_unchained says that is still to do, so opening a store never has to scan the trail.
                "ALTER TABLE audit_events ADD COLUMN seq BIGINT",
                "CREATE TABLE audit_unchained (pending BIGINT NOT NULL)",
                "INSERT INTO audit_unchained (pending) VALUES (1)",
                "ALTER TABLE audit_events ADD COLUMN prev_hash TEXT",
                "ALTER TABLE audit_events ADD COLUMN hash TEXT",
                // The trail is listed and verified in chain order; one index serves both, and every record
                // written costs one index update less.
                "CREATE UNIQUE INDEX audit_events_chain ON audit_events (workspace_id, seq)",
                "DROP INDEX audit_events_workspace",
                // Per chain: its last record (head), and the last pruned record the retained chain starts after (anchor).
                """
                CREATE TABLE audit_chains (
                    workspace_id BIGINT PRIMARY KEY,
                    head_seq BIGINT NOT NULL,
                    head_hash TEXT NOT NULL,
                    anchor_seq BIGINT NOT NULL,
                    anchor_hash TEXT NOT NULL)
                """,
                // Per server journal (AuditJournal): the last of its records already in the trail, moved in
                // the same transaction as those records, so a restart replays exactly what is missing.
                """
                CREATE TABLE audit_journals (
                    instance TEXT PRIMARY KEY,
                    indexed_seq BIGINT NOT NULL)
                """,
            ]
        },
        Migration(version: 5, name: "audit trail: details stored once for the records of a commit that share them") { dialect in
            [
                // Most records repeat the details of others (every request one kept resolution answers has
                // the same), and they were most of a row's bytes. A commit stores each distinct value once,
                // per chain; the records point at it. Earlier records keep their own row, with their own id.
                """
                CREATE TABLE audit_details (
                    id \(dialect.identityPrimaryKey),
                    workspace_id BIGINT NOT NULL,
                    body TEXT NOT NULL)
                """,
                "INSERT INTO audit_details (id, workspace_id, body) SELECT id, workspace_id, details FROM audit_events",
                "ALTER TABLE audit_events ADD COLUMN details_id BIGINT NOT NULL DEFAULT 0",
                "UPDATE audit_events SET details_id = id",
                "ALTER TABLE audit_events DROP COLUMN details",
            ] + (dialect == .postgresql ? [
                // Ids given explicitly do not move an identity's sequence (SQLite's AUTOINCREMENT follows them).
                """
                SELECT setval(pg_get_serial_sequence('audit_details', 'id'), GREATEST(MAX(id), 1), MAX(id) IS NOT NULL)
                FROM audit_details
                """,
            ] : [])
        },
        Migration(version: 6, name: "audit trail: consecutive records alike but for time, request and hash stored as one row") { _ in
            [
                // Under load, the records of one commit are mostly the same resolve by the same token: one row
                // holds such a run, the first record in its columns as before and the others in `run`, as
                // [seq, at, request_id, hash] each. A row's last position, time and hash are columns, so
                // pages, retention and anchors need not read `run`. A record on its own has no `run`.
                "ALTER TABLE audit_events ADD COLUMN last_seq BIGINT",
                "ALTER TABLE audit_events ADD COLUMN last_at TEXT",
                "ALTER TABLE audit_events ADD COLUMN last_hash TEXT",
                "ALTER TABLE audit_events ADD COLUMN run TEXT",
                "UPDATE audit_events SET last_seq = seq, last_at = at, last_hash = hash",
                "CREATE UNIQUE INDEX audit_events_chain_end ON audit_events (workspace_id, last_seq)",
            ]
        },
    ]

    /// Brings the schema up to date. Safe to run from several processes at once: on PostgreSQL an
    /// advisory lock serializes them, on SQLite the write transaction does.
    public static func apply(_ migrations: [Migration] = all, on connection: any SQLConnection) throws -> [Int] {
        try connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)
            """, [])
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            try connection.transaction {
                if connection.dialect == .postgresql {
                    try connection.query("SELECT pg_advisory_xact_lock(7373373)", [])
                }
                let done = try connection.queryOne("SELECT version FROM schema_migrations WHERE version = ?",
                                                   [.integer(Int64(migration.version))])
                guard done == nil else { return }
                for statement in migration.statements(connection.dialect) {
                    try connection.query(statement, [])
                }
                try connection.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                     [.integer(Int64(migration.version)), .text(migration.name),
                                      .text(Timestamp.format(Timestamp.now()))])
                applied.append(migration.version)
            }
        }
        return applied
    }

    public static func currentVersion(on connection: any SQLConnection) throws -> Int {
        let row = try connection.queryOne("SELECT MAX(version) AS version FROM schema_migrations", [])
        return Int(try row?.optionalInteger("version") ?? 0)
    }
}
