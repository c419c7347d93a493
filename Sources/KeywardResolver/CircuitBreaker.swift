import Foundation
import KeywardCore
import Synchronization

/// One per store: after `threshold` consecutive transient failures (unavailable, throttled) the store's
/// secrets manager is left alone for `cooldown`, so a struggling backend is not hammered by retries
/// (PEERS #10) and callers fail fast (or get a stale value). Then one trial call decides: success closes
/// the circuit, failure opens it again. Other stores are not affected (PEERS #21).
public final class CircuitBreaker: Sendable {
    public struct Policy: Sendable {
        public var threshold = 5
        public var cooldown: TimeInterval = 30
        public init() {}
    }

    enum State: Equatable {
        case closed(failures: Int)
        case open(until: Date)
        /// The cooldown is over and one trial call is in flight.
        case trial
    }

    let policy: Policy
    private let clock: @Sendable () -> Date
    private let states = Mutex<[StoreID: State]>([:])

    public init(policy: Policy = Policy(), clock: @escaping @Sendable () -> Date = Date.init) {
        self.policy = policy
        self.clock = clock
    }

    static let transient: Set<String> = ["provider_unavailable", "throttled"]

    /// Throws `provider_unavailable` while the circuit of `store` is open.
    public func admit(_ store: StoreID) throws {
        let now = clock()
        let refused: Date? = states.withLock { states in
            switch states[store] ?? .closed(failures: 0) {
            case .closed: return nil
            case .trial: return now.addingTimeInterval(1)
            case .open(let until) where until > now: return until
            case .open:
                states[store] = .trial
                return nil
            }
        }
        if let refused {
            throw KeywardError.providerUnavailable(
                "The secrets manager of store \(store) failed repeatedly; Keyward is leaving it alone until \(Timestamp.format(refused)).",
                cause: "circuit open for store \(store)")
        }
    }

    public func record(_ store: StoreID, error: KeywardError?) {
        states.withLock { states in
            guard let error, Self.transient.contains(error.code) else {
                states[store] = .closed(failures: 0)
                return
            }
            switch states[store] ?? .closed(failures: 0) {
            case .closed(let failures) where failures + 1 < policy.threshold:
                states[store] = .closed(failures: failures + 1)
            default:
                states[store] = .open(until: clock().addingTimeInterval(policy.cooldown))
            }
        }
    }

    public func reset(_ store: StoreID) {
        _ = states.withLock { $0.removeValue(forKey: store) }
    }

    public func isOpen(_ store: StoreID) -> Bool {
        states.withLock { if case .open(let until) = $0[store] { until > clock() } else { false } }
    }
}
