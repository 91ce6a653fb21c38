import Foundation
import XCTest

/// Attach, break, detach: the program runs on with its code bytes and its result unchanged.
final class DetachTests: XCTestCase {
    func testDetachRestoresCodeAndResult() throws {
        let undisturbed = try Harness.run(try Harness.fixture("detach"), ["40"], input: "").output
        let target = try Harness.start("detach", ["300"])
        let session = try Harness.run(Harness.swdbg, ["-p", "\(target.pid)"], input: "bp detach!work\ng\nk\n.detach\nq\n").output
        XCTAssertTrue(session.contains("Breakpoint 0 hit"), session)
        XCTAssertTrue(session.contains("detach!main+0x"), session)
        XCTAssertTrue(session.contains("Detached from process \(target.pid)"))
        let result = target.finish()
        XCTAssertEqual(target.process.terminationStatus, 0)
        XCTAssertEqual(target.process.terminationReason, .exit)
        // 300 rounds: total = sum(3i + 1) = 3 * 44850 + 300.
        XCTAssertTrue(result.hasPrefix("total=134850 "), result)
        let checksum = { (text: String) in text.components(separatedBy: "checksum=").last ?? "" }
        XCTAssertEqual(checksum(result), checksum(undisturbed), "the code bytes are as the compiler left them")
    }

    func testQuitDetachLeavesTheProgramRunning() throws {
        let target = try Harness.start("detach", ["100"])
        let session = try Harness.run(Harness.swdbg, ["-p", "\(target.pid)"], input: "bp detach!work\ng\nqd\n").output
        XCTAssertTrue(session.contains("Breakpoint 0 hit"))
        let result = target.finish()
        XCTAssertEqual(target.process.terminationStatus, 0)
        XCTAssertTrue(result.hasPrefix("total=14950 "), result)
    }
}
