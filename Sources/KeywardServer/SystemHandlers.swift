import KeywardCore
import KeywardHTTP

enum SystemHandlers {
    /// Liveness: the process is up and serving.
    static func health(_ context: RequestContext) throws -> HTTPResponse { healthy }

    /// Built once: probes call this constantly and it never changes.
    private static let healthy = HTTPResponse.json(["status": "ok"])

    /// Readiness: the database answers. A load balancer should send traffic only while this is 200.
    static func ready(_ context: RequestContext) throws -> HTTPResponse {
        do {
            try context.store.ping()
            return .json(["status": "ready"])
        } catch {
            throw KeywardError(.unavailable, code: "not_ready", title: "Not ready", detail: "The database does not answer.",
                               hint: "Check the database server and the --database setting.")
        }
    }

    /// Prometheus text format. Labels carry ids, provider kinds and error codes only, never names or values.
    static func metrics(_ context: RequestContext) throws -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                     body: Array(context.services.resolver.metrics.exposition().utf8))
    }

    static func openAPI(_ context: RequestContext) throws -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: OpenAPIDocument.json)
    }
}
