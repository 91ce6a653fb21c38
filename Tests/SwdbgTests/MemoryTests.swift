import Foundation
import XCTest

/// d*, e*, f, s, c, m, r and u on a stopped process.
final class MemoryTests: XCTestCase {
    func testEditAndDisplayMemory() throws {
        let out = try Harness.session("loop", [
            "ed loop!counter 12345678", "dd loop!counter L1", "db loop!counter L4", "dw loop!counter L2",
            "dq loop!counter L1", "eb loop!counter 41 42 43 00", "da loop!counter", "dc loop!counter L1",
        ])
        XCTAssertTrue(out.output(of: "dd loop!counter L1").hasSuffix("  12345678"), out.output(of: "dd loop!counter L1"))
        XCTAssertTrue(out.output(of: "db loop!counter L4").contains("  78 56 34 12"))
        XCTAssertTrue(out.output(of: "dw loop!counter L2").hasSuffix("  5678 1234"))
        XCTAssertTrue(out.output(of: "da loop!counter").hasSuffix("  \"ABC\""), out.output(of: "da loop!counter"))
        XCTAssertTrue(out.output(of: "dc loop!counter L1").contains("00434241"))
        XCTAssertTrue(out.output(of: "dc loop!counter L1").hasSuffix("ABC."))
    }

    func testStringsFloatsAndSymbolDisplays() throws {
        let out = try Harness.session("loop", [
            "bp loop!work", "g",
            "eza loop!counter \"hi\"", "da loop!counter", "ea loop!counter \"yo\"", "da loop!counter",
            "ew loop!counter 41 42 0", "du loop!counter",
            "eq loop!counter 3ff8000000000000", "dD loop!counter L1", "ed loop!counter 40490fdb", "df loop!counter L1",
            "dqs @rsp L1", "dps @rsp L1", "dds @rsp L1", "dW loop!counter L2", "s -a loop!counter L4 \"I\"",
        ])
        XCTAssertTrue(out.output(of: "da loop!counter").hasSuffix("\"hi\""))
        XCTAssertTrue(out.output(of: "da loop!counter", occurrence: 1).hasSuffix("\"yo\""))
        XCTAssertTrue(out.output(of: "du loop!counter").hasSuffix("\"AB\""), out.output(of: "du loop!counter"))
        XCTAssertTrue(out.output(of: "dD loop!counter L1").hasSuffix("  1.5000000000000000e+000"), out.output(of: "dD loop!counter L1"))
        XCTAssertTrue(out.output(of: "df loop!counter L1").hasSuffix("  3.141593e+000"), out.output(of: "df loop!counter L1"))
        XCTAssertTrue(out.output(of: "dqs @rsp L1").hasSuffix(" loop!main+0x6a"), out.output(of: "dqs @rsp L1"))
        XCTAssertTrue(out.output(of: "dps @rsp L1").hasSuffix(" loop!main+0x6a"))
        XCTAssertTrue(out.output(of: "dds @rsp L1").hasSuffix("  555551d5"), "the low half of loop!main+0x6a, a dword")
        XCTAssertTrue(out.output(of: "dW loop!counter L2").contains("0fdb 4049"))
        XCTAssertTrue(out.output(of: "s -a loop!counter L4 \"I\"").contains("  49 40 00 00"), "found at the 'I' (0x49) of 40490fdb")
    }

    /// ymm upper halves come from the XSAVE area (NT_X86_XSTATE), the lower from FXSAVE.
    func testVectorRegistersByName() throws {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        try XCTSkipUnless(cpu.contains(" avx "), "this CPU has no AVX")
        let out = try Harness.session("vector", ["g", "r ymm5", "r xmm5", "r mxcsr"])
        XCTAssertEqual(out.output(of: "r ymm5"), "ymm5=8 7 6 5 4 3 2 1.5")
        XCTAssertEqual(out.output(of: "r xmm5"), "xmm5=4 3 2 1.5")
        XCTAssertEqual(out.output(of: "r mxcsr"), "mxcsr=00001f80", "the default MXCSR")
    }

    func testPseudoRegisters() throws {
        let out = try Harness.session("loop", ["? @$exentry == loop!_start", "? @$tpid == @$tid", "? @$csp == @rsp", "? @$retreg == @rax", "bp loop!work", "g", "? @$ra == poi(@rsp)"])
        for command in ["? @$exentry == loop!_start", "? @$tpid == @$tid", "? @$csp == @rsp", "? @$retreg == @rax", "? @$ra == poi(@rsp)"] {
            XCTAssertEqual(out.output(of: command), "Evaluate expression: 1 = 00000000`00000001", command)
        }
    }

    func testFillSearchCompareMove() throws {
        let out = try Harness.session("loop", [
            "f loop!counter L4 aa", "dd loop!counter L1", "ed loop!counter 0xcafe", "s -d loop!counter L8 0xcafe",
            "m loop!counter L4 loop!counter+4", "c loop!counter L8 loop!counter+8",
        ])
        XCTAssertTrue(out.output(of: "dd loop!counter L1").hasSuffix("aaaaaaaa"))
        XCTAssertTrue(out.output(of: "s -d loop!counter L8 0xcafe").contains("fe ca 00 00"), out.output(of: "s -d loop!counter L8 0xcafe"))
        XCTAssertTrue(out.output(of: "c loop!counter L8 loop!counter+8").contains(" fe - "))
    }

    func testUnreadableMemoryShowsQuestionMarks() throws {
        let out = try Harness.session("loop", ["dd 0 L4", "db 10 L2", "dq 0 L1", "eb 0 90", "r rip"])
        XCTAssertEqual(out.output(of: "dd 0 L4"), "00000000`00000000  ???????? ???????? ???????? ????????")
        XCTAssertTrue(out.output(of: "db 10 L2").hasPrefix("00000000`00000010  ?? ??"))
        XCTAssertTrue(out.output(of: "eb 0 90").contains("Memory access error"))
        XCTAssertTrue(out.output(of: "r rip").hasPrefix("rip="), "the session goes on")
    }

    func testBreakpointBytesAreHiddenFromDisplay() throws {
        let out = try Harness.session("loop", ["db loop!work L1", "bp loop!work", "db loop!work L1", "u loop!work L1"])
        XCTAssertEqual(out.output(of: "db loop!work L1").prefix(22), out.output(of: "db loop!work L1", occurrence: 1).prefix(22))
        XCTAssertTrue(out.output(of: "db loop!work L1", occurrence: 1).contains("  55"), "push rbp, not int3")
        XCTAssertTrue(out.output(of: "u loop!work L1").contains("push    rbp"))
    }

    func testRegistersReadWriteAndFlags() throws {
        let out = try Harness.session("loop", ["r rax=0x1122334455667788", "r rax", "r eax", "r ax, al, ah", "r zf", "r", "r xmm0", "r $t3=5", "r $t3"])
        XCTAssertEqual(out.output(of: "r rax"), "rax=1122334455667788")
        XCTAssertEqual(out.output(of: "r eax"), "eax=55667788")
        XCTAssertEqual(out.output(of: "r ax, al, ah"), "ax=7788 al=88 ah=77", "one line, as WinDbg")
        XCTAssertTrue(["zf=0", "zf=1"].contains(out.output(of: "r zf")))
        let block = out.output(of: "r")
        XCTAssertTrue(block.contains("rax=1122334455667788 rbx="))
        XCTAssertTrue(block.contains(" r8="))
        XCTAssertTrue(block.contains("iopl=0 "))
        XCTAssertTrue(block.contains("cs=0033  ss=002b"))
        XCTAssertTrue(out.output(of: "r xmm0").hasPrefix("xmm0="))
        XCTAssertEqual(out.output(of: "r $t3"), "$t3=0000000000000005")
    }

    /// Zydis against objdump: the same mnemonics for the fixture's `work`.
    func testDisassemblyMatchesObjdump() throws {
        let program = try Harness.fixture("loop")
        let out = try Harness.session("loop", ["u loop!work L4", "uf loop!work"])
        let objdump = try Harness.run("/usr/bin/objdump", ["-d", "-M", "intel", "--no-show-raw-insn", program], input: "").output
        let section = objdump.components(separatedBy: "<work>:")[1].components(separatedBy: "\n\n")[0]
        let mnemonics = section.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: "\t")
            return fields.count >= 2 ? String(fields[1].split(separator: " ")[0]) : nil
        }
        let ours = out.output(of: "uf loop!work").split(separator: "\n").dropFirst().map { line in
            String(line.split(separator: " ", omittingEmptySubsequences: true)[2])
        }
        XCTAssertEqual(ours, mnemonics)
        XCTAssertTrue(out.output(of: "u loop!work L4").hasPrefix("loop!work [\(Harness.source("loop")) @ 6]:\n"))
    }
}
