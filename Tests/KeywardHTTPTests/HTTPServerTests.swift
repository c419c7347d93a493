import Foundation
import KeywardCore
import Testing
@testable import KeywardHTTP

/// The server against real sockets: framing, limits, keep-alive, request ids, and shutdown.
@Suite struct HTTPServerTests {
    /// Echoes what it received, so tests can see exactly what the server handed to the responder.
    struct Echo: HTTPResponder {
        func respond(to request: HTTPRequest) -> HTTPResponse {
            let object: [String: Any] = ["method": request.method, "path": request.path, "query": request.query,
                                         "bytes": request.body.count, "request_id": request.requestID]
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(data))
        }
    }

    struct Silent: LogSink { func write(_ line: String) {} }

    func start(_ responder: any HTTPResponder = Echo(), configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        configuration.threads = 2
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, responder: responder,
                                logger: Logger(minimumLevel: .error, sink: Silent()))
        try server.start()
        return server
    }

    @Test func answersWithPathQueryAndRequestID() throws {
        let server = try start()
        defer { server.shutdown(grace: 1) }
        let connection = try RawConnection(port: server.port)
        connection.send("GET /v1/things?limit=5&name=a%20b HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try #require(connection.readResponse())
        #expect(response.status == 200)
        let json = try #require(response.json)
        #expect(json["path"] as? String == "/v1/things")
        #expect(json["query"] as? [String: String] == ["limit": "5", "name": "a b"])
        let id = try #require(response.headers["x-request-id"])
        #expect(json["request_id"] as? String == id)
        #expect(response.headers["cache-control"] == "no-store")
    }

    @Test func keepsTheClientsRequestIDOnlyWhenItIsSafe() throws {
        let server = try start()
        defer { server.shutdown(grace: 1) }
        let connection = try RawConnection(port: server.port)
        connection.send("GET / HTTP/1.1\r\nHost: x\r\nX-Request-Id: trace-42.a_b\r\n\r\n")
        #expect(connection.readResponse()?.headers["x-request-id"] == "trace-42.a_b")
        connection.send("GET / HTTP/1.1\r\nHost: x\r\nX-Request-Id: <script>\r\n\r\n")
        let replaced = connection.readResponse()?.headers["x-request-id"]
        #expect(replaced != nil && replaced != "<script>")
    }

    @Test func keepsConnectionsAliveAcrossRequests() throws {
        let server = try start()
        defer { server.shutdown(grace: 1) }
        let connection = try RawConnection(port: server.port)
        for index in 0..<20 {
            connection.send("POST /n/\(index) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            let response = try #require(connection.readResponse())
            #expect(response.status == 200)
            #expect(response.headers["connection"]?.lowercased() != "close")
            #expect(response.json?["path"] as? String == "/n/\(index)")
            #expect(response.json?["bytes"] as? Int == 2)
        }
    }

    @Test func acceptsABodyAtTheLimitAndRefusesOneByteMore() throws {
        let server = try start { $0.maxBodyBytes = 4096 }
        defer { server.shutdown(grace: 1) }
        let atLimit = try RawConnection(port: server.port)
        atLimit.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + String(repeating: "a", count: 4096))
        #expect(atLimit.readResponse()?.json?["bytes"] as? Int == 4096)

        let over = try RawConnection(port: server.port)
        over.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n" + String(repeating: "a", count: 4097))
        let refused = try #require(over.readResponse())
        #expect(refused.status == 413)
        #expect(refused.headers["content-type"] == "application/problem+json")
        #expect(refused.json?["code"] as? String == "payload_too_large")
    }

    @Test func refusesAnOversizedChunkedBodyWithoutContentLength() throws {
        let server = try start { $0.maxBodyBytes = 1024 }
        defer { server.shutdown(grace: 1) }
        let connection = try RawConnection(port: server.port)
        let chunk = String(repeating: "b", count: 800)
        connection.send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "320\r\n\(chunk)\r\n320\r\n\(chunk)\r\n0\r\n\r\n")
        #expect(connection.readResponse()?.status == 413)
    }

    @Test func refusesHugeHeadersWithoutCrashing() throws {
        let server = try start { $0.connectionMemoryBytes = 16 * 1024 }
        defer { server.shutdown(grace: 1) }
        let connection = try RawConnection(port: server.port)
        connection.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "h", count: 64 * 1024))\r\n\r\n")
        let status = connection.readResponse()?.status
        #expect(status == nil || (400..<500).contains(status!))
        // The server is still healthy.
        let next = try RawConnection(port: server.port)
        next.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(next.readResponse()?.status == 200)
    }

    @Test func closesConnectionsThatStayIdle() throws {
        let server = try start { $0.idleTimeoutSeconds = 1 }
        defer { server.shutdown(grace: 1) }
        let connection = try RawConnection(port: server.port, receiveTimeoutSeconds: 30)
        connection.send("GET / HTTP/1.1\r\nHost: x\r\n")  // headers never finished
        #expect(connection.waitForClose())
    }

    @Test func closesSlowlorisConnectionsThatNeverFinishTheirHeaders() throws {
        let server = try start {
            $0.idleTimeoutSeconds = 60
            $0.headerTimeoutSeconds = 1
        }
        defer { server.shutdown(grace: 1) }
        let connection = try RawConnection(port: server.port, receiveTimeoutSeconds: 1)
        connection.send("GET / HTTP/1.1\r\nHost: x\r\n")
        // Trickle a header byte at a time, far faster than the idle timeout, until the server hangs up.
        var closed = false
        for _ in 0..<30 where !closed {
            connection.send("X")
            closed = connection.closedWithinReceiveTimeout()
        }
        #expect(closed, "a client that never finishes its headers must be disconnected")
        // Normal clients are unaffected.
        let normal = try RawConnection(port: server.port)
        normal.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(normal.readResponse()?.status == 200)
    }

    @Test func servesManyConcurrentClients() throws {
        let server = try start()
        defer { server.shutdown(grace: 1) }
        let port = server.port
        let failures = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: 16) { worker in
            guard let connection = try? RawConnection(port: port) else { failures.add(1); return }
            for index in 0..<25 {
                connection.send("GET /w/\(worker)/\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                if connection.readResponse()?.json?["path"] as? String != "/w/\(worker)/\(index)" { failures.add(1) }
            }
        }
        #expect(failures.value == 0)
    }

    @Test func shutdownFinishesRequestsInFlightAndRefusesNewOnes() throws {
        let gate = Gate()
        let server = try start(Blocking(gate: gate))
        let port = server.port
        let inFlight = try RawConnection(port: port)
        inFlight.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        gate.entered.wait()

        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            server.shutdown(grace: 60)
            stopped.signal()
        }
        // The listener goes away before the slow request finishes.
        var refused = false
        for _ in 0..<2_000 where !refused {
            if (try? RawConnection(port: port)) == nil { refused = true } else { usleep(5_000) }
        }
        #expect(refused)
        gate.release.signal()
        #expect(inFlight.readResponse()?.status == 200)
        stopped.wait()
    }

    @Test func aRequestThatWaitsDoesNotHoldTheEventLoop() throws {
        let gate = Gate()
        // One event-loop thread: if the waiting request held it, the second request could not be answered.
        let server = try start(WaitingOnSlash(gate: gate)) { $0.threads = 1 }
        defer { server.shutdown(grace: 1) }
        let waiting = try RawConnection(port: server.port)
        waiting.send("GET /wait HTTP/1.1\r\nHost: x\r\nX-Request-Id: slow-1\r\n\r\n")
        gate.entered.wait()

        let other = try RawConnection(port: server.port)
        for index in 0..<3 {
            other.send("GET /quick/\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(other.readResponse()?.json?["path"] as? String == "/quick/\(index)")
        }
        gate.release.signal()
        let answered = try #require(waiting.readResponse())
        #expect(answered.status == 200 && answered.text == "done" && answered.headers["x-request-id"] == "slow-1")
        // The connection goes on serving after it was resumed.
        waiting.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(waiting.readResponse()?.json?["path"] as? String == "/again")
    }

    @Test func shutdownAnswersRequestsStillWaiting503() throws {
        let gate = Gate()
        let server = try start(WaitingOnSlash(gate: gate))
        let waiting = try RawConnection(port: server.port)
        waiting.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
        gate.entered.wait()
        server.shutdown(grace: 0)
        let answered = try #require(waiting.readResponse())
        #expect(answered.status == 503 && answered.json?["code"] as? String == "shutting_down")
        gate.release.signal()  // the work finishing after the stop touches nothing
    }

    /// Answers `/wait` later, after the test opens the gate; everything else now, as `Echo` does.
    struct WaitingOnSlash: HTTPResponder {
        let gate: Gate
        func respond(to request: HTTPRequest) -> HTTPResponse { Echo().respond(to: request) }
        func answer(to request: HTTPRequest) -> HTTPAnswer {
            guard request.path == "/wait" else { return .now(respond(to: request)) }
            return .later { [gate] in
                gate.entered.signal()
                gate.release.wait()
                return .text("done")
            }
        }
    }

    final class Gate: @unchecked Sendable {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
    }

    struct Blocking: HTTPResponder {
        let gate: Gate
        func respond(to request: HTTPRequest) -> HTTPResponse {
            gate.entered.signal()
            gate.release.wait()
            return .text("done")
        }
    }
}

final class Atomic: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int
    init(_ value: Int) { stored = value }
    var value: Int { lock.withLock { stored } }
    func add(_ n: Int) { lock.withLock { stored += n } }
}
