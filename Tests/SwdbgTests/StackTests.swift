import XCTest

/// Unwinding with CFI through optimized code and glibc, checked against gdb.
final class StackTests: XCTestCase {
    /// -O2 -fomit-frame-pointer: no rbp chain; gdb's `bt` is the oracle for the frames and return addresses.
    func testOptimizedRecursionMatchesGdb() throws {
        let program = try Harness.fixture("recurse", flags: ["-O2", "-fomit-frame-pointer"])
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break leaf", "-ex", "run", "-ex", "bt", program], input: "").output
        let gdbFrames = gdb.split(separator: "\n").filter { $0.hasPrefix("#") }
        XCTAssertEqual(gdbFrames.count, 8, gdb)
        let gdbFunctions = gdbFrames.map { line -> String in
            let words = line.split(separator: " ")
            return String(words.contains("in") ? words[words.firstIndex(of: "in")! + 1] : words[1])
        }
        let gdbReturns = gdbFrames.dropFirst().map { line in String(line.split(separator: " ")[1].dropFirst(2)) }

        let out = try Harness.session("recurse", ["bp recurse!leaf", "g", "k"], options: [])
        let frames = out.output(of: "k").split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        let ours = frames.prefix(gdbFunctions.count).map { fields -> String in
            let site = fields[3]
            let name = site.split(separator: "!")[1]
            return String(name.split(separator: "+")[0])
        }
        XCTAssertEqual(ours, gdbFunctions)
        let ourReturns = frames.prefix(gdbFunctions.count - 1).map { $0[2].replacingOccurrences(of: "`", with: "") }
        XCTAssertEqual(ourReturns.map { UInt64($0, radix: 16) }, gdbReturns.map { UInt64($0, radix: 16) })
        XCTAssertTrue(out.output(of: "k").contains("libc!__libc_start_main+0x"), "unwinds on through glibc")
    }

    func testFrameSelectionAndStackArguments() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", ".frame 1", "kb 2", "kn 1", "? @$ra", "kv 2"])
        XCTAssertTrue(out.output(of: ".frame 1").hasPrefix("01 "))
        XCTAssertTrue(out.output(of: ".frame 1").contains("loop!main+0x"))
        let kb = out.output(of: "kb 2")
        XCTAssertTrue(kb.contains(": Args to Child"), kb)
        XCTAssertEqual(kb.split(separator: "\n").count, 3)
        XCTAssertEqual(out.output(of: "kn 1").split(separator: "\n").count, 2)
        XCTAssertTrue(out.output(of: "? @$ra").hasPrefix("Evaluate expression: "))
        let kv = out.output(of: "kv 2").split(separator: "\n")
        XCTAssertTrue(kv[1].hasSuffix("loop!work [\(Harness.source("loop")) @ 6] (registers)"), String(kv[1]))
        XCTAssertTrue(kv[2].hasSuffix(" (CFI)"), "frame 1 was found through .eh_frame")
    }

    /// Inlined calls get frames of their own, named and placed at lines as gdb's `bt` has them;
    /// `.frame` on one of them and `dv` show that call's parameters.
    func testInlineFramesMatchGdb() throws {
        let program = try Harness.fixture("inline", flags: ["-O2"])
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break inline.c:5", "-ex", "run", "-ex", "bt", program], input: "").output
        let gdbFrames = gdb.split(separator: "\n").filter { $0.hasPrefix("#") }.prefix(4)
        let gdbNames = gdbFrames.map { line -> String in
            let words = line.split(separator: " ")
            return String(words.contains("in") ? words[words.firstIndex(of: "in")! + 1] : words[1])
        }
        let gdbLines = gdbFrames.map { String($0.split(separator: ":").last ?? "") }
        XCTAssertEqual(gdbNames, ["square", "sum_squares", "compute", "main"], gdb)

        let out = try Harness.session("inline", ["bp `inline.c:5`", "g", "kp", ".frame 1", "dv"])
        let frames = out.output(of: "kp").split(separator: "\n").dropFirst().prefix(4)
        XCTAssertEqual(frames.map { $0.split(separator: "!")[1].prefix { $0 != "(" && $0 != "+" && $0 != " " } }.map(String.init), gdbNames)
        XCTAssertEqual(frames.map { String($0.split(separator: "@").last?.dropFirst().dropLast() ?? "") }, gdbLines)
        XCTAssertTrue(frames[frames.startIndex].hasPrefix("00 (Inline Function) --------`--------"))
        XCTAssertTrue(frames[frames.startIndex + 1].contains("inline!sum_squares(int b = 0n4, int a = 0n3)"), String(frames[frames.startIndex + 1]))
        XCTAssertTrue(frames[frames.startIndex + 2].contains("inline!compute(int a = 0n3, int b = 0n4)"))
        XCTAssertEqual(out.output(of: "dv").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }, ["b = 0n4", "a = 0n3"])
    }

    /// A parameter no register keeps (`DW_OP_entry_value`): its value comes from the caller's
    /// call site, as gdb's `n@entry` does.
    func testEntryValuesFromCallSites() throws {
        let program = try Harness.fixture("entry", flags: ["-O2"])
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break leaf", "-ex", "run", "-ex", "bt", program], input: "").output
        let entry = try XCTUnwrap(gdb.range(of: "n=n@entry=").map { gdb[$0.upperBound...].prefix { $0.isNumber } }, gdb)
        let out = try Harness.session("entry", ["bp entry!leaf", "g", "kp 3", ".frame 1", "dv"])
        XCTAssertTrue(out.output(of: "kp 3").contains("entry!middle(int n = 0n\(entry))+0x"), out.output(of: "kp 3"))
        // main's argc lives in rbx across the calls (gdb: argc=1, argv=<optimized out>).
        XCTAssertTrue(gdb.contains("main (argc=1, argv=<optimized out>)"), gdb)
        XCTAssertTrue(out.output(of: "kp 3").contains("entry!main(int argc = 0n1, char ** argv = <value unavailable>)+0x"), out.output(of: "kp 3"))
        XCTAssertEqual(out.output(of: "dv").trimmingCharacters(in: .whitespaces), "n = 0n\(entry)")
    }

    /// A struct parameter the optimizer keeps in two registers (`DW_OP_piece`): its members,
    /// as gdb's `info args` shows them.
    func testValuesInPieces() throws {
        let program = try Harness.fixture("pieces", flags: ["-O2"])
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break product", "-ex", "run", "-ex", "info args", program], input: "").output
        XCTAssertTrue(gdb.contains("p = {first = 6, second = 7}"), gdb)
        let out = try Harness.session("pieces", ["bp pieces!product", "g", "dt p", "?? p.second"])
        XCTAssertTrue(out.output(of: "dt p").contains("+0x000 first            : 0n6"), out.output(of: "dt p"))
        XCTAssertTrue(out.output(of: "dt p").contains("+0x008 second           : 0n7"))
        XCTAssertEqual(out.output(of: "?? p.second"), "long int 0n7")
    }

    /// A call through a null function pointer: frame 0 is `0x0`, its caller comes from the
    /// return address on the stack, as gdb shows it.
    func testNullFunctionPointerCallKeepsItsCallers() throws {
        let program = try Harness.fixture("nullcall")
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "run", "-ex", "bt", program], input: "").output
        XCTAssertTrue(gdb.contains("#1  0x") && gdb.contains(" in dispatch (") && gdb.contains(" in main () "), gdb)
        let out = try Harness.session("nullcall", ["g", "k"])
        let stack = out.output(of: "k").split(separator: "\n").map(String.init)
        XCTAssertTrue(stack.count > 3, out.output(of: "k"))
        XCTAssertTrue(stack[1].hasSuffix("    0x0"), stack[1])
        XCTAssertTrue(stack.contains { $0.contains("nullcall!dispatch+0x") && $0.contains("nullcall.c @ 6]") }, out.output(of: "k"))
        XCTAssertTrue(stack.contains { $0.contains("nullcall!main+0x") && $0.contains("nullcall.c @ 10]") }, out.output(of: "k"))
    }

    /// Inside a signal handler: the frame it returns to is `libc!__restore_rt`, and below it
    /// the interrupted code at the faulting instruction (gdb's `<signal handler called>`).
    func testSignalTrampolineFrame() throws {
        let out = try Harness.session("handler", ["bp handler!on_segv", "g", "g", "k"])
        let stack = out.output(of: "k").split(separator: "\n").map(String.init)
        XCTAssertTrue(stack.count > 3, out.output(of: "k"))
        XCTAssertTrue(stack[1].contains("handler!on_segv"), stack[1])
        XCTAssertTrue(stack[2].hasSuffix("libc!__restore_rt"), stack[2])
        XCTAssertTrue(stack[3].contains("handler!main+0x") && stack[3].contains("handler.c @ 14]"), stack[3])
    }

    /// No unwind information at all: WinDbg's warning, then the frame chain and the return
    /// address on top of the stack still find the callers.
    func testStackWithoutUnwindInformation() throws {
        let program = try Harness.fixture("loop", flags: ["-g0", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"])
        let sections = try Harness.run("/usr/bin/readelf", ["-S", "-W", program], input: "").output
        XCTAssertFalse(sections.contains(".debug_frame"), sections)
        let out = try Harness.session(program: program, ["bp loop!work", "g", "k", "bp loop!work+4", "g", "k"])
        for occurrence in [0, 1] {
            let stack = out.output(of: "k", occurrence: occurrence).split(separator: "\n").map(String.init)
            XCTAssertEqual(stack.count(where: { $0 == "WARNING: Stack unwind information not available. Following frames may be wrong." }), 1, stack.joined(separator: "\n"))
            XCTAssertTrue(stack[1].contains("loop!work"), stack.joined(separator: "\n"))
            XCTAssertTrue(stack[3].contains("loop!main+0x"), "from [rsp] at the entry, from the frame chain after it: \(stack.joined(separator: "\n"))")
            XCTAssertTrue(stack.contains { $0.contains("libc!__libc_start_call_main+0x") })
        }
    }
}
