import XCTest

/// Four threads: following clones, all-stop, ~ commands, and no missed breakpoint hits.
final class ThreadTests: XCTestCase {
    /// 4 threads × 50 calls: every hit is counted, though the breakpoint is lifted and
    /// re-planted around each step-over while other threads run.
    func testNoHitIsMissedAcrossThreads() throws {
        let out = try Harness.session("threads", ["bp threads!tick \"r $t0 = @$t0 + 1; gc\"", "g", "? @$t0"])
        XCTAssertTrue(out.output(of: "? @$t0").hasPrefix("Evaluate expression: 200 = "), out.output(of: "? @$t0"))
        XCTAssertTrue(out.contains("hits=50,50,50,50"))
    }

    /// Same count with the breakpoint on an instruction that is single-stepped, not emulated:
    /// the int3 is lifted for the step while the other threads are held.
    func testNoHitIsMissedWhenSteppingOverInsideAFunction() throws {
        let out = try Harness.session("threads", ["u threads!tick L3", "bp threads!tick+4 \"r $t0 = @$t0 + 1; gc\"", "g", "? @$t0"])
        XCTAssertTrue(out.output(of: "u threads!tick L3").contains("mov     dword ptr [rbp-4],edi"), "tick+4 is a store, stepped")
        XCTAssertTrue(out.output(of: "? @$t0").hasPrefix("Evaluate expression: 200 = "), out.output(of: "? @$t0"))
        XCTAssertTrue(out.contains("hits=50,50,50,50"))
    }

    /// Many conditional stops, then .detach: every SIGSTOP the debugger sent is accounted for,
    /// and the program finishes on its own with all its calls made.
    func testDetachAfterManyConditionalStops() throws {
        let out = try Harness.session("threads", ["bp threads!tick \".if (@$t0 == 0n100) {} .else {r $t0 = @$t0 + 1; gc}\"", "g", ".detach"])
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"))
        XCTAssertTrue(out.output(of: ".detach").contains("Detached from process"))
        XCTAssertTrue(out.contains("hits=50,50,50,50"), out)
    }

    /// Stepping over a blocking read must let the thread that unblocks it run.
    func testSteppingOverABlockingSystemCall() throws {
        let out = try Harness.session("pipe", ["g libc!read", "p 25", "g"])
        XCTAssertTrue(out.contains("got x"), out)
        XCTAssertTrue(out.output(of: "p 25").contains("libc!read+0x"), "the steps went through read")
    }

    /// A breakpoint on the `syscall` instruction itself: the step over it must not hold the
    /// writer thread (it used to deadlock).
    func testBreakpointOnABlockingSyscallInstruction() throws {
        let listing = try Harness.session("pipe", ["u libc!read L30"]).output(of: "u libc!read L30")
        let syscalls = listing.split(separator: "\n").filter { $0.contains(" syscall") }.map { String($0.split(separator: " ")[0]) }
        XCTAssertFalse(syscalls.isEmpty, listing)
        let commands = syscalls.map { "bp \($0) \"r $t0 = @$t0 + 1; gc\"" } + ["g", "? @$t0 > 0"]
        let out = try Harness.session("pipe", commands)
        XCTAssertTrue(out.contains("got x"), out)
        XCTAssertEqual(out.output(of: "? @$t0 > 0"), "Evaluate expression: 1 = 00000000`00000001")
    }

    /// `~. g`: only the current thread runs; every hit until it ends is its own, and the
    /// others are frozen (and said to be), then run when all may.
    func testRunningOneThreadFreezesTheOthers() throws {
        let out = try Harness.session("threads", ["bp threads!tick", "g", "r $t3 = @$tid", "bc *",
                                                  "bp threads!tick \"j (@$tid != @$t3) 'r $t2 = 1' ; 'r $t1 = @$t1 + 1; gc'\"",
                                                  "~. g", "? @$t2", "? @$t1", "bc *", "g"])
        XCTAssertTrue(out.output(of: "~. g").contains("threads are frozen"), out.output(of: "~. g"))
        XCTAssertEqual(out.output(of: "? @$t2"), "Evaluate expression: 0 = 00000000`00000000", "no other thread hit the breakpoint")
        XCTAssertEqual(out.output(of: "? @$t1"), "Evaluate expression: 49 = 00000000`00000031", "the thread made its other 49 calls")
        XCTAssertTrue(out.contains("hits=50,50,50,50"), out)
    }

    func testSuspendCounts() throws {
        let out = try Harness.session("threads", ["bp threads!tick", "g", "~. n", "~.", "~. m", "~.", "~. m"])
        XCTAssertTrue(out.output(of: "~.").contains("Suspend: 2 Teb: "), "the debugger's own suspension counts one")
        XCTAssertTrue(out.output(of: "~.", occurrence: 1).contains("Suspend: 1 Teb: "))
        XCTAssertTrue(out.output(of: "~. m", occurrence: 1).contains("not suspended"))
    }

    func testThreadListSwitchAndStacks() throws {
        let out = try Harness.session("threads", ["bp threads!tick", "g", "~", "~0s", "~", "~#", "~*k", "~1 r rip"])
        let list = out.output(of: "~")
        XCTAssertGreaterThanOrEqual(list.count(of: "  Id: "), 2, list)
        XCTAssertEqual(list.components(separatedBy: "\n").filter { $0.hasPrefix(".") }.count, 1, "one current thread")
        XCTAssertTrue(out.contains("0:000> ~*k"), "~0s made thread 0 current")
        let after = out.output(of: "~", occurrence: 1)
        XCTAssertEqual(after.components(separatedBy: "\n").filter { $0.hasPrefix("#") }.count, 1, "# marks the breakpoint's thread: \(after)")
        XCTAssertFalse(out.output(of: "~#").hasPrefix("."), "~# is the event thread, not the current one")
        let stacks = out.output(of: "~*k")
        XCTAssertTrue(stacks.contains("threads!tick"), stacks)
        XCTAssertTrue(stacks.contains("threads!worker+0x"), stacks)
    }

    func testThreadSpecificBreakpoint() throws {
        let out = try Harness.session("threads", ["bp threads!tick", "g", "~", "bc *", "~. bp threads!tick \"r $t1 = @$t1 + 1; gc\"", "g", "? @$t1"])
        XCTAssertTrue(out.output(of: "? @$t1").hasPrefix("Evaluate expression: 49 = "), "the current thread's remaining 49 calls only: \(out.output(of: "? @$t1"))")
    }

    func testFreezeKeepsAThreadStopped() throws {
        let out = try Harness.session("threads", ["bp threads!tick", "g", "~. f", "~", "~. u", "~"])
        XCTAssertTrue(out.output(of: "~").contains("Frozen"))
        XCTAssertFalse(out.output(of: "~", occurrence: 1).contains(" Frozen"))
    }

    func testEveryThreadRunsACommand() throws {
        let out = try Harness.session("threads", ["bp threads!tick", "g", "~*e .echo each"])
        let count = out.output(of: "~*e .echo each").count(of: "each")
        XCTAssertGreaterThanOrEqual(count, 2)
    }

    /// Wherever the main thread is stopped while it creates and joins threads (inside glibc's
    /// clone3 after its syscall, where no CFI reaches, among others), its stack reaches main.
    func testMainThreadStackReachesMainWhileCreatingThreads() throws {
        let commands = ["bp threads!tick"] + (0..<12).flatMap { _ in ["g", "~0k"] }
        let out = try Harness.session("threads", commands)
        var checked = 0
        for occurrence in 0..<12 {
            let stack = out.output(of: "~0k", occurrence: occurrence)
            guard !stack.isEmpty else { continue }
            XCTAssertTrue(stack.contains("threads!main+0x"), stack)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 6, out)
    }
}
