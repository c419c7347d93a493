import Dispatch
import Foundation
import KeywardConnectors
import KeywardCore
import KeywardHTTP
import KeywardProviders
import KeywardServer
import KeywardStorage

/// `keyward serve`: open the store, make sure an operator exists, serve until SIGTERM or SIGINT, then
/// stop gracefully: refuse new connections, finish the requests in flight, exit 0.
enum ServeCommand {
    static let help = """
        Usage: keyward serve [options]

        Serves the Keyward API. Settings come from options, then environment variables, then defaults.

        Options:
          --listen HOST:PORT        Address to listen on (KEYWARD_LISTEN, default 127.0.0.1:8080)
          --data-dir DIR            Where the embedded database and key files live (KEYWARD_DATA_DIR, default ./.keyward)
          --database LOCATION       sqlite:PATH or postgres://USER@HOST:PORT/DB (KEYWARD_DATABASE, default sqlite:DATA_DIR/keyward.db)
          --threads N               HTTP event-loop threads (default: 2 per core, at least 4)
          --max-body-bytes N        Largest request body accepted (default 1048576)
          --connection-limit N      Most simultaneous connections (default 1024)
          --idle-timeout SECONDS    Close connections that send nothing for this long (default 30)
          --header-timeout SECONDS  Close new connections whose request head is not complete by then (default 10)
          --log-level LEVEL         debug, info, warning or error (KEYWARD_LOG_LEVEL, default info)
          --external-id-prefix P    Prefix of the AWS External IDs, P_iam_external_id_<ws>[_<project>]
                                    (KEYWARD_EXTERNAL_ID_PREFIX, default keyward)
          --audit-retention-days N  Delete audit records older than N days, hourly, keeping each chain verifiable
                                    (KEYWARD_AUDIT_RETENTION_DAYS, default: keep everything)
          --audit-access on|off     Record every resolve, test and reference check (KEYWARD_AUDIT_ACCESS, default on;
                                    off only to measure its cost: settings and token changes are always recorded)
          --connection-test-deny CIDR,...
                                    Networks connection tests may not connect to, besides link-local ones (cloud
                                    metadata), which they never reach (KEYWARD_CONNECTION_TEST_DENY; e.g. 127.0.0.0/8,::1)
          -h, --help                Show this help

        AWS: the platform identity comes from the standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
        AWS_SESSION_TOKEN, or AWS_PROFILE with ~/.aws/credentials and ~/.aws/config), the region from AWS_REGION or
        AWS_DEFAULT_REGION, endpoints from AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_SECRETS_MANAGER.
        It only ever assumes customers' roles.

        Built-in store: secrets are sealed with AES-256-GCM under per-project data keys, which the master key wraps.
        The master key comes from KEYWARD_MASTER_KEY (32 bytes, base64 or hex; several separated by commas, the current
        one first), else from DATA_DIR/master.key, created with mode 0600 on first start. Back that file up. Rotate it
        with: keyward builtin rotate-master-key.

        Metrics: GET /metrics (Prometheus). Set KEYWARD_METRICS_TOKEN to require Authorization: Bearer <it>.

        On first start Keyward creates an operator token, prints it once, and saves it to DATA_DIR/operator-token (mode 0600).
        """

    static func run(_ arguments: [String]) -> Int32 {
        let parsed: ParsedArguments
        do {
            parsed = try ParsedArguments(arguments, options: ["listen", "data-dir", "database", "threads", "max-body-bytes",
                                                              "connection-limit", "idle-timeout", "header-timeout", "log-level",
                                                              "external-id-prefix", "audit-access", "audit-retention-days",
                                                              "connection-test-deny"], flags: [])
        } catch {
            CLIOutput.error("\(error)\n\n\(help)")
            return ExitCode.usage
        }
        if parsed.help { print(help); return ExitCode.success }
        guard parsed.positionals.isEmpty else {
            CLIOutput.error("serve takes no arguments\n\n\(help)")
            return ExitCode.usage
        }
        let environment = ProcessInfo.processInfo.environment
        func setting(_ option: String, _ variable: String?) -> String? {
            parsed.value(option) ?? variable.flatMap { environment[$0] }
        }

        let levelName = setting("log-level", "KEYWARD_LOG_LEVEL") ?? "info"
        guard let level = LogLevel(name: levelName) else {
            CLIOutput.error("--log-level must be one of debug, info, warning, error")
            return ExitCode.usage
        }
        let logger = Logger(minimumLevel: level, sink: StderrLogSink())

        var configuration = HTTPServerConfiguration()
        let externalIDPrefix: ExternalIDPrefix
        do {
            externalIDPrefix = try setting("external-id-prefix", "KEYWARD_EXTERNAL_ID_PREFIX").map { try ExternalIDPrefix($0) } ?? .default
            let listen = setting("listen", "KEYWARD_LISTEN") ?? "127.0.0.1:8080"
            (configuration.host, configuration.port) = try parseListen(listen)
            if let value = try parsed.integer("threads", in: 1...256) { configuration.threads = value }
            if let value = try parsed.integer("max-body-bytes", in: 1024...(64 << 20)) { configuration.maxBodyBytes = value }
            if let value = try parsed.integer("connection-limit", in: 1...100_000) { configuration.connectionLimit = value }
            if let value = try parsed.integer("idle-timeout", in: 1...3600) { configuration.idleTimeoutSeconds = value }
            if let value = try parsed.integer("header-timeout", in: 1...600) { configuration.headerTimeoutSeconds = value }
        } catch {
            CLIOutput.error("\(error)")
            return ExitCode.usage
        }

        // Everything Keyward writes (database, WAL, key and token files) is for its own user only.
        umask(0o077)
        let dataDirectory = URL(fileURLWithPath: setting("data-dir", "KEYWARD_DATA_DIR") ?? "./.keyward")
        let location: StoreLocation
        let store: SQLStore
        do {
            try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            location = try StoreLocation(parsing: setting("database", "KEYWARD_DATABASE")
                                         ?? "sqlite:\(dataDirectory.appendingPathComponent("keyward.db").path)")
            store = try location.open(poolSize: max(4, configuration.threads * 2))
        } catch {
            logger.error("cannot open the database", [("error", .string("\(error)"))])
            return ExitCode.failure
        }

        do {
            let tokenFile = dataDirectory.appendingPathComponent("operator-token")
            if let created = try OperatorBootstrap.ensureOperator(store: store, tokenFile: tokenFile) {
                print("""

                    Keyward created the first operator token. It is shown only this once:

                        \(created.secret)

                    It is also saved in \(tokenFile.path) (mode 0600).
                    Use it with: export KEYWARD_TOKEN=$(cat \(tokenFile.path))

                    """)
                fflush(nil)
                logger.info("created the first operator token", [("token_id", .string(created.tokenID.rawValue))])
            }
        } catch {
            logger.error("cannot create the first operator token", [("error", .string("\(error)"))])
            return ExitCode.failure
        }

        let aws = AWSPlatform(processEnvironment: environment, externalIDPrefix: externalIDPrefix)
        switch Result(catching: { try aws.configuration() }) {
        case .success(let configuration):
            logger.info("AWS platform identity configured", [("source", .string(configuration.credentialSource)),
                                                             ("region", .string(configuration.region ?? "(per store)"))])
        case .failure(let error):
            logger.info("AWS is not configured; AWS Secrets Manager stores will report it", [("reason", .string("\(error)"))])
        }
        let keyring: MasterKeyring
        do {
            keyring = try MasterKeyring.load(environment: environment, file: dataDirectory.appendingPathComponent("master.key"))
        } catch {
            logger.error("cannot load the master key", [("error", .string("\(error)"))])
            return ExitCode.failure
        }
        logger.info("built-in store ready", [("master_key_id", .string(keyring.current.id)),
                                             ("source", .string(keyring.file?.path ?? "KEYWARD_MASTER_KEY"))])
        let metricsToken = environment["KEYWARD_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let auditAccess: Bool
        let retentionDays: Int?
        switch setting("audit-access", "KEYWARD_AUDIT_ACCESS") ?? "on" {
        case "on": auditAccess = true
        case "off": auditAccess = false
        default:
            CLIOutput.error("--audit-access must be on or off")
            return ExitCode.usage
        }
        do {
            retentionDays = try parsed.integer("audit-retention-days", in: 1...36_500)
                ?? environment["KEYWARD_AUDIT_RETENTION_DAYS"].map { text in
                    guard let days = Int(text), (1...36_500).contains(days) else { throw UsageError("KEYWARD_AUDIT_RETENTION_DAYS must be 1 to 36500") }
                    return days
                }
        } catch {
            CLIOutput.error("\(error)")
            return ExitCode.usage
        }
        if !auditAccess { logger.warning("secret access is not audited (--audit-access off): use this only to measure its cost") }
        var deniedNetworks: [IPNetwork] = []
        for text in (setting("connection-test-deny", "KEYWARD_CONNECTION_TEST_DENY") ?? "").split(separator: ",") {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let network = IPNetwork(trimmed) else {
                CLIOutput.error("--connection-test-deny: \(trimmed) is not a network such as 10.0.0.0/8 or fd00::/8")
                return ExitCode.usage
            }
            deniedNetworks.append(network)
        }
        let application: Application
        do {
            application = try Application(store: store, logger: logger, aws: aws,
                                          backends: [AWSSecretsManagerBackend(platform: aws), BuiltinSecretsBackend(store: store, keyring: keyring)],
                                          metricsToken: metricsToken, auditAccess: auditAccess,
                                          auditHeadKeys: keyring.derivedKeys(purpose: "audit chain heads"),
                                          auditJournal: dataDirectory.appendingPathComponent("audit.journal"),
                                          testTargets: TestTargetPolicy(denying: deniedNetworks))
        } catch {
            logger.error("cannot open the audit journal", [("error", .string("\(error)"))])
            return ExitCode.failure
        }
        if let retentionDays { AuditRetention.start(store: store, days: retentionDays, logger: logger) }
        let server = HTTPServer(configuration: configuration, responder: application, logger: logger)
        do {
            try server.start()
        } catch {
            logger.error("cannot start the HTTP server", [("error", .string("\(error)"))])
            return ExitCode.failure
        }
        logger.info("listening", [("address", .string("\(configuration.host):\(server.port)")),
                                  ("database", .string(location.redacted)), ("threads", .int(Int64(configuration.threads)))])

        waitForTerminationSignal()
        logger.info("shutting down: finishing requests in flight")
        server.shutdown(grace: 10)
        // Every answered request's records are already committed; this writes what is left and stops.
        application.stopAuditing()
        logger.info("stopped")
        return ExitCode.success
    }

    static func parseListen(_ text: String) throws -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw UsageError("--listen must be HOST:PORT, for example 127.0.0.1:8080")
        }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// Blocks until SIGTERM or SIGINT arrives.
    static func waitForTerminationSignal() {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let stop = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "keyward.signals")
        let sources = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        stop.wait()
        sources.forEach { $0.cancel() }
    }
}
