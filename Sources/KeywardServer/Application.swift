import Foundation
import KeywardCore
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

    /// `metricsToken`: when set, `/metrics` answers only `Authorization: Bearer <metricsToken>`.
    public init(store: any Store, logger: Logger, aws: AWSPlatform, backends: [any SecretsBackend], cache: SecretCache = SecretCache(),
                metricsToken: String? = nil) {
        let metrics = self.metrics
        statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"].map { metrics.requests.counter($0) }
        services = Services(store: store, logger: logger, resolver: Resolver(store: store, backends: backends, cache: cache, changes: changes,
                                                                             metrics: metrics),
                            aws: aws, builtin: backends.lazy.compactMap { $0 as? BuiltinSecretsBackend }.first,
                            encodedResolutions: ReadCache(ttl: 1, changes: changes))
        authorizer = Authorizer(store: store, changes: changes, metricsToken: metricsToken)
        router = Routes.all()
    }

    let console = Console()

    /// Answers on the event loop what needs nothing slow; the rest (`Route.Waits`), and console pages,
    /// which are rare and may verify or test, are answered `.later`, off the event loop.
    public func answer(to request: HTTPRequest) -> HTTPAnswer {
        if request.path == "/console" || request.path.hasPrefix("/console/") {
            return .later { self.counted(self.console.respond(to: request, api: self.answerWaiting)) }
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
                var context = RequestContext(request: request, parameters: parameters, principal: principal,
                                             target: target, services: services)
                context.mayWait = mayWait
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

    private func problem(_ error: KeywardError, _ request: HTTPRequest) -> HTTPResponse {
        Problem.response(error, requestID: request.requestID, instance: request.path)
    }

    /// Method and path of every route, for the OpenAPI consistency test.
    var routeTable: [(method: HTTPMethod, pattern: String, operationID: String)] {
        router.entries.map { ($0.method, $0.pattern, $0.route.operationID) }
    }
}
