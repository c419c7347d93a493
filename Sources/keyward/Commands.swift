import Foundation

/// One CLI command: what it accepts, and how it becomes an API request.
struct Command: Sendable {
    let path: [String]
    let summary: String
    /// Positional arguments, by name, in order.
    var positionals: [String] = []
    /// Options as (name, description); a `*` after a name in the description marks it required.
    var options: [(String, String)] = []
    var flags: [(String, String)] = []
    let request: @Sendable (ParsedArguments) throws -> APIRequest
    /// Commands that need more than one request (a preview, a question, then the change) run this instead.
    var custom: (@Sendable (ParsedArguments, APIClient, OutputFormat) async throws -> Int32)?

    var usage: String {
        var text = "Usage: keyward \(path.joined(separator: " "))"
        for positional in positionals { text += " <\(positional)>" }
        if !options.isEmpty || !flags.isEmpty { text += " [options]" }
        text += "\n\n\(summary)\n"
        let rows = options.map { ("--\($0.0) VALUE", $0.1) } + flags.map { ("--\($0.0)", $0.1) }
            + CLI.globalOptions.map { ("--\($0.0) VALUE", $0.1) } + [("-h, --help", "Show this help")]
        let width = rows.map(\.0.count).max() ?? 0
        text += "\nOptions:\n" + rows.map { "  \($0.0.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.1)" }
            .joined(separator: "\n")
        return text
    }
}

/// The HTTP request a command makes, and how to show its answer.
struct APIRequest {
    var method: String
    var path: String
    var query: [(String, String)] = []
    var body: [String: Any]?
    var view: View
    /// Asks for confirmation first (destructive commands); `--yes` skips it.
    var confirmation: String?
    /// For lists: fetch every page.
    var followPages = false

    enum View {
        case resource([CLIOutput.Column])
        case list([CLIOutput.Column])
        case issuedToken
        case deleted(String)
        case scopePreview
        /// The AWS setup guide: the facts, then the two policies, pretty-printed for pasting.
        case awsSetup
        /// A table of the array under a key; `failWhen` (key, value) makes the command exit 8.
        case nested(String, [CLIOutput.Column], failWhen: (String, String)?)
        /// The body as JSON, whatever the format (for scripts and runtimes).
        case json
    }
}

extension ParsedArguments {
    func id(_ name: String) throws -> Int64 {
        guard let id = try positiveID(name) else { throw UsageError("--\(name) is required") }
        return id
    }

    func positionalID(_ index: Int, _ what: String) throws -> String {
        guard positionals.count > index else { throw UsageError("missing <\(what)>") }
        let text = positionals[index]
        guard let number = Int64(text), number > 0 else { throw UsageError("<\(what)> must be a positive integer id") }
        return String(number)
    }

    func positional(_ index: Int, _ what: String) throws -> String {
        guard positionals.count > index else { throw UsageError("missing <\(what)>") }
        return positionals[index]
    }

    var pageQuery: [(String, String)] {
        var query: [(String, String)] = []
        if let limit = value("limit") { query.append(("limit", limit)) }
        if let cursor = value("cursor") { query.append(("cursor", cursor)) }
        return query
    }

    /// `--field key=value` (repeatable) and `--fields-json '{…}'`, merged; values that parse as JSON
    /// numbers or booleans keep that type, `--field-string` forces text.
    func fields() throws -> [String: Any]? {
        var fields: [String: Any] = [:]
        var given = false
        if let json = value("fields-json") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
                throw UsageError("--fields-json must be a JSON object")
            }
            fields = object
            given = true
        }
        for pair in values("field") + values("field-string") {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw UsageError("--field takes key=value, got '\(pair)'")
            }
            let key = String(pair[..<equals])
            let raw = String(pair[pair.index(after: equals)...])
            if values("field-string").contains(pair) {
                fields[key] = raw
            } else if raw == "true" || raw == "false" {
                fields[key] = raw == "true"
            } else if let number = Int64(raw) {
                fields[key] = number
            } else {
                fields[key] = raw
            }
            given = true
        }
        return given ? fields : nil
    }
}

enum Columns {
    static let secret: [CLIOutput.Column] = [
        .init("NAME", "name"), .init("VERSION", "latest_version"), .init("CREATED", "created_at"), .init("UPDATED", "updated_at"),
    ]
    static let check: [CLIOutput.Column] = [
        .init("CHECK", "name"), .init("STATUS", "status"), .init("DETAIL", "detail"), .init("HINT", "hint"),
    ]
    static let migration: [CLIOutput.Column] = [
        .init("CONNECTION") { row in "\(CLIOutput.describe(row["connection_name"])) (\(CLIOutput.describe(row["connection_id"])))" },
        .init("FIELD", "field"), .init("REFERENCE", "reference"), .init("STATUS", "status"),
        .init("PROBLEM") { row in CLIOutput.describe((row["error"] as? [String: Any])?["code"]) },
    ]
    static let referenceCheck: [CLIOutput.Column] = [
        .init("REFERENCE", "reference"), .init("OK", "ok"), .init("STORE", "store_id"), .init("VERSION", "version_id"),
        .init("PROBLEM") { row in
            guard let error = row["error"] as? [String: Any] else { return "-" }
            return "\(CLIOutput.describe(error["code"])): \(CLIOutput.describe(error["detail"]))"
        },
    ]
    static let workspace: [CLIOutput.Column] = [
        .init("ID", "id"), .init("NAME", "name"), .init("ADDONS", "addons"), .init("CREATED", "created_at"),
    ]
    static let project: [CLIOutput.Column] = [
        .init("ID", "id"), .init("WORKSPACE", "workspace_id"), .init("NAME", "name"), .init("CREATED", "created_at"),
    ]
    static let connection: [CLIOutput.Column] = [
        .init("ID", "id"), .init("PROJECT", "project_id"), .init("NAME", "name"), .init("TYPE", "type"),
        .init("FIELDS", "fields"), .init("UPDATED", "updated_at"),
    ]
    static let secrets: [CLIOutput.Column] = [
        .init("WORKSPACE", "workspace_id"), .init("SCOPE", "scope"), .init("REVISION", "revision"),
        .init("STORE") { row in (row["store"] as? [String: Any]).map { "\(CLIOutput.describe($0["provider"])) (id \(CLIOutput.describe($0["id"])))" } ?? "-" },
        .init("REFS OK") { row in CLIOutput.describe((row["references"] as? [String: Any])?["ok"]) },
        .init("OUT OF SCOPE") { row in CLIOutput.describe((row["references"] as? [String: Any])?["out_of_scope"]) },
        .init("STORE DELETED") { row in CLIOutput.describe((row["references"] as? [String: Any])?["store_deleted"]) },
    ]
    static let projectSecrets: [CLIOutput.Column] = [
        .init("SCOPE", "scope"), .init("ACTIVE", "active"),
        .init("PROJECT STORE") { row in (row["store"] as? [String: Any]).map { "\(CLIOutput.describe($0["provider"])) (id \(CLIOutput.describe($0["id"])))" } ?? "-" },
        .init("SERVED BY") { row in (row["store_in_scope"] as? [String: Any]).map { "\(CLIOutput.describe($0["provider"])) (id \(CLIOutput.describe($0["id"])))" } ?? "none" },
        .init("REFS OK") { row in CLIOutput.describe((row["references"] as? [String: Any])?["ok"]) },
        .init("OUT OF SCOPE") { row in CLIOutput.describe((row["references"] as? [String: Any])?["out_of_scope"]) },
    ]
    static let store: [CLIOutput.Column] = [
        .init("ID", "id"), .init("PROJECT", "project_id"), .init("PROVIDER", "provider"),
        .init("SETTINGS") { row in
            ((row["settings"] as? [String: Any]) ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\(CLIOutput.describe($0.value))" }
                .joined(separator: " ").nonEmpty ?? "-"
        },
        .init("REVISION", "revision"),
    ]
    static let previewItem: [CLIOutput.Column] = [
        .init("PROJECT") { row in "\(CLIOutput.describe(row["project_name"])) (\(CLIOutput.describe(row["project_id"])))" },
        .init("CONNECTION") { row in "\(CLIOutput.describe(row["connection_name"])) (\(CLIOutput.describe(row["connection_id"])))" },
        .init("FIELD", "field"), .init("REFERENCE", "reference"),
    ]
    static let audit: [CLIOutput.Column] = [
        .init("ID", "id"), .init("AT", "at"), .init("ACTION", "action"), .init("OUTCOME", "outcome"),
        .init("ACTOR") { row in "\(CLIOutput.describe(row["actor_token_id"])) (\(CLIOutput.describe(row["actor_role"])))" },
        .init("PROJECT", "project_id"), .init("STORE", "store_id"),
        .init("DETAILS") { row in
            ((row["details"] as? [String: Any]) ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\(CLIOutput.describe($0.value))" }
                .joined(separator: " ")
        },
    ]
    static let token: [CLIOutput.Column] = [
        .init("ID", "id"), .init("NAME", "name"), .init("ROLE", "role"), .init("WORKSPACE", "workspace_id"),
        .init("PROJECT", "project_id"), .init("STATUS", "status"), .init("EXPIRES", "expires_at"),
    ]
}

enum CommandTable {
    static let listOptions = [("limit", "Items per page (1-500, default 50)"), ("cursor", "Start after this cursor from a previous page")]
    static let listFlags = [("all", "Follow cursors and show every page")]
    static let fieldOptions = [
        ("field", "A field as key=value (repeatable); numbers and true/false keep their type"),
        ("field-string", "A field as key=value whose value is always text (repeatable)"),
        ("fields-json", "All fields as one JSON object"),
    ]

    static func projectPath(_ a: ParsedArguments) throws -> String {
        "/v1/workspaces/\(try a.id("workspace"))/projects"
    }

    static func secretsPath(_ a: ParsedArguments, project: Int64?) throws -> String {
        let base = "/v1/workspaces/\(try a.id("workspace"))"
        return project.map { "\(base)/projects/\($0)/secrets-management" } ?? "\(base)/secrets-management"
    }

    static func builtinSecretsPath(_ a: ParsedArguments) throws -> String {
        let base = "/v1/workspaces/\(try a.id("workspace"))"
        return try a.positiveID("project").map { "\(base)/projects/\($0)/secrets" } ?? "\(base)/secrets"
    }

    static func connectionPath(_ a: ParsedArguments) throws -> String {
        "/v1/workspaces/\(try a.id("workspace"))/projects/\(try a.id("project"))/connections"
    }

    static let all: [Command] = [
        Command(path: ["whoami"], summary: "Show the token you are using: its id, role and scope.") { _ in
            APIRequest(method: "GET", path: "/v1/whoami", view: .resource(Columns.token))
        },

        // Workspaces
        Command(path: ["workspace", "create"], summary: "Create a workspace (operator).",
                options: [("name", "Workspace name*")]) { a in
            APIRequest(method: "POST", path: "/v1/workspaces", body: ["name": try a.required("name")], view: .resource(Columns.workspace))
        },
        Command(path: ["workspace", "list"], summary: "List workspaces (operator).", options: listOptions, flags: listFlags) { a in
            APIRequest(method: "GET", path: "/v1/workspaces", query: a.pageQuery, view: .list(Columns.workspace), followPages: a.flag("all"))
        },
        Command(path: ["workspace", "get"], summary: "Show a workspace.", positionals: ["workspace-id"]) { a in
            APIRequest(method: "GET", path: "/v1/workspaces/\(try a.positionalID(0, "workspace-id"))", view: .resource(Columns.workspace))
        },
        Command(path: ["workspace", "update"], summary: "Rename a workspace (operator).", positionals: ["workspace-id"],
                options: [("name", "New name*")]) { a in
            APIRequest(method: "PATCH", path: "/v1/workspaces/\(try a.positionalID(0, "workspace-id"))",
                       body: ["name": try a.required("name")], view: .resource(Columns.workspace))
        },
        Command(path: ["workspace", "delete"],
                summary: "Delete a workspace with all its projects and connections, and revoke its tokens (operator).",
                positionals: ["workspace-id"], flags: [("yes", "Do not ask for confirmation")]) { a in
            let id = try a.positionalID(0, "workspace-id")
            return APIRequest(method: "DELETE", path: "/v1/workspaces/\(id)", view: .deleted("workspace \(id)"),
                              confirmation: "Delete workspace \(id) with all its projects and connections?")
        },

        // Add-ons
        Command(path: ["addon", "grant"], summary: "Grant an add-on to a workspace (operator). Known add-ons: advanced_security.",
                positionals: ["addon"], options: [("workspace", "Workspace id*")]) { a in
            APIRequest(method: "PUT", path: "/v1/workspaces/\(try a.id("workspace"))/addons/\(try a.positional(0, "addon"))",
                       view: .resource(Columns.workspace))
        },
        Command(path: ["addon", "revoke"], summary: "Revoke an add-on from a workspace (operator).",
                positionals: ["addon"], options: [("workspace", "Workspace id*")]) { a in
            APIRequest(method: "DELETE", path: "/v1/workspaces/\(try a.id("workspace"))/addons/\(try a.positional(0, "addon"))",
                       view: .resource(Columns.workspace))
        },

        // Projects
        Command(path: ["project", "create"], summary: "Create a project (workspace admin).",
                options: [("workspace", "Workspace id*"), ("name", "Project name*")]) { a in
            APIRequest(method: "POST", path: try projectPath(a), body: ["name": try a.required("name")], view: .resource(Columns.project))
        },
        Command(path: ["project", "list"], summary: "List the projects of a workspace that you can see.",
                options: [("workspace", "Workspace id*")] + listOptions, flags: listFlags) { a in
            APIRequest(method: "GET", path: try projectPath(a), query: a.pageQuery, view: .list(Columns.project), followPages: a.flag("all"))
        },
        Command(path: ["project", "get"], summary: "Show a project.", positionals: ["project-id"],
                options: [("workspace", "Workspace id*")]) { a in
            APIRequest(method: "GET", path: "\(try projectPath(a))/\(try a.positionalID(0, "project-id"))", view: .resource(Columns.project))
        },
        Command(path: ["project", "update"], summary: "Rename a project (project admin).", positionals: ["project-id"],
                options: [("workspace", "Workspace id*"), ("name", "New name*")]) { a in
            APIRequest(method: "PATCH", path: "\(try projectPath(a))/\(try a.positionalID(0, "project-id"))",
                       body: ["name": try a.required("name")], view: .resource(Columns.project))
        },
        Command(path: ["project", "delete"], summary: "Delete a project with its connections, and revoke its tokens (workspace admin).",
                positionals: ["project-id"], options: [("workspace", "Workspace id*")], flags: [("yes", "Do not ask for confirmation")]) { a in
            let id = try a.positionalID(0, "project-id")
            return APIRequest(method: "DELETE", path: "\(try projectPath(a))/\(id)", view: .deleted("project \(id)"),
                              confirmation: "Delete project \(id) with all its connections?")
        },

        // Connections
        Command(path: ["connection", "create"], summary: "Create a connection in a project.",
                options: [("workspace", "Workspace id*"), ("project", "Project id*"), ("name", "Connection name*"),
                          ("type", "postgresql, http or generic*")] + fieldOptions) { a in
            var body: [String: Any] = ["name": try a.required("name"), "type": try a.required("type")]
            if let fields = try a.fields() { body["fields"] = fields }
            return APIRequest(method: "POST", path: try connectionPath(a), body: body, view: .resource(Columns.connection))
        },
        Command(path: ["connection", "list"], summary: "List a project's connections.",
                options: [("workspace", "Workspace id*"), ("project", "Project id*")] + listOptions, flags: listFlags) { a in
            APIRequest(method: "GET", path: try connectionPath(a), query: a.pageQuery, view: .list(Columns.connection),
                       followPages: a.flag("all"))
        },
        Command(path: ["connection", "get"], summary: "Show a connection.", positionals: ["connection-id"],
                options: [("workspace", "Workspace id*"), ("project", "Project id*")]) { a in
            APIRequest(method: "GET", path: "\(try connectionPath(a))/\(try a.positionalID(0, "connection-id"))",
                       view: .resource(Columns.connection))
        },
        Command(path: ["connection", "update"], summary: "Rename a connection or replace its fields.", positionals: ["connection-id"],
                options: [("workspace", "Workspace id*"), ("project", "Project id*"), ("name", "New name")] + fieldOptions) { a in
            var body: [String: Any] = [:]
            if let name = a.value("name") { body["name"] = name }
            if let fields = try a.fields() { body["fields"] = fields }
            guard !body.isEmpty else { throw UsageError("give --name or fields to change") }
            return APIRequest(method: "PATCH", path: "\(try connectionPath(a))/\(try a.positionalID(0, "connection-id"))",
                              body: body, view: .resource(Columns.connection))
        },
        Command(path: ["connection", "delete"], summary: "Delete a connection.", positionals: ["connection-id"],
                options: [("workspace", "Workspace id*"), ("project", "Project id*")]) { a in
            let id = try a.positionalID(0, "connection-id")
            return APIRequest(method: "DELETE", path: "\(try connectionPath(a))/\(id)", view: .deleted("connection \(id)"))
        },

        // Secrets management
        Command(path: ["secrets-management", "show"],
                summary: "Show the secrets-management scope, the store in use and the state of references (--project for one project).",
                options: [("workspace", "Workspace id*"), ("project", "Show one project's settings")]) { a in
            if let p = try a.positiveID("project") {
                return APIRequest(method: "GET", path: "\(try secretsPath(a, project: p))", view: .resource(Columns.projectSecrets))
            }
            return APIRequest(method: "GET", path: try secretsPath(a, project: nil), view: .resource(Columns.secrets))
        },
        Command(path: ["secrets-management", "store", "set"],
                summary: "Configure the secrets manager of the workspace, or of one project with --project. Providers: builtin, aws_secrets_manager.",
                options: [("workspace", "Workspace id*"), ("project", "Configure this project's store instead"),
                          ("provider", "builtin or aws_secrets_manager*"),
                          ("setting", "A provider setting as key=value (repeatable), e.g. region=eu-west-1")]) { a in
            var settings: [String: Any] = [:]
            for pair in a.values("setting") {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else { throw UsageError("--setting takes key=value") }
                settings[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            return APIRequest(method: "PUT", path: try secretsPath(a, project: try a.positiveID("project")),
                              body: ["provider": try a.required("provider"), "settings": settings], view: .resource(Columns.store))
        },
        Command(path: ["secrets-management", "store", "delete"],
                summary: "Delete the workspace's (or a project's) secrets manager. Refused while references use it, unless --force (workspace admins).",
                options: [("workspace", "Workspace id*"), ("project", "Delete this project's store instead")],
                flags: [("force", "Delete even though references are bound to it: they stop resolving"), ("yes", "Do not ask for confirmation")]) { a in
            APIRequest(method: "DELETE", path: try secretsPath(a, project: try a.positiveID("project")),
                       query: a.flag("force") ? [("force", "true")] : [], view: .resource([.init("DELETED", "deleted"), .init("REFERENCES UNBOUND", "references_unbound")]),
                       confirmation: a.flag("force") ? "Force-delete the store? References bound to it will stop resolving." : nil)
        },
        Command(path: ["secrets-management", "scope", "preview"],
                summary: "Show which references would stop working (and which would work again) if the scope changed to <scope>.",
                positionals: ["scope"], options: [("workspace", "Workspace id*")]) { a in
            APIRequest(method: "POST", path: "\(try secretsPath(a, project: nil))/scope/preview",
                       body: ["scope": try a.positional(0, "scope")], view: .scopePreview)
        },
        Command(path: ["secrets-management", "scope", "set"],
                summary: "Switch the scope to workspace or project: shows the preview, asks for confirmation, then switches.",
                positionals: ["scope"], options: [("workspace", "Workspace id*")],
                flags: [("yes", "Switch without asking (scripts); the preview is still checked for changes")],
                request: { a in
                    APIRequest(method: "POST", path: "\(try secretsPath(a, project: nil))/scope/preview",
                               body: ["scope": try a.positional(0, "scope")], view: .scopePreview)
                }, custom: ScopeCommand.run),

        Command(path: ["secrets-management", "aws-setup"],
                summary: "What to create in AWS: the platform's account and principal, the External ID, and the trust and permission policies to paste.",
                options: [("workspace", "Workspace id*"), ("project", "The project's store instead of the workspace's")]) { a in
            APIRequest(method: "GET", path: "\(try secretsPath(a, project: try a.positiveID("project")))/aws-setup", view: .awsSetup)
        },
        Command(path: ["secrets-management", "verify"],
                summary: "Check step by step that the store works (for AWS: assume the role with, without and with a wrong External ID). Exits 8 if a check fails.",
                options: [("workspace", "Workspace id*"), ("project", "The project's store instead of the workspace's"),
                          ("sample-secret", "Also read this secret through the role (its value is never shown)")]) { a in
            var body: [String: Any] = [:]
            if let sample = a.value("sample-secret") { body["sample_secret"] = sample }
            return APIRequest(method: "POST", path: "\(try secretsPath(a, project: try a.positiveID("project")))/verify", body: body,
                              view: .nested("checks", Columns.check, failWhen: ("result", "fail")))
        },
        Command(path: ["secrets-management", "migrate"],
                summary: "Rebind a project's broken references to the store that serves it now, each only if it resolves there. A dry run unless --apply.",
                options: [("workspace", "Workspace id*"), ("project", "Project id*")],
                flags: [("apply", "Rebind for real (default: only show what would happen)")]) { a in
            APIRequest(method: "POST", path: "\(try secretsPath(a, project: try a.id("project")))/migrate", body: ["dry_run": !a.flag("apply")],
                       view: .nested("results", Columns.migration, failWhen: nil))
        },
        Command(path: ["secret", "put"],
                summary: "Add a secret, or a new version of it, to the built-in store of the workspace (or of --project). The value is never shown again.",
                options: [("workspace", "Workspace id*"), ("project", "The project's store instead of the workspace's"), ("name", "The secret's name*"),
                          ("value", "The value (visible in shell history; prefer --value-file)"),
                          ("value-file", "Read the value from this file, or - for standard input")]) { a in
            let value: String
            switch (a.value("value"), a.value("value-file")) {
            case (let text?, nil): value = text
            case (nil, let path?):
                let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
                // One trailing newline is the file's, not the secret's.
                var text = String(decoding: data, as: UTF8.self)
                if text.hasSuffix("\n") { text.removeLast() }
                value = text
            default: throw UsageError("give exactly one of --value and --value-file")
            }
            return APIRequest(method: "POST", path: try builtinSecretsPath(a), body: ["name": try a.required("name"), "value": value],
                              view: .resource(Columns.secret))
        },
        Command(path: ["secret", "list"], summary: "List the built-in store's secrets: names and versions, never values.",
                options: [("workspace", "Workspace id*"), ("project", "The project's store instead of the workspace's")] + listOptions,
                flags: listFlags) { a in
            APIRequest(method: "GET", path: try builtinSecretsPath(a), query: a.pageQuery, view: .list(Columns.secret), followPages: a.flag("all"))
        },
        Command(path: ["secret", "delete"], summary: "Delete a built-in secret with all its versions.",
                options: [("workspace", "Workspace id*"), ("project", "The project's store instead of the workspace's"), ("name", "The secret's name*")],
                flags: [("yes", "Do not ask for confirmation")]) { a in
            let name = try a.required("name")
            return APIRequest(method: "DELETE", path: try builtinSecretsPath(a), query: [("name", name)],
                              view: .resource([.init("DELETED", "deleted"), .init("VERSIONS", "versions")]),
                              confirmation: "Delete '\(name)' and all its versions? References to it stop resolving.")
        },
        Command(path: ["secrets-management", "cache", "invalidate"],
                summary: "Drop cached secrets so the next resolution reads the secrets manager: the workspace's, one project's (--project), or one secret's (--secret).",
                options: [("workspace", "Workspace id*"), ("project", "Only this project"), ("secret", "Only this secret (name or ARN)")]) { a in
            var body: [String: Any] = [:]
            if let secret = a.value("secret") { body["secret"] = secret }
            return APIRequest(method: "POST", path: "\(try secretsPath(a, project: try a.positiveID("project")))/cache/invalidate", body: body,
                              view: .resource([.init("STORES", "store_ids"), .init("ENTRIES DROPPED", "entries_dropped")]))
        },
        Command(path: ["reference", "check"],
                summary: "Check that a reference (secret:NAME[#key][?stage=…]) resolves in the project's store now, without showing the value.",
                positionals: ["reference"], options: [("workspace", "Workspace id*"), ("project", "Project id*")]) { a in
            APIRequest(method: "POST", path: "/v1/workspaces/\(try a.id("workspace"))/projects/\(try a.id("project"))/references/check",
                       body: ["reference": try a.positional(0, "reference")], view: .resource(Columns.referenceCheck))
        },
        Command(path: ["connection", "test"],
                summary: "Resolve a connection as at run time and test it against the real system. Exits 8 if a step fails.",
                positionals: ["connection-id"]) { a in
            APIRequest(method: "POST", path: "/v1/connections/\(try a.positionalID(0, "connection-id"))/test",
                       view: .nested("steps", Columns.check, failWhen: ("ok", "false")))
        },
        Command(path: ["connection", "resolve"],
                summary: "Print a connection's fields with its secrets in place, as JSON (runtime tokens of its project).",
                positionals: ["connection-id"], flags: [("refresh", "Read every secret from its secrets manager, not the cache")]) { a in
            APIRequest(method: "POST", path: "/v1/connections/\(try a.positionalID(0, "connection-id"))/resolve",
                       query: a.flag("refresh") ? [("refresh", "true")] : [], view: .json)
        },

        // Audit
        Command(path: ["audit", "list"], summary: "List a workspace's audit trail, newest last.",
                options: [("workspace", "Workspace id*"), ("action", "Only this action, e.g. secrets.scope.switch"),
                          ("project", "Only this project"), ("connection", "Only this connection"), ("actor", "Only this token id"),
                          ("outcome", "success or an error code"), ("since", "From this time (RFC 3339)"), ("until", "Before this time")]
                    + listOptions, flags: listFlags) { a in
            var query = a.pageQuery
            for name in ["action", "project", "connection", "actor", "outcome", "since", "until"] {
                if let value = a.value(name) { query.append((name, value)) }
            }
            return APIRequest(method: "GET", path: "/v1/workspaces/\(try a.id("workspace"))/audit", query: query,
                              view: .list(Columns.audit), followPages: a.flag("all"))
        },

        Command(path: ["audit", "head"],
                summary: "Print the audit chain's last record, signed, as JSON: keep it outside Keyward; `audit verify --head` later proves nothing before it was removed or rewritten. Without --workspace: the platform's chain.",
                options: [("workspace", "Workspace id (default: the platform's chain)")]) { a in
            APIRequest(method: "GET", path: "\(try AuditCommands.chainPath(a))/head", view: .json)
        },
        Command(path: ["audit", "verify"],
                summary: "Check the audit hash chain; with --head, also against a head kept earlier. Exits 8 and names the record where the chain breaks.",
                options: [("workspace", "Workspace id (default: the platform's chain)"), ("head", "A file written by `keyward audit head`")],
                request: { a in APIRequest(method: "POST", path: "\(try AuditCommands.chainPath(a))/verify", view: .json) },
                custom: AuditCommands.verify),
        Command(path: ["audit", "export"],
                summary: "Write the audit trail as JSON Lines (one record per line, oldest first, with seq and hashes).",
                options: [("workspace", "Workspace id (default: the platform's chain)"), ("output", "Write to this file (mode 0600) instead of standard output"),
                          ("action", "Only this action"), ("project", "Only this project"), ("connection", "Only this connection"),
                          ("actor", "Only this token id"), ("outcome", "success or an error code"), ("since", "From this time (RFC 3339)"),
                          ("until", "Before this time")],
                request: { a in APIRequest(method: "GET", path: try AuditCommands.chainPath(a), view: .json) },
                custom: AuditCommands.export),

        // Tokens
        Command(path: ["token", "create"],
                summary: "Issue an API token. Roles: operator, workspace_admin, project_admin, project_member, runtime, auditor.",
                options: [("name", "What the token is for*"), ("role", "The token's role*"),
                          ("workspace", "Workspace id (all roles but operator)"), ("project", "Project id (project roles)"),
                          ("expires-in", "Lifetime in seconds (60 to 10 years); no expiry if left out")]) { a in
            var body: [String: Any] = ["name": try a.required("name"), "role": try a.required("role")]
            if let ws = try a.positiveID("workspace") { body["workspace_id"] = ws }
            if let p = try a.positiveID("project") { body["project_id"] = p }
            if let seconds = try a.integer("expires-in", in: 1...Int(Int32.max)) { body["expires_in_seconds"] = seconds }
            return APIRequest(method: "POST", path: "/v1/tokens", body: body, view: .issuedToken)
        },
        Command(path: ["token", "list"], summary: "List the tokens you may manage, and your own.", options: listOptions, flags: listFlags) { a in
            APIRequest(method: "GET", path: "/v1/tokens", query: a.pageQuery, view: .list(Columns.token), followPages: a.flag("all"))
        },
        Command(path: ["token", "get"], summary: "Show a token's metadata.", positionals: ["token-id"]) { a in
            APIRequest(method: "GET", path: "/v1/tokens/\(try a.positional(0, "token-id"))", view: .resource(Columns.token))
        },
        Command(path: ["token", "update"], summary: "Rename a token.", positionals: ["token-id"], options: [("name", "New name*")]) { a in
            APIRequest(method: "PATCH", path: "/v1/tokens/\(try a.positional(0, "token-id"))",
                       body: ["name": try a.required("name")], view: .resource(Columns.token))
        },
        Command(path: ["token", "revoke"], summary: "Revoke a token; it stops working at once.", positionals: ["token-id"]) { a in
            APIRequest(method: "DELETE", path: "/v1/tokens/\(try a.positional(0, "token-id"))", view: .resource(Columns.token))
        },
    ]
}
