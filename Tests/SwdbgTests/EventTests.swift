import Foundation
import XCTest

/// Module, thread and exec events; Ctrl-C break-in; restart, kill, attach.
final class EventTests: XCTestCase {
    func testModuleLoadEventAndDeferredBreakpointInADlopenedLibrary() throws {
        let program = try Harness.fixture("dlopen", flags: ["-ldl"])
        let out = try Harness.run(Harness.swdbg, [program], input: "bu libz!zlibVersion\nsxe ld:libz\ng\nlm m libz\nbl\ng\nk\nsxe ud\ng\nbl\ng\n").output
        let load = out.output(of: "g")
        XCTAssertTrue(load.contains("ModLoad: "), load)
        XCTAssertTrue(load.contains("Load module /lib/x86_64-linux-gnu/libz.so.1 at "), load)
        XCTAssertTrue(out.output(of: "lm m libz").contains(" libz "))
        XCTAssertTrue(out.output(of: "bl").contains("libz!zlibVersion"), "the deferred breakpoint resolved on load")
        XCTAssertTrue(out.output(of: "g", occurrence: 1).hasPrefix("Breakpoint 0 hit"))
        XCTAssertTrue(out.output(of: "k").contains("dlopen!main+0x"))
        XCTAssertTrue(out.output(of: "g", occurrence: 2).contains("Unload module /lib/x86_64-linux-gnu/libz.so.1"), out.output(of: "g", occurrence: 2))
        XCTAssertTrue(out.contains("zlib 1."))
        XCTAssertTrue(out.output(of: "bl", occurrence: 1).contains("(libz!zlibVersion)"), "deferred again once libz is unloaded")
    }

    func testThreadCreateAndExitEvents() throws {
        let out = try Harness.session("threads", ["sxe ct", "g", "sxi ct", "sxe et", "g"])
        XCTAssertTrue(out.output(of: "g").contains("Create thread 1:"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("Exit thread "), out.output(of: "g", occurrence: 1))
    }

    func testExecReadsTheNewProgramsModules() throws {
        let program = try Harness.fixture("loop")
        let out = try Harness.run(Harness.swdbg, ["/bin/sh", "-c", "exec \(program) 2"], input: "bp loop!work\ng\nk\ng\ng\n").output
        XCTAssertTrue(out.contains("Exec \(program)"), out)
        XCTAssertTrue(out.output(of: "g").contains("Breakpoint 0 hit"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: "k").contains("loop!main+0x"))
    }

    func testControlCBreaksIntoARunningTarget() throws {
        let program = try Harness.fixture("detach")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.swdbg)
        process.arguments = [program, "500"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // The program says "ready" once it runs under swdbg; Ctrl-C then breaks in, and the
        // commands already waiting run at the break.
        input.fileHandleForWriting.write("g\nk\nq\n".data(using: .utf8)!)
        try input.fileHandleForWriting.close()
        let before = try Harness.waitFor("ready\n", on: output.fileHandleForReading.fileDescriptor, timeout: 30)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let out = before + String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(out.output(of: "g").count(of: "Break instruction exception - code 80000003 (first chance)"), 1, out)
        XCTAssertTrue(out.output(of: "k").contains("detach!main+0x"), out.output(of: "k"))
        XCTAssertFalse(out.contains("total="), "q ended the program before it finished")
    }

    func testRestartKillAndAttachCommands() throws {
        let out = try Harness.session("loop", ["bp loop!work", "g", ".restart", "g", "r rdi", ".kill", "g", ".lastevent"])
        XCTAssertTrue(out.output(of: ".restart").contains("Break instruction exception"))
        XCTAssertTrue(out.output(of: "g", occurrence: 1).hasPrefix("Breakpoint 0 hit"), "breakpoints survive .restart")
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000000")
        XCTAssertTrue(out.output(of: ".kill").contains("killed"))
        XCTAssertTrue(out.output(of: "g", occurrence: 2).contains("No runnable debuggees"))
        // The last event outlives its process, named as it happened.
        XCTAssertTrue(out.output(of: ".lastevent").range(of: #"^Last event: [0-9a-f]+\.[0-9a-f]+: Hit breakpoint 0$"#, options: .regularExpression) != nil, out)
    }

    /// A forked child inherits the parent's memory, int3s included: it is let go with the
    /// original bytes back, so it runs work() five times and exits with 25.
    func testForkedChildRunsFreeOfBreakpoints() throws {
        // The execve breakpoint is only reached by posix_spawn's child, which runs in the
        // parent's memory (vfork): the int3s are lifted until it has exec'd.
        let out = try Harness.session("fork", ["bp fork!work \"r $t0 = @$t0 + 1; gc\"", "bp libc!execve", "g", "? @$t0"])
        XCTAssertTrue(out.contains("child exited=1 code=25 parent=21 spawn=0"), out)
        XCTAssertTrue(out.output(of: "? @$t0").hasPrefix("Evaluate expression: 1 = "), "only the parent's call is counted")
    }

    func testCreateProcessEventStopsBeforeTheLoader() throws {
        let out = try Harness.session("loop", ["sxe cpr", ".restart", "lm", "g", "lm m libc"])
        XCTAssertTrue(out.output(of: ".restart").contains("Create process 0:"), out.output(of: ".restart"))
        XCTAssertEqual(out.output(of: "lm"), "start             end                 module name", "nothing is mapped by the loader yet")
        XCTAssertTrue(out.output(of: "g").contains("Break instruction exception"), "then the initial breakpoint")
        XCTAssertTrue(out.output(of: "lm m libc").contains(" libc "))
    }

    func testAttachByName() throws {
        let target = try Harness.start("detach", ["100"])
        let out = try Harness.run(Harness.swdbg, ["-pn", "detach"], input: "? @$tpid\nqd\n").output
        XCTAssertTrue(out.output(of: "? @$tpid").hasPrefix("Evaluate expression: \(target.pid) = "), out)
        _ = target.finish()
        XCTAssertEqual(target.process.terminationStatus, 0)
    }

    /// Static programs (no dynamic loader) get the initial breakpoint at their entry point,
    /// their module, symbols and stacks.
    func testStaticProgramsStopAtTheirEntryPoint() throws {
        for flag in ["-static", "-static-pie"] {
            let program = try Harness.fixture("loop", flags: [flag])
            let out = try Harness.session(program: program, ["lm", "bp loop!work", "g", "kp 2", "g"])
            XCTAssertTrue(out.contains("Break instruction exception - code 80000003 (first chance)\n"), "\(flag): \(out)")
            XCTAssertTrue(out.contains("loop!_start:\n"), "\(flag): the initial breakpoint is at the entry point: \(out)")
            XCTAssertTrue(out.output(of: "lm").contains(" loop "), out.output(of: "lm"))
            XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"), "\(flag): \(out.output(of: "g"))")
            XCTAssertTrue(out.output(of: "kp 2").contains("loop!work(int value = 0n0)"), out.output(of: "kp 2"))
            XCTAssertTrue(out.output(of: "kp 2").contains("loop!main("), out.output(of: "kp 2"))
        }
    }

    /// A library named by a relative path (`dlopen("./libplugin.so")`, `LD_PRELOAD=./…`) is a
    /// module with its full path, symbols and stack frames like any other.
    func testLibrariesLoadedByRelativePath() throws {
        let library = try Harness.library("plugin")
        let out = try Harness.session("plugin_host", ["bu libplugin!plugin_compute", "g", "k 2", "lm m libplugin"], arguments: ["./libplugin.so"])
        XCTAssertTrue(out.contains("ModLoad: ") && out.contains("   \(library)\n"), out)
        XCTAssertTrue(out.output(of: "g").contains("Breakpoint 0 hit"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: "k 2").contains("libplugin!plugin_compute"), out.output(of: "k 2"))
        XCTAssertTrue(out.output(of: "k 2").contains("plugin_host!main+0x"), out.output(of: "k 2"))
        XCTAssertTrue(out.output(of: "lm m libplugin").contains(library), out.output(of: "lm m libplugin"))
        let host = try Harness.fixture("plugin_host", flags: Harness.flags["plugin_host"] ?? [])
        let preloaded = try Harness.session(program: "/usr/bin/env", ["bu libplugin!plugin_compute", "g", "lm m libplugin", "q"],
                                            arguments: ["LD_PRELOAD=./libplugin.so", host, "./libplugin.so"])
        XCTAssertTrue(preloaded.output(of: "g").contains("Breakpoint 0 hit"), preloaded)
        XCTAssertTrue(preloaded.output(of: "lm m libplugin").contains(library), preloaded)
    }
}
