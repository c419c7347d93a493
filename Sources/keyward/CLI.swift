import Foundation

/// The client half of `keyward`: finds the command, builds its request, sends it, prints the answer,
/// and exits with a code from `ExitCode`.
enum CLI {
    static let globalOptions = [
        ("server", "Keyward's URL (KEYWARD_SERVER, default http://127.0.0.1:8080)"),
        ("token-file", "Read the API token from this file (KEYWARD_TOKEN_FILE); KEYWARD_TOKEN takes precedence"),
        ("output", "table or json (default table)"),
    ]

    static var overview: String {
        let groups = Dictionary(grouping: CommandTable.all, by: { $0.path[0] })
        var text = """
            Keyward: secrets control plane for integration platforms.

            Usage: keyward <command> [options]

            Server:
              serve                         Run the Keyward server (see keyward serve --help)
              builtin rotate-master-key     Rotate the built-in store's master key (see keyward builtin --help)

            Client commands (each has --help):

            """
        for group in ["whoami", "workspace", "addon", "project", "connection", "secrets-management", "audit", "token"] {
            for command in groups[group] ?? [] {
                let name = command.path.joined(separator: " ")
                text += "  \(name.padding(toLength: 30, withPad: " ", startingAt: 0))\(command.summary.prefix(90))\n"
            }
        }
        text += """

            Authentication: KEYWARD_TOKEN, else --token-file / KEYWARD_TOKEN_FILE, else ./.keyward/operator-token if present.

            Exit codes: 0 success, 1 server error, 2 usage error, 3 not authenticated or not allowed,
            4 not found, 5 conflict, 6 invalid input, 7 server unreachable.
            """
        return text
    }

    static func run(_ arguments: [String]) async -> Int32 {
        guard let first = arguments.first, !["-h", "--help", "help"].contains(first) else {
            print(overview)
            return arguments.isEmpty ? ExitCode.usage : ExitCode.success
        }
        if first == "version" || first == "--version" {
            print("keyward 0.1.0")
            return ExitCode.success
        }
        guard let (command, rest) = find(arguments) else {
            CLIOutput.error("unknown command '\(arguments.prefix(2).joined(separator: " "))'; run keyward --help")
            return ExitCode.usage
        }
        let parsed: ParsedArguments
        let request: APIRequest
        do {
            let optionNames = Set(command.options.map(\.0) + globalOptions.map(\.0))
            parsed = try ParsedArguments(rest, options: optionNames, flags: Set(command.flags.map(\.0)))
            if parsed.help {
                print(command.usage)
                return ExitCode.success
            }
            guard parsed.positionals.count == command.positionals.count else {
                throw UsageError(command.positionals.isEmpty ? "this command takes no arguments"
                                 : "expected \(command.positionals.map { "<\($0)>" }.joined(separator: " "))")
            }
            request = try command.request(parsed)
        } catch {
            CLIOutput.error("\(error)\n\n\(command.usage)")
            return ExitCode.usage
        }
        do {
            let format = try outputFormat(parsed)
            let client = APIClient(server: try serverURL(parsed), token: try token(parsed))
            if let question = request.confirmation, !parsed.flag("yes") {
                guard confirm(question) else { return ExitCode.usage }
            }
            if let custom = command.custom { return try await custom(parsed, client, format) }
            return try await execute(request, client: client, format: format)
        } catch let error as UsageError {
            CLIOutput.error(error.description)
            return ExitCode.usage
        } catch let error as APIClient.Unreachable {
            CLIOutput.error(error.description)
            return ExitCode.unreachable
        } catch {
            CLIOutput.error("\(error)")
            return ExitCode.failure
        }
    }

    static func find(_ arguments: [String]) -> (Command, [String])? {
        for length in [3, 2, 1] where arguments.count >= length {
            let path = Array(arguments.prefix(length))
            if let command = CommandTable.all.first(where: { $0.path == path }) {
                return (command, Array(arguments.dropFirst(length)))
            }
        }
        return nil
    }

    static func execute(_ request: APIRequest, client: APIClient, format: OutputFormat) async throws -> Int32 {
        var query = request.query
        var items: [[String: Any]] = []
        while true {
            let response = try await client.send(request.method, request.path, query: query, body: request.body)
            guard (200..<300).contains(response.status) else {
                CLIOutput.problem(response)
                return ExitCode.forStatus(response.status)
            }
            switch request.view {
            case .deleted(let what):
                if format == .json { print("{}") } else { print("Deleted \(what).") }
                return ExitCode.success
            case .resource(let columns):
                if format == .json { CLIOutput.json(response.body) }
                else { CLIOutput.table(columns, [(response.json as? [String: Any]) ?? [:]]) }
                return ExitCode.success
            case .scopePreview:
                if format == .json { CLIOutput.json(response.body); return ExitCode.success }
                let object = response.json as? [String: Any] ?? [:]
                let breaking = object["breaking"] as? [[String: Any]] ?? []
                let restored = object["restored"] as? [[String: Any]] ?? []
                print("From \(object["from"] as? String ?? "?") to \(object["to"] as? String ?? "?") scope: \(breaking.count) reference(s) stop working, \(restored.count) work again.")
                if !breaking.isEmpty { print("\nStop working:"); CLIOutput.table(Columns.previewItem, breaking) }
                if !restored.isEmpty { print("\nWork again:"); CLIOutput.table(Columns.previewItem, restored) }
                return ExitCode.success
            case .awsSetup:
                if format == .json { CLIOutput.json(response.body); return ExitCode.success }
                let object = response.json as? [String: Any] ?? [:]
                for (label, key) in [("AWS account ID", "platform_account_id"), ("Platform principal", "platform_principal_arn"),
                                     ("External ID", "external_id"), ("Role session name", "role_session_name"),
                                     ("Region", "region"), ("Role ARN", "role_arn")] {
                    print("\(label.padding(toLength: 20, withPad: " ", startingAt: 0))\(CLIOutput.describe(object[key]))")
                }
                for (title, key) in [("Trust policy (the role's trust relationship)", "trust_policy"), ("Permission policy", "permission_policy")] {
                    print("\n\(title):")
                    CLIOutput.json(CLIOutput.pretty(object[key] ?? [:]))
                }
                for warning in object["warnings"] as? [String] ?? [] { print("\nNote: \(warning)") }
                return ExitCode.success
            case .nested(let key, let columns, let failWhen):
                let object = response.json as? [String: Any] ?? [:]
                if format == .json { CLIOutput.json(response.body) } else { CLIOutput.table(columns, object[key] as? [[String: Any]] ?? []) }
                if let (field, value) = failWhen, CLIOutput.describe(object[field]) == value { return ExitCode.secretsManager }
                return ExitCode.success
            case .json:
                CLIOutput.json(response.body)
                return ExitCode.success
            case .issuedToken:
                if format == .json { CLIOutput.json(response.body); return ExitCode.success }
                let object = response.json as? [String: Any] ?? [:]
                CLIOutput.table(Columns.token, [(object["token"] as? [String: Any]) ?? [:]])
                print("\nCopy the token now; it is not shown again:\n\n    \(object["secret"] as? String ?? "?")\n")
                return ExitCode.success
            case .list(let columns):
                let page = response.json as? [String: Any] ?? [:]
                let pageItems = page["items"] as? [[String: Any]] ?? []
                let next = page["next_cursor"] as? String
                if request.followPages, let next {
                    items += pageItems
                    query.removeAll { $0.0 == "cursor" }
                    query.append(("cursor", next))
                    continue
                }
                items += pageItems
                if format == .json {
                    if request.followPages {
                        let data = try JSONSerialization.data(withJSONObject: ["items": items, "next_cursor": NSNull()])
                        CLIOutput.json(data)
                    } else {
                        CLIOutput.json(response.body)
                    }
                } else {
                    CLIOutput.table(columns, items)
                    if let next { CLIOutput.note("More results: repeat with --cursor \(next), or use --all.") }
                }
                return ExitCode.success
            }
        }
    }

    static func outputFormat(_ parsed: ParsedArguments) throws -> OutputFormat {
        guard let text = parsed.value("output") else { return .table }
        guard let format = OutputFormat(rawValue: text) else { throw UsageError("--output must be table or json") }
        return format
    }

    static func serverURL(_ parsed: ParsedArguments) throws -> URL {
        let text = parsed.value("server") ?? ProcessInfo.processInfo.environment["KEYWARD_SERVER"] ?? "http://127.0.0.1:8080"
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw UsageError("--server must be an http:// or https:// URL, got '\(text)'")
        }
        return url
    }

    /// KEYWARD_TOKEN, else the token file named by --token-file or KEYWARD_TOKEN_FILE, else the operator
    /// token `make run` wrote, if this directory has one.
    static func token(_ parsed: ParsedArguments) throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let token = environment["KEYWARD_TOKEN"], !token.isEmpty { return token }
        if let path = parsed.value("token-file") ?? environment["KEYWARD_TOKEN_FILE"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw UsageError("cannot read the token file \(path)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let fallback = "./.keyward/operator-token"
        if let text = try? String(contentsOfFile: fallback, encoding: .utf8) {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }

    static func confirm(_ question: String) -> Bool {
        guard isatty(0) == 1 else {
            CLIOutput.error("\(question) Not confirmed: pass --yes to run this without a terminal.")
            return false
        }
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        return answer == "y" || answer == "yes"
    }
}
