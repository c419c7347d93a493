import Dispatch
import Foundation

/// Closes connections that have not finished sending their first request's headers within a deadline.
///
/// libmicrohttpd's own timeout is an *idle* timeout: a client that trickles one header byte every few
/// seconds (slowloris) never trips it. This adds a deadline that counts from accept. It applies to the first
/// request of a connection; between keep-alive requests the idle timeout governs.
final class HeaderDeadline: @unchecked Sendable {
    /// One accepted connection; its pointer is MHD's socket context for the connection.
    final class Tracked {
        let fd: Int32
        let acceptedAt: UInt64
        var headersReceived = false
        var closing = false

        init(fd: Int32, acceptedAt: UInt64) {
            self.fd = fd
            self.acceptedAt = acceptedAt
        }
    }

    private let lock = NSLock()
    private var connections: [ObjectIdentifier: Tracked] = [:]
    private let limitNanoseconds: UInt64
    private var timer: DispatchSourceTimer?

    init(seconds: Int) {
        limitNanoseconds = UInt64(seconds) * 1_000_000_000
    }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "keyward.header-deadline"))
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in self?.sweep() }
        timer.resume()
        lock.withLock { self.timer = timer }
    }

    func stop() {
        lock.withLock {
            timer?.cancel()
            timer = nil
        }
    }

    func opened(fd: Int32) -> Tracked {
        let tracked = Tracked(fd: fd, acceptedAt: DispatchTime.now().uptimeNanoseconds)
        lock.withLock { connections[ObjectIdentifier(tracked)] = tracked }
        return tracked
    }

    func headersReceived(_ tracked: Tracked) {
        lock.withLock { tracked.headersReceived = true }
    }

    func closed(_ tracked: Tracked) {
        lock.withLock { _ = connections.removeValue(forKey: ObjectIdentifier(tracked)) }
    }

    /// Shuts down (but does not close: MHD owns the descriptor) every connection past its deadline.
    private func sweep() {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.withLock {
            for tracked in connections.values where !tracked.headersReceived && !tracked.closing
                && now - tracked.acceptedAt > limitNanoseconds {
                tracked.closing = true
                shutdown(tracked.fd, Int32(SHUT_RDWR))
            }
        }
    }
}
