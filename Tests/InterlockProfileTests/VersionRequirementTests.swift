import XCTest
@testable import InterlockProfile

final class VersionRequirementTests: ProfileTestCase {
    func testParsing() {
        XCTAssertEqual(VersionRequirement(parsing: ">= 0.3")?.minimum, [0, 3, 0])
        XCTAssertEqual(VersionRequirement(parsing: ">=0.3.1")?.minimum, [0, 3, 1])
        XCTAssertEqual(VersionRequirement(parsing: "  >=  1.20.3  ")?.minimum, [1, 20, 3])
        XCTAssertEqual(VersionRequirement(parsing: ">= 0.3")?.description, ">= 0.3.0")
        for bad in ["", ">=", ">= ", "0.3", "> 0.3", "<= 0.3", "== 0.3", ">= 1", ">= 1.2.3.4", ">= 1..2", ">= .1",
                    ">= 1.x", ">= -1.0", ">= +1.0", ">= 1.0-beta", ">= 1234567890.0", ">= ０.3", ">= 1.0 || 2.0"] {
            XCTAssertNil(VersionRequirement(parsing: bad), bad)
        }
    }

    func testComparison() throws {
        let requirement = try XCTUnwrap(VersionRequirement(parsing: ">= 0.6"))
        XCTAssertTrue(requirement.isSatisfied(by: "0.6.0"))
        XCTAssertTrue(requirement.isSatisfied(by: "0.6.1"))
        XCTAssertTrue(requirement.isSatisfied(by: "0.10.0"))
        XCTAssertTrue(requirement.isSatisfied(by: "1.0.0"))
        XCTAssertFalse(requirement.isSatisfied(by: "0.5.9"))
        XCTAssertFalse(requirement.isSatisfied(by: "not a version"))
        let patch = try XCTUnwrap(VersionRequirement(parsing: ">= 0.6.2"))
        XCTAssertFalse(patch.isSatisfied(by: "0.6.1"))
        XCTAssertTrue(patch.isSatisfied(by: "0.6.2"))
    }

    func testCurrentVersionSatisfiesItself() throws {
        let requirement = try XCTUnwrap(VersionRequirement(parsing: ">= " + InterlockVersion.current))
        XCTAssertTrue(requirement.isSatisfied(by: InterlockVersion.current))
        XCTAssertTrue(InterlockVersion.description.hasPrefix(InterlockVersion.current))
    }

    func testProfileRequiringThisVersionLoads() throws {
        let path = try dir.write("p.toml", "requires = \">= 0.1\"\n[limits]\npids = 100\n")
        XCTAssertEqual(try ProfileLoader.load(reference: path, searchFrom: dir.path, environment: nil).limits.pids, 100)
    }

    func testProfileRequiringAFutureVersionIsRefused() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("# for the next release\nrequires = \">= 999.0\"\n"),
                       "\(p):2: requires: this profile requires Interlock >= 999.0.0; this is \(InterlockVersion.current): upgrade Interlock to use it")
    }

    func testInvalidRequirement() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("requires = \"0.3\"\n"),
                       "\(p):1: requires: invalid version requirement '0.3'; use \">= X.Y\" or \">= X.Y.Z\"")
        XCTAssertEqual(try errorText("requires = 3\n"), "\(p):1: requires: expected a string, found integer")
    }

    /// An extended profile's requirement is checked too, in its own file.
    func testRequirementInAnExtendedProfile() throws {
        let base = try dir.write("base.toml", "requires = \">= 999.1\"\n")
        XCTAssertEqual(try errorText("extends = \"base.toml\"\n"),
                       "\(base):1: requires: this profile requires Interlock >= 999.1.0; this is \(InterlockVersion.current): upgrade Interlock to use it")
    }
}
