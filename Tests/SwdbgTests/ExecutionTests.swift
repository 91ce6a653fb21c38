import XCTest

/// Stepping and resuming: t, p, gu, pc, pt, pa, g with end addresses.
final class ExecutionTests: XCTestCase {
    /// `tc`, `tt`, `pt`, `pc` run branch to branch: the thread stops only at the end of a
    /// block, where a call or return can be.
    func testCallAndReturnSteppingRunsBranchToBranch() throws {
        let out = try Harness.session("trace", ["bp trace!middle", "g", "tc", "tt", "pt", "bc *", ".restart", "bp trace!middle", "g", "pc", "p", "pc",
                                                 "bc *", ".restart", "bp trace!middle", "g", "ph", "ph", "th", "g"])
        XCTAssertTrue(out.output(of: "tc").contains("trace!middle+0x21 [\(Harness.source("trace")) @ 30]:\n"), out.output(of: "tc"))
        XCTAssertTrue(out.output(of: "tc").contains("call    trace!leaf ("), out.output(of: "tc"))
        XCTAssertTrue(out.output(of: "tt").contains("trace!leaf+0x14 ["), "into the call, to leaf's ret: \(out.output(of: "tt"))")
        XCTAssertTrue(out.output(of: "pt").contains("trace!middle+0x94 [") && out.output(of: "pt").contains(" ret"), "over every call to middle's ret: \(out.output(of: "pt"))")
        XCTAssertTrue(out.output(of: "pc", occurrence: 1).contains("call    trace!leaf ("), "the next call after stepping over one: \(out.output(of: "pc", occurrence: 1))")
        // ph: the loop's first jmp, then its jl; th from there: the call in the loop body.
        XCTAssertTrue(out.output(of: "ph").contains(" jmp     trace!middle+0x2d ("), out.output(of: "ph"))
        XCTAssertTrue(out.output(of: "ph", occurrence: 1).contains(" jl      trace!middle+0x1c ("), out.output(of: "ph", occurrence: 1))
        XCTAssertTrue(out.output(of: "th").contains("call    trace!leaf ("), out.output(of: "th"))
        XCTAssertTrue(out.contains("done\n"), "the program ran on intact")
    }

    func testStepIntoACallAndBackOut() throws {
        // main+0x65 is the call to work in the -O0 fixture; find it with pc rather than hard-coding.
        let out = try Harness.session("loop", ["bp loop!main", "g", "pc", "t", "gu"])
        XCTAssertTrue(out.output(of: "pc").contains("call    loop!work ("), out.output(of: "pc"))
        XCTAssertTrue(out.output(of: "t").contains("loop!work [\(Harness.source("loop")) @ 6]:\n"), out.output(of: "t"))
        let back = out.output(of: "gu")
        XCTAssertTrue(back.contains("loop!main+0x"), back)
        XCTAssertFalse(back.contains("loop!work"), back)
    }

    func testStepOverACallStaysInTheCaller() throws {
        let out = try Harness.session("loop", ["bp loop!main", "g", "pc", "p", "r $ip"])
        XCTAssertTrue(out.output(of: "p").contains("loop!main+0x"), out.output(of: "p"))
        XCTAssertFalse(out.output(of: "p").contains("loop!work"))
    }

    /// `gc` resumes the way the breakpoint was reached: a `p` over the call to work goes on to
    /// its end instead of running free.
    func testGoFromConditionalFinishesAnInterruptedStep() throws {
        let out = try Harness.session("loop", ["bp loop!main", "g", "pc", "bp loop!work \".echo in work; gc\"", "p", "r rdi"])
        let step = out.output(of: "p")
        XCTAssertTrue(step.hasPrefix("Breakpoint 1 hit\nin work\n"), "the header comes with the command's output: \(step)")
        XCTAssertTrue(step.contains("loop!main+0x6a"), "the step over the call completed: \(step)")
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000000", "still the first call's argument")
    }

    func testStepCountAndStepToAddress() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", "t 3", "pa loop!work+0xd", "r $ip"])
        XCTAssertEqual(out.output(of: "t 3").count(of: "rip="), 3, "three steps, three register blocks")
        XCTAssertTrue(out.output(of: "pa loop!work+0xd").contains("loop!work+0xd [\(Harness.source("loop")) @ 7]:"), out.output(of: "pa loop!work+0xd"))
    }

    func testStepToReturn() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", "pt"])
        XCTAssertTrue(out.output(of: "pt").contains("ret"), out.output(of: "pt"))
    }

    func testGoToAnAddressAndFromAStartAddress() throws {
        let out = try Harness.session("loop", ["g loop!work", "r rdi", "g loop!work", "r rdi"])
        XCTAssertTrue(out.output(of: "g loop!work").contains("loop!work [\(Harness.source("loop")) @ 6]:"))
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000000")
        XCTAssertEqual(out.output(of: "r rdi", occurrence: 1), "rdi=0000000000000001")
    }

    func testFinalBreakpointAndExitCode() throws {
        let out = try Harness.session("loop", ["g", ".lastevent", "g", "g"], arguments: ["3"])
        // work(0..2) returns 0, 2, 6: total = 8, and main returns total & 0x7f.
        XCTAssertTrue(out.output(of: "g").contains("Exit process 0:"), out)
        XCTAssertTrue(out.output(of: "g").contains("code 8"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: ".lastevent").contains("Exit process"))
        XCTAssertTrue(out.output(of: "g", occurrence: 2).contains("No runnable debuggees"))
    }

    func testSkipInitialAndFinalBreakpoints() throws {
        let out = try Harness.session("loop", [], options: ["-g", "-G"])
        XCTAssertFalse(out.contains("Break instruction exception"))
        XCTAssertFalse(out.contains("Exit process 0:"))
        XCTAssertTrue(out.contains("total=330 counter=45"))
    }
}
