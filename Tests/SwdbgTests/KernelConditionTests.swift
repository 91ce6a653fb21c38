import Foundation
import XCTest

/// Breakpoint conditions evaluated in the kernel (BPF on uprobes): the same stops, registers
/// and counts as the ptrace path, the program's text intact, the ptrace path where the
/// kernel cannot be exact. Each test checks `bl` says which path was taken, so a machine
/// that fell back to ptrace fails them rather than passing on the other path.
final class KernelConditionTests: XCTestCase {
    private static let inKernel = "condition evaluated in the kernel (BPF on a uprobe)"

    /// A true condition stops exactly as the int3 breakpoint does: the same event, the same
    /// registers field by field, the same stack; false hits never stopped.
    func testATrueConditionStopsWithTheRegistersAnInt3Shows() throws {
        for spec in ["loop!work \".if (@edi == 7) {} .else {gc}\"", "/w \"@rdi == 8\" loop!work+1"] {
            let commands = ["bp " + spec, "bl", "g", "r", "k 3", "g"]
            let kernel = try Harness.session("loop", commands)
            let ptrace = try Harness.session("loop", [".kernelconditions off"] + commands)
            XCTAssertTrue(kernel.output(of: "bl").contains(Self.inKernel), kernel.output(of: "bl"))
            XCTAssertTrue(ptrace.output(of: "bl").contains("kernel conditions are off"), ptrace.output(of: "bl"))
            XCTAssertTrue(kernel.output(of: "g").hasPrefix("Breakpoint 0 hit"), kernel.output(of: "g"))
            XCTAssertEqual(kernel.output(of: "g"), ptrace.output(of: "g"))
            XCTAssertEqual(kernel.output(of: "r"), ptrace.output(of: "r"), spec)
            XCTAssertEqual(kernel.output(of: "k 3"), ptrace.output(of: "k 3"))
            XCTAssertTrue(kernel.contains("total=330 counter=45"), "the program's result is intact: \(kernel)")
        }
    }

    /// Every operator the kernel's programs compute, in one condition true only for work(7):
    /// the kernel stops where the debugger's evaluation stops.
    func testEveryOperatorComputesAsTheDebuggerDoes() throws {
        let condition = "(((@rdi + 1) * 2 - 2) >> 1 == 7) & (~@rdi != 0) & !(@rdi == 0) & ((wo(@rsp) | 1) != 0) & ((@rdi ^ 7) == 0)"
            + " & (@edi <= 7) & (@edi >= 7) & (-@rdi < 0) & ((@rdi << 2) == 0n28) & ((@rdi >>> 1) == 3) & (@edi > 6) & (hi(@rdi) == 0) & (low(@rdi) == 7)"
        let commands = ["bp loop!work \".if (\(condition)) {} .else {gc}\"", "bl", "g", "r edi", "bc *", "g"]
        let kernel = try Harness.session("loop", commands)
        let ptrace = try Harness.session("loop", [".kernelconditions off"] + commands)
        XCTAssertTrue(kernel.output(of: "bl").contains(Self.inKernel), kernel.output(of: "bl"))
        XCTAssertEqual(kernel.output(of: "r edi"), "edi=00000007")
        XCTAssertEqual(ptrace.output(of: "r edi"), "edi=00000007")
    }

    /// C++ conditions (`bp /w`) compute with the C++ evaluator's types: registers are
    /// `unsigned long` (so `@rdi > -1` never holds), the global `int counter` is read and
    /// sign-extended, arithmetic is in the promoted type: the kernel stops where the debugger does.
    func testCppConditionsCompareAsCppDoes() throws {
        for (condition, stops) in [("@rdi > 5 && @rdi < 8", true), ("(@rdi << 2) >= 0x18 && (@rdi >> 1) <= 3", true), ("@rdi > -1", false), ("!(@edi != 9)", true),
                                   ("counter == 10", true), ("counter > 20 && @rdi < 8", true), ("(counter & 0xff) == 0n21", true),
                                   ("-counter < -0n27", true), ("~counter == -0n37", true), ("counter * 2 > 0x7ffffff0", false)] {
            let commands = ["bp /w \"\(condition)\" loop!work", "bl", "g", "r edi", "bc *", "g"]
            let kernel = try Harness.session("loop", commands)
            let ptrace = try Harness.session("loop", [".kernelconditions off"] + commands)
            XCTAssertTrue(kernel.output(of: "bl").contains(Self.inKernel), "\(condition): \(kernel.output(of: "bl"))")
            XCTAssertEqual(kernel.output(of: "g").hasPrefix("Breakpoint 0 hit"), stops, condition)
            XCTAssertEqual(kernel.output(of: "g").hasPrefix("Breakpoint 0 hit"), ptrace.output(of: "g").hasPrefix("Breakpoint 0 hit"), condition)
            XCTAssertEqual(kernel.output(of: "r edi"), ptrace.output(of: "r edi"), condition)
        }
    }

    /// Forks while threads hit a kernel breakpoint (after f's locked add, on its `lea`): the
    /// children, which call f too, are no process of the probe's (the kernel takes its int3 out
    /// of their copy) and exit cleanly; the parent's true hits are all counted (50 calls of f(2)
    /// by the main thread, one by each of four workers).
    func testForkChildrenAreNotTheProbesProcess() throws {
        let program = try Harness.fixture("forks", flags: ["-O2", "-pthread"])
        let out = try Harness.session(program: program, ["bp forks!f+8 \".if (@edi == 2) {r $t0 = @$t0 + 1; gc} .else {gc}\"", "bl", "g", "? @$t0"],
                                      arguments: ["50", "2000"])
        XCTAssertTrue(out.output(of: "bl").contains(Self.inKernel), out.output(of: "bl"))
        XCTAssertTrue(out.contains("calls=8050 bad=0"), out)
        XCTAssertTrue(out.output(of: "? @$t0").hasPrefix("Evaluate expression: 54 = "), out.output(of: "? @$t0"))
    }

    /// Every hit true while signals storm (16 threads; SIGPROF and SIGALRM every 200 µs, the
    /// handler calling f too): each call counted once. A handler's hit between a reported hit
    /// and its re-execution used to take (or replace) that re-execution's skip, and the same
    /// hit was reported twice.
    func testEveryTrueHitCountedOnceWhileSignalsStorm() throws {
        let program = try Harness.fixture("storm", flags: ["-O2", "-pthread"])
        let out = try Harness.session(program: program, ["bp storm!f+8 \".if (@edi != 0xffffffff) {r $t0 = @$t0 + 1; gc} .else {gc}\"", "bl", "g", "? @$t0"],
                                      arguments: ["16", "1000"])
        XCTAssertTrue(out.output(of: "bl").contains(Self.inKernel), out.output(of: "bl"))
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("calls=") }), let calls = Int(line.dropFirst(6)) else {
            return XCTFail("the program did not finish: \(out)")
        }
        XCTAssertGreaterThanOrEqual(calls, 16000)
        XCTAssertTrue(out.output(of: "? @$t0").hasPrefix("Evaluate expression: \(calls) = "), "\(calls) calls: \(out.output(of: "? @$t0"))")
    }

    /// Several kernel breakpoints at once, one on the instruction after the other's: each
    /// stops for its own condition, where its int3 would.
    func testSeveralKernelBreakpointsAtOnce() throws {
        let out = try Harness.session("loop", ["bp loop!work \".if (@edi == 3) {} .else {gc}\"", "bp loop!work+1 \"j (@edi == 5) ''; 'gc'\"",
                                               "bl", "g", "r edi, rip", "g", "r edi, rip", "? loop!work+1", "bc *", "g"])
        XCTAssertEqual(out.output(of: "bl").components(separatedBy: Self.inKernel).count, 3, out.output(of: "bl"))
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: "r edi, rip").hasPrefix("edi=00000003 "), out.output(of: "r edi, rip"))
        XCTAssertTrue(out.output(of: "g", occurrence: 1).hasPrefix("Breakpoint 1 hit"), out.output(of: "g", occurrence: 1))
        let second = out.output(of: "r edi, rip", occurrence: 1)
        let workPlusOne = (out.output(of: "? loop!work+1").components(separatedBy: " = ").last ?? "").replacingOccurrences(of: "`", with: "")
        XCTAssertEqual(second, "edi=00000005 rip=" + workPlusOne)
        XCTAssertTrue(out.contains("total=330 counter=45"), out)
    }

    /// Eight threads hit the same breakpoint; the condition holds for a known number of
    /// calls (multiples of 64 below 4,000: 63 per thread), each running the breakpoint's
    /// commands: the kernel path counts what the ptrace path counts.
    func testTrueHitsOfEightThreadsAreCountedAsOnThePtracePath() throws {
        let program = try Harness.fixture("hot", flags: ["-O2", "-pthread"])
        let commands = ["bp hot!f \".if ((@edi & 0n63) == 0) {r $t0 = @$t0 + 1; gc} .else {gc}\"", "bl", "g", "? @$t0"]
        let kernel = try Harness.session(program: program, commands, arguments: ["8", "4000"])
        let ptrace = try Harness.session(program: program, [".kernelconditions off"] + commands, arguments: ["8", "4000"])
        XCTAssertTrue(kernel.output(of: "bl").contains(Self.inKernel), kernel.output(of: "bl"))
        // Workers that block every signal (a SIGTRAP would wait there; the probe's SIGSTOP cannot).
        let blocked = try Harness.session(program: program, commands, arguments: ["8", "4000", "blocked"])
        for out in [kernel, ptrace, blocked] {
            XCTAssertTrue(out.contains("calls=32000"), out)
            XCTAssertTrue(out.output(of: "? @$t0").hasPrefix("Evaluate expression: 504 = "), out.output(of: "? @$t0"))
        }
    }

    /// Conditions that read memory: `dwo` of a global (counter is 10 when work(5) starts), and
    /// an unreadable address, which the debugger then evaluates and reports as the ptrace path
    /// does. `db` and `u` show the original byte under the kernel's int3.
    func testMemoryReadingConditionsAndTheTextAsItWas() throws {
        let out = try Harness.session("loop", [
            "bp loop!work \".if (dwo(loop!counter) == 0n10) {} .else {gc}\"", "bl", "db loop!work L1", "u loop!work L1", "g", "r edi", "bc *",
            "bp loop!work \".if (poi(0) == 1) {} .else {gc}\"", "bl", "g",
        ])
        XCTAssertTrue(out.output(of: "bl").contains(Self.inKernel), out.output(of: "bl"))
        XCTAssertTrue(out.output(of: "db loop!work L1").hasSuffix("55                                               U"), out.output(of: "db loop!work L1"))
        XCTAssertTrue(out.output(of: "u loop!work L1").contains("55              push    rbp"), out.output(of: "u loop!work L1"))
        XCTAssertEqual(out.output(of: "r edi"), "edi=00000005")
        XCTAssertTrue(out.output(of: "bl", occurrence: 1).contains(Self.inKernel), out.output(of: "bl", occurrence: 1))
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("Breakpoint 0's condition could not be evaluated: Memory access error at ') == 1)'"),
                      out.output(of: "g", occurrence: 1))
    }

    /// Where the kernel cannot be exact or cannot evaluate the condition, the ptrace path is
    /// taken and `bl` says why: an instruction that writes memory (f at -O2 starts with a
    /// locked add), a condition reading a pseudo-register or naming a local (its address is
    /// the hit frame's), an int3 wanted at the probe's
    /// address (`g` to it: the probe comes back after). The hits are right either way.
    func testThePtracePathWhereTheKernelCannotBeExact() throws {
        let storm = try Harness.fixture("storm", flags: ["-O2", "-pthread"])
        let unsafe = try Harness.session(program: storm, ["bp storm!f \".if (@edi == 0n5) {} .else {gc}\"", "bl", "g", "r edi"], arguments: ["1", "10"])
        XCTAssertTrue(unsafe.output(of: "bl").contains("cannot run twice: it writes memory"), unsafe.output(of: "bl"))
        XCTAssertEqual(unsafe.output(of: "r edi"), "edi=00000005")
        let local = try Harness.session("loop", ["bp loop!work \".if (dwo(value) == 5) {} .else {gc}\"", "bl"])
        XCTAssertTrue(local.output(of: "bl").contains("it names value, a local variable where the breakpoint is"), local.output(of: "bl"))
        let out = try Harness.session("loop", ["bp loop!main \".if (@$t0 == 0) {} .else {gc}\"", "bl", "bc *",
                                               "bp loop!work+1 \".if (@edi == 0n8) {} .else {gc}\"", "g loop!work+1", "bl", "g", "r edi", "bl", "bc *", "g"])
        XCTAssertTrue(out.output(of: "bl").contains("the condition is for the debugger: it reads the pseudo-register $t0"), out.output(of: "bl"))
        XCTAssertTrue(out.output(of: "bl", occurrence: 1).contains("another breakpoint or a step uses"), out.output(of: "bl", occurrence: 1))
        XCTAssertEqual(out.output(of: "r edi"), "edi=00000008")
        XCTAssertTrue(out.output(of: "bl", occurrence: 2).contains(Self.inKernel), "the probe came back once the step's int3 went: \(out.output(of: "bl", occurrence: 2))")
        XCTAssertTrue(out.contains("total=330 counter=45"), out)
    }

    /// A pass count on the kernel path is counted by the probe: the third odd call stops,
    /// and every odd call after it, as on the ptrace path (`bl` shows the count left, which
    /// `.restart` keeps).
    func testPassCountsAreCountedInTheKernel() throws {
        let commands = ["bp /w \"(@rdi & 1) == 1\" loop!work 3", "bl", "g", "r edi", "bl", "g", "r edi", ".restart", "bl"]
        let kernel = try Harness.session("loop", commands)
        let ptrace = try Harness.session("loop", [".kernelconditions off"] + commands)
        XCTAssertTrue(kernel.output(of: "bl").contains(Self.inKernel), kernel.output(of: "bl"))
        for out in [kernel, ptrace] {
            XCTAssertEqual(out.output(of: "r edi"), "edi=00000005")
            XCTAssertEqual(out.output(of: "r edi", occurrence: 1), "edi=00000007")
            XCTAssertTrue(out.output(of: "bl", occurrence: 1).contains("0001 (0003)"), out.output(of: "bl", occurrence: 1))
            XCTAssertTrue(out.output(of: "bl", occurrence: 2).contains("0001 (0003)"), "the count spent stays spent across .restart: \(out.output(of: "bl", occurrence: 2))")
        }
        XCTAssertTrue(kernel.output(of: "bl", occurrence: 2).contains(Self.inKernel), "planted in the kernel again")
    }

    /// Without the right to load BPF (an unprivileged user): a one-line note, the ptrace
    /// path, the same stop.
    func testWithoutBpfTheDebuggerEvaluatesTheConditionAfterANote() throws {
        let program = try Harness.fixture("loop")
        let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]
        guard try Harness.run("/usr/bin/setpriv", nobody + ["test", "-x", Harness.swdbg, "-a", "-r", program], input: "").status == 0 else {
            throw XCTSkip("the unprivileged user cannot reach \(Harness.swdbg) or \(program) on this machine")
        }
        let out = try Harness.run("/usr/bin/setpriv", nobody + [Harness.swdbg, program],
                                  input: "bp loop!work \".if (@edi == 7) {} .else {gc}\"\nbl\ng\nr edi\nq\n").output
        XCTAssertEqual(out.components(separatedBy: "Note: breakpoint conditions are evaluated by the debugger: BPF is not available").count, 2, out)
        XCTAssertTrue(out.output(of: "bl").contains("condition evaluated by the debugger at each hit: BPF is not available"), out.output(of: "bl"))
        XCTAssertEqual(out.output(of: "r edi"), "edi=00000007")
    }

    /// A deferred breakpoint in a library loaded later goes to the kernel when it resolves,
    /// and its probe goes with the library's unload (the breakpoint waits again).
    func testAProbeInALoadedLibraryGoesWithItsUnload() throws {
        let library = try Harness.library("plugin")
        let out = try Harness.session("plugin_host", ["bu libplugin!plugin_compute \".if (@edi == 0n20) {} .else {gc}\"", "g", "bl", "r edi", "g", "bl"],
                                      arguments: [library])
        XCTAssertTrue(out.output(of: "g").contains("Breakpoint 0 hit"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: "bl").contains(Self.inKernel), out.output(of: "bl"))
        XCTAssertEqual(out.output(of: "r edi"), "edi=00000014")
        XCTAssertTrue(out.contains("plugin 41"), out)
        XCTAssertTrue(out.output(of: "bl", occurrence: 1).contains(" eu "), "deferred again after the unload: \(out.output(of: "bl", occurrence: 1))")
    }

    /// A condition naming another module's symbol is compiled with its address: when that
    /// module unloads, the condition is compiled again (the name no longer resolves: the
    /// debugger evaluates it, as it would have).
    func testAConditionOnAnotherModulesSymbolFollowsItsUnload() throws {
        let library = try Harness.library("plugin")
        let out = try Harness.session("plugin_host", ["sxe ld:libplugin", "g", "bp libc!printf \".if (dwo(libplugin!plugin_calls) == 1) {} .else {gc}\"",
                                                      "bl", "g", "sxe ud", "g", "bl"], arguments: [library])
        XCTAssertTrue(out.output(of: "bl").contains(Self.inKernel), out.output(of: "bl"))
        XCTAssertTrue(out.output(of: "g", occurrence: 1).hasPrefix("Breakpoint 0 hit"), out.output(of: "g", occurrence: 1))
        XCTAssertTrue(out.output(of: "bl", occurrence: 1).contains("the condition is for the debugger: libplugin!plugin_calls does not resolve"),
                      out.output(of: "bl", occurrence: 1))
    }

    /// Detach removes every probe while the debugger still runs: the program's checksum of
    /// its own code (which would see the kernel's int3) and its result are as without a
    /// debugger.
    func testDetachLeavesNoProbe() throws {
        let undisturbed = try Harness.run(try Harness.fixture("detach"), ["40"], input: "").output
        let target = try Harness.start("detach", ["200"])
        let session = try Harness.run(Harness.swdbg, ["-p", "\(target.pid)"],
                                      input: "bp detach!work \".if (@rdi == 0n150) {} .else {gc}\"\nbl\ng\nr rdi\n.detach\n.sleep 0n3000\nq\n").output
        XCTAssertTrue(session.contains(Self.inKernel), session)
        XCTAssertTrue(session.contains("rdi=0000000000000096"), session)
        XCTAssertTrue(session.contains("Detached from process \(target.pid)"), session)
        let result = target.finish()
        XCTAssertEqual(target.process.terminationStatus, 0)
        // 200 rounds: total = sum(3i + 1) = 3 * 19900 + 200.
        XCTAssertTrue(result.hasPrefix("total=59900 "), result)
        let checksum = { (text: String) in text.components(separatedBy: "checksum=").last ?? "" }
        XCTAssertEqual(checksum(result), checksum(undisturbed), "the code bytes are as the compiler left them")
    }
}
