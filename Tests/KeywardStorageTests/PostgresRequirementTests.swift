import Foundation
import KeywardTestSupport
import Testing

/// Under `make test` (KEYWARD_REQUIRE_POSTGRES=1) a missing PostgreSQL server is a failure, so the
/// PostgreSQL half of the contract can never silently not run.
@Test func postgresIsConfiguredWhenRequired() {
    if ProcessInfo.processInfo.environment["KEYWARD_REQUIRE_POSTGRES"] == "1" {
        #expect(StoreEngine.postgresURL != nil, "make test must start PostgreSQL and set KEYWARD_TEST_POSTGRES_URL")
    }
}

extension StoreEngine: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}
