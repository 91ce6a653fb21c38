import Foundation
import XCTest

/// Attach, break, detach: the program runs on with its code bytes and its result unchanged.
final class DetachTests: XCTestCase {
    func testDetachRestoresCodeAndResult() throws {
        let program = try Harness.fixture("detach")
        let undisturbed = try Harness.run(program, ["40"], input: "").output

        let target = Process()
        target.executableURL = URL(fileURLWithPath: program)
        target.arguments = ["300"]
        let pipe = Pipe()
        target.standardOutput = pipe
        try target.run()
        usleep(100_000)
        let session = try Harness.run(Harness.swdbg, ["-p", "\(target.processIdentifier)"],
                                      input: "bp detach!work\ng\nk\n.detach\nq\n").output
        XCTAssertTrue(session.contains("Breakpoint 0 hit"), session)
        XCTAssertTrue(session.contains("detach!main+0x"), session)
        XCTAssertTrue(session.contains("Detached from process \(target.processIdentifier)"))
        target.waitUntilExit()
        let result = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(target.terminationStatus, 0)
        XCTAssertEqual(target.terminationReason, .exit)
        // 300 rounds: total = sum(3i + 1) = 3 * 44850 + 300.
        XCTAssertTrue(result.hasPrefix("total=134850 "), result)
        let checksum = { (text: String) in text.components(separatedBy: "checksum=").last ?? "" }
        XCTAssertEqual(checksum(result), checksum(undisturbed), "the code bytes are as the compiler left them")
    }

    func testQuitDetachLeavesTheProgramRunning() throws {
        let program = try Harness.fixture("detach")
        let target = Process()
        target.executableURL = URL(fileURLWithPath: program)
        target.arguments = ["100"]
        let pipe = Pipe()
        target.standardOutput = pipe
        try target.run()
        usleep(50_000)
        let session = try Harness.run(Harness.swdbg, ["-p", "\(target.processIdentifier)"], input: "bp detach!work\ng\nqd\n").output
        XCTAssertTrue(session.contains("Breakpoint 0 hit"))
        target.waitUntilExit()
        XCTAssertEqual(target.terminationStatus, 0)
        let result = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(result.hasPrefix("total=14950 "), result)
    }
}
