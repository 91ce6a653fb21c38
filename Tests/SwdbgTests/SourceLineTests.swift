import Foundation
import XCTest

/// DWARF line tables through libdw: `[file @ line]` in stops, stacks, bl, ln and u; source-line
/// expressions; separate debug files found by build ID.
final class SourceLineTests: XCTestCase {
    /// Oracle: eu-addr2line maps the address swdbg chose for `loop.c:15` back to line 15.
    func testSourceLineBreakpointAgreesWithAddr2line() throws {
        let program = try Harness.fixture("loop")
        let out = try Harness.session("loop", ["bp `loop.c:15`", "bl", "? `loop.c:15` - loop", "g", "r $ip == `loop!loop.c:15`"])
        XCTAssertTrue(out.output(of: "bl").contains("[\(Harness.source("loop")) @ 15]"), out.output(of: "bl"))
        let offset = out.output(of: "? `loop.c:15` - loop").components(separatedBy: "= ").last!.replacingOccurrences(of: "`", with: "")
        let oracle = try Harness.run("/usr/bin/eu-addr2line", ["-e", program, "0x" + offset], input: "").output
        XCTAssertTrue(oracle.hasPrefix(Harness.source("loop") + ":15"), "eu-addr2line says \(oracle)")
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"))
        XCTAssertTrue(out.output(of: "g").contains("[\(Harness.source("loop")) @ 15]:"))
    }

    func testLinesInLnAndTheirSwitch() throws {
        let out = try Harness.session("loop", ["ln loop!work+4", ".lines -d", "ln loop!work+4", ".lines -e", "? `nosuch.c:3`"])
        XCTAssertTrue(out.output(of: "ln loop!work+4").hasPrefix("[\(Harness.source("loop")) @ 6] ("), out.output(of: "ln loop!work+4"))
        XCTAssertEqual(out.output(of: ".lines -d"), "Line number information will not be loaded")
        XCTAssertTrue(out.output(of: "ln loop!work+4", occurrence: 1).hasPrefix("("))
        XCTAssertEqual(out.output(of: "? `nosuch.c:3`"), "Couldn't resolve error at '`nosuch.c:3`'")
    }

    /// libc's local symbols and lines come from libc6-dbg's file under /usr/lib/debug/.build-id.
    func testLibcDebugFileByBuildID() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", "k", "lmvm libc"])
        let stack = out.output(of: "k")
        XCTAssertTrue(stack.contains("libc!__libc_start_call_main+0x"), "a local symbol, only in the debug file: \(stack)")
        XCTAssertTrue(stack.contains("libc_start_call_main.h @ "), stack)
        XCTAssertTrue(out.output(of: "lmvm libc").contains("Debug file: /usr/lib/debug/.build-id/"), out.output(of: "lmvm libc"))
        XCTAssertTrue(out.output(of: "lmvm libc").contains("(dwarf)"))
    }

    /// l+t: p steps statement by statement (line-table rows: the for loop on line 15 has its
    /// initialization, condition, body and increment), never into calls; t steps into work.
    func testSourceModeStepsByStatement() throws {
        let out = try Harness.session("loop", ["l+t", "l+s", "g `loop.c:15`", "p", "p", "p 1", "t", "lsa @rip", "l-t", "p"])
        let source = Harness.source("loop")
        XCTAssertTrue(out.output(of: "g `loop.c:15`").contains(">   15:     for (int i = 0; i < iterations; i++) total += work(i);"))
        for (command, occurrence) in [("p", 0), ("p", 1), ("p 1", 0)] {
            let step = out.output(of: command, occurrence: occurrence)
            XCTAssertTrue(step.contains("[\(source) @ 15]:"), step)
            XCTAssertFalse(step.contains("loop!work"), "p steps over the call")
        }
        XCTAssertTrue(out.output(of: "t").contains("loop!work [\(source) @ 6]:"), out.output(of: "t"))
        XCTAssertTrue(out.output(of: "lsa @rip").contains(">    6: __attribute__((noinline)) int work(int value) {"))
        XCTAssertTrue(out.output(of: "p", occurrence: 2).contains("loop!work+0x1 [\(source) @ 6]:"), "l-t: one instruction again")
    }
}
