import Foundation
import KeywardConnectors
import KeywardCore
import KeywardCrypto
import KeywardHTTP
import KeywardProviders
import KeywardResolver
import KeywardStorage

/// The Keyward API as an `HTTPResponder`: route, authorize, handle, and turn every failure into a
/// problem+json response. This is the whole request pipeline; handlers only do their one job.
public final class Application: HTTPResponder {
    let router: Router<Route>
    let services: Services
    let authorizer: Authorizer

    /// Moves forward after every write request, emptying the short-lived read caches of authentication,
    /// authorization and resolution.
    let changes = ChangeCounter()

    let metrics = Metrics()
    /// Requests by status class, looked up once: counted on every request.
    private let statusClasses: [Counter]

    /// Whether secret access (resolve, test, check) is recorded; settings changes, token changes and
    /// sign-ins always are.
    let auditsAccess: Bool

    /// `metricsToken`: when set, `/metrics` answers only `Authorization: Bearer <metricsToken>`.
    /// `auditAccess`: false only to measure what recording every secret access costs (bench/).
    /// `auditHeadKeys`: keys that sign exported audit chain heads (the first) and verify them (any); derived
    /// from the master key by `keyward serve`. Without them a key is made for this process only.
    /// `auditJournal`: this server's audit journal file (see `AuditJournal`); opening it replays what a
    /// previous run left in it.
    /// `testTargets`: where connection tests may connect (see `TestTargetPolicy`).
    public init(store: any Store, logger: Logger, aws: AWSPlatform, backends: [any SecretsBackend], cache: SecretCache = SecretCache(),
                metricsToken: String? = nil, auditAccess: Bool = true, auditHeadKeys: [[UInt8]] = [], auditJournal: URL,
                testTargets: TestTargetPolicy = TestTargetPolicy()) throws {
        let journal = try AuditJournal(file: auditJournal, store: store, logger: logger)
        auditsAccess = auditAccess
        let metrics = self.metrics
        statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"].map { metrics.requests.counter($0) }
        services = Services(store: store, logger: logger, resolver: Resolver(store: store, backends: backends, cache: cache, changes: changes,
                                                                             metrics: metrics),
                            aws: aws, builtin: backends.lazy.compactMap { $0 as? BuiltinSecretsBackend }.first,
                            encodedResolutions: ReadCache(ttl: 1, changes: changes),
                            auditSigner: AuditHeadSigner(keys: auditHeadKeys.isEmpty ? [SecureRandom.bytes(32)] : auditHeadKeys),
                            auditJournal: journal, testTargets: testTargets)
        authorizer = Authorizer(store: store, changes: changes, metricsToken: metricsToken)
        router = Routes.all()
    }

    let console = Console()

    /// Where requests' records go before they are answered; it moves them into the trail in group commits.
    var auditJournal: AuditJournal { services.auditJournal }

    deinit { auditJournal.stop() }

    /// Moves the audit records still queued into the trail and stops: after the HTTP server stopped.
    public func stopAuditing() { auditJournal.stop() }

    /// Answers on the event loop what needs nothing slow; the rest (`Route.Waits`), and console pages,
    /// which are rare and may verify or test, are answered `.later`, off the event loop.
    public func answer(to request: HTTPRequest) -> HTTPAnswer {
        if request.path == "/console" || request.path.hasPrefix("/console/") {
            return .later { self.counted(self.console.respond(to: request, api: self.answerWaiting, audit: self.recordSignIn)) }
        }
        if let response = answer(request, mayWait: false) { return .now(counted(response)) }
        return .later { self.counted(self.answerWaiting(request)) }
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse { answer(to: request).response() }

    private func counted(_ response: HTTPResponse) -> HTTPResponse {
        statusClasses[min(4, max(0, response.status / 100 - 1))].increment()
        return response
    }

    private func answerWaiting(_ request: HTTPRequest) -> HTTPResponse {
        answer(request, mayWait: true) ?? problem(.internalError("a handler asked to wait where waiting is allowed"), request)
    }

    /// The response; nil only when `mayWait` is false and answering would wait.
    private func answer(_ request: HTTPRequest, mayWait: Bool) -> HTTPResponse? {
        let audit = RequestAudit(recordsAccess: auditsAccess)
        guard let response = response(request, mayWait: mayWait, audit: audit) else { return nil }
        // Acknowledged means recorded: the response goes out only once its records are in the journal.
        do {
            try auditJournal.append(audit.entries)
        } catch {
            services.logger.error("audit records not written; request answered 503", [
                ("request_id", .string(request.requestID)), ("error", .string("\(error)")),
            ])
            return problem(KeywardError(.unavailable, code: "audit_unavailable", title: "Audit trail unavailable",
                                        detail: "The request's audit record could not be written, so its answer is withheld.",
                                        hint: "Retry shortly; an operator should check the disk the data directory is on."), request)
        }
        return response
    }

    private func response(_ request: HTTPRequest, mayWait: Bool, audit: RequestAudit) -> HTTPResponse? {
        // HEAD is GET without a body; the server drops the body.
        let method = request.method == "HEAD" ? "GET" : request.method
        do {
            switch router.match(method: method, path: request.path) {
            case .notFound:
                throw Problem.notFound
            case .methodNotAllowed(let allowed):
                var response = problem(Problem.methodNotAllowed(allowed), request)
                response.headers.append(("Allow", allowed.map(\.rawValue).joined(separator: ", ")))
                return response
            case .found(let route, let parameters, _):
                if !mayWait && route.waits == .always { return nil }
                // Whatever the answer, a route that may change state empties the read caches after it ran.
                defer { if route.changesState { changes.bump() } }
                let (principal, target) = try authorizer.authorize(route.access, request, parameters)
                // A change writes its own audit record in its transaction: what was recorded before it goes
                // into the chain first, so the chain keeps the order things happened in. Only once the caller
                // is authorized: an anonymous request must not make the event loop wait.
                if route.changesState { auditJournal.flush() }
                let context = RequestContext(request: request, parameters: parameters, principal: principal,
                                             target: target, services: services, mayWait: mayWait, audit: audit)
                return try route.handler(context)
            }
        } catch is Resolver.WouldWait {
            return nil
        } catch let error as KeywardError {
            if error.kind == .internalError || error.kind == .unavailable {
                services.logger.error("request failed", [
                    ("code", .string(error.code)), ("request_id", .string(request.requestID)),
                    ("cause", .string(error.internalCause ?? error.detail)),
                ])
            }
            return problem(error, request)
        } catch {
            services.logger.error("unexpected error", [("request_id", .string(request.requestID)), ("error", .string("\(type(of: error))"))])
            return problem(.internalError(), request)
        }
    }

    /// A console sign-in or sign-out, in the chain of the token's workspace (the platform's for operators).
    /// A token whose id is unknown cannot be attributed to anyone and is only logged.
    private func recordSignIn(_ action: AuditAction, token: String, outcome: String, requestID: String) {
        guard let (id, _) = TokenSecrets.parse(token), let credential = try? services.store.credential(for: id) else {
            services.logger.warning("console sign-in with an unknown token", [("request_id", .string(requestID))])
            return
        }
        let token = credential.token
        let entry = AuditEntry(workspaceID: token.auditWorkspace, actor: Actor(tokenID: id, role: token.role, requestID: requestID),
                               action: action, projectID: token.scope.projectID, outcome: outcome)
        do { try auditJournal.append([entry]) } catch {
            services.logger.error("audit record of a sign-in not written", [("request_id", .string(requestID)), ("error", .string("\(error)"))])
        }
    }

    private func problem(_ error: KeywardError, _ request: HTTPRequest) -> HTTPResponse {
        Problem.response(error, requestID: request.requestID, instance: request.path)
    }

    /// Method and path of every route, for the OpenAPI consistency test.
    var routeTable: [(method: HTTPMethod, pattern: String, operationID: String)] {
        router.entries.map { ($0.method, $0.pattern, $0.route.operationID) }
    }
}
