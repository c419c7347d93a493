import CMicroHTTPD
import Foundation
import KeywardCore
import Synchronization

public struct HTTPServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 asks the kernel for a free port; `HTTPServer.port` then tells which.
    public var port: UInt16 = 8080
    /// Event-loop threads: two per core (at least four) measured fastest (docs/benchmarks.md). They only
    /// run work that does not wait on anything slow; what does runs on `waitingThreads`.
    public var threads: Int = min(64, max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))
    /// At most this many requests wait on secrets managers or connection targets at once, each on its own
    /// thread with its connection suspended; more queue for a free thread.
    public var waitingThreads: Int = 64
    public var maxBodyBytes: Int = 1 << 20
    public var connectionLimit: Int = 1024
    /// Closes a connection that sends nothing (headers, body, or a next request) for this long.
    public var idleTimeoutSeconds: Int = 30
    /// Closes a new connection that has not sent a complete request head this long after it was accepted,
    /// however slowly it trickles bytes.
    public var headerTimeoutSeconds: Int = 10
    /// Per-connection memory for the request line and headers; larger headers are refused by the server.
    public var connectionMemoryBytes: Int = 16 * 1024

    public init() {}
}

public enum HTTPServerError: Error, CustomStringConvertible {
    case invalidAddress(String)
    case cannotStart(host: String, port: UInt16)

    public var description: String {
        switch self {
        case .invalidAddress(let host): "'\(host)' is not an IPv4 or IPv6 address"
        case .cannotStart(let host, let port): "cannot listen on \(host):\(port) (in use, or not permitted)"
        }
    }
}

/// The HTTP/1.1 server, on libmicrohttpd with epoll and a pool of worker threads. This file is the only
/// place that touches libmicrohttpd; everything above it sees `HTTPRequest` and `HTTPResponse`.
///
/// Each request's state lives in a retained `RequestState` whose pointer MHD carries for us between the
/// calls of one request, and which the completion callback releases.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let logger: Logger
    let requestIDs = RequestIDGenerator()
    let inFlight = Atomic<Int>(0)
    let headerDeadline: HeaderDeadline
    let waiting: WaitingRequests
    private let daemonLock = NSLock()
    private var daemon: OpaquePointer?
    public private(set) var port: UInt16 = 0

    public init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        headerDeadline = HeaderDeadline(seconds: configuration.headerTimeoutSeconds)
        waiting = WaitingRequests(threads: configuration.waitingThreads)
    }

    public func start() throws {
        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_USE_ITC.rawValue
            | MHD_ALLOW_SUSPEND_RESUME.rawValue
        let context = Unmanaged.passUnretained(self).toOpaque()
        var started: OpaquePointer?
        if configuration.host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = configuration.port.bigEndian
            guard inet_pton(AF_INET6, configuration.host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), &address.sin6_addr) == 1
            else { throw HTTPServerError.invalidAddress(configuration.host) }
            flags |= MHD_USE_IPv6.rawValue
            started = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { start(flags: flags, address: $0, context: context) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = configuration.port.bigEndian
            guard inet_pton(AF_INET, configuration.host, &address.sin_addr) == 1 else {
                throw HTTPServerError.invalidAddress(configuration.host)
            }
            started = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { start(flags: flags, address: $0, context: context) }
            }
        }
        guard let started else { throw HTTPServerError.cannotStart(host: configuration.host, port: configuration.port) }
        port = cmhd_bound_port(started)
        headerDeadline.start()
        daemonLock.withLock { daemon = started }
    }

    private func start(flags: UInt32, address: UnsafePointer<sockaddr>, context: UnsafeMutableRawPointer) -> OpaquePointer? {
        cmhd_start(flags, 0, address, accessHandler, context, requestCompleted, context, connectionNotified, context,
                   UInt32(max(1, configuration.threads)), UInt32(configuration.connectionLimit),
                   UInt32(configuration.idleTimeoutSeconds), configuration.connectionMemoryBytes)
    }

    /// Stops accepting connections at once, lets requests already being handled finish for up to
    /// `grace` seconds, then closes everything.
    public func shutdown(grace: TimeInterval = 10) {
        let taken: OpaquePointer? = daemonLock.withLock {
            defer { daemon = nil }
            return daemon
        }
        guard let running = taken else { return }
        let listener = MHD_quiesce_daemon(running)
        if listener >= 0 { close(listener) }
        let deadline = Date().addingTimeInterval(grace)
        while inFlight.load(ordering: .acquiring) > 0 && Date() < deadline {
            usleep(5_000)
        }
        let unfinished = inFlight.load(ordering: .acquiring)
        // MHD must not be stopped with a connection suspended: whatever still waits is answered 503 now.
        waiting.resumeAll(with: Problem.response(
            KeywardError(.unavailable, code: "shutting_down", title: "Shutting down",
                         detail: "The server stopped before this request finished.", hint: "Retry against another instance."),
            requestID: "", instance: ""))
        // Lets the event loop send those answers (each ends its request) before everything is closed.
        let flushed = Date().addingTimeInterval(1)
        while inFlight.load(ordering: .acquiring) > 0 && Date() < flushed {
            usleep(2_000)
        }
        MHD_stop_daemon(running)
        headerDeadline.stop()
        if unfinished > 0 {
            logger.warning("stopped with requests still running", [("requests", .int(Int64(unfinished)))])
        }
    }

    deinit { shutdown(grace: 0) }

    // MARK: - Per-request state machine

    /// One call of MHD's access handler. MHD calls it first with the headers, then once per chunk of
    /// body, then once more with no data; we answer on that last call. Answering on the first call would
    /// make MHD close the connection after the response, losing keep-alive.
    func handle(connection: OpaquePointer, url: String, method: String,
                uploadData: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
                stateSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let raw = stateSlot.pointee else {
            if let tracked = cmhd_socket_context(connection) {
                headerDeadline.headersReceived(Unmanaged<HeaderDeadline.Tracked>.fromOpaque(tracked).takeUnretainedValue())
            }
            let state = RequestState()
            _ = MHD_get_connection_values(connection, .HEADER_KIND, collectValue,
                                          Unmanaged.passUnretained(state.headerBox).toOpaque())
            if let length = state.headers["content-length"].flatMap(Int.init), length > configuration.maxBodyBytes {
                state.tooLarge = true
            }
            state.started = DispatchTime.now().uptimeNanoseconds
            stateSlot.pointee = Unmanaged.passRetained(state).toOpaque()
            inFlight.add(1, ordering: .relaxed)
            return .YES
        }
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeUnretainedValue()
        if let waited = state.waited {
            // Called again after the connection was resumed: the work that waited has its response.
            guard let response = waiting.take(waited) else { return .NO }
            return finish(response, state: state, method: method, url: url, on: connection)
        }
        let size = uploadSize.pointee
        if size > 0 {
            if !state.tooLarge {
                if state.body.count + size > configuration.maxBodyBytes {
                    state.tooLarge = true
                    state.body = []
                } else if let uploadData {
                    uploadData.withMemoryRebound(to: UInt8.self, capacity: size) {
                        state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: size))
                    }
                }
            }
            uploadSize.pointee = 0
            return .YES
        }
        // Most requests have no query: counting first saves a box and a dictionary.
        var query: [String: String] = [:]
        if MHD_get_connection_values(connection, .GET_ARGUMENT_KIND, nil, nil) > 0 {
            let queryBox = ValueBox()
            _ = MHD_get_connection_values(connection, .GET_ARGUMENT_KIND, collectValue, Unmanaged.passUnretained(queryBox).toOpaque())
            query = queryBox.values
        }
        state.requestID = requestIDs.accept(state.headers["x-request-id"])
        let request = HTTPRequest(method: method, path: url, headers: state.headers, query: query,
                                  body: state.body, requestID: state.requestID)
        let answer: HTTPAnswer = state.tooLarge
            ? .now(Problem.response(Problem.payloadTooLarge(limit: configuration.maxBodyBytes), requestID: state.requestID, instance: url))
            : responder.answer(to: request)
        switch answer {
        case .now(let response):
            return finish(response, state: state, method: method, url: url, on: connection)
        case .later(let work):
            state.waited = waiting.start(work, suspending: connection)
            return .YES
        }
    }

    private func finish(_ response: HTTPResponse, state: RequestState, method: String, url: String,
                        on connection: OpaquePointer) -> MHD_Result {
        // The fields are only built when the line will be written: this runs for every request.
        if logger.minimumLevel <= .info {
            logger.info("request", [
                ("method", .string(method)), ("path", .string(url)), ("status", .int(Int64(response.status))),
                ("duration_ms", .double(Double(DispatchTime.now().uptimeNanoseconds - state.started) / 1e6)),
                ("request_id", .string(state.requestID)),
            ])
        }
        return queue(response, requestID: state.requestID, on: connection)
    }

    private func queue(_ response: HTTPResponse, requestID: String, on connection: OpaquePointer) -> MHD_Result {
        let created = response.body.withUnsafeBytes { buffer in
            MHD_create_response_from_buffer(buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                                            .RESPMEM_MUST_COPY)
        }
        guard let mhdResponse = created else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        for (name, value) in response.headers {
            _ = MHD_add_response_header(mhdResponse, name, value)
        }
        _ = MHD_add_response_header(mhdResponse, "X-Request-Id", requestID)
        _ = MHD_add_response_header(mhdResponse, "X-Content-Type-Options", "nosniff")
        if !response.headers.contains(where: { $0.0 == "Cache-Control" }) {
            _ = MHD_add_response_header(mhdResponse, "Cache-Control", "no-store")
        }
        return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    }

    func completed(stateSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        guard let stateSlot, let raw = stateSlot.pointee else { return }
        Unmanaged<RequestState>.fromOpaque(raw).release()
        stateSlot.pointee = nil
        inFlight.subtract(1, ordering: .releasing)
    }
}

/// What we accumulate for one request between MHD's calls.
final class RequestState {
    let headerBox = ValueBox()
    var headers: [String: String] { headerBox.values }
    var body: [UInt8] = []
    var tooLarge = false
    var started: UInt64 = 0
    var requestID = ""
    /// Set while (and after) the request's answer is worked out off the event loop.
    var waited: WaitingRequests.Waiting?
}

/// Collects key/value pairs from MHD's iterator; keys are lower-cased and repeated keys joined by ", ".
final class ValueBox {
    var values: [String: String] = [:]
}

private let collectValue: MHD_KeyValueIterator = { context, _, key, value in
    guard let context, let key else { return .YES }
    let box = Unmanaged<ValueBox>.fromOpaque(context).takeUnretainedValue()
    // Header names are ASCII: lower-case them bytewise (String.lowercased() is Unicode-aware and slow).
    let name = String(unsafeUninitializedCapacity: strlen(key)) { buffer in
        var count = 0
        var pointer = key
        while pointer.pointee != 0 {
            let byte = UInt8(bitPattern: pointer.pointee)
            buffer[count] = byte >= 65 && byte <= 90 ? byte + 32 : byte
            count += 1
            pointer += 1
        }
        return count
    }
    let text = value.map { String(cString: $0) } ?? ""
    if let existing = box.values[name] { box.values[name] = existing + ", " + text } else { box.values[name] = text }
    return .YES
}

private let accessHandler: MHD_AccessHandlerCallback = { context, connection, url, method, _, uploadData, uploadSize, stateSlot in
    guard let context, let connection, let url, let method, let uploadSize, let stateSlot else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    return server.handle(connection: connection, url: String(cString: url), method: String(cString: method),
                         uploadData: uploadData, uploadSize: uploadSize, stateSlot: stateSlot)
}

/// Tracks each connection from accept to close for the header deadline.
private let connectionNotified: MHD_NotifyConnectionCallback = { context, connection, socketContext, event in
    guard let context, let connection, let socketContext else { return }
    let deadline = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue().headerDeadline
    switch event {
    case .CONNECTION_NOTIFY_STARTED:
        let tracked = deadline.opened(fd: cmhd_connection_fd(connection))
        socketContext.pointee = Unmanaged.passRetained(tracked).toOpaque()
    case .CONNECTION_NOTIFY_CLOSED:
        guard let raw = socketContext.pointee else { return }
        let tracked = Unmanaged<HeaderDeadline.Tracked>.fromOpaque(raw)
        deadline.closed(tracked.takeUnretainedValue())
        tracked.release()
        socketContext.pointee = nil
    default:
        break
    }
}

private let requestCompleted: MHD_RequestCompletedCallback = { context, _, stateSlot, _ in
    guard let context else { return }
    Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue().completed(stateSlot: stateSlot)
}
