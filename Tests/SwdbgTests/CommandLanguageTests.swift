import Foundation
import XCTest

/// Expressions, .if/j/z, aliases, scripts, logs, and bad input that must not end the session.
final class CommandLanguageTests: XCTestCase {
    func testExpressionsAndFormats() throws {
        let out = try Harness.session("loop", ["? 1+2*3", "? 0n10", "? 10", "n 10", "? 10", "n 16", ".formats 41", "? poi(@rsp) != 0", "? @$ip == @rip"])
        XCTAssertEqual(out.output(of: "? 1+2*3"), "Evaluate expression: 7 = 00000000`00000007")
        XCTAssertEqual(out.output(of: "? 0n10"), "Evaluate expression: 10 = 00000000`0000000a")
        XCTAssertEqual(out.output(of: "? 10"), "Evaluate expression: 16 = 00000000`00000010")
        XCTAssertEqual(out.output(of: "? 10", occurrence: 1), "Evaluate expression: 10 = 00000000`0000000a")
        XCTAssertTrue(out.output(of: ".formats 41").contains("Chars:   .......A"))
        XCTAssertTrue(out.output(of: ".formats 41").contains("Binary:  00000000"))
        XCTAssertEqual(out.output(of: "? @$ip == @rip"), "Evaluate expression: 1 = 00000000`00000001")
    }

    func testBadInputGivesClearErrorsAndTheSessionGoesOn() throws {
        let out = try Harness.session("loop", ["xyzzy", "dd nosuchsymbol", "? 1+", "? (1", "r nosuchreg", "~9s", "bc", ".frame 99", "? 2"])
        XCTAssertEqual(out.output(of: "xyzzy"), "       ^ Syntax error in 'xyzzy'")
        XCTAssertEqual(out.output(of: "dd nosuchsymbol"), "Couldn't resolve error at 'nosuchsymbol'")
        XCTAssertEqual(out.output(of: "? 1+"), "Numeric expression missing from '<EOL>'")
        XCTAssertTrue(out.output(of: "? (1").contains("error"))
        XCTAssertEqual(out.output(of: "r nosuchreg"), "Bad register error at 'nosuchreg'")
        XCTAssertTrue(out.output(of: "~9s").contains("Illegal thread error"))
        XCTAssertTrue(out.output(of: "bc").contains("Syntax error"))
        XCTAssertTrue(out.output(of: ".frame 99").contains("Frame out of range"))
        XCTAssertEqual(out.output(of: "? 2"), "Evaluate expression: 2 = 00000000`00000002")
    }

    /// Inputs that once crashed the debugger (found in review): each gets an error and the session goes on.
    func testOutOfRangeNumbersAndEmptyPieces() throws {
        let commands = ["bc -", "bc 1-0", "bc 0-7fffffffffffffff", "sxe :", ".frame -1", ".frame 7fffffffffffffff", "ub 10", "br 0 100000", "? 3"]
        let out = try Harness.session("loop", commands)
        XCTAssertTrue(out.output(of: "bc -").contains("Syntax error"))
        XCTAssertTrue(out.output(of: "bc 1-0").contains("Syntax error"))
        XCTAssertTrue(out.output(of: "sxe :").contains("Unknown event filter"))
        XCTAssertTrue(out.output(of: ".frame -1").contains("Frame out of range"))
        XCTAssertTrue(out.output(of: ".frame 7fffffffffffffff").contains("Frame out of range"))
        XCTAssertTrue(out.output(of: "ub 10").contains("No prior disassembly possible"))
        XCTAssertTrue(out.output(of: "br 0 100000").contains("too large"))
        XCTAssertEqual(out.output(of: "? 3"), "Evaluate expression: 3 = 00000000`00000003")
    }

    /// Findings of the third review: each input with what WinDbg does.
    func testWinDbgParsingDetails() throws {
        let out = try Harness.session("loop", [
            "db 0 ffffffffffffffff", "? !main == loop!main", "bp5 loop!work", "bp loop!main", "bl", "bc 5", "bl",
            "j 1 .echo one ; .echo two", "as pair .echo a; .echo b", "pair", "aS word hello", ".echo ${word}",
            "* a comment; .echo not-run", "?1+1", "r $t0 = 1", "z(1)",
        ])
        XCTAssertEqual(out.output(of: "db 0 ffffffffffffffff"), "       ^ Range error in 'db 0 ffffffffffffffff'")
        XCTAssertEqual(out.output(of: "? !main == loop!main"), "Evaluate expression: 1 = 00000000`00000001")
        XCTAssertTrue(out.output(of: "bl").contains("     5 e Disable Clear  "), "bp5 sets breakpoint 5")
        XCTAssertTrue(out.output(of: "bl").contains("     0 e Disable Clear  "))
        XCTAssertFalse(out.output(of: "bl", occurrence: 1).contains("loop!work"), "bc 5 is decimal")
        XCTAssertEqual(out.output(of: "j 1 .echo one ; .echo two"), "one")
        XCTAssertEqual(out.output(of: "pair"), "a\nb", "as keeps the rest of the line, semicolons included")
        XCTAssertEqual(out.output(of: ".echo ${word}"), "hello")
        XCTAssertEqual(out.output(of: "* a comment; .echo not-run"), "")
        XCTAssertEqual(out.output(of: "?1+1"), "Evaluate expression: 2 = 00000000`00000002")
        XCTAssertEqual(out.output(of: "z(1)"), "z: stopped after 100000 repetitions")
    }

    func testConditionalsJumpAndRepeat() throws {
        let out = try Harness.session("loop", [
            ".if (1 == 2) { .echo no } .elsif (3 > 2) { .echo yes } .else { .echo never }",
            "j (5 > 1) '.echo big' ; '.echo small'",
            "j 0 .echo big ; .echo small",
            "r $t0 = 0",
            "r $t0 = @$t0 + 1; z(@$t0 < 5)",
            "? @$t0",
            "$$ a comment ends at the semicolon; .echo after-comment",
        ])
        XCTAssertEqual(out.output(of: ".if (1 == 2) { .echo no } .elsif (3 > 2) { .echo yes } .else { .echo never }"), "yes")
        XCTAssertEqual(out.output(of: "j (5 > 1) '.echo big' ; '.echo small'"), "big")
        XCTAssertEqual(out.output(of: "j 0 .echo big ; .echo small"), "small")
        XCTAssertEqual(out.output(of: "? @$t0"), "Evaluate expression: 5 = 00000000`00000005")
        XCTAssertEqual(out.output(of: "$$ a comment ends at the semicolon; .echo after-comment"), "after-comment")
    }

    func testAliases() throws {
        let out = try Harness.session("loop", ["as target loop!work", "aS msg \"hello alias\"", "al", "? target == loop!work", ".echo ${msg}", "ad target", "al"])
        XCTAssertTrue(out.output(of: "al").contains(" target           loop!work"))
        XCTAssertEqual(out.output(of: "? target == loop!work"), "Evaluate expression: 1 = 00000000`00000001")
        XCTAssertEqual(out.output(of: ".echo ${msg}"), "hello alias")
        XCTAssertFalse(out.output(of: "al", occurrence: 1).contains("target"))
    }

    func testScriptsAndLogs() throws {
        let directory = Harness.fixtureDirectory
        let script = directory + "/script.txt"
        let log = directory + "/session.log"
        try "bp loop!work\ng\nr rdi\n".write(toFile: script, atomically: true, encoding: .utf8)
        let out = try Harness.session("loop", [".logopen \(log)", "$$< \(script)", ".logclose", "$$>< \(script)"])
        XCTAssertTrue(out.contains("0:000> r rdi\nrdi=0000000000000000"), out)
        XCTAssertTrue(out.output(of: "$$>< \(script)").contains("Breakpoint 0 hit"))
        let logged = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(logged.contains("Breakpoint 0 hit"))
        XCTAssertTrue(logged.contains("rdi=0000000000000000"))
        XCTAssertEqual(logged.components(separatedBy: "0:000> $$< \(script)\n").count, 2, "a piped command is logged once: \(logged)")
    }

    func testCommandFileAndInitialCommandsFromTheCommandLine() throws {
        let script = Harness.fixtureDirectory + "/initial.txt"
        try "bp loop!work\n".write(toFile: script, atomically: true, encoding: .utf8)
        let program = try Harness.fixture("loop")
        let out = try Harness.run(Harness.swdbg, ["-cf", script, "-c", "g; r rdi; q", program], input: "").output
        XCTAssertTrue(out.contains("Breakpoint 0 hit"))
        XCTAssertTrue(out.contains("rdi=0000000000000000"))
        XCTAssertTrue(out.hasSuffix("quit:\n"))
    }

    func testLogOptionAndAslrSwitch() throws {
        let log = Harness.fixtureDirectory + "/logo.log"
        try? FileManager.default.removeItem(atPath: log)
        let program = try Harness.fixture("loop")
        let quiet = try Harness.run(Harness.swdbg, ["-logo", log, program], input: "? loop\n").output
        XCTAssertTrue(quiet.contains("= 00005555`55554000"), "ASLR off by default: gdb's base for a PIE")
        XCTAssertTrue(try String(contentsOfFile: log, encoding: .utf8).contains("0:000> ? loop"), "-logo logs the session")
        let randomized = try Harness.run(Harness.swdbg, ["--aslr", program], input: "? loop\n").output
        XCTAssertFalse(randomized.contains("= 00005555`55554000"), randomized)
    }

    func testHelpListsTheCommandTable() throws {
        let out = try Harness.session("loop", [".help"])
        for name in ["bp", "bl", "sxe", "dd", "u", "kb", "lm", ".if", ".logopen"] {
            XCTAssertTrue(out.output(of: ".help").contains(name), name)
        }
    }

    func testNonexistentProgramAndUnattachablePid() throws {
        let missing = try Harness.run(Harness.swdbg, ["/nonexistent/program"], input: "")
        XCTAssertTrue(missing.output.contains("Cannot launch '/nonexistent/program': No such file or directory"))
        XCTAssertNotEqual(missing.status, 0)
        let badPid = try Harness.run(Harness.swdbg, ["-p", "999999999"], input: "")
        XCTAssertTrue(badPid.output.contains("Cannot attach to process 999999999"), badPid.output)
        XCTAssertNotEqual(badPid.status, 0)
    }
}

/// Forms a WinDbg user types that swdbg once misread.
final class CommandShapeTests: XCTestCase {
    func testAliasValueForms() throws {
        let out = try Harness.session("loop", ["as /x myval 0x10+5", "as /e homevar HOME", "as /c regs r rip", "al", ".echo ${myval}", "as /q bad x",
                                                "aS phrase hello big world; .echo next", ".echo <${phrase}>", "as /c twolines .echo one; .echo two", ".echo <${twolines}>"])
        XCTAssertEqual(out.output(of: "aS phrase hello big world; .echo next"), "next")
        XCTAssertEqual(out.output(of: ".echo <${phrase}>"), "<hello big world>", "unquoted, aS takes the rest of the command")
        XCTAssertEqual(out.output(of: ".echo <${twolines}>"), "<one\ntwo\n>", "as /c keeps each line's break")
        let list = out.output(of: "al")
        XCTAssertTrue(list.contains(" myval            0x15"), list)
        XCTAssertFalse(list.contains("/x"), "no alias named /x: \(list)")
        XCTAssertTrue(list.contains(" homevar          " + (ProcessInfo.processInfo.environment["HOME"] ?? "")), list)
        XCTAssertTrue(list.contains(" regs             rip="), list)
        XCTAssertEqual(out.output(of: ".echo ${myval}"), "0x15")
        XCTAssertTrue(out.output(of: "as /q bad x").contains("Unknown alias option '/q'"))
    }

    func testQuitTakesNoArguments() throws {
        let out = try Harness.session("loop", ["q1", "q,", "q|", "? 7"])
        for text in ["q1", "q,", "q|"] { XCTAssertEqual(out.output(of: text), "       ^ Extra character error in '\(text)'") }
        XCTAssertEqual(out.output(of: "? 7"), "Evaluate expression: 7 = 00000000`00000007", "the session went on")
    }

    func testRegistersLengthsColumnsAndStackLetters() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", "r rip, rsp", "r rdx=4", "db @rsp L@rdx", "db @rsp L(@rdx)", "dd /c 8 @rsp L10", "dd /c 0 @rsp",
                                               "kbn 2", "kpn 2", "kvn 1"])
        XCTAssertTrue(out.output(of: "r rip, rsp").hasPrefix("rip="), out.output(of: "r rip, rsp"))
        XCTAssertEqual(out.output(of: "r rip, rsp").split(separator: "\n").count, 1)
        XCTAssertTrue(out.output(of: "r rip, rsp").contains(" rsp="))
        for command in ["db @rsp L@rdx", "db @rsp L(@rdx)"] {
            let line = out.output(of: command)
            XCTAssertEqual(line.split(separator: "\n").count, 1, line)
            XCTAssertEqual(line.split(separator: " ").filter { $0.count == 2 }.count, 4, "four bytes: \(line)")
        }
        let columns = out.output(of: "dd /c 8 @rsp L10").split(separator: "\n")
        XCTAssertEqual(columns.count, 2)
        XCTAssertEqual(columns[0].split(separator: " ").count, 9, "an address and 8 dwords: \(columns[0])")
        XCTAssertTrue(out.output(of: "dd /c 0 @rsp").contains("Range error"))
        XCTAssertTrue(out.output(of: "kbn 2").contains("Args to Child"))
        XCTAssertTrue(out.output(of: "kbn 2").contains("loop!main+0x"))
        XCTAssertTrue(out.output(of: "kpn 2").contains("loop!work(int value = 0n0)"), out.output(of: "kpn 2"))
        XCTAssertTrue(out.output(of: "kvn 1").contains("(registers)"), out.output(of: "kvn 1"))
    }

    /// `r xmm5=…`, `r ymm5=…` and `r mxcsr=…` write the thread's vector state, which the
    /// program keeps when it runs on.
    func testVectorRegisterAssignment() throws {
        let out = try Harness.session("vector", ["g", "r ymm5", "r xmm5=4 3 2 1.5", "r ymm6=8 7 6 5 4 3 2 1", "r mxcsr=1f80", "p", "r xmm5", "r ymm6", "r mxcsr", "r xmm5=1 2"])
        XCTAssertEqual(out.output(of: "r ymm5"), "ymm5=8 7 6 5 4 3 2 1.5")
        XCTAssertEqual(out.output(of: "r xmm5"), "xmm5=4 3 2 1.5")
        XCTAssertEqual(out.output(of: "r ymm6"), "ymm6=8 7 6 5 4 3 2 1")
        XCTAssertEqual(out.output(of: "r mxcsr"), "mxcsr=00001f80")
        XCTAssertEqual(out.output(of: "r xmm5=1 2"), "xmm5 takes 1 or 4 float values")
    }

    func testDisplayContinuesStringsAndAliasesEndAtSemicolons() throws {
        let out = try Harness.session("values", ["da values!greeting L5", "d", "dps @rsp /c 2", "aS word \"apple\"; .echo after", "al", "dps /c 2 @rsp"])
        XCTAssertEqual(out.output(of: "da values!greeting L5").split(separator: " ").last, "\"hello\"")
        XCTAssertTrue(out.output(of: "d").contains("\""), "d goes on as da: \(out.output(of: "d"))")
        XCTAssertEqual(out.output(of: "aS word \"apple\"; .echo after"), "after")
        XCTAssertTrue(out.output(of: "al").contains(" word             apple"), out.output(of: "al"))
        XCTAssertEqual(out.output(of: "dps /c 2 @rsp"), "dps shows one value a line: /c does not apply")
    }
}

/// The loops and blocks of book 30.18 and 30.17: `.while`, `.do`, `.for`, `.foreach`,
/// `.break`, `.continue`, `.block`, `.catch`, `.leave`, `.printf`, `$$>a<`, `.expr`.
final class CommandLoopTests: XCTestCase {
    func testLoopsBreakContinueAndCatch() throws {
        let out = try Harness.session("loop", [
            ".for (r $t0 = 0; @$t0 < 3; r $t0 = @$t0 + 1) { .printf \"for %d\\n\", @$t0 }",
            "r $t1 = 0; .while (@$t1 < 9) { r $t1 = @$t1 + 1; .if (@$t1 == 2) { .continue }; .if (@$t1 == 4) { .break }; .printf \"while %d\\n\", @$t1 }",
            ".do { .echo once } (0)",
            ".catch { .echo before; ? nosuch; .echo skipped }; .echo after",
            ".catch { .echo in; .leave; .echo skipped }",
            "r $t2 = 0; .while (1) { r $t2 = @$t2 + 1; .catch { .if (@$t2 == 3) { .break } } }; ? @$t2",
            ".printf \"C:\\\\temp\\tx\\n\"",
            ".break", ".leave", ".for (;;) { }", ".while (1) .echo", ".foreach (x) { }",
        ])
        XCTAssertEqual(out.output(of: ".for (r $t0 = 0; @$t0 < 3; r $t0 = @$t0 + 1) { .printf \"for %d\\n\", @$t0 }"), "for 0\nfor 1\nfor 2")
        XCTAssertEqual(out.output(of: "r $t1 = 0; .while (@$t1 < 9) { r $t1 = @$t1 + 1; .if (@$t1 == 2) { .continue }; .if (@$t1 == 4) { .break }; .printf \"while %d\\n\", @$t1 }"),
                       "while 1\nwhile 3")
        XCTAssertEqual(out.output(of: ".do { .echo once } (0)"), "once", "the body runs before the test")
        let caught = out.output(of: ".catch { .echo before; ? nosuch; .echo skipped }; .echo after").split(separator: "\n")
        XCTAssertEqual(caught.first, "before")
        XCTAssertEqual(caught.last, "after")
        XCTAssertFalse(caught.contains("skipped"))
        XCTAssertEqual(out.output(of: ".catch { .echo in; .leave; .echo skipped }"), "in")
        XCTAssertTrue(out.output(of: "r $t2 = 0; .while (1) { r $t2 = @$t2 + 1; .catch { .if (@$t2 == 3) { .break } } }; ? @$t2").hasPrefix("Evaluate expression: 3 = "),
                      "a .break inside .catch leaves the loop")
        XCTAssertEqual(out.output(of: ".printf \"C:\\\\temp\\tx\\n\""), "C:\\temp\tx", "escapes read once")
        XCTAssertTrue(out.output(of: ".break").contains("belong in a .while, .do, .for or .foreach loop"))
        XCTAssertTrue(out.output(of: ".leave").contains(".leave belongs in a .catch block"))
        XCTAssertTrue(out.output(of: ".for (;;) { }").contains("Numeric expression missing"))
        XCTAssertTrue(out.output(of: ".while (1) .echo").contains("missing '{'"))
        XCTAssertTrue(out.output(of: ".foreach (x) { }").contains("missing '{'"))
    }

    func testForeachTokensAndSkips() throws {
        let out = try Harness.session("loop", [
            ".foreach (word { .echo alpha beta gamma }) { .echo [word] }",
            ".foreach /pS 1 /ps 1 /s (n \"1 2 3 4 5\") { .printf \"%d \", n }; .echo end",
            ".foreach (frame { k }) { aS last frame }; .block { .echo ${last} }",
        ])
        XCTAssertEqual(out.output(of: ".foreach (word { .echo alpha beta gamma }) { .echo [word] }"), "[alpha]\n[beta]\n[gamma]")
        XCTAssertEqual(out.output(of: ".foreach /pS 1 /ps 1 /s (n \"1 2 3 4 5\") { .printf \"%d \", n }; .echo end"), "2 4 end")
        XCTAssertTrue(out.output(of: ".foreach (frame { k }) { aS last frame }; .block { .echo ${last} }").hasPrefix("loop!_start"),
                      "the last word k prints, the alias replaced when the block runs: \(out.output(of: ".foreach (frame { k }) { aS last frame }; .block { .echo ${last} }"))")
    }

    func testPrintfScriptArgumentsAndTheExpressionEvaluator() throws {
        let script = Harness.fixtureDirectory + "/arguments.txt"
        try ".printf \"%d %ma\\n\", ${$arg1}, ${$arg2}".write(toFile: script, atomically: true, encoding: .utf8)
        let out = try Harness.session("loop", [
            "bp loop!work", "g",
            ".printf \"%5d|%-4x|%08I64x|%c|%p|%y\\n\", 0n42, 0xab, 0x123456789, 0x41, @rsp, loop!work+1",
            "$$>a< \(script) 0n7 poi(@rsp+0x30)", ".printf \"%d\"",
            ".expr", ".expr /s c++", "? value + 3", ".expr /s masm", ".expr /s lisp",
        ])
        let printed = out.output(of: ".printf \"%5d|%-4x|%08I64x|%c|%p|%y\\n\", 0n42, 0xab, 0x123456789, 0x41, @rsp, loop!work+1")
        XCTAssertTrue(printed.hasPrefix("   42|ab  |123456789|A|00007fff`"), printed)
        XCTAssertTrue(printed.hasSuffix("|loop!work+0x1"), printed)
        XCTAssertTrue(out.output(of: ".printf \"%d\"").contains("too few arguments"))
        XCTAssertEqual(out.output(of: ".expr"), "Current expression evaluator: MASM - Microsoft Assembler expressions")
        XCTAssertTrue(out.output(of: "? value + 3").hasPrefix("Evaluate expression: 3 = "), "value is 0 in work(0): \(out.output(of: "? value + 3"))")
        XCTAssertTrue(out.output(of: ".expr /s lisp").contains("Usage: .expr"))
        XCTAssertTrue(out.output(of: "$$>a< \(script) 0n7 poi(@rsp+0x30)").hasPrefix("7 "), out.output(of: "$$>a< \(script) 0n7 poi(@rsp+0x30)"))
    }
}
