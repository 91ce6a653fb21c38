import XCTest

/// `.call`: a function of the program called with arguments typed from DWARF; `g` runs it,
/// `.call returns:` shows the typed result, and the thread is put back as it was.
final class CallTests: XCTestCase {
    func testCallsReturnTypedResultsAndLeaveTheThreadAsItWas() throws {
        let out = try Harness.session("callee", [
            "bp callee!wait_here", "g", "r rip, rsp, rdi",
            ".call callee!add(0n40, 2)", "g", ".call callee!scale(3, 0n4)", "g", ".call callee!length(poi(callee!greeting))", "g",
            ".call callee!negate(5)", "g", "r rip, rsp, rdi",
            "bp callee!add", ".call callee!add(1, 2)", "g", "k 2", "g", "bc *", "g",
        ])
        XCTAssertTrue(out.output(of: ".call callee!add(0n40, 2)").hasPrefix("Thread is set up for call, 'g' will execute."))
        XCTAssertEqual(out.output(of: "g", occurrence: 1), ".call returns:\nint 0n42")
        XCTAssertEqual(out.output(of: "g", occurrence: 2), ".call returns:\ndouble 12")
        XCTAssertEqual(out.output(of: "g", occurrence: 3), ".call returns:\nsize_t 0xf", "strlen(\"hello, debugger\")")
        XCTAssertEqual(out.output(of: "g", occurrence: 4), ".call returns:\nlong int 0n-5")
        XCTAssertEqual(out.output(of: "r rip, rsp, rdi", occurrence: 1), out.output(of: "r rip, rsp, rdi"), "the registers are back")
        XCTAssertTrue(out.output(of: "g", occurrence: 5).hasPrefix("Breakpoint 1 hit"), "a breakpoint in the called function stops: \(out.output(of: "g", occurrence: 5))")
        XCTAssertTrue(out.output(of: "k 2").contains("callee!add"), out.output(of: "k 2"))
        XCTAssertEqual(out.output(of: "g", occurrence: 6), ".call returns:\nint 0n3")
        XCTAssertTrue(out.contains("add=5 calls=5 pair=3"), "the five calls by the debugger counted (gcc reads calls before its own add): \(out)")
    }

    /// Arguments past the registers go on the stack; structs are passed and returned in each
    /// System V class (INTEGER, SSE, mixed, memory through the hidden pointer). Values
    /// computed by hand from callee.c.
    func testStackArgumentsAndStructsByValue() throws {
        let calls = [
            ".call callee!many(1, 2, 3, 4, 5, 6, 7, 8)", ".call callee!reals(1, 1, 1, 1, 1, 1, 1, 1, 2, 3)",
            ".call callee!sum_pair(callee!origin_pair)", ".call callee!dot(callee!unit, callee!unit)", ".call callee!weigh(callee!sample, 2)",
            ".call callee!total(callee!blob, 0n10)", ".call callee!swap(callee!origin_pair)", ".call callee!half(callee!unit)",
            ".call callee!doubled(callee!sample)", ".call callee!reversed(callee!blob)",
        ]
        let out = try Harness.session("callee", ["bp callee!wait_here", "g", "r rip, rsp"] + calls.flatMap { [$0, "g"] } + ["r rip, rsp", "dt callee!blob"])
        let results = (1...calls.count).map { out.output(of: "g", occurrence: $0) }
        XCTAssertEqual(results[0], ".call returns:\nlong int 0n204", "1 + 2·2 + … + 8·8, the last two from the stack")
        XCTAssertEqual(results[1], ".call returns:\ndouble 3208", "eight ones, then 100·2 + 1000·3 from the stack")
        XCTAssertEqual(results[2], ".call returns:\nint 0n42")
        XCTAssertEqual(results[3], ".call returns:\ndouble 4.25")
        XCTAssertEqual(results[4], ".call returns:\ndouble 21")
        XCTAssertEqual(results[5], ".call returns:\nlong int 0n20", "a 32-byte struct copied onto the stack")
        XCTAssertTrue(results[6].contains("struct pair\n   +0x000 a                : 0n22\n   +0x004 b                : 0n20"), results[6])
        XCTAssertTrue(results[7].contains("+0x000 x                : 0.25\n   +0x008 y                : 1"), results[7])
        XCTAssertTrue(results[8].contains("+0x000 weight           : 3\n   +0x008 count            : 0n14"), results[8])
        XCTAssertTrue(results[9].contains("struct big\n   +0x000 v                : [4] 0n4"), "returned in memory: \(results[9])")
        XCTAssertEqual(out.output(of: "r rip, rsp", occurrence: 1), out.output(of: "r rip, rsp"), "the registers are back")
        XCTAssertTrue(out.output(of: "dt callee!blob").contains("[4] 0n1"), "the argument was copied, not changed: \(out.output(of: "dt callee!blob"))")
    }

    func testCallsThatCannotBeMade() throws {
        let out = try Harness.session("callee", [".kill", ".call callee!add(1, 2)", ".restart", "bp callee!wait_here", "g",
                                                 ".call callee!sum_pair(1)", ".call callee!add(1)", ".call callee!_start()", ".call callee!nosuch(1)",
                                                 ".call callee!add", ".call callee!add(1, 2)", ".call callee!add(3, 4)", "r rip"])
        XCTAssertTrue(out.output(of: ".call callee!add(1, 2)").contains("No runnable debuggees"), out.output(of: ".call callee!add(1, 2)"))
        XCTAssertTrue(out.output(of: ".call callee!sum_pair(1)").contains("argument 1 is passed by value: the struct pair at 00000000`00000001 cannot be read"),
                      out.output(of: ".call callee!sum_pair(1)"))
        XCTAssertTrue(out.output(of: ".call callee!add(1)").contains("takes 2 arguments, 1 given"))
        XCTAssertTrue(out.output(of: ".call callee!_start()").contains("needs the prototype of callee!_start"))
        XCTAssertTrue(out.output(of: ".call callee!nosuch(1)").contains("Couldn't resolve error"))
        XCTAssertTrue(out.output(of: ".call callee!add").contains("Usage: .call"))
        XCTAssertTrue(out.output(of: ".call callee!add(3, 4)").contains("a call is already set up"))
        XCTAssertTrue(out.output(of: "r rip").hasPrefix("rip="), "the session goes on")
    }
}
