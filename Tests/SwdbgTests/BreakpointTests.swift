import XCTest

/// bp/bu/bm/bl/bc/bd/be/br on real processes, with the facts checked in the transcript.
final class BreakpointTests: XCTestCase {
    func testInitialBreakpointIsAtTheEntryPointAfterTheLoaderMappedLibraries() throws {
        let out = try Harness.session("loop", ["q"])
        XCTAssertTrue(out.contains("Break instruction exception - code 80000003 (first chance)"))
        XCTAssertTrue(out.contains("loop!_start:"), out)
        XCTAssertTrue(out.contains("ModLoad: "))
        XCTAssertTrue(out.contains("/libc.so.6"), "libc is mapped before the entry point")
        XCTAssertTrue(out.contains("xor     ebp,ebp"), "_start begins with xor ebp,ebp")
    }

    func testBreakpointHitShowsRegistersAndStack() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", "k", "r rdi", "g", "r rdi"])
        let hit = out.output(of: "g")
        XCTAssertTrue(hit.hasPrefix("Breakpoint 0 hit"), hit)
        XCTAssertTrue(hit.contains("loop!work [\(Harness.source("loop")) @ 6]:\n"), hit)
        XCTAssertTrue(hit.contains("push    rbp"))
        let stack = out.output(of: "k")
        XCTAssertTrue(stack.contains(" # Child-SP          RetAddr           Call Site"))
        XCTAssertTrue(stack.contains("loop!work [\(Harness.source("loop")) @ 6]\n"), stack)
        XCTAssertTrue(stack.contains("loop!main+0x6a [\(Harness.source("loop")) @ 15]\n"), "the call site's line: \(stack)")
        XCTAssertTrue(stack.contains("loop!main+0x"), stack)
        XCTAssertTrue(stack.contains("libc!__libc_start_main+0x"), stack)
        XCTAssertTrue(stack.contains("loop!_start+0x"), stack)
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000000")
        XCTAssertEqual(out.output(of: "r rdi", occurrence: 1), "rdi=0000000000000001")
    }

    func testPassCountStopsOnTheNthHit() throws {
        let out = try Harness.session("loop", ["bp loop!work 5", "bl", "g", "r edi"])
        XCTAssertTrue(out.output(of: "bl").contains("0005 (0005)  0:**** loop!work"), out.output(of: "bl"))
        XCTAssertEqual(out.output(of: "r edi"), "edi=00000004")
    }

    func testOneShotBreakpointIsRemovedAfterItsHit() throws {
        let out = try Harness.session("loop", ["bp /1 loop!work", "g", "bl", "g"])
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"))
        XCTAssertEqual(out.output(of: "bl"), "")
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("Exit process"), "no second hit")
    }

    func testConditionalBreakpointStopsOnlyWhenTheConditionHolds() throws {
        let out = try Harness.session("loop", ["bp loop!work \".if (@rdi == 7) {} .else {gc}\"", "g", "r rdi", "g"])
        XCTAssertEqual(out.count(of: "Breakpoint 0 hit"), 1, out)
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000007")
    }

    /// WinDbg's condition idioms become a condition the engine evaluates plus the commands
    /// left for the stop; `/w` takes a C++ condition.
    func testConditionIdiomsAndTheConditionSwitch() throws {
        let out = try Harness.session("loop", [
            "bp /w \"value == 4\" loop!work", "bl", "g", "?? value", "bc *",
            "bp loop!work \".if (@rdi == 5) {.echo five; r rdi} .else {gc}\"", "g", "bc *",
            "bp loop!work \".if (@rdi < 8) {gc} .else {.echo late}\"", "g", "r rdi", "bc *",
            "bp loop!work \"j (@rdi == 9) 'r rdi' ; 'gc'\"", "g", "bc *",
            "bp /w loop!work", "bp /w \"value ==\" loop!work", "bl",
        ])
        XCTAssertTrue(out.output(of: "bl").contains("0:**** loop!work /w \"value == 4\""), out.output(of: "bl"))
        XCTAssertEqual(out.output(of: "?? value"), "int 0n4")
        XCTAssertTrue(out.output(of: "g", occurrence: 1).hasPrefix("Breakpoint 0 hit\nfive\nrdi=0000000000000005\n"), out.output(of: "g", occurrence: 1))
        XCTAssertTrue(out.output(of: "g", occurrence: 2).hasPrefix("Breakpoint 0 hit\nlate\n"), out.output(of: "g", occurrence: 2))
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000008")
        XCTAssertTrue(out.output(of: "g", occurrence: 3).hasPrefix("Breakpoint 0 hit\nrdi=0000000000000009\n"), out.output(of: "g", occurrence: 3))
        XCTAssertTrue(out.output(of: "bp /w loop!work").contains("bp /w takes a C++ condition in quotes"), out.output(of: "bp /w loop!work"))
        XCTAssertFalse(out.output(of: "bp /w \"value ==\" loop!work").isEmpty, "a malformed condition is an error")
        XCTAssertEqual(out.output(of: "bl", occurrence: 1), "", "no breakpoint was made of either")
    }

    /// A condition from a command string is tested only on the hits the passes leave, as
    /// WinDbg runs the string then: `bp f 3 "j (c) ''; 'gc'"` passes hits 1 and 2 whatever c is.
    func testPassesAreCountedBeforeAnIdiomsCondition() throws {
        let out = try Harness.session("loop", ["bp loop!work 3 \"j (@rdi >= 1) ''; 'gc'\"", "g", "r rdi", "bc *", "bp /w \"value >= 1\" loop!work 3", "g", "r rdi"])
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000002", "hits 0 and 1 passed, the third tested")
        XCTAssertEqual(out.output(of: "r rdi", occurrence: 1), "rdi=0000000000000005", "/w: only true hits count (3, 4, then 5)")
    }

    /// `bp @rip+4` is where the registers pointed when it was set: after `.restart` it stays
    /// there (it used to be evaluated again at the new process's first instruction).
    func testRegisterBreakpointsKeepTheirAddressAcrossRestart() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", "bp @rip+4", "bl", ".restart", "bl", "g", "g"])
        let before = out.output(of: "bl").split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(before.hasSuffix("loop!work+0x4"), before)
        XCTAssertEqual(out.output(of: "bl", occurrence: 1).split(separator: "\n").last.map(String.init), before)
        XCTAssertTrue(out.output(of: "g", occurrence: 2).hasPrefix("Breakpoint 1 hit"), out.output(of: "g", occurrence: 2))
    }

    /// Bug: after `.restart` every location of a multi-location breakpoint collapsed onto the
    /// first, so the second inlined copy was never hit again.
    func testEveryLocationOfALineIsHitAgainAfterRestart() throws {
        let program = try Harness.fixture("copies", flags: ["-O2"])
        let out = try Harness.session(program: program, ["bp `copies.c:7`", "g", "g", ".restart", "bl", "g", "g"])
        XCTAssertTrue(out.output(of: "bp `copies.c:7`").contains("Breakpoint 0 has 2 locations"), out.output(of: "bp `copies.c:7`"))
        XCTAssertTrue(out.output(of: "bl").contains("location 2: "), out.output(of: "bl"))
        for (occurrence, function) in ["copies!first", "copies!second+0x", "copies!first", "copies!second+0x"].enumerated() {
            let stop = out.output(of: "g", occurrence: occurrence)
            XCTAssertTrue(stop.hasPrefix("Breakpoint 0 hit") && stop.contains("\n\(function)"), "stop \(occurrence): \(stop)")
        }
    }

    /// The seed lesson's idiom: `bp libc!send ".if (@rdi == 5) {} .else {gc}"` stops only for fd 5.
    func testSeedIdiomStopsOnlyForDescriptorFive() throws {
        let out = try Harness.session("sockets", ["bp libc!send \".if (@rdi == 5) {} .else {gc}\"", "g", "r rdi", "k", "g", "r rdi", "g"])
        XCTAssertEqual(out.count(of: "Breakpoint 0 hit"), 2, "fd 5 sends twice")
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000005")
        XCTAssertEqual(out.output(of: "r rdi", occurrence: 1), "rdi=0000000000000005")
        XCTAssertTrue(out.output(of: "k").contains("sockets!main+0x"))
        XCTAssertTrue(out.contains("fds 3 4 5 6 7 8"), "the program ran to the end with its output intact")
    }

    func testBreakpointCommandsCountEveryHit() throws {
        let out = try Harness.session("loop", ["bp loop!work \"r $t0 = @$t0 + 1; gc\"", "g", "? @$t0"])
        XCTAssertTrue(out.output(of: "? @$t0").hasPrefix("Evaluate expression: 10 = "), out.output(of: "? @$t0"))
        XCTAssertTrue(out.contains("total=330 counter=45"), "stepping over the breakpoint (push rbp, emulated) left the program's result intact")
    }

    func testDisableEnableClearAndRenumber() throws {
        let out = try Harness.session("loop", ["bp loop!work", "bp loop!main", "bd 0", "bl", "br 1 5", "bl", "g", "be 0", "bc 5", "bl", "g"])
        let listed = out.output(of: "bl")
        XCTAssertTrue(listed.contains("     0 d Enable Clear  "), listed)
        XCTAssertTrue(listed.contains("     1 e Disable Clear  "), listed)
        XCTAssertTrue(out.output(of: "bl", occurrence: 1).contains("     5 e Disable Clear  "))
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 5 hit"), out.output(of: "g"))
        XCTAssertFalse(out.output(of: "bl", occurrence: 2).contains("loop!main"))
        XCTAssertTrue(out.output(of: "g", occurrence: 1).hasPrefix("Breakpoint 0 hit"))
    }

    func testPatternBreakpointsAndDeferredBreakpoints() throws {
        let out = try Harness.session("loop", ["bm loop!wor*", "bu nosuch!thing", "bl", "g"])
        XCTAssertTrue(out.output(of: "bm loop!wor*").contains("@!\"loop!work\""))
        XCTAssertTrue(out.output(of: "bl").contains("(nosuch!thing)"))
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"))
    }

    func testRangesOfBreakpointIdsAndWildcardClear() throws {
        let out = try Harness.session("loop", ["bp loop!work", "bp loop!main", "bp libc!puts", "bc 0-1", "bl", "bc *", "bl"])
        let listed = out.output(of: "bl")
        XCTAssertFalse(listed.contains("loop!work"))
        XCTAssertTrue(listed.contains("libc!puts"), listed)
        XCTAssertEqual(out.output(of: "bl", occurrence: 1), "")
    }
}

/// Breakpoints written as gdb users write them, and deferred ones that can never resolve.
final class BreakpointSpecTests: XCTestCase {
    func testSourceLinesWithoutBackticksAndInTheCurrentFile() throws {
        let out = try Harness.session("loop", ["bp loop.c:7", "bp loop!loop.c:8", "g", "bp `:9`", "bl", "g", "g"])
        let list = out.output(of: "bl")
        let source = Harness.source("loop")
        XCTAssertTrue(list.contains("[\(source) @ 7]") && list.contains("[\(source) @ 8]") && list.contains("[\(source) @ 9]"), list)
        XCTAssertTrue(out.output(of: "g").contains("[\(source) @ 7]:"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("[\(source) @ 8]:"))
        XCTAssertTrue(out.output(of: "g", occurrence: 2).contains("[\(source) @ 9]:"))
    }

    func testDeferredBreakpointsThatMatchNothingSaySo() throws {
        let out = try Harness.session("loop", ["bp nosuch.c:9", "bp loop.c:9999", "bp libc!nosuchfunction", "bu libz!inflate", "bl"])
        XCTAssertTrue(out.output(of: "bp nosuch.c:9").contains("WARNING: no loaded module has the source file nosuch.c"), out.output(of: "bp nosuch.c:9"))
        XCTAssertTrue(out.output(of: "bp loop.c:9999").contains("WARNING: no code at line 9999 of loop.c"), out.output(of: "bp loop.c:9999"))
        XCTAssertTrue(out.output(of: "bp libc!nosuchfunction").contains("WARNING: libc is loaded and has no symbol nosuchfunction"))
        XCTAssertEqual(out.output(of: "bu libz!inflate"), "", "a module not loaded yet: it simply waits")
        let list = out.output(of: "bl").split(separator: "\n")
        XCTAssertTrue(list[0].hasSuffix("(`nosuch.c:9`) - no loaded module has the source file nosuch.c"), String(list[0]))
        XCTAssertTrue(list[2].hasSuffix("(libc!nosuchfunction) - libc is loaded and has no symbol nosuchfunction"), String(list[2]))
        XCTAssertTrue(list[3].hasSuffix("(libz!inflate)"), String(list[3]))
    }
}

/// What each stop shows: `.prompt_allow`, the effective address, and `x` with prototypes.
final class StopDisplayTests: XCTestCase {
    func testPromptAllowLeavesOneSourceLinePerStep() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", ".prompt_allow -reg -dis -sym -ea", "l+s", "l+t", "p", "p", "r"])
        XCTAssertTrue(out.output(of: ".prompt_allow -reg -dis -sym -ea").contains("Do not allow the following information to be displayed at the prompt:"))
        XCTAssertEqual(out.output(of: "p"), ">    7:     counter += value;")
        XCTAssertEqual(out.output(of: "p", occurrence: 1), ">    8:     return counter * 2;")
        XCTAssertTrue(out.output(of: "r").contains("rax="), "r still shows the registers")
    }

    /// The current instruction's memory operand: segment, address and what is there.
    func testEffectiveAddressOfTheCurrentInstruction() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", "p", "p", "p", "? @rbp-4", "dd @rbp-4 L1"])
        let store = out.output(of: "p", occurrence: 1)
        XCTAssertTrue(store.contains("mov     dword ptr [rbp-4],edi ss:"), store)
        let address = out.output(of: "? @rbp-4").components(separatedBy: "= ").last ?? "?"
        XCTAssertTrue(store.hasSuffix("ss:\(address)=" + (store.components(separatedBy: "=").last ?? "")), store)
        let load = out.output(of: "p", occurrence: 2)
        XCTAssertTrue(load.contains("mov     edx,dword ptr [loop!counter (") && load.contains(")] ds:"), load)
        let counter = try Harness.session("loop", ["bp loop!work", "g", "p", "p", "p", "dd loop!counter L1"]).output(of: "dd loop!counter L1")
        XCTAssertTrue(load.hasSuffix("=" + (counter.split(separator: " ").last.map(String.init) ?? "?")), "\(load) / \(counter)")
        let plain = try Harness.session("loop", ["bp loop!work", "g", ".prompt_allow -ea", "p", "p"])
        XCTAssertFalse(plain.output(of: "p", occurrence: 1).contains(" ss:"), plain.output(of: "p", occurrence: 1))
    }

    /// `x` shows a C function's prototype from DWARF (libc's from libc6-dbg), as `kp` knows it.
    func testExamineShowsPrototypesFromDwarf() throws {
        let out = try Harness.session("values", ["x libc!send", "x libc!printf", "x values!words", "x values!main"])
        XCTAssertTrue(out.output(of: "x libc!send").hasSuffix(" libc!send (int, const void *, size_t, int)"), out.output(of: "x libc!send"))
        XCTAssertTrue(out.output(of: "x libc!printf").hasSuffix(" libc!printf (const char *, ...)"), out.output(of: "x libc!printf"))
        XCTAssertTrue(out.output(of: "x values!words").hasSuffix(" values!words (const char *, struct person *)"))
        XCTAssertTrue(out.output(of: "x values!main").hasSuffix(" values!main (void)"))
    }
}
