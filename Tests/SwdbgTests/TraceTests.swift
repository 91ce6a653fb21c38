import Foundation
import XCTest

/// `wt`: the call tree of a traced function, with counts checked against single-stepping
/// (gdb's `stepi` loop) and objdump's listing of a straight-line function.
final class TraceTests: XCTestCase {
    /// How many instructions gdb single-steps from `function`'s first instruction to its return.
    private func singleStepCount(_ program: String, _ function: String) throws -> Int {
        let script = Harness.fixtureDirectory + "/count-\(function).gdb"
        try """
        set pagination off
        break *\(function)
        run
        set $n = 0
        set $ret = *(long*)$sp
        while $pc != $ret
        stepi
        set $n = $n + 1
        end
        print $n
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-x", script, program], input: "").output
        guard let line = gdb.split(separator: "\n").last(where: { $0.hasPrefix("$1 = ") }), let count = Int(line.dropFirst(5)) else {
            throw HarnessError("gdb gave no count: \(gdb)")
        }
        return count
    }

    /// The total `wt` reports.
    private func tracedCount(_ output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains(" instructions were executed in ") }) else { return nil }
        return Int(line.prefix { $0.isNumber })
    }

    func testCallTreeAndCountsMatchSingleStepping() throws {
        for flags in [["-O0"], ["-O2"]] {
            let program = try Harness.fixture("trace", flags: flags)
            let out = try Harness.session(program: program, ["bp trace!middle", "g", "wt"])
            let trace = out.output(of: "wt")
            XCTAssertTrue(trace.hasPrefix("Tracing trace!middle to return address "), trace)
            XCTAssertEqual(tracedCount(trace), try singleStepCount(program, "middle"), "\(flags): \(trace)")
            XCTAssertTrue(trace.contains("] trace!middle\n"), trace)
            XCTAssertTrue(trace.contains("[  1]   trace!leaf\n"), "a call one level down is indented: \(trace)")
            XCTAssertTrue(trace.contains("[  1]   trace!pick\n"), "the jump table's function: \(trace)")
            XCTAssertTrue(trace.contains("[  1]   trace!fill\n"), trace)
            XCTAssertTrue(trace.contains("Function Name                               Invocations MinInst MaxInst AvgInst\n"), trace)
            XCTAssertTrue(trace.contains("0 system calls were executed"), trace)
            XCTAssertTrue(trace.contains("\ntrace!main+0x"), "it stops at the return address: \(trace)")
            // leaf runs 4 times in the loop and once through the function pointer.
            let leaf = trace.split(separator: "\n").first { $0.hasPrefix("trace!leaf ") }.map { $0.split(separator: " ").dropFirst().map(String.init) }
            XCTAssertEqual(leaf?.first, "5", trace)
            if flags == ["-O0"] {
                XCTAssertTrue(trace.contains("    9     0 [  4]         trace!depth\n"), "recursion four deep: \(trace)")
                // A straight-line function: every instruction objdump lists runs once.
                let listing = try Harness.run("/usr/bin/objdump", ["-d", "--no-show-raw-insn", "--disassemble=leaf", program], input: "").output
                let instructions = listing.split(separator: "\n").filter { $0.hasPrefix("    ") && $0.contains(":\t") }.count
                XCTAssertEqual(leaf, ["5", String(instructions), String(instructions), String(instructions)], listing)
            }
        }
    }

    /// The seed lesson: `wt` from `send` down to the `syscall` instruction.
    func testSendDownToItsSystemCall() throws {
        let out = try Harness.session("sockets", ["bp libc!send", "g", "wt"])
        let trace = out.output(of: "wt")
        XCTAssertTrue(trace.hasPrefix("Tracing libc!send to return address "), trace)
        XCTAssertTrue(trace.contains("1 system call was executed\n\nCalls  System Call\n    1  sendto\n"), trace)
        XCTAssertTrue(trace.contains("sockets!main+0x"), trace)
    }

    func testDepthModuleAndDisplayOptions() throws {
        let out = try Harness.session("trace", ["bp trace!main", "g", "wt -l 1 -or", "bc *", ".restart", "bp trace!middle", "g", "wt -nc",
                                                 "bc *", ".restart", "bp trace!noisy", "g", "wt -m trace", ".restart", "g", "wt -m trace -ni -ns"])
        let shallow = out.output(of: "wt -l 1 -or")
        XCTAssertTrue(shallow.contains("[  1]   trace!middle (not traced)"), shallow)
        XCTAssertTrue(shallow.contains("] trace!main rax = 0\n"), "main returns 0: \(shallow)")
        XCTAssertFalse(shallow.contains("trace!leaf"), "nothing below depth 1 is traced: \(shallow)")
        let quiet = out.output(of: "wt -nc")
        XCTAssertFalse(quiet.contains("[  0]"), quiet)
        XCTAssertTrue(quiet.contains("trace!leaf                                            5"), quiet)
        let module = out.output(of: "wt -m trace")
        // write's PLT stub goes through the loader's lazy binding into libc: none of it traced.
        let calls = module.split(separator: "\n").filter { $0.range(of: #"^ *\d+ +\d+ \[ *\d+\] "#, options: .regularExpression) != nil }
        let outside = calls.filter { !$0.contains("] trace!") && !$0.contains("]   trace!") }
        XCTAssertFalse(outside.isEmpty, module)
        XCTAssertTrue(outside.allSatisfy { $0.hasSuffix(" (not traced)") }, module)
        XCTAssertTrue(module.contains("0 system calls were executed"), "write ran untraced: \(module)")
        let bare = out.output(of: "wt -m trace -ni -ns")
        XCTAssertFalse(bare.contains("not traced"), bare)
        XCTAssertFalse(bare.contains("Function Name"), bare)
        XCTAssertTrue(bare.contains("] trace!noisy\n"), bare)
    }

    /// A breakpoint inside the traced call interrupts the trace; `gc` goes on with it and the
    /// count comes out the same.
    func testABreakpointInterruptsTheTraceAndGcFinishesIt() throws {
        let out = try Harness.session("trace", ["bp trace!middle", "g", "bp trace!depth", "wt", "gc", "bd 1", "gc"])
        XCTAssertTrue(out.output(of: "wt").contains("Breakpoint 1 hit"), out.output(of: "wt"))
        XCTAssertTrue(out.output(of: "wt").contains("wt: interrupted after "), out.output(of: "wt"))
        XCTAssertTrue(out.output(of: "gc").contains("Breakpoint 1 hit"), "the recursion hits it again: \(out.output(of: "gc"))")
        let finished = out.output(of: "gc", occurrence: 1)
        XCTAssertEqual(tracedCount(finished), try singleStepCount(try Harness.fixture("trace"), "middle"), finished)
    }

    func testNotAtAFunctionStartItIsAStepAndBadInputIsRefused() throws {
        let out = try Harness.session("trace", ["bp trace!middle", "g", "p", "wt", "wt -x", "wt -l", "wt -m", "r rip", ".kill", "wt"])
        let step = out.output(of: "wt")
        XCTAssertFalse(step.contains("Tracing"), "one step, as p: \(step)")
        XCTAssertTrue(step.contains("trace!middle+0x"), step)
        XCTAssertTrue(out.output(of: "wt", occurrence: 1).contains("No runnable debuggees"), out.output(of: "wt", occurrence: 1))
        XCTAssertTrue(out.output(of: "wt -x").contains("Unknown wt option '-x'"))
        XCTAssertTrue(out.output(of: "wt -l").contains("wt -l takes a depth"))
        XCTAssertTrue(out.output(of: "wt -m").contains("wt -m takes a module name"))
        XCTAssertTrue(out.output(of: "r rip").hasPrefix("rip="), "the session goes on")
    }
}
