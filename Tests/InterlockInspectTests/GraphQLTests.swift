@testable import InterlockInspect
import XCTest

final class GraphQLTests: XCTestCase {
    func testPlaceholder() throws {
        XCTAssertEqual(try GraphQLDocument.operations("{ me { id } }").first?.fields, ["me"])
    }
}
