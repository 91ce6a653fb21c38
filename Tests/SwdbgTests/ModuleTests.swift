import Foundation
import XCTest

/// Modules from r_debug, ModLoad lines, WinDbg module names, lm/x/ln.
final class ModuleTests: XCTestCase {
    func testModuleListAndNames() throws {
        let out = try Harness.session("loop", ["lm", "lm m libc", "lmvm ld_linux_x86_64"])
        let list = out.output(of: "lm")
        XCTAssertTrue(list.hasPrefix("start             end                 module name"))
        for name in ["loop", "libc", "ld_linux_x86_64"] { XCTAssertTrue(list.contains("   \(name) "), name) }
        XCTAssertEqual(out.output(of: "lm m libc").split(separator: "\n").count, 2)
        XCTAssertTrue(out.output(of: "lmvm ld_linux_x86_64").contains("Image name: ld-linux-x86-64.so.2"))
    }

    /// Oracle: the addresses swdbg resolves agree with the symbol tables (nm) plus the load bias.
    func testSymbolsAgreeWithNm() throws {
        let program = try Harness.fixture("loop")
        let nm = try Harness.run("/usr/bin/nm", [program], input: "").output
        let workOffset = nm.split(separator: "\n").first { $0.hasSuffix(" T work") }!.split(separator: " ")[0]
        let out = try Harness.session("loop", ["x loop!wor*", "? loop!work - loop", "ln loop!work+3"])
        XCTAssertTrue(out.output(of: "x loop!wor*").contains("loop!work (int)"), "the prototype from DWARF")
        let expected = UInt64(workOffset, radix: 16)! - 0  // PIE: module start is link address 0.
        XCTAssertTrue(out.output(of: "? loop!work - loop").contains("= \(String(format: "%08x`%08x", expected >> 32, expected & 0xffffffff))"),
                      out.output(of: "? loop!work - loop"))
        XCTAssertTrue(out.output(of: "ln loop!work+3").contains("loop!work+0x3"))
    }

    func testExportSymbolsOfLibc() throws {
        let out = try Harness.session("loop", ["x libc!puts", "u libc!puts L1"])
        XCTAssertTrue(out.output(of: "x libc!puts").contains("libc!puts (const char *)"), out.output(of: "x libc!puts"))
        XCTAssertTrue(out.output(of: "u libc!puts L1").hasPrefix("libc!puts"), out.output(of: "u libc!puts L1"))
    }

    func testReload() throws {
        let out = try Harness.session("loop", [".reload", "lm m loop"])
        XCTAssertEqual(out.output(of: ".reload"), "Reloading current modules")
        XCTAssertTrue(out.output(of: "lm m loop").contains(" loop "))
    }
}
