import XCTest

/// The seed lesson's user-mode half on Linux (000: tracing a TCP server's accept and send):
/// a breakpoint on accept, a conditional breakpoint on send for one connection, the stack and
/// the buffer, and wt from send down to the sendto system call.
final class SeedLessonTests: XCTestCase {
    func testTracingATCPServersAcceptAndSend() throws {
        let out = try Harness.session("tcp", ["bp libc!accept", "g", "kb 2", "bc *", "bp libc!send \".if (@rdi == 7) {} .else {gc}\"", "bl",
                                               "g", "r rdi", "da @rsi", "g", "da @rsi", "kb 2", "wt", "bc *", "g"])
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit\n"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: "kb 2").contains(" : tcp!main+0x"), out.output(of: "kb 2"))
        XCTAssertTrue(out.output(of: "bl").contains("libc!send \".if (@rdi == 7) {} .else {gc}\""), out.output(of: "bl"))
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000007", "only the second connection stops")
        XCTAssertTrue(out.output(of: "da @rsi").hasSuffix("\"hello 1.0\""), out.output(of: "da @rsi"))
        XCTAssertTrue(out.output(of: "da @rsi", occurrence: 1).hasSuffix("\"hello 1.1\""), "the next send to 6 passed: \(out.output(of: "da @rsi", occurrence: 1))")
        let trace = out.output(of: "wt")
        XCTAssertTrue(trace.hasPrefix("Tracing libc!send to return address "), trace)
        XCTAssertTrue(trace.contains("] libc!send\n"), trace)
        XCTAssertTrue(trace.contains("1 system call was executed\n\nCalls  System Call\n    1  sendto\n"), trace)
        XCTAssertTrue(trace.contains("tcp!main+0x"), trace)
        XCTAssertTrue(out.contains("served 6 7, received 54 bytes"), out)
    }
}
