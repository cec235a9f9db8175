import XCTest
@testable import InterlockSecrets

final class PlaceholderSecretsTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(SecretsModule.self) }
}
