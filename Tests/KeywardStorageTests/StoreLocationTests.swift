import KeywardCore
import XCTest
@testable import KeywardStorage

final class StoreLocationTests: XCTestCase {
    func testParsesEngines() throws {
        XCTAssertEqual(try StoreLocation(parsing: "sqlite:./.keyward/keyward.db"), .sqlite(path: "./.keyward/keyward.db"))
        XCTAssertEqual(try StoreLocation(parsing: "/var/lib/keyward.db"), .sqlite(path: "/var/lib/keyward.db"))
        XCTAssertEqual(try StoreLocation(parsing: "postgres://u@h:5432/d"), .postgres(url: "postgres://u@h:5432/d"))
        XCTAssertEqual(try StoreLocation(parsing: "postgresql://u@h/d"), .postgres(url: "postgresql://u@h/d"))
    }

    func testRejectsUnknownSchemes() {
        for text in ["mysql://x", "sqlite:", ""] {
            XCTAssertThrowsError(try StoreLocation(parsing: text)) { error in
                XCTAssertEqual((error as? KeywardError)?.code, "invalid_database")
            }
        }
    }

    func testRedactsPasswords() {
        XCTAssertEqual(StoreLocation.postgres(url: "postgres://u:hunter2@h:5432/d?password=x").redacted, "postgres://u:***@h:5432/d")
    }

    func testPlaceholdersAreNumberedOutsideLiterals() {
        XCTAssertEqual(PostgresConnection.numberPlaceholders("SELECT '?' , ? , ?"), "SELECT '?' , $1 , $2")
    }

    func testUnreachablePostgresFailsAtOpenWithAClearError() {
        XCTAssertThrowsError(try StoreLocation.postgres(url: "postgres://nobody@127.0.0.1:1/none?connect_timeout=2").open()) { error in
            guard case .unavailable(let message) = error as? StorageFailure else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("cannot connect"), message)
        }
    }
}
