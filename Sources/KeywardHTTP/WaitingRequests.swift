import CMicroHTTPD
import Foundation
import Synchronization

/// Requests whose answers wait on something slow (a secrets manager, a server a connection test reaches),
/// worked out on a pool of their own while libmicrohttpd keeps their connections suspended, so the few
/// event-loop threads go on serving everything else.
///
/// A suspended connection is resumed exactly once: by its work when it finishes, or by `resumeAll` at
/// shutdown (libmicrohttpd must not be stopped with a connection suspended), whichever comes first.
final class WaitingRequests: Sendable {
    /// One suspended request. Its fields are only touched under `WaitingRequests.pending`'s lock.
    final class Waiting: @unchecked Sendable {
        let connection: OpaquePointer
        var response: HTTPResponse?

        init(connection: OpaquePointer) { self.connection = connection }
    }

    private let pool: OperationQueue
    private let pending = Mutex<[ObjectIdentifier: Waiting]>([:])

    init(threads: Int) {
        pool = OperationQueue()
        pool.name = "keyward.http.waiting"
        pool.maxConcurrentOperationCount = max(1, threads)
    }

    /// Suspends `connection` and runs `work` on the pool; called from the access handler, the only place
    /// libmicrohttpd allows suspending.
    func start(_ work: @escaping @Sendable () -> HTTPResponse, suspending connection: OpaquePointer) -> Waiting {
        let waiting = suspend(connection)
        pool.addOperation { [self] in finish(waiting, with: work()) }
        return waiting
    }

    private func suspend(_ connection: OpaquePointer) -> Waiting {
        let waiting = Waiting(connection: connection)
        pending.withLock { $0[ObjectIdentifier(waiting)] = waiting }
        MHD_suspend_connection(connection)
        return waiting
    }

    private func finish(_ waiting: Waiting, with response: HTTPResponse) {
        pending.withLock { pending in
            // Gone when shutdown already answered it: the connection may no longer exist.
            guard pending.removeValue(forKey: ObjectIdentifier(waiting)) != nil else { return }
            waiting.response = response
            MHD_resume_connection(waiting.connection)
        }
    }

    /// The response of a resumed request, once.
    func take(_ waiting: Waiting) -> HTTPResponse? {
        pending.withLock { _ in
            defer { waiting.response = nil }
            return waiting.response
        }
    }

    /// Answers every request still waiting with `response` and resumes its connection.
    func resumeAll(with response: HTTPResponse) {
        pending.withLock { pending in
            for waiting in pending.values {
                waiting.response = response
                MHD_resume_connection(waiting.connection)
            }
            pending.removeAll()
        }
    }

    var count: Int { pending.withLock { $0.count } }
}
