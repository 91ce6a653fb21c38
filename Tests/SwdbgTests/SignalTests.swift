import XCTest

/// Signals as WinDbg events: first and second chance, handled and unhandled, sx filters.
final class SignalTests: XCTestCase {
    func testNullDereferenceFirstThenSecondChance() throws {
        let out = try Harness.session("crash", ["g", "k", "g", "g"])
        let first = out.output(of: "g")
        XCTAssertTrue(first.contains("Access violation - code c0000005 (first chance)"), first)
        XCTAssertTrue(first.contains("Fault address: 00000000`00000000"))
        XCTAssertTrue(first.contains("crash!read_through+0x"))
        XCTAssertTrue(out.output(of: "k").contains("crash!main+0x"))
        let second = out.output(of: "g", occurrence: 1)
        XCTAssertTrue(second.contains("Access violation - code c0000005 (!!! second chance !!!)"), second)
        XCTAssertTrue(second.contains("crash!read_through+0x"), "state intact at the second chance")
        XCTAssertTrue(out.output(of: "g", occurrence: 2).contains("killed by SIGSEGV"))
    }

    func testSecondChanceOnlyFilter() throws {
        let out = try Harness.session("crash", ["sxd av", "g"])
        let stop = out.output(of: "g")
        XCTAssertTrue(stop.contains("(first chance)"), "a first-chance line is still printed")
        XCTAssertTrue(stop.contains("(!!! second chance !!!)"), stop)
    }

    func testProgramThatHandlesItsSignalRecovers() throws {
        let out = try Harness.session("handler", ["g", "g", "g"])
        XCTAssertTrue(out.output(of: "g").contains("Access violation - code c0000005 (first chance)"))
        XCTAssertTrue(out.output(of: "g").contains("Fault address: 00000000`00000008"))
        XCTAssertFalse(out.contains("second chance"))
        XCTAssertTrue(out.contains("recovered"), "the signal reached the program's handler")
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("code 7"))
    }

    func testGoHandledSwallowsTheSignal() throws {
        // gh re-executes the faulting load: the same fault comes again, as in WinDbg.
        let out = try Harness.session("handler", ["g", "gh"])
        XCTAssertTrue(out.output(of: "gh").contains("Access violation - code c0000005 (first chance)"))
        XCTAssertFalse(out.contains("recovered"))
    }

    /// The push under the breakpoint is executed by the debugger (SiteEmulation) only where
    /// the program itself could write: /proc/pid/mem would write a read-only page, the CPU
    /// faults, and so must the program under swdbg.
    func testEmulatedPushIntoAReadOnlyPageStillFaults() throws {
        let out = try Harness.session("guard", ["bp guard!pushes", "g", "g", "g"])
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"))
        let fault = out.output(of: "g", occurrence: 1)
        XCTAssertTrue(fault.contains("Access violation - code c0000005 (first chance)"), fault)
        XCTAssertTrue(fault.contains("guard!pushes ["), "the fault is at the push itself: \(fault)")
        XCTAssertTrue(out.contains("guard fault"))
        XCTAssertFalse(out.contains("no fault"))
    }

    /// Signals arriving on a breakpoint: the handler runs with the int3 in place and returns
    /// onto it, which is the same hit; a step steps over the handler, not into it.
    func testTimerSignalsDoNotDoubleCountOrDeflectSteps() throws {
        let out = try Harness.session("timer", ["sxi sigalrm", "bp timer!work+4 \"r $t0 = @$t0 + 1; gc\"", "g", "? @$t0"])
        XCTAssertTrue(out.output(of: "? @$t0").hasPrefix("Evaluate expression: 20000 = "), out.output(of: "? @$t0"))
        XCTAssertTrue(out.contains("calls=20000 "))
        let steps = try Harness.session("timer", ["sxi sigalrm", "bp timer!work", "g", "p 30"])
        XCTAssertFalse(steps.contains("timer!onalrm"), "p never stops in the signal handler")
    }

    func testProgramsOwnInt3IsABreakInstructionException() throws {
        let out = try Harness.session("int3", ["g", "g"])
        let stop = out.output(of: "g")
        XCTAssertTrue(stop.contains("Break instruction exception - code 80000003 (first chance)"), stop)
        XCTAssertTrue(stop.contains("int3!main+0x"))
        XCTAssertTrue(out.contains("after"), "g continues past the program's int3")
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("code 3"))
    }

    /// `gn` passes the int3's SIGTRAP to the program's own handler; `g` handles it.
    func testGnPassesTheProgramsInt3ToItsHandler() throws {
        let passed = try Harness.session("int3", ["g", "gn", "g"], arguments: ["handle"])
        XCTAssertTrue(passed.output(of: "g").contains("Break instruction exception"), passed)
        XCTAssertTrue(passed.contains("handler saw SIGTRAP"), passed)
        XCTAssertTrue(passed.contains("after"))
        let handled = try Harness.session("int3", ["g", "g"], arguments: ["handle"])
        XCTAssertFalse(handled.contains("handler saw SIGTRAP"), handled)
        XCTAssertTrue(handled.contains("after"))
    }

    func testIgnoredBreakInstructionRunsThrough() throws {
        let out = try Harness.session("int3", ["sxi bpe", "sxe -c \".echo filter-ran\" av", "sx", "g"])
        XCTAssertTrue(out.output(of: "sx").contains("bpe - Break instruction exception - ignore"))
        XCTAssertTrue(out.output(of: "sx").contains("av - Access violation - break - command \".echo filter-ran\""))
        XCTAssertTrue(out.output(of: "g").contains("Exit process"), out.output(of: "g"))
    }

    func testFilterCommandsRunWhenTheEventBreaks() throws {
        let out = try Harness.session("crash", ["sxe -c \".echo av-seen; gn\" av", "g"])
        XCTAssertTrue(out.contains("av-seen"))
        XCTAssertTrue(out.output(of: "g").contains("second chance"), out.output(of: "g"))
    }
}
