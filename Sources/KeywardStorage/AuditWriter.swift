import Foundation
import KeywardCore

/// Group commit for the audit trail. Requests hand their records over and are told when they are in the
/// database; one thread writes whatever has queued up since its last commit in a single transaction, so a
/// burst of requests costs one commit, not one each. Nothing is acknowledged before it is committed: a
/// caller answers its request only after its completion ran without an error.
public final class AuditWriter: @unchecked Sendable {
    public typealias Completion = @Sendable ((any Error)?) -> Void

    private let store: any Store
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [(entries: [AuditEntry], completion: Completion)] = []
    private var queuedRecords = 0
    private var stopping = false
    private var stopped = false
    private let maximumBatch: Int

    public init(store: any Store, maximumBatch: Int = 4096) {
        self.store = store
        self.maximumBatch = maximumBatch
        let thread = Thread { [self] in run() }
        thread.name = "keyward.audit.writer"
        thread.start()
    }

    /// Queues `entries` (for one chain or several); `completion` runs on the writer's thread once they are
    /// committed, or with the error that kept them out.
    public func append(_ entries: [AuditEntry], completion: @escaping Completion) {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            completion(KeywardError(.unavailable, code: "audit_unavailable", title: "Audit trail unavailable",
                                    detail: "The server is stopping and no longer records audit entries.", hint: "Retry against another instance."))
            return
        }
        queue.append((entries, completion))
        queuedRecords += entries.count
        condition.signal()
        condition.unlock()
    }

    /// Queues `entries` and waits until they are committed.
    public func appendAndWait(_ entries: [AuditEntry]) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        append(entries) { error in
            failure.error = error
            done.signal()
        }
        done.wait()
        if let error = failure.error { throw error }
    }

    private final class FailureBox: @unchecked Sendable { var error: (any Error)? }

    /// Writes what is queued, then stops the thread; later appends fail with `audit_unavailable`.
    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    /// How long a commit may wait for more records when requests are arriving together, and how many
    /// records end that wait at once. A lone request is never held: its commit starts when it arrives.
    private let linger: TimeInterval = 0.0005
    private let lingerTarget = 64

    private func run() {
        var lastBatch = 0
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            // Under concurrent load, commits of one or two records each would cost more than the records:
            // wait a moment for the others already on their way, as PostgreSQL's commit_delay does.
            if lastBatch > 1 && !stopping {
                let deadline = Date(timeIntervalSinceNow: linger)
                while queuedRecords < lingerTarget && !stopping && condition.wait(until: deadline) {}
            }
            if queue.isEmpty && stopping {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            // Whole requests only, up to about `maximumBatch` records.
            var taken = 0, count = 0
            while taken < queue.count && (taken == 0 || count + queue[taken].entries.count <= maximumBatch) {
                count += queue[taken].entries.count
                taken += 1
            }
            let batch = Array(queue.prefix(taken))
            queue.removeFirst(taken)
            queuedRecords -= count
            lastBatch = taken
            condition.unlock()

            var error: (any Error)?
            do { try store.appendAudit(batch.flatMap(\.entries)) } catch let failure { error = failure }
            for item in batch { item.completion(error) }
        }
    }
}
