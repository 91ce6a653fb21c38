import Foundation
import XCTest

/// The bugs found trying swdbg as a new user: each one checked through a real session.
final class RegressionTests: XCTestCase {
    /// A local's name is its address in MASM (`dd local`, `dl`), the evaluators mix, and
    /// `??` assigns, through memory the program then reads.
    func testLocalsInMasmMixedEvaluatorsAndAssignment() throws {
        let out = try Harness.session("types", ["g `types.c:49`", "? local", "?? &local", "dw local+2 L1", "? @@c++(local.count) + 1",
                                                "?? @@masm(dwo(local+20)) == 0n3", "?? local.count = 0n41", "?? local.count", "dw local+2 L1",
                                                "?? local.samples[3] = local.count + 1", "dd local+24 L1", "?? sizeof(local.count = 0n5)", "?? local.count"])
        let address = out.output(of: "? local").components(separatedBy: "= ").last ?? "?"
        XCTAssertTrue(out.output(of: "?? &local").hasPrefix("struct record * 0x\(address)\n"), "\(out.output(of: "?? &local")) vs \(address)")
        XCTAssertTrue(out.output(of: "dw local+2 L1").hasSuffix("  0007"), out.output(of: "dw local+2 L1"))
        XCTAssertTrue(out.output(of: "? @@c++(local.count) + 1").hasPrefix("Evaluate expression: 8 = "), out.output(of: "? @@c++(local.count) + 1"))
        XCTAssertEqual(out.output(of: "?? @@masm(dwo(local+20)) == 0n3"), "bool true", "samples[2], read by MASM inside C++")
        XCTAssertEqual(out.output(of: "?? local.count = 0n41"), "short int 0n41")
        XCTAssertEqual(out.output(of: "?? local.count"), "short int 0n41")
        XCTAssertTrue(out.output(of: "dw local+2 L1", occurrence: 1).hasSuffix("  0029"))
        XCTAssertTrue(out.output(of: "dd local+24 L1").hasSuffix("  0000002a"), out.output(of: "dd local+24 L1"))
        XCTAssertEqual(out.output(of: "?? sizeof(local.count = 0n5)"), "unsigned long 0x2")
        XCTAssertEqual(out.output(of: "?? local.count", occurrence: 1), "short int 0n41", "sizeof's operand is typed, not evaluated")
    }

    /// 50,000 nested parentheses used to overflow the stack; 20,000 nested `.if` blocks took
    /// minutes and gigabytes. Both are errors now, and the session goes on.
    func testDeepNestingIsAnError() throws {
        let parentheses = "? " + String(repeating: "(", count: 50_000) + "1" + String(repeating: ")", count: 50_000)
        let blocks = String(repeating: ".if (1) { ", count: 20_000) + ".echo deep" + String(repeating: " }", count: 20_000)
        let shallow = String(repeating: ".if (1) { ", count: 300) + ".echo shallow" + String(repeating: " }", count: 300)
        // Chains inside parentheses inside chains: shallow to parse, but a tall tree.
        func chains(levels: Int, length: Int) -> String {
            (0..<levels).reduce("1") { text, _ in "(" + text + String(repeating: "+1", count: length) + ")" }
        }
        let tall = chains(levels: 200, length: 200), fine = chains(levels: 5, length: 40)
        let out = try Harness.session("loop", [parentheses, blocks, shallow, "? " + tall, "?? " + tall, "? " + fine, "?? " + fine, "? 1"])
        XCTAssertEqual(out.output(of: parentheses), "Expression too deeply nested")
        XCTAssertEqual(out.output(of: "? " + tall), "Expression too deeply nested")
        XCTAssertEqual(out.output(of: "?? " + tall), "Expression too deeply nested")
        XCTAssertEqual(out.output(of: "? " + fine), "Evaluate expression: 201 = 00000000`000000c9")
        XCTAssertEqual(out.output(of: "?? " + fine), "int 0n201")
        XCTAssertTrue(out.output(of: blocks).contains("Command nesting too deep"), out.output(of: blocks))
        XCTAssertEqual(out.output(of: shallow), "shallow")
        XCTAssertTrue(out.output(of: "? 1").hasPrefix("Evaluate expression: 1"))
    }

    /// Script files are read with bounds: a device or a pipe is refused, not read forever.
    func testScriptsFromDevicesAreRefused() throws {
        let fifo = Harness.fixtureDirectory + "/script-fifo"
        unlink(fifo)
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let out = try Harness.session("loop", ["$$< /dev/zero", "$$< /dev/urandom", "$$>< \(fifo)", "$$< /nonexistent", "? 2"])
        XCTAssertEqual(out.output(of: "$$< /dev/zero"), "Unable to open script file '/dev/zero': not a regular file")
        XCTAssertEqual(out.output(of: "$$< /dev/urandom"), "Unable to open script file '/dev/urandom': not a regular file")
        XCTAssertTrue(out.output(of: "$$>< \(fifo)").contains("not a regular file"))
        XCTAssertTrue(out.output(of: "$$< /nonexistent").contains("No such file or directory"))
        XCTAssertTrue(out.output(of: "? 2").hasPrefix("Evaluate expression: 2"))
    }

    /// A 1 MB wildcard pattern is prepared once, not once per symbol.
    func testHugeSymbolPattern() throws {
        let pattern = "x libc!" + String(repeating: "a", count: 1 << 20) + "*"
        let out = try Harness.session("loop", [pattern, "x loop!wor*"])
        XCTAssertEqual(out.output(of: pattern), "")
        XCTAssertTrue(out.output(of: "x loop!wor*").contains("loop!work"))
    }
}
