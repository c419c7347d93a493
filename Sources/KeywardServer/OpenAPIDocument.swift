import KeywardCore
import KeywardResolver
import KeywardHTTP

/// The OpenAPI 3.1 description of the API, written by hand as the contract clients rely on.
/// `OpenAPIDocumentTests` fails when a route is missing here or an operation here has no route,
/// and schemathesis checks live responses against it.
enum OpenAPIDocument {
    static let json: [UInt8] = JSONBody.encode(document, pretty: true)

    static var document: JSONValue {
        .object([
            "openapi": "3.1.0",
            "info": .object([
                "title": "Keyward API",
                "version": "1.0.0",
                "description": "Secrets control plane for multi-tenant integration platforms. Errors are RFC 9457 problem+json with a stable `code` and a `hint`.",
            ]),
            "components": .object([
                "securitySchemes": .object(["bearer": .object(["type": "http", "scheme": "bearer",
                                                                "description": "An API token: kw_<id>_<secret>"])]),
                "schemas": .object(schemas),
                "responses": .object(problemResponses),
            ]),
            "security": .array([.object(["bearer": .array([])])]),
            "paths": .object(paths),
        ])
    }

    // MARK: Paths

    static var paths: [String: JSONValue] {
        let ws = "/v1/workspaces/{workspace}"
        let project = "\(ws)/projects/{project}"
        let connection = "\(project)/connections/{connection}"
        return [
            "/healthz": .object(["get": op("health", "Liveness", public: true, ok: ref("Status"))]),
            "/readyz": .object(["get": op("ready", "Readiness: the database answers", public: true, ok: ref("Status"), errors: ["503"])]),
            "/openapi.json": .object(["get": op("openapi", "This document", public: true, ok: .object(["type": "object"]))]),
            "/metrics": .object(["get": .object([
                "operationId": "metrics", "summary": "Prometheus metrics: resolutions, cache results, secrets-manager calls, latencies (a bearer scrape token when KEYWARD_METRICS_TOKEN is set)",
                "security": .array([]),
                "responses": .object(["200": .object(["description": "Prometheus text format 0.0.4",
                                                      "content": .object(["text/plain": .object(["schema": .object(["type": "string"])])])]),
                                      "401": .object(["$ref": "#/components/responses/Problem401"]),
                                      "500": .object(["$ref": "#/components/responses/Problem500"])]),
            ])]),
            "/v1/whoami": .object(["get": op("whoami", "The calling token", ok: ref("Token"))]),
            "/v1/workspaces": .object([
                "post": op("createWorkspace", "Create a workspace (operator)", body: ref("NameRequest"), ok: ref("Workspace"), status: "201"),
                "get": op("listWorkspaces", "List workspaces (operator)", query: pageQuery, ok: pageOf("Workspace")),
            ]),
            ws: .object([
                "parameters": .array([idParam("workspace")]),
                "get": op("getWorkspace", "Get a workspace", ok: ref("Workspace")),
                "patch": op("updateWorkspace", "Rename a workspace (operator)", body: ref("NameRequest"), ok: ref("Workspace")),
                "delete": op("deleteWorkspace", "Delete a workspace, its projects and connections, and revoke its tokens (operator)", ok: nil, status: "204"),
            ]),
            "\(ws)/addons/{addon}": .object([
                "parameters": .array([idParam("workspace"), addonParam]),
                "put": op("grantAddon", "Grant an add-on (operator)", ok: ref("Workspace")),
                "delete": op("revokeAddon", "Revoke an add-on (operator)", ok: ref("Workspace")),
            ]),
            "\(ws)/projects": .object([
                "parameters": .array([idParam("workspace")]),
                "post": op("createProject", "Create a project (workspace admin)", body: ref("NameRequest"), ok: ref("Project"), status: "201"),
                "get": op("listProjects", "List the projects the caller can see", query: pageQuery, ok: pageOf("Project")),
            ]),
            project: .object([
                "parameters": .array([idParam("workspace"), idParam("project")]),
                "get": op("getProject", "Get a project", ok: ref("Project")),
                "patch": op("updateProject", "Rename a project (project admin)", body: ref("NameRequest"), ok: ref("Project")),
                "delete": op("deleteProject", "Delete a project and its connections, and revoke its tokens (workspace admin)", ok: nil, status: "204"),
            ]),
            "\(project)/connections": .object([
                "parameters": .array([idParam("workspace"), idParam("project")]),
                "post": op("createConnection", "Create a connection", body: ref("CreateConnectionRequest"), ok: ref("Connection"), status: "201"),
                "get": op("listConnections", "List a project's connections", query: pageQuery, ok: pageOf("Connection")),
            ]),
            connection: .object([
                "parameters": .array([idParam("workspace"), idParam("project"), idParam("connection")]),
                "get": op("getConnection", "Get a connection", ok: ref("Connection")),
                "patch": op("updateConnection", "Change a connection's name or fields", body: ref("UpdateConnectionRequest"), ok: ref("Connection")),
                "delete": op("deleteConnection", "Delete a connection", ok: nil, status: "204"),
            ]),
            "\(ws)/secrets-management": .object([
                "parameters": .array([idParam("workspace")]),
                "get": op("getWorkspaceSecretsManagement", "The scope, the workspace's store, and how many references work (needs advanced_security)", ok: ref("WorkspaceSecrets")),
                "put": op("putWorkspaceStore", "Create or update the workspace's secrets manager (workspace admin)", body: ref("PutStoreRequest"), ok: ref("SecretStore"), status: "200", extraStatuses: ["201": ref("SecretStore")]),
                "delete": op("deleteWorkspaceStore", "Delete the workspace's secrets manager; 409 while references are bound to it unless force=true", query: [forceQuery], ok: ref("StoreDeleted"), errors: ["409"]),
            ]),
            "\(ws)/secrets-management/scope/preview": .object([
                "parameters": .array([idParam("workspace")]),
                "post": op("previewScopeSwitch", "What switching the scope would break and restore, with a confirmation token", body: ref("ScopePreviewRequest"), ok: ref("ScopePreview")),
            ]),
            "\(ws)/secrets-management/scope": .object([
                "parameters": .array([idParam("workspace")]),
                "put": op("switchScope", "Switch the scope; needs the preview's confirmation token, 409 if anything changed since", body: ref("ScopeSwitchRequest"), ok: ref("WorkspaceSecrets")),
            ]),
            "\(project)/secrets-management": .object([
                "parameters": .array([idParam("workspace"), idParam("project")]),
                "get": op("getProjectSecretsManagement", "The project's store, the store that serves it now, and its references", ok: ref("ProjectSecrets")),
                "put": op("putProjectStore", "Create or update the project's secrets manager (project admin)", body: ref("PutStoreRequest"), ok: ref("SecretStore"), status: "200", extraStatuses: ["201": ref("SecretStore")]),
                "delete": op("deleteProjectStore", "Delete the project's secrets manager; forcing needs a workspace admin", query: [forceQuery], ok: ref("StoreDeleted"), errors: ["409"]),
            ]),
            "\(ws)/secrets-management/aws-setup": .object([
                "parameters": .array([idParam("workspace")]),
                "get": op("getWorkspaceAWSSetup", "What to create in AWS for the workspace's store: account, External ID, trust and permission policies", ok: ref("AWSSetup"), errors: ["409", "503"]),
            ]),
            "\(ws)/secrets-management/verify": .object([
                "parameters": .array([idParam("workspace")]),
                "post": op("verifyWorkspaceStore", "Check step by step that the workspace's store works (workspace admin)", body: ref("VerifyStoreRequest"), bodyRequired: false, ok: ref("StoreVerification")),
            ]),
            "\(project)/secrets-management/aws-setup": .object([
                "parameters": .array([idParam("workspace"), idParam("project")]),
                "get": op("getProjectAWSSetup", "What to create in AWS for the project's store: account, External ID, trust and permission policies", ok: ref("AWSSetup"), errors: ["409", "503"]),
            ]),
            "\(project)/secrets-management/verify": .object([
                "parameters": .array([idParam("workspace"), idParam("project")]),
                "post": op("verifyProjectStore", "Check step by step that the project's store works: AssumeRole with and without the External ID, and optionally reading a sample secret (project admin)", body: ref("VerifyStoreRequest"), bodyRequired: false, ok: ref("StoreVerification")),
            ]),
            "\(ws)/secrets-management/cache/invalidate": .object([
                "parameters": .array([idParam("workspace")]),
                "post": op("invalidateWorkspaceCache", "Drop cached secrets of the workspace, of one project (project_id), or of one secret (secret); audited (workspace admin)", body: ref("InvalidateCacheRequest"), bodyRequired: false, ok: ref("CacheInvalidation")),
            ]),
            "\(project)/secrets-management/cache/invalidate": .object([
                "parameters": .array([idParam("workspace"), idParam("project")]),
                "post": op("invalidateProjectCache", "Drop cached secrets of the project, or of one secret (secret); audited (project admin)", body: ref("InvalidateProjectCacheRequest"), bodyRequired: false, ok: ref("CacheInvalidation")),
            ]),
            "\(project)/secrets-management/migrate": .object([
                "parameters": .array([idParam("workspace"), idParam("project")]),
                "post": op("migrateReferences", "Rebind the project's broken references to the store that serves it now, each only if it resolves there; a dry run unless dry_run is false (project admin)", body: ref("MigrateRequest"), bodyRequired: false, ok: ref("Migration"), errors: ["409"]),
            ]),
            "\(ws)/secrets": .object([
                "parameters": .array([idParam("workspace")]),
                "post": op("putWorkspaceSecret", "Add a secret, or a new version of one, to the workspace's built-in store (workspace admin); the value is never returned", body: ref("PutSecretRequest"), ok: ref("SecretInfo"), status: "200", extraStatuses: ["201": ref("SecretInfo")]),
                "get": op("listWorkspaceSecrets", "The workspace's built-in secrets: names and versions, never values", query: pageQuery, ok: pageOf("SecretInfo"), errors: ["409"]),
                "delete": op("deleteWorkspaceSecret", "Delete a built-in secret with all its versions", query: [secretNameQuery], ok: ref("SecretDeleted"), errors: ["409"]),
            ]),
            "\(project)/secrets": .object([
                "parameters": .array([idParam("workspace"), idParam("project")]),
                "post": op("putProjectSecret", "Add a secret, or a new version of one, to the project's built-in store (project admin); the value is never returned", body: ref("PutSecretRequest"), ok: ref("SecretInfo"), status: "200", extraStatuses: ["201": ref("SecretInfo")]),
                "get": op("listProjectSecrets", "The project's built-in secrets: names and versions, never values", query: pageQuery, ok: pageOf("SecretInfo"), errors: ["409"]),
                "delete": op("deleteProjectSecret", "Delete a built-in secret with all its versions (project admin)", query: [secretNameQuery], ok: ref("SecretDeleted"), errors: ["409"]),
            ]),
            "\(project)/references/check": .object([
                "parameters": .array([idParam("workspace"), idParam("project")]),
                "post": op("checkReference", "Check that a reference resolves in the project's store now, without returning the value", body: ref("CheckReferenceRequest"), ok: ref("ReferenceCheck")),
            ]),
            "/v1/connections/{connection}/resolve": .object([
                "parameters": .array([idParam("connection")]),
                "post": op("resolveConnection", "The connection's fields with its secrets in place (runtime tokens of its project)", query: [refreshQuery], ok: ref("ResolvedConnection"), errors: ["424", "503"]),
            ]),
            "/v1/connections/{connection}/test": .object([
                "parameters": .array([idParam("connection")]),
                "post": op("testConnection", "Resolve the connection as at run time, then test it against the real system (SELECT 1, an HTTP GET); values are never returned", ok: ref("ConnectionTest")),
            ]),
            "\(ws)/audit": .object([
                "parameters": .array([idParam("workspace")]),
                "get": op("listAudit", "The workspace's audit trail, filtered and paginated (admins, auditors)", query: auditQuery + pageQuery, ok: pageOf("AuditEvent")),
            ]),
            "\(ws)/audit/head": .object([
                "parameters": .array([idParam("workspace")]),
                "get": op("getAuditHead", "The last record of the workspace's audit chain, signed: keep it to detect truncation later (admins, auditors)", ok: ref("AuditHead")),
            ]),
            "\(ws)/audit/verify": .object([
                "parameters": .array([idParam("workspace")]),
                "post": op("verifyAudit", "Check the workspace's audit chain, and against an exported head when one is given (admins, auditors)", body: ref("VerifyAuditRequest"), bodyRequired: false, ok: ref("AuditVerification")),
            ]),
            "/v1/audit": .object([
                "get": op("listPlatformAudit", "The platform's audit trail: what belongs to no workspace, such as operator tokens and their sign-ins (operators)", query: auditQuery + pageQuery, ok: pageOf("AuditEvent")),
            ]),
            "/v1/audit/head": .object([
                "get": op("getPlatformAuditHead", "The last record of the platform's audit chain, signed (operators)", ok: ref("AuditHead")),
            ]),
            "/v1/audit/verify": .object([
                "post": op("verifyPlatformAudit", "Check the platform's audit chain, and against an exported head when one is given (operators)", body: ref("VerifyAuditRequest"), bodyRequired: false, ok: ref("AuditVerification")),
            ]),
            "/v1/tokens": .object([
                "post": op("createToken", "Issue an API token; the secret is returned once", body: ref("CreateTokenRequest"), ok: ref("IssuedToken"), status: "201"),
                "get": op("listTokens", "List the tokens the caller may manage, and its own", query: pageQuery, ok: pageOf("Token")),
            ]),
            "/v1/tokens/{token}": .object([
                "parameters": .array([tokenParam]),
                "get": op("getToken", "Get a token's metadata", ok: ref("Token")),
                "patch": op("updateToken", "Rename a token", body: ref("NameRequest"), ok: ref("Token")),
                "delete": op("revokeToken", "Revoke a token", ok: ref("Token")),
            ]),
        ]
    }

    static func op(_ id: String, _ summary: String, public: Bool = false, query: [JSONValue] = [], body: JSONValue? = nil,
                   bodyRequired: Bool = true, ok: JSONValue?, status: String = "200", extraStatuses: [String: JSONValue] = [:], errors: [String] = []) -> JSONValue {
        var responses: [String: JSONValue] = [:]
        for (code, schema) in extraStatuses {
            responses[code] = .object(["description": "Success",
                                       "content": .object(["application/json": .object(["schema": schema])])])
        }
        if let ok {
            responses[status] = .object(["description": "Success",
                                         "content": .object(["application/json": .object(["schema": ok])])])
        } else {
            responses[status] = .object(["description": "Success, no content"])
        }
        var codes = errors
        if !`public` { codes += ["400", "401", "403", "404"] }
        if body != nil { codes += ["409", "413", "415"] }
        codes.append("500")
        for code in Set(codes) { responses[code] = .object(["$ref": .string("#/components/responses/Problem\(code)")]) }
        var operation: [String: JSONValue] = ["operationId": .string(id), "summary": .string(summary),
                                              "responses": .object(responses)]
        if `public` { operation["security"] = .array([]) }
        if !query.isEmpty { operation["parameters"] = .array(query) }
        if let body {
            operation["requestBody"] = .object(["required": .bool(bodyRequired),
                                                "content": .object(["application/json": .object(["schema": body])])])
        }
        return .object(operation)
    }

    static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }

    static func pageOf(_ name: String) -> JSONValue {
        .object(["type": "object", "required": .array(["items", "next_cursor"]), "additionalProperties": false,
                 "properties": .object(["items": .object(["type": "array", "items": ref(name)]),
                                        "next_cursor": .object(["type": .array(["string", "null"]),
                                                                "description": "Pass as `cursor` for the next page; null on the last page"])])])
    }

    static func idParam(_ name: String) -> JSONValue {
        .object(["name": .string(name), "in": "path", "required": true,
                 "schema": .object(["type": "integer", "minimum": 1, "maximum": .number(9_007_199_254_740_991)])])
    }

    static let tokenParam: JSONValue = .object(["name": "token", "in": "path", "required": true,
                                                "schema": .object(["type": "string", "pattern": "^[0-9a-f]{16}$"])])

    static let addonParam: JSONValue = .object(["name": "addon", "in": "path", "required": true,
                                                "schema": .object(["type": "string", "enum": .array(Addon.allCases.map { .string($0.rawValue) })])])

    static let forceQuery: JSONValue = .object([
        "name": "force", "in": "query", "description": "Delete even while references are bound to the store; they stop resolving",
        "schema": .object(["type": "string", "enum": ["true", "false"]]),
    ])

    static let secretNameQuery: JSONValue = .object([
        "name": "name", "in": "query", "required": true, "description": "The secret's name",
        "schema": .object(["type": "string", "minLength": 1, "maxLength": 512, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"]),
    ])

    static let refreshQuery: JSONValue = .object([
        "name": "refresh", "in": "query", "description": "Read every secret from its secrets manager, bypassing the cache (after a rotation)",
        "schema": .object(["type": "string", "enum": ["true", "false"]]),
    ])

    static let auditQuery: [JSONValue] = [
        .object(["name": "since", "in": "query", "schema": .object(["type": "string", "format": "date-time"])]),
        .object(["name": "until", "in": "query", "schema": .object(["type": "string", "format": "date-time"])]),
        .object(["name": "actor", "in": "query", "schema": .object(["type": "string", "pattern": "^[0-9a-f]{16}$"])]),
        .object(["name": "project", "in": "query", "schema": id]),
        .object(["name": "connection", "in": "query", "schema": id]),
        .object(["name": "action", "in": "query", "schema": enumeration(AuditAction.allCases.map(\.rawValue))]),
        .object(["name": "outcome", "in": "query", "schema": .object(["type": "string", "minLength": 1, "maxLength": 64])]),
    ]

    static let pageQuery: [JSONValue] = [
        .object(["name": "limit", "in": "query", "schema": .object(["type": "integer", "minimum": 1, "maximum": .number(Double(PageRequest.maximumLimit)), "default": .number(Double(PageRequest.defaultLimit))])]),
        .object(["name": "cursor", "in": "query", "description": "The next_cursor of the previous page, unchanged",
                 "schema": .object(["type": "string", "pattern": "^c1\\.([0-9a-f]{2}){1,128}$"])]),
    ]

    // MARK: Schemas

    static func object(_ properties: [String: JSONValue], required: [String], closed: Bool = true) -> JSONValue {
        .object(["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) }),
                 "additionalProperties": .bool(!closed)])
    }

    static let secretARN = "arn:(\(AWSRoleARN.partitions.sorted().joined(separator: "|"))):secretsmanager:[a-z]{1,12}(-[a-z]{1,12}){1,2}-[0-9]{1,2}:[0-9]{12}:secret:[A-Za-z0-9/_+=.@:*-]{1,512}"

    /// The canonical reference syntax (docs/secrets-management.md) as a regular expression: names and keys
    /// are legal characters or %XX of printable ASCII; up to 32 keys; an optional stage or version.
    static let referencePattern: String = {
        let escaped = "%(2[0-9A-Fa-f]|[3-6][0-9A-Fa-f]|7[0-9A-Ea-e])"
        let name = "([A-Za-z0-9/_+=.@:-]|\(escaped))+"
        let key = "([A-Za-z0-9/_+=@:-]|\(escaped)){1,256}"
        let body = "secret:\(name)(#\(key)(\\.\(key)){0,31})?(\\?(stage|version)=[A-Za-z0-9._-]{1,256})?"
        return "^(\(body)|\\$\\{\(body)\\})$"
    }()

    static let secretName: JSONValue = .object(["type": "string", "minLength": 1, "maxLength": 512, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"])

    static let cacheTTL: JSONValue = .object([
        "type": "string", "description": "Seconds resolved values stay cached, 0 to 86400 (default 300)",
        "pattern": "^(0|[1-9][0-9]{0,3}|[1-7][0-9]{4}|8[0-5][0-9]{3}|86[0-3][0-9]{2}|86400)$",
    ])

    static let id: JSONValue = .object(["type": "integer", "minimum": 1, "maximum": .number(9_007_199_254_740_991)])
    static let nullableID: JSONValue = .object(["type": .array(["integer", "null"]), "minimum": 1])
    static let timestamp: JSONValue = .object(["type": "string", "format": "date-time"])
    static let hash: JSONValue = .object(["type": "string", "pattern": "^[0-9a-f]{64}$"])
    static let nullableTimestamp: JSONValue = .object(["type": .array(["string", "null"]), "format": "date-time"])
    static let name: JSONValue = .object(["type": "string", "minLength": 1, "maxLength": .number(Double(Names.maximumLength)),
                                          "pattern": .string(Names.pattern),
                                          "description": "At most 100 characters, no control characters; surrounding spaces are trimmed"])

    static func enumeration(_ values: [String]) -> JSONValue {
        .object(["type": "string", "enum": .array(values.map { .string($0) })])
    }

    static var schemas: [String: JSONValue] {
        [
            "Status": object(["status": .object(["type": "string"])], required: ["status"]),
            "NameRequest": object(["name": name], required: ["name"]),
            "Workspace": object(["id": id, "name": .object(["type": "string"]),
                                 "addons": .object(["type": "array", "items": enumeration(Addon.allCases.map(\.rawValue))]),
                                 "created_at": timestamp, "updated_at": timestamp],
                                required: ["id", "name", "addons", "created_at", "updated_at"]),
            "Project": object(["id": id, "workspace_id": id, "name": .object(["type": "string"]),
                               "created_at": timestamp, "updated_at": timestamp],
                              required: ["id", "workspace_id", "name", "created_at", "updated_at"]),
            "ConnectionFields": .object([
                "type": "object", "maxProperties": .number(Double(ConnectionFields.maximumFields)),
                "propertyNames": .object(["pattern": "^[A-Za-z0-9_.-]{1,64}$"]),
                "additionalProperties": .object(["type": .array(["string", "number", "boolean", "object", "null"])]),
            ]),
            "Connection": object(["id": id, "workspace_id": id, "project_id": id, "name": .object(["type": "string"]),
                                  "type": enumeration(ConnectionType.allCases.map(\.rawValue)), "fields": ref("ConnectionFields"),
                                  "references": .object(["type": "array", "items": ref("ReferenceState")]),
                                  "created_at": timestamp, "updated_at": timestamp],
                                 required: ["id", "workspace_id", "project_id", "name", "type", "fields", "references", "created_at", "updated_at"]),
            "ReferenceState": object(["field": .object(["type": "string"]), "reference": .object(["type": "string", "description": "Canonical form: secret:NAME[#KEY…][?stage=…|?version=…]"]),
                                      "store_id": nullableID, "status": enumeration(["ok", "out_of_scope", "store_deleted"]),
                                      "cache": .object(["type": "string", "enum": .array(SecretCache.EntryState.allCases.map { .string($0.rawValue) }),
                                                        "description": "This server's cached value: fresh; stale (the secrets manager is failing and an expired value is served); none"])],
                                     required: ["field", "reference", "store_id", "status", "cache"]),
            "SecretStore": object(["id": id, "workspace_id": id, "project_id": nullableID,
                                   "provider": enumeration(SecretsProvider.allCases.map(\.rawValue)),
                                   "settings": .object(["type": "object", "additionalProperties": .object(["type": "string"])]),
                                   "revision": .object(["type": "integer", "minimum": 1]), "created_at": timestamp, "updated_at": timestamp],
                                  required: ["id", "workspace_id", "project_id", "provider", "settings", "revision", "created_at", "updated_at"]),
            "PutStoreRequest": .object(["oneOf": [
                object(["provider": enumeration(["builtin"]),
                        "settings": object(["cache_ttl_seconds": cacheTTL], required: [])], required: ["provider"]),
                object(["provider": enumeration(["aws_secrets_manager"]),
                        "settings": object(["region": .object(["type": "string", "pattern": "^[a-z]{1,12}(-[a-z]{1,12}){1,2}-[0-9]{1,2}$"]),
                                            "role_arn": .object(["type": "string", "maxLength": 550,
                                                                 "pattern": .string("^arn:(\(AWSRoleARN.partitions.sorted().joined(separator: "|"))):iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}$")]),
                                            "kms_key_arn": .object(["type": "string", "pattern": "^arn:[a-z-]+:kms:", "maxLength": 2048]),
                                            "cache_ttl_seconds": cacheTTL,
                                            "secret_arns": .object(["type": "string", "description": "Comma-separated Secrets Manager ARNs the permission policy is limited to",
                                                                    "pattern": .string("^\(secretARN)( ?, ?\(secretARN)){0,99}$")]),
                                            "secret_name_prefix": .object(["type": "string", "pattern": "^[A-Za-z0-9/_+=.@:-]{1,512}$"])],
                                           required: ["region"])],
                       required: ["provider", "settings"]),
            ]]),
            "ReferenceCounts": object(["ok": .object(["type": "integer"]), "out_of_scope": .object(["type": "integer"]),
                                       "store_deleted": .object(["type": "integer"])], required: ["ok", "out_of_scope", "store_deleted"]),
            "WorkspaceSecrets": object(["workspace_id": id, "scope": enumeration(SecretsScope.allCases.map(\.rawValue)),
                                        "revision": .object(["type": "integer", "minimum": 0]),
                                        "store": .object(["oneOf": [ref("SecretStore"), .object(["type": "null"])]]),
                                        "references": ref("ReferenceCounts"), "addon": enumeration(["advanced_security"])],
                                       required: ["workspace_id", "scope", "revision", "store", "references", "addon"]),
            "ProjectSecrets": object(["scope": enumeration(SecretsScope.allCases.map(\.rawValue)),
                                      "store": .object(["oneOf": [ref("SecretStore"), .object(["type": "null"])]]),
                                      "active": .object(["type": "boolean", "description": "Whether the project's own store serves it now"]),
                                      "store_in_scope": .object(["oneOf": [ref("SecretStore"), .object(["type": "null"])]]),
                                      "references": ref("ReferenceCounts")],
                                     required: ["scope", "store", "active", "store_in_scope", "references"]),
            "StoreDeleted": object(["deleted": .object(["type": "boolean"]), "references_unbound": .object(["type": "integer"])],
                                   required: ["deleted", "references_unbound"]),
            "ScopePreviewRequest": object(["scope": enumeration(SecretsScope.allCases.map(\.rawValue))], required: ["scope"]),
            "ScopeSwitchRequest": object(["scope": enumeration(SecretsScope.allCases.map(\.rawValue)),
                                          "confirmation": .object(["type": "string", "pattern": "^v1\\.[0-9]{1,18}\\.[0-9a-f]{32}$"])],
                                         required: ["scope", "confirmation"]),
            "PreviewItem": object(["project_id": id, "project_name": .object(["type": "string"]), "connection_id": id,
                                   "connection_name": .object(["type": "string"]), "field": .object(["type": "string"]),
                                   "reference": .object(["type": "string"]), "store_id": nullableID],
                                  required: ["project_id", "project_name", "connection_id", "connection_name", "field", "reference", "store_id"]),
            "ScopePreview": object(["from": enumeration(SecretsScope.allCases.map(\.rawValue)), "to": enumeration(SecretsScope.allCases.map(\.rawValue)),
                                    "revision": .object(["type": "integer"]),
                                    "breaking": .object(["type": "array", "items": ref("PreviewItem")]),
                                    "restored": .object(["type": "array", "items": ref("PreviewItem")]),
                                    "projects_without_store": .object(["type": "array", "items": id]),
                                    "counts": object(["breaking": .object(["type": "integer"]), "restored": .object(["type": "integer"])], required: ["breaking", "restored"]),
                                    "confirmation": .object(["type": "string"])],
                                   required: ["from", "to", "revision", "breaking", "restored", "projects_without_store", "counts", "confirmation"]),
            "AuditHead": object(["workspace_id": .object(["type": "integer", "minimum": 0]), "seq": .object(["type": "integer", "minimum": 0]),
                                 "hash": hash, "at": timestamp, "signature": .object(["type": "string", "pattern": "^[0-9a-f]{64}$"])],
                                required: ["workspace_id", "seq", "hash", "at", "signature"]),
            "VerifyAuditRequest": object(["head": ref("AuditHead")], required: []),
            "AuditVerification": object(["workspace_id": .object(["type": "integer", "minimum": 0]), "ok": .object(["type": "boolean"]),
                                         "records": .object(["type": "integer", "minimum": 0]), "first_seq": .object(["type": "integer"]),
                                         "last_seq": .object(["type": "integer"]), "head_hash": .object(["type": "string"]),
                                         "problem": .object(["oneOf": .array([.object(["type": "null"]), object([
                                             "kind": enumeration(["edited", "missing", "out_of_order", "truncated"]),
                                             "seq": .object(["type": "integer"]), "record_id": .object(["type": .array(["integer", "null"])]),
                                             "detail": .object(["type": "string"])], required: ["kind", "seq", "record_id", "detail"])])])],
                                        required: ["workspace_id", "ok", "records", "first_seq", "last_seq", "head_hash", "problem"]),
            "AuditEvent": object(["id": .object(["type": "integer", "minimum": 1, "maximum": .number(9_007_199_254_740_991),
                                                 "description": "The stored row's id. Records written in one commit that differ only in time, request and hash share a row, and its id; `seq` is the record's own position."]),
                                  "workspace_id": .object(["type": "integer", "minimum": 0]), "at": timestamp,
                                  "seq": .object(["type": "integer", "minimum": 1]), "prev_hash": hash, "hash": hash,
                                  "actor_token_id": .object(["type": "string"]), "actor_role": enumeration(Role.allCases.map(\.rawValue)),
                                  "action": enumeration(AuditAction.allCases.map(\.rawValue)), "project_id": nullableID,
                                  "connection_id": nullableID, "store_id": nullableID, "outcome": .object(["type": "string"]),
                                  "details": .object(["type": "object"]), "request_id": .object(["type": "string"])],
                                 required: ["id", "workspace_id", "at", "actor_token_id", "actor_role", "action", "project_id",
                                            "connection_id", "store_id", "outcome", "details", "request_id", "seq", "prev_hash", "hash"]),
            "AWSSetup": object(["level": enumeration(["workspace", "project"]), "workspace_id": id, "project_id": nullableID, "store_id": id,
                                "region": .object(["type": "string"]), "platform_account_id": .object(["type": "string", "pattern": "^[0-9]{12}$"]),
                                "platform_principal_arn": .object(["type": "string"]),
                                "external_id": .object(["type": "string", "description": "<prefix>_iam_external_id_<workspace>[_<project>]; derived, never settable"]),
                                "role_session_name": .object(["type": "string"]),
                                "role_arn": .object(["type": .array(["string", "null"])]),
                                "trust_policy": .object(["type": "object"]), "permission_policy": .object(["type": "object"]),
                                "warnings": .object(["type": "array", "items": .object(["type": "string"])])],
                               required: ["level", "workspace_id", "project_id", "store_id", "region", "platform_account_id", "platform_principal_arn",
                                          "external_id", "role_session_name", "role_arn", "trust_policy", "permission_policy", "warnings"]),
            "VerifyStoreRequest": object(["sample_secret": .object(["type": "string", "minLength": 1, "maxLength": 512,
                                                                   "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]+$",
                                                                   "description": "A secret name or ARN (no control characters)"])], required: []),
            "StoreCheck": object(["name": .object(["type": "string"]), "status": enumeration(["pass", "fail", "warn", "skip"]),
                                  "detail": .object(["type": "string"]), "hint": .object(["type": .array(["string", "null"])]),
                                  "provider_error": .object(["type": .array(["string", "null"])])],
                                 required: ["name", "status", "detail"]),
            "StoreVerification": object(["store_id": id, "provider": enumeration(SecretsProvider.allCases.map(\.rawValue)),
                                         "checks": .object(["type": "array", "items": ref("StoreCheck")]),
                                         "result": enumeration(["pass", "warn", "fail"])],
                                        required: ["store_id", "provider", "checks", "result"]),
            "MigrateRequest": object(["dry_run": .object(["type": "boolean", "default": true])], required: []),
            "MigrationResult": object(["connection_id": id, "connection_name": .object(["type": "string"]), "field": .object(["type": "string"]),
                                       "reference": .object(["type": "string"]), "previous_store_id": nullableID,
                                       "status": enumeration(["would_rebind", "rebound", "failed"]),
                                       "error": object(["code": .object(["type": "string"]), "detail": .object(["type": "string"]),
                                                        "hint": .object(["type": .array(["string", "null"])])], required: ["code", "detail"])],
                                      required: ["connection_id", "connection_name", "field", "reference", "previous_store_id", "status"]),
            "Migration": object(["dry_run": .object(["type": "boolean"]), "store_id": id,
                                 "results": .object(["type": "array", "items": ref("MigrationResult")]),
                                 "counts": object(["would_rebind": .object(["type": "integer"]), "rebound": .object(["type": "integer"]),
                                                   "failed": .object(["type": "integer"])], required: ["would_rebind", "rebound", "failed"])],
                                required: ["dry_run", "store_id", "results", "counts"]),
            "PutSecretRequest": object(["name": .object(["type": "string", "minLength": 1, "maxLength": 512, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"]),
                                        "value": .object(["type": "string", "minLength": 1, "maxLength": 65536,
                                                          "description": "Plaintext, or a JSON object as text (for references with #key)"])],
                                       required: ["name", "value"]),
            "SecretInfo": object(["name": .object(["type": "string"]), "latest_version": .object(["type": "integer", "minimum": 1]),
                                  "created_at": timestamp, "updated_at": timestamp],
                                 required: ["name", "latest_version", "created_at", "updated_at"]),
            "SecretDeleted": object(["deleted": .object(["type": "boolean"]), "versions": .object(["type": "integer"])], required: ["deleted", "versions"]),
            "ConnectionTest": object(["ok": .object(["type": "boolean"]),
                                      "steps": .object(["type": "array", "items": object(["name": .object(["type": "string"]),
                                                                                         "status": enumeration(["pass", "fail", "skip"]),
                                                                                         "detail": .object(["type": "string"]),
                                                                                         "hint": .object(["type": "string"])],
                                                                                        required: ["name", "status", "detail"])])],
                                     required: ["ok", "steps"]),
            "InvalidateCacheRequest": object(["project_id": id, "secret": secretName], required: []),
            "InvalidateProjectCacheRequest": object(["secret": secretName], required: []),
            "CacheInvalidation": object(["store_ids": .object(["type": "array", "items": id]), "entries_dropped": .object(["type": "integer", "minimum": 0])],
                                        required: ["store_ids", "entries_dropped"]),
            "CheckReferenceRequest": object(["reference": .object(["type": "string", "minLength": 8, "maxLength": 2000,
                                                                   "pattern": .string(referencePattern),
                                                                   "description": "secret:NAME[#KEY…][?stage=…|?version=…], with or without ${…}"])],
                                            required: ["reference"]),
            "ReferenceCheck": object(["reference": .object(["type": "string"]), "ok": .object(["type": "boolean"]), "store_id": id,
                                      "cache": enumeration(["hit", "miss", "stale"]), "version_id": .object(["type": .array(["string", "null"])]),
                                      "error": object(["code": .object(["type": "string"]), "title": .object(["type": "string"]),
                                                       "detail": .object(["type": "string"]), "hint": .object(["type": .array(["string", "null"])])],
                                                      required: ["code", "title", "detail"])],
                                     required: ["reference", "ok"]),
            "ResolvedReference": object(["field": .object(["type": "string"]), "reference": .object(["type": "string"]), "store_id": id,
                                         "cache": enumeration(["hit", "miss", "stale"]), "version_id": .object(["type": .array(["string", "null"])])],
                                        required: ["field", "reference", "store_id", "cache"]),
            "ResolvedConnection": object(["id": id, "workspace_id": id, "project_id": id, "name": .object(["type": "string"]),
                                          "type": enumeration(ConnectionType.allCases.map(\.rawValue)), "fields": .object(["type": "object"]),
                                          "references": .object(["type": "array", "items": ref("ResolvedReference")]),
                                          "stale": .object(["type": "boolean"])],
                                         required: ["id", "workspace_id", "project_id", "name", "type", "fields", "references", "stale"]),
            "CreateConnectionRequest": object(["name": name, "type": enumeration(ConnectionType.allCases.map(\.rawValue)),
                                               "fields": ref("ConnectionFields")], required: ["name", "type"]),
            "UpdateConnectionRequest": object(["name": name, "fields": ref("ConnectionFields")], required: []),
            "Token": object(["id": .object(["type": "string", "pattern": "^[0-9a-f]{16}$"]), "name": .object(["type": "string"]),
                             "role": enumeration(Role.allCases.map(\.rawValue)),
                             "workspace_id": .object(["type": .array(["integer", "null"])]),
                             "project_id": .object(["type": .array(["integer", "null"])]),
                             "status": enumeration(["active", "expired", "revoked"]),
                             "created_at": timestamp, "expires_at": nullableTimestamp, "revoked_at": nullableTimestamp],
                            required: ["id", "name", "role", "workspace_id", "project_id", "status", "created_at", "expires_at", "revoked_at"]),
            "IssuedToken": object(["token": ref("Token"),
                                   "secret": .object(["type": "string", "description": "The API token. Shown only in this response."])],
                                  required: ["token", "secret"]),
            "CreateTokenRequest": .object(["oneOf": .array(Role.ScopeLevel.allCases.map(tokenRequest))]),
            "Problem": object(["type": .object(["type": "string"]), "title": .object(["type": "string"]),
                               "status": .object(["type": "integer"]), "detail": .object(["type": "string"]),
                               "code": .object(["type": "string", "description": "Stable, machine-readable error code"]),
                               "hint": .object(["type": "string", "description": "How to fix it"]),
                               "request_id": .object(["type": "string"]), "instance": .object(["type": "string"])],
                              required: ["type", "title", "status", "detail", "code", "request_id"], closed: false),
        ]
    }

    /// A token request for the roles of one scope level: which ids it takes follows from the level.
    static func tokenRequest(_ level: Role.ScopeLevel) -> JSONValue {
        let roles = Role.allCases.filter { $0.scopeLevel == level }.map(\.rawValue)
        var properties: [String: JSONValue] = [
            "name": name, "role": enumeration(roles),
            "expires_in_seconds": .object(["type": "integer", "minimum": 60,
                                           "maximum": .number(Double(TokenHandlers.maximumLifetimeSeconds))]),
        ]
        var required = ["name", "role"]
        if level != .platform { properties["workspace_id"] = id; required.append("workspace_id") }
        if level == .project { properties["project_id"] = id; required.append("project_id") }
        return object(properties, required: required)
    }

    static var problemResponses: [String: JSONValue] {
        var responses: [String: JSONValue] = [:]
        for code in ["400", "401", "403", "404", "405", "409", "413", "415", "424", "500", "503"] {
            responses["Problem\(code)"] = .object([
                "description": "Problem details (RFC 9457)",
                "content": .object(["application/problem+json": .object(["schema": ref("Problem")])]),
            ])
        }
        return responses
    }
}
