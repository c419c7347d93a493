import Foundation
import Synchronization

/// A clock the test moves by hand: nothing in these tests waits for time to pass.
final class ManualClock: Sendable {
    let now = Mutex(Date(timeIntervalSince1970: 1_000_000))
    func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    func read() -> Date { now.withLock { $0 } }
}
