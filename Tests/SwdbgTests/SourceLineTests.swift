import Foundation
import XCTest

/// DWARF line tables through libdw: `[file @ line]` in stops, stacks, bl, ln and u; source-line
/// expressions; separate debug files found by build ID.
final class SourceLineTests: XCTestCase {
    /// Oracle: eu-addr2line maps the address swdbg chose for `loop.c:15` back to line 15.
    func testSourceLineBreakpointAgreesWithAddr2line() throws {
        let program = try Harness.fixture("loop")
        let out = try Harness.session("loop", ["bp `loop.c:15`", "bl", "? `loop.c:15` - loop", "g", "r $ip == `loop!loop.c:15`"])
        XCTAssertTrue(out.output(of: "bl").contains("[\(Harness.source("loop")) @ 15]"), out.output(of: "bl"))
        let offset = out.output(of: "? `loop.c:15` - loop").components(separatedBy: "= ").last!.replacingOccurrences(of: "`", with: "")
        let oracle = try Harness.run("/usr/bin/eu-addr2line", ["-e", program, "0x" + offset], input: "").output
        XCTAssertTrue(oracle.hasPrefix(Harness.source("loop") + ":15"), "eu-addr2line says \(oracle)")
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"))
        XCTAssertTrue(out.output(of: "g").contains("[\(Harness.source("loop")) @ 15]:"))
    }

    func testLinesInLnAndTheirSwitch() throws {
        let out = try Harness.session("loop", ["ln loop!work+4", ".lines -d", "ln loop!work+4", ".lines -e", "? `nosuch.c:3`"])
        XCTAssertTrue(out.output(of: "ln loop!work+4").hasPrefix("[\(Harness.source("loop")) @ 6] ("), out.output(of: "ln loop!work+4"))
        XCTAssertEqual(out.output(of: ".lines -d"), "Line number information will not be loaded")
        XCTAssertTrue(out.output(of: "ln loop!work+4", occurrence: 1).hasPrefix("("))
        XCTAssertEqual(out.output(of: "? `nosuch.c:3`"), "Couldn't resolve error at '`nosuch.c:3`'")
    }

    /// libc's local symbols and lines come from libc6-dbg's file under /usr/lib/debug/.build-id.
    func testLibcDebugFileByBuildID() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", "k", "lmvm libc"])
        let stack = out.output(of: "k")
        XCTAssertTrue(stack.contains("libc!__libc_start_call_main+0x"), "a local symbol, only in the debug file: \(stack)")
        XCTAssertTrue(stack.contains("libc_start_call_main.h @ "), stack)
        XCTAssertTrue(out.output(of: "lmvm libc").contains("Debug file: /usr/lib/debug/.build-id/"), out.output(of: "lmvm libc"))
        XCTAssertTrue(out.output(of: "lmvm libc").contains("(dwarf)"))
    }

    /// l+t: `t` steps into work, `p` steps to the next line's statement, and out of work on
    /// to the caller's next line (the rest of the one-line loop runs, calls stepped over), as
    /// gdb's `step`/`next` do; l-t: one instruction again.
    func testSourceModeStepsByStatement() throws {
        let program = try Harness.fixture("loop")
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break loop.c:15", "-ex", "run", "-ex", "step", "-ex", "next", "-ex", "next",
                                                  "-ex", "next", program], input: "").output
        let gdbLines = gdb.split(separator: "\n").compactMap { $0.split(separator: "\t").first.flatMap { Int($0) } }
        XCTAssertEqual(gdbLines.suffix(4), [7, 8, 9, 16], gdb)
        let out = try Harness.session("loop", ["l+t", "l+s", "g `loop.c:15`", "t", "lsa @rip", "p", "p", "p", "p", "l-t", "p"])
        let source = Harness.source("loop")
        XCTAssertTrue(out.output(of: "g `loop.c:15`").contains(">   15:     for (int i = 0; i < iterations; i++) total += work(i);"))
        XCTAssertTrue(out.output(of: "t").contains("loop!work [\(source) @ 6]:"), out.output(of: "t"))
        XCTAssertTrue(out.output(of: "lsa @rip").contains(">    6: __attribute__((noinline)) int work(int value) {"))
        for (occurrence, line) in [7, 8, 9, 16].enumerated() {
            XCTAssertTrue(out.output(of: "p", occurrence: occurrence).contains("[\(source) @ \(line)]:"), out.output(of: "p", occurrence: occurrence))
        }
        XCTAssertTrue(out.output(of: "p", occurrence: 4).contains("loop!main+0x"), "l-t: one instruction again")
        XCTAssertTrue(out.output(of: "p", occurrence: 4).contains("@ 16]:"))
    }
}

extension SourceLineTests {
    /// Source stepping moves block to block (cut where another line's statement starts);
    /// through loops on one line, calls stepped over and a whole `main`, it stops on the
    /// lines gdb's `next` stops on, in the same order.
    func testLineStepsFollowGdbsNextThroughAWholeFunction() throws {
        let program = try Harness.fixture("lines")
        let steps = 140
        let nexts = (0..<steps).flatMap { _ in ["-ex", "next"] }
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break lines.c:10", "-ex", "run"] + nexts + [program], input: "").output
        let gdbLines = gdb.split(separator: "\n").compactMap { $0.split(separator: "\t").first.flatMap { Int($0) } }
        let expected = Array(gdbLines.prefix { $0 != 19 }) + [19]
        XCTAssertEqual(expected.prefix(4), [10, 11, 12, 13], gdb)
        XCTAssertGreaterThan(expected.count, 130, "64 iterations of lines 12 and 13")
        let out = try Harness.session("lines", ["l+t", "g `lines.c:10`"] + Array(repeating: "p", count: expected.count - 1))
        let source = Harness.source("lines")
        var lines = [10]
        for occurrence in 0..<(expected.count - 1) {
            let step = out.output(of: "p", occurrence: occurrence)
            guard let range = step.range(of: "[\(source) @ ") else { return XCTFail("step \(occurrence) left main: \(step)") }
            lines.append(Int(step[range.upperBound...].prefix { $0.isNumber }) ?? -1)
        }
        XCTAssertEqual(lines, expected)
    }

    /// The return address starts the caller's next line: stepping out of callee() stops on
    /// that line, as gdb's `next` does (it used to run on to the line after).
    func testSourceStepOutStopsOnTheLineTheReturnAddressStarts() throws {
        let program = try Harness.fixture("stepout")
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break callee", "-ex", "run", "-ex", "next", "-ex", "next", "-ex", "next", program], input: "").output
        let gdbLines = gdb.split(separator: "\n").compactMap { $0.split(separator: "\t").first.flatMap { Int($0) } }
        XCTAssertEqual(gdbLines.suffix(3), [7, 10, 11], gdb)
        let out = try Harness.session("stepout", ["l+t", "bp stepout!callee", "g", "p", "p", "p", "p"])
        let source = Harness.source("stepout")
        for (occurrence, line) in [6, 7, 10, 11].enumerated() {
            XCTAssertTrue(out.output(of: "p", occurrence: occurrence).contains("[\(source) @ \(line)]:"), out.output(of: "p", occurrence: occurrence))
        }
    }
}

/// Parameters from DWARF locations (kp, kP): right values, and `<value unavailable>` where
/// the optimizer left none — checked against gdb's view of the same frames.
final class ParameterTests: XCTestCase {
    func testParametersOfUnoptimizedFrames() throws {
        let out = try Harness.session("loop", ["bp `loop.c:7`", "g", "kp 2", "g", "kP 1"])
        let stack = out.output(of: "kp 2")
        XCTAssertTrue(stack.contains("loop!work(int value = 0n0)+0x7 ["), stack)
        XCTAssertTrue(stack.contains("loop!main(int argc = 0n1, char ** argv = 0x00007fff"), stack)
        XCTAssertTrue(out.output(of: "kP 1").contains("loop!work(\n\t\t\tint value = 0n1)+0x7"), out.output(of: "kP 1"))
    }

    /// -O2: gdb prints `n=<optimized out>` for the recursive frames and `n=n@entry=7` for leaf.
    func testOptimizedFramesNeverShowWrongNumbers() throws {
        let program = try Harness.fixture("recurse", flags: ["-O2", "-fomit-frame-pointer"])
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break leaf", "-ex", "run", "-ex", "bt", program], input: "").output
        XCTAssertTrue(gdb.contains("recurse (n=<optimized out>)"), gdb)
        let out = try Harness.session("recurse", ["bp recurse!leaf", "g", "kp 3"])
        let stack = out.output(of: "kp 3")
        XCTAssertTrue(stack.contains("recurse!leaf(int n = 0n7)"), stack)
        XCTAssertTrue(stack.contains("recurse!recurse(int n = <value unavailable>)"), stack)
    }
}

/// dv against gdb's `info locals` / `info args` for the same frame.
final class LocalVariableTests: XCTestCase {
    func testLocalsOfTheSelectedFrameMatchGdb() throws {
        let program = try Harness.fixture("loop")
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break loop.c:7", "-ex", "run", "-ex", "continue", "-ex", "continue",
                                                   "-ex", "frame 1", "-ex", "info locals", program], input: "").output
        for fact in ["iterations = 10", "total = 2", "i = 2"] { XCTAssertTrue(gdb.contains(fact), "gdb: \(gdb)") }
        let out = try Harness.session("loop", ["bp `loop.c:7` 3", "g", ".frame 1", "dv", "dv /t /i"])
        let locals = out.output(of: "dv")
        XCTAssertTrue(locals.contains("     iterations = 0n10"), locals)
        XCTAssertTrue(locals.contains("          total = 0n2"), locals)
        XCTAssertTrue(locals.contains("              i = 0n2"), locals)
        XCTAssertTrue(locals.contains("           argc = 0n1"), locals)
        XCTAssertTrue(out.output(of: "dv /t /i").contains("prv param  char ** argv = 0x00007fff"), out.output(of: "dv /t /i"))
        XCTAssertTrue(out.output(of: "dv /t /i").contains("prv local  int total = 0n2"))
    }
}

/// dt: layouts with offsets as gdb's `ptype /o` gives them, values of a local, bitfields in binary.
final class TypeTests: XCTestCase {
    func testLayoutMatchesGdbOffsets() throws {
        let program = try Harness.fixture("types")
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "ptype /o struct record", program], input: "").output
        for (offset, member) in [(0, "tag"), (2, "count"), (8, "total"), (16, "ratio"), (24, "samples"), (40, "flags"), (44, "number"), (48, "color"), (56, "list")] {
            XCTAssertTrue(gdb.contains("/* \(String(offset).leftPadded(to: 6))") || gdb.contains("/*\(String(offset).leftPadded(to: 7))"), "gdb offset \(offset) for \(member): \(gdb)")
        }
        let out = try Harness.session("types", ["dt record", "dt node"])
        let layout = out.output(of: "dt record")
        XCTAssertTrue(layout.hasPrefix("types!record\n"))
        for line in ["+0x000 tag              : Char", "+0x002 count            : Int2B", "+0x008 total            : Int8B",
                     "+0x010 ratio            : Double", "+0x018 samples          : [4] Int4B", "+0x028 flags            : flags",
                     "+0x02c number           : number", "+0x030 color            : color", "+0x038 list             : Ptr64 node"] {
            XCTAssertTrue(layout.contains("   " + line), line)
        }
        XCTAssertTrue(out.output(of: "dt node").contains("+0x008 next             : Ptr64 node"))
    }

    func testValuesOfALocalWithBitfieldsAndUnions() throws {
        let out = try Harness.session("types", ["g `types.c:38`", ".frame 1", "dt -r local", "? types!nodes"])
        let value = out.output(of: "dt -r local")
        for fact in ["tag              : 0n120 'x'", "count            : 0n7", "total            : 0n123456789", "ratio            : 0.5",
                     "samples          : [4] 0n1", "ready            : 0y1", "mode             : 0y101", "level            : 0y1101",
                     "integer          : 0n42", "color            : BLUE (0n6)"] {
            XCTAssertTrue(value.contains(fact), "\(fact) in \(value)")
        }
        let nodes = out.output(of: "? types!nodes").components(separatedBy: "= ").last ?? ""
        XCTAssertTrue(value.contains("list             : \(nodes) node"), value)
    }
}

/// Source-mode stepping over and into inlined calls (always_inline at -O0: sequential code),
/// checked against gdb's `next` and `step`.
final class InlineSteppingTests: XCTestCase {
    private func gdbLines(_ program: String, _ command: String, count: Int) throws -> [Int] {
        let arguments = ["-batch", "-nx", "-ex", "break compute", "-ex", "run"] + Array(repeating: ["-ex", command], count: count).flatMap { $0 } + [program]
        let output = try Harness.run("/usr/bin/gdb", arguments, input: "").output
        return output.split(separator: "\n").compactMap { line in line.split(separator: "\t").first.flatMap { Int($0) } }
    }

    private func ourLines(_ out: String, _ command: String, count: Int) -> [Int] {
        (0..<count).compactMap { index in
            out.output(of: command, occurrence: index).split(separator: "\n").first { $0.hasSuffix("]:") }?.split(separator: "@").last
                .flatMap { Int($0.dropFirst().prefix { $0.isNumber }) }
        }
    }

    func testStepOverAndIntoInlinedCalls() throws {
        let program = try Harness.fixture("inline", flags: ["-O0"])
        // gdb's `break compute` stops after the prologue, at 13; swdbg's at the entry, on 12.
        let next = try gdbLines(program, "next", count: 2)
        XCTAssertEqual(next, [13, 14, 15])
        let over = try Harness.session(program: program, ["l+t", "bp inline!compute", "g", "p", "p", "p"])
        XCTAssertEqual(ourLines(over, "p", count: 3), next, over)

        let step = try gdbLines(program, "step", count: 3)
        let into = try Harness.session(program: program, ["l+t", "bp inline!compute", "g", "t"])
        XCTAssertEqual(ourLines(into, "t", count: 1).first, 5, "t enters the inlined square, as gdb's step does (gdb: \(step))")
        XCTAssertTrue(step.contains(5))
    }
}

/// A source line with code in two inlined copies: a breakpoint in each, as gdb's two locations.
final class SourceLineLocationTests: XCTestCase {
    func testBreakpointOnALineInlinedTwice() throws {
        let program = try Harness.fixture("copies", flags: ["-O2"])
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "break copies.c:7", "-ex", "run", "-ex", "bt 2", "-ex", "continue", "-ex", "bt 2", program],
                                  input: "").output
        XCTAssertTrue(gdb.contains("(2 locations)"), gdb)
        let out = try Harness.session("copies", ["bp `copies.c:7`", "bl", "g", "kp 2", "g", "kp 2"])
        XCTAssertEqual(out.output(of: "bl").split(separator: "\n").count, 2, out.output(of: "bl"))
        XCTAssertTrue(out.output(of: "kp 2").contains("copies!twice(int v = 0n1)"), out.output(of: "kp 2"))
        XCTAssertTrue(out.output(of: "kp 2").contains("copies!first(int a = 0n1)"))
        XCTAssertTrue(gdb.contains("twice (v=6)") || gdb.contains("twice (v=v@entry=6)"), gdb)
        XCTAssertTrue(out.output(of: "kp 2", occurrence: 1).contains("copies!twice(int v = 0n6)"), out.output(of: "kp 2", occurrence: 1))
        XCTAssertTrue(out.output(of: "kp 2", occurrence: 1).contains("copies!second(int b = 0n1)"))
    }
}

/// `bu` by source line on a library that is not loaded yet: deferred, resolved when dlopen
/// maps it, deferred again when it is unloaded.
final class DeferredSourceBreakpointTests: XCTestCase {
    func testSourceLineBreakpointsInADlopenedLibrary() throws {
        let library = try Harness.library("plugin")
        let out = try Harness.session("plugin_host", ["bu `plugin.c:6`", "bu `libplugin!plugin.c:7`", "bl", "g", "dv", "g", "k 2", "g", "bl"],
                                      arguments: [library])
        XCTAssertEqual(out.output(of: "bl").split(separator: "\n").count, 2)
        XCTAssertTrue(out.output(of: "bl").contains(" eu "), out.output(of: "bl"))
        XCTAssertTrue(out.contains("Breakpoint 0 hit\n"), out)
        XCTAssertTrue(out.contains("libplugin!plugin_compute+0x"), out)
        XCTAssertEqual(out.output(of: "dv").split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) }, "value = 0n20")
        let stack = out.output(of: "k 2")
        XCTAssertTrue(stack.contains("[\(Harness.source("plugin")) @ 7]"), stack)
        XCTAssertTrue(stack.contains("plugin_host!main+0x") && stack.contains("plugin_host.c @ 10]"), stack)
        XCTAssertTrue(out.contains("plugin 41"))
        XCTAssertEqual(out.output(of: "bl", occurrence: 1).components(separatedBy: " eu ").count - 1, 2, "deferred again after the unload")
    }

    /// A source-line breakpoint resolved in the program is resolved again when a library
    /// loads: the library's own inlined copy of the header's line becomes a location (it
    /// used to be re-resolved only while it had none), and goes when the library does.
    func testALoadedLibraryAddsLocationsToAResolvedLineBreakpoint() throws {
        let library = try Harness.library("clamp_plugin")
        let out = try Harness.session("clamp_host", ["bp `clamp.h:4`", "bl", "g", "g", "k 1", "bl", "g", "bl"], arguments: [library])
        XCTAssertFalse(out.output(of: "bl").contains("location 2:"), out.output(of: "bl"))
        XCTAssertTrue(out.output(of: "g").contains("clamp_host!main+0x"), out.output(of: "g"))
        let second = out.output(of: "g", occurrence: 1)
        XCTAssertTrue(second.contains("libclamp_plugin.so") && second.contains("Breakpoint 0 hit") && second.contains("libclamp_plugin!plugin_clamp+0x"), second)
        XCTAssertTrue(out.output(of: "k 1").contains("libclamp_plugin!clamp [\(Harness.packageRoot.appendingPathComponent("Tests/Fixtures/clamp.h").path) @ 4]"), out.output(of: "k 1"))
        XCTAssertTrue(out.output(of: "bl", occurrence: 1).contains("location 2: "), out.output(of: "bl", occurrence: 1))
        XCTAssertTrue(out.contains("clamped 100 10"), out)
        XCTAssertFalse(out.output(of: "bl", occurrence: 2).contains("location 2:"), "the library's location went with it: \(out.output(of: "bl", occurrence: 2))")
        XCTAssertTrue(out.output(of: "bl", occurrence: 2).contains("clamp_host!main+0x"), out.output(of: "bl", occurrence: 2))
    }
}

/// The same facts from DWARF 4 and 5, written by gcc and by clang, and from split DWARF (`.dwo`).
final class DwarfProducerTests: XCTestCase {
    /// gcc and clang, DWARF 4 and 5, split DWARF, and compressed sections (`SHF_COMPRESSED`,
    /// inflated by swdbg itself, and GNU `.zdebug`, left to libelf).
    func testTypesLinesAndParametersFromEveryProducer() throws {
        for flags in [["-gdwarf-4"], ["--clang", "-gdwarf-5"], ["--clang", "-gdwarf-4"], ["-gsplit-dwarf"], ["-gz=zlib"], ["-gz=zlib-gnu"]] {
            let program = try Harness.fixture("types", flags: flags)
            if flags.first?.hasPrefix("-gz") == true {
                let sections = try Harness.run("/usr/bin/readelf", ["-S", "-W", program], input: "").output
                let compressed = sections.split(separator: "\n").contains { $0.contains(flags == ["-gz=zlib"] ? " .debug_info " : " .zdebug_info ") && (flags != ["-gz=zlib"] || $0.contains(" C ")) }
                XCTAssertTrue(compressed, "\(flags): the fixture's DWARF is compressed as asked: \(sections)")
            }
            let out = try Harness.session(program: program, ["bp types!inspect", "g", "kp 2", "?? record->count", "?? record->color",
                                                             ".frame 1", "dt -r local", "?? local.flags.level"])
            let stack = out.output(of: "kp 2")
            XCTAssertTrue(stack.contains("types!inspect(struct record * record = 0x"), "\(flags): \(stack)")
            XCTAssertTrue(stack.contains("types!main") && stack.contains("types.c @ 49]"), "\(flags): \(stack)")
            // gcc names the type `short int`, clang `short`.
            XCTAssertTrue(["short int 0n7", "short 0n7"].contains(out.output(of: "?? record->count")), "\(flags): \(out.output(of: "?? record->count"))")
            XCTAssertEqual(out.output(of: "?? record->color"), "enum color BLUE (0n6)", "\(flags)")
            XCTAssertEqual(out.output(of: "?? local.flags.level"), "int 0n-3", "\(flags)")
            let value = out.output(of: "dt -r local")
            for fact in ["total            : 0n123456789", "mode             : 0y101", "integer          : 0n42"] {
                XCTAssertTrue(value.contains(fact), "\(flags): \(fact) in \(value)")
            }
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
