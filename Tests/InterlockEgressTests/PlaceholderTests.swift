import XCTest
@testable import InterlockEgress

final class PlaceholderEgressTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(EgressModule.self) }
}
