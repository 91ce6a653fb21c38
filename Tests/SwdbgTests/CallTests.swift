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

    func testCallsThatCannotBeMade() throws {
        let out = try Harness.session("callee", [".kill", ".call callee!add(1, 2)", ".restart", "bp callee!wait_here", "g",
                                                 ".call callee!sum_pair(1)", ".call callee!add(1)", ".call callee!_start()", ".call callee!nosuch(1)",
                                                 ".call callee!add", ".call callee!add(1, 2)", ".call callee!add(3, 4)", "r rip"])
        XCTAssertTrue(out.output(of: ".call callee!add(1, 2)").contains("No runnable debuggees"), out.output(of: ".call callee!add(1, 2)"))
        XCTAssertTrue(out.output(of: ".call callee!sum_pair(1)").contains("cannot pass struct pair by value"))
        XCTAssertTrue(out.output(of: ".call callee!add(1)").contains("takes 2 arguments, 1 given"))
        XCTAssertTrue(out.output(of: ".call callee!_start()").contains("needs the prototype of callee!_start"))
        XCTAssertTrue(out.output(of: ".call callee!nosuch(1)").contains("Couldn't resolve error"))
        XCTAssertTrue(out.output(of: ".call callee!add").contains("Usage: .call"))
        XCTAssertTrue(out.output(of: ".call callee!add(3, 4)").contains("a call is already set up"))
        XCTAssertTrue(out.output(of: "r rip").hasPrefix("rip="), "the session goes on")
    }
}
