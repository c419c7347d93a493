import KeywardCore
import KeywardStorage

/// The long-lived things handlers use. Built once at start-up and shared by all worker threads.
struct Services: Sendable {
    let store: any Store
    let logger: Logger
}
