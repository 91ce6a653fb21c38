import Foundation
import XCTest

/// `ba`: debug registers on every thread, hits reported after the access as WinDbg does, and
/// nothing left armed after a detach.
final class HardwareBreakpointTests: XCTestCase {
    /// The book's DataBP scenario on Linux: a write breakpoint on a variable stops at the
    /// writing instruction's successor, with its line.
    func testWriteBreakpointStopsAfterTheWritingInstruction() throws {
        let out = try Harness.session("loop", ["ba w4 loop!counter", "bl", "g", "ub @rip L1", "g", "? dwo(loop!counter)"])
        XCTAssertTrue(out.output(of: "bl").contains(" e Disable Clear  ") && out.output(of: "bl").contains(" w 4 0001 (0001)  0:**** loop!counter"), out.output(of: "bl"))
        let hit = out.output(of: "g")
        XCTAssertTrue(hit.hasPrefix("Breakpoint 0 hit"), hit)
        XCTAssertTrue(hit.contains("loop!work+0x18 [\(Harness.source("loop")) @ 8]:"), "the line after the write: \(hit)")
        XCTAssertTrue(out.output(of: "ub @rip L1").contains("mov     dword ptr [loop!counter (") , out.output(of: "ub @rip L1"))
        XCTAssertTrue(out.output(of: "? dwo(loop!counter)").hasPrefix("Evaluate expression: 1 = "), "the second write stored 0+1")
    }

    func testConditionsPassCountsAndExecuteBreakpoints() throws {
        let out = try Harness.session("loop", [
            "ba w4 loop!counter \".if (dwo(loop!counter) == 0n10) {} .else {gc}\"", "g", "r edi", "bc *",
            "ba e1 loop!work 3", "g", "r edi", "bc *",
            "ba e1 loop!work \"r $t0 = @$t0 + 1; gc\"", "g", "? @$t0",
        ])
        XCTAssertEqual(out.output(of: "r edi"), "edi=00000004", "counter is 10 after work(4)")
        XCTAssertEqual(out.output(of: "r edi", occurrence: 1), "edi=00000007", "the third call after work(4): work(7)")
        XCTAssertTrue(out.output(of: "? @$t0").hasPrefix("Evaluate expression: 2 = "), "work(8) and work(9), each resumed over its own breakpoint: \(out.output(of: "? @$t0"))")
        XCTAssertTrue(out.contains("total=330 counter=45"), "the program's result is intact")
    }

    /// `t` onto an execute breakpoint whose condition is false: the debug exception comes
    /// before the instruction runs, and the step still moves one instruction (it used to
    /// report a step that stood still).
    func testStepOverAnExecuteBreakpointNotTakenMoves() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", "bc *", "ba e1 loop!work+4 \".if (0) {} .else {gc}\"", "t", "t", "t", "r rip", "t", "r rip",
                                               "? loop!work+7", "? loop!work+0xd"])
        // work: push rbp (1) · mov rbp,rsp (3) · mov [rbp-4],edi (3, at +4) · mov edx,[rip+…] (6, at +7)
        func address(_ command: String) -> String {
            "rip=" + (out.output(of: command).components(separatedBy: " = ").last ?? "").replacingOccurrences(of: "`", with: "")
        }
        XCTAssertEqual(out.output(of: "r rip"), address("? loop!work+7"))
        XCTAssertEqual(out.output(of: "r rip", occurrence: 1), address("? loop!work+0xd"))
    }

    /// A thread created after the breakpoint was set gets the debug registers too.
    func testThreadsCreatedLaterAreWatched() throws {
        let out = try Harness.session("threads", ["ba w4 threads!hits+8", "g", "~.", "?? hits[2]", "bc *", "g"])
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: "g").contains("threads!tick+0x"), out.output(of: "g"))
        XCTAssertFalse(out.output(of: "~.").hasPrefix(".  0 "), "a worker thread wrote it: \(out.output(of: "~."))")
        XCTAssertEqual(out.output(of: "?? hits[2]"), "int 0n1")
        XCTAssertTrue(out.contains("hits=50,50,50,50"))
    }

    func testBadRequestsGetWinDbgStyleErrors() throws {
        let out = try Harness.session("loop", ["ba w4 loop!counter+1", "ba i1 0x1000", "ba x4 0x1000", "ba w3 0x1000", "ba e4 loop!main", "ba w4",
                                               "ba w4 @rsp", "ba w4 @rsp+8", "ba w4 @rsp+10", "ba w4 @rsp+18", "ba w4 @rsp+20", "bl"])
        XCTAssertTrue(out.output(of: "ba w4 loop!counter+1").contains("is not aligned to its size (4)"))
        XCTAssertTrue(out.output(of: "ba i1 0x1000").contains("I/O breakpoints (ba i) need kernel mode"))
        XCTAssertTrue(out.output(of: "ba x4 0x1000").contains("Invalid access type 'x'"))
        XCTAssertTrue(out.output(of: "ba w3 0x1000").contains("Invalid size '3'"))
        XCTAssertTrue(out.output(of: "ba e4 loop!main").contains("Execute breakpoints (ba e) have size 1"))
        XCTAssertTrue(out.output(of: "ba w4").contains("ba needs an address"))
        XCTAssertTrue(out.output(of: "ba w4 @rsp+20").contains("Too many hardware breakpoints"), out.output(of: "ba w4 @rsp+20"))
        XCTAssertEqual(out.output(of: "bl").split(separator: "\n").count, 4, "the fifth was not made")
    }

    /// A debug register left armed would kill the detached program with SIGTRAP.
    func testDetachClearsTheDebugRegisters() throws {
        let target = try Harness.start("detach", ["100"])
        let session = try Harness.run(Harness.swdbg, ["-p", "\(target.pid)"], input: "ba e1 detach!work\ng\n.detach\nq\n").output
        XCTAssertTrue(session.contains("Breakpoint 0 hit"), session)
        let result = target.finish()
        XCTAssertEqual(target.process.terminationReason, .exit, result)
        XCTAssertEqual(target.process.terminationStatus, 0)
        XCTAssertTrue(result.hasPrefix("total=14950 "), result)
    }
}
