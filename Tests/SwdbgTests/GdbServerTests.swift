import Foundation
import XCTest

/// `swdbg --gdbserver`: real gdb 13 (`target extended-remote`) and the toolchain's lldb
/// (`gdb-remote`) debugging through swdbg's engine — breakpoints, stacks, the library list,
/// stepping, watchpoints, vector registers, detach — on a launched program, an attached one
/// and a core file.
final class GdbServerTests: XCTestCase {
    /// A server on a free loopback port for `arguments` (after `--gdbserver`), its port once
    /// it listens, and everything it printed (the program's output too) once it ended.
    private final class Server {
        let process = Process()
        let output = Pipe()
        private(set) var port = 0
        private var banner = ""

        init(_ arguments: [String], address: String = "127.0.0.1:0") throws {
            process.executableURL = URL(fileURLWithPath: Harness.swdbg)
            process.arguments = ["--gdbserver", address] + arguments
            process.standardOutput = output
            process.standardError = output
            process.environment = ProcessInfo.processInfo.environment.merging(Harness.isolatedEnvironment) { $1 }
            try process.run()
            let fd = output.fileHandleForReading.fileDescriptor
            banner = try Harness.waitFor("(process ", on: fd, timeout: 60) + Harness.waitFor(")\n", on: fd, timeout: 10)
            let listening = banner.components(separatedBy: "listening on ").last ?? ""
            port = Int(listening.split(separator: " ").first?.split(separator: ":").last ?? "") ?? 0
        }

        /// What it printed up to its `listening on` line.
        var firstLines: String { banner }

        /// Waits for the server to end; what it printed after it started listening.
        func finish(timeout: TimeInterval = 30) -> (status: Int32, output: String) {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
    }

    private func gdb(_ port: Int, _ commands: [String], program: String) throws -> String {
        let arguments = ["-batch", "-nx", "-ex", "set confirm off", "-ex", "target extended-remote 127.0.0.1:\(port)"] + commands.flatMap { ["-ex", $0] } + [program]
        return try Harness.run("/usr/bin/gdb", arguments, input: "", timeout: 120).output
    }

    private func lldb(_ port: Int, _ commands: [String], program: String) throws -> String {
        let lldb = (Harness.swiftc as NSString).deletingLastPathComponent + "/lldb"
        guard FileManager.default.isExecutableFile(atPath: lldb) else { throw XCTSkip("no lldb beside the Swift toolchain (\(lldb))") }
        let pyenv = ProcessInfo.processInfo.environment["PYENV_ROOT"] ?? NSHomeDirectory() + "/.pyenv"
        let python = pyenv + "/versions/3.10.13/lib"
        guard FileManager.default.fileExists(atPath: python + "/libpython3.10.so.1.0") else {
            throw XCTSkip("the toolchain's lldb needs libpython3.10 (pyenv's 3.10.13), not found under \(python)")
        }
        let arguments = ["-b", "-o", "gdb-remote 127.0.0.1:\(port)"] + commands.flatMap { ["-o", $0] } + [program]
        return try Harness.run(lldb, arguments, input: "", timeout: 120, environment: ["LD_LIBRARY_PATH": python]).output
    }

    func testGdbDebugsALaunchedProgramThroughSwdbg() throws {
        let program = try Harness.fixture("dapdemo")
        let server = try Server([program])
        XCTAssertTrue(server.firstLines.contains("swdbg: gdb-remote server listening on 127.0.0.1:"), server.firstLines)
        XCTAssertFalse(server.firstLines.contains("no authentication"), server.firstLines)
        let out = try gdb(server.port, ["break step", "continue", "bt", "info sharedlibrary", "print value", "next", "stepi", "info registers rip",
                                        "delete", "watch counter", "continue", "continue", "print $xmm0.v4_int32", "info threads", "print $ftag", "detach"], program: program)
        XCTAssertTrue(out.contains("step (value=0) at "), out)
        XCTAssertTrue(out.contains("dapdemo.c:16\n16\t    counter += value;"), out)
        XCTAssertTrue(out.range(of: #"#1  0x[0-9a-f]+ in main \(argc=1, argv=0x[0-9a-f]+\) at [^\n]*dapdemo.c:26"#, options: .regularExpression) != nil, out)
        XCTAssertTrue(out.contains("/lib/x86_64-linux-gnu/libc.so.6"), "info sharedlibrary from qXfer:libraries-svr4: \(out)")
        XCTAssertTrue(out.contains("$1 = 0"), out)
        XCTAssertTrue(out.contains("17\t    return counter;"), "next: line 17: \(out)")
        XCTAssertTrue(out.range(of: #"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <step\+\d+>"#, options: .regularExpression) != nil, out)
        XCTAssertTrue(out.contains("Hardware watchpoint 2: counter"), out)
        // counter: 0 after step(0); step(1) makes it 1 (the write of 0 left it unchanged).
        XCTAssertTrue(out.contains("Old value = 0\nNew value = 1"), out)
        XCTAssertTrue(out.contains("Old value = 1\nNew value = 3"), out)
        XCTAssertTrue(out.range(of: #"\$2 = \{-?\d+, -?\d+, -?\d+, -?\d+\}"#, options: .regularExpression) != nil, "xmm0 through the target description: \(out)")
        XCTAssertTrue(out.contains("\"dapdemo\""), "the thread's name from qXfer:threads: \(out)")
        XCTAssertTrue(out.contains("$3 = 65535"), "x87's full tag word, every register empty: \(out)")
        XCTAssertTrue(out.contains("detached"), out)
        let (status, printed) = server.finish()
        XCTAssertEqual(status, 0, printed)
        // Let go with every int3 and debug register out: the program finishes on its own.
        XCTAssertTrue(printed.contains("total=20 sides=3 x=1"), printed)
    }

    /// Four threads: gdb lists them (named), stops one at a breakpoint, and the program runs
    /// to its end with every hit counted.
    func testGdbSeesEveryThread() throws {
        let program = try Harness.fixture("threads", flags: ["-pthread"])
        let server = try Server([program])
        let out = try gdb(server.port, ["break tick", "continue", "info threads", "thread apply all bt 1", "delete", "continue"], program: program)
        XCTAssertTrue(out.contains("hit Breakpoint 1, tick (index="), out)
        let listed = out.components(separatedBy: "\"threads\"").count - 1
        XCTAssertGreaterThanOrEqual(listed, 4, "the main thread and the workers started so far, named: \(out)")
        XCTAssertTrue(out.range(of: #"#0  tick \(index=\d\) at "#, options: .regularExpression) != nil, out)
        XCTAssertTrue(out.contains("exited normally"), out)
        let (status, printed) = server.finish()
        XCTAssertEqual(status, 0, printed)
        XCTAssertTrue(printed.contains("hits=50,50,50,50"), printed)
    }

    /// gdb names the signal each resume delivers (in its own numbering): a SIGSEGV the
    /// program handles reaches its handler; `signal SIGUSR1` (gdb's 30, Linux's 10) ends it.
    func testSignalsGdbPassesReachTheProgram() throws {
        let handler = try Harness.fixture("handler")
        let server = try Server([handler])
        let out = try gdb(server.port, ["continue", "continue"], program: handler)
        XCTAssertTrue(out.contains("Program received signal SIGSEGV"), out)
        XCTAssertTrue(out.contains("exited with code 07"), out)
        XCTAssertTrue(server.finish().output.contains("recovered"), "the handler ran")
        let program = try Harness.fixture("dapdemo")
        let second = try Server([program])
        let killed = try gdb(second.port, ["break step", "continue", "signal SIGUSR1"], program: program)
        XCTAssertTrue(killed.contains("Program terminated with signal SIGUSR1"), killed)
        XCTAssertFalse(second.finish().output.contains("total="), "it never finished")
    }

    /// gdb vanishes while the program runs: the server breaks in, detaches, and the program
    /// finishes as an undisturbed run does.
    func testAClientGoneWhileTheProgramRunsLeavesItDetached() throws {
        let program = try Harness.fixture("detach")
        let server = try Server([program, "200"])
        let command = ["/usr/bin/timeout", "-s", "KILL", "2", "/usr/bin/gdb", "-batch", "-nx", "-ex", "target extended-remote 127.0.0.1:\(server.port)",
                       "-ex", "break work", "-ex", "continue", "-ex", "delete", "-ex", "continue", program]
        _ = try Harness.run(command[0], Array(command.dropFirst()), input: "", timeout: 60)
        let (status, printed) = server.finish(timeout: 60)
        XCTAssertEqual(status, 0, printed)
        let undisturbed = try Harness.run(program, ["200"], input: "").output
        XCTAssertEqual(printed.split(separator: "\n").last, undisturbed.split(separator: "\n").last, printed)
    }

    /// gdb hands its breakpoint conditions to the server as agent expressions
    /// (`ConditionalBreakpoints+`); swdbg evaluates them itself: the false hits never reach gdb.
    func testGdbConditionsAreEvaluatedBySwdbg() throws {
        let program = try Harness.fixture("dapdemo")
        let server = try Server([program])
        let out = try gdb(server.port, ["set debug remote 1", "break step if value == 3", "continue", "print value", "print counter", "detach"], program: program)
        XCTAssertTrue(out.contains("Sending packet: $Z0,") && out.range(of: #"\$Z0,[0-9a-f]+,1;X[0-9a-f]+,[0-9a-f]+#"#, options: .regularExpression) != nil, "the condition went to the server: \(out)")
        XCTAssertEqual(out.components(separatedBy: ";swbreak:;").count - 1, 1, "one stop reached gdb, at value 3: \(out)")
        XCTAssertTrue(out.contains("$1 = 3") && out.contains("$2 = 3"), out)
        XCTAssertTrue(server.finish().output.contains("total=20 sides=3 x=1"))
    }

    func testLldbDebugsALaunchedProgramThroughSwdbg() throws {
        let program = try Harness.fixture("dapdemo")
        let server = try Server([program])
        let out = try lldb(server.port, ["breakpoint set -n step", "continue", "bt", "image list", "frame variable", "next", "register read rip xmm0",
                                         "watchpoint set variable counter", "continue", "continue", "detach"], program: program)
        XCTAssertTrue(out.contains("stop reason = breakpoint 1.1"), out)
        XCTAssertTrue(out.contains("dapdemo`step(value=0) at dapdemo.c:16"), out)
        XCTAssertTrue(out.contains("dapdemo`main(argc=1"), out)
        XCTAssertTrue(out.contains("libc.so.6`__libc_start_call_main"), "libc from the loader's list (qShlibInfoAddr): \(out)")
        XCTAssertTrue(out.contains("/lib/x86_64-linux-gnu/libc.so.6"), out)
        XCTAssertTrue(out.contains("(int) value = 0"), out)
        XCTAssertTrue(out.contains("stop reason = step over"), out)
        XCTAssertTrue(out.range(of: #"rip = 0x[0-9a-f]+ dapdemo`step \+ \d+"#, options: .regularExpression) != nil, out)
        XCTAssertTrue(out.contains("xmm0 = {0x"), out)
        XCTAssertTrue(out.contains("Watchpoint created"), out)
        XCTAssertTrue(out.contains("old value: 0\nnew value: 1"), out)
        XCTAssertTrue(out.contains("detached"), out)
        let (status, printed) = server.finish()
        XCTAssertEqual(status, 0, printed)
        XCTAssertTrue(printed.contains("total=20 sides=3 x=1"), printed)
    }

    /// `-p PID`: gdb stops the running program at a breakpoint and detaches; it finishes with
    /// the sum and the checksum of its own code an undisturbed run prints.
    func testAnAttachedProgramIsLetGoAsItWas() throws {
        let running = try Harness.start("detach", ["150"])
        let server = try Server(["-p", String(running.pid)])
        let out = try gdb(server.port, ["break work", "continue", "print value", "bt 1", "detach"], program: try Harness.fixture("detach"))
        XCTAssertTrue(out.contains("Breakpoint 1, work (value="), out)
        XCTAssertTrue(out.contains("detached"), out)
        XCTAssertEqual(server.finish().status, 0)
        let finished = running.finish()
        let undisturbed = try Harness.run(try Harness.fixture("detach"), ["150"], input: "").output
        XCTAssertEqual(finished.split(separator: "\n").last, undisturbed.split(separator: "\n").last, finished)
    }

    /// Packets no gdb would send get error or empty replies and the session goes on; a client
    /// that vanishes (killed while the program is stopped at its breakpoint) leaves the program
    /// detached, its code as it was.
    func testHostilePacketsAndAVanishedClient() throws {
        let program = try Harness.fixture("detach")
        let server = try Server([program, "40"])
        let hostile = ["m0,fffffff", "m1,1", "qXfer:features:read:target.xml:ffffffffffffffff,10", "qXfer:nothing:read::0,10", "Z0,zz,1", "Z7,1000,1",
                       "vFile:pread:99,10,0", "vFile:open:2f6e6f2f737563682f66696c65,0,0", "p999", "Hgp1.ffffff", "X1000,4:ab", "vRun;2f62696e2f7368", "qfrobnicate"]
        let killer = ["/usr/bin/timeout", "-s", "KILL", "10", "/usr/bin/gdb", "-batch", "-nx", "-ex", "target extended-remote 127.0.0.1:\(server.port)"]
            + hostile.flatMap { ["-ex", "maint packet \($0)"] } + ["-ex", "break work", "-ex", "continue", "-ex", "print value", "-ex", "shell sleep 60", program]
        let out = try Harness.run(killer[0], Array(killer.dropFirst()), input: "", timeout: 90).output
        let replies = out.split(separator: "\n").filter { $0.hasPrefix("received: ") }.map { String($0.dropFirst("received: ".count)) }
        XCTAssertEqual(replies, [#""E01""#, #""E14""#, #""l""#, #""""#, #""E01""#, #""E01""#, #""F-1,9""#, #""F-1,2""#, #""E01""#, #""E01""#, #""E01""#, #""E01""#, #""""#], out)
        XCTAssertTrue(out.contains("Breakpoint 1, work (value=0)"), "the session went on: \(out)")
        let (status, printed) = server.finish(timeout: 60)
        XCTAssertEqual(status, 0, printed)
        let undisturbed = try Harness.run(program, ["40"], input: "").output
        XCTAssertEqual(printed.split(separator: "\n").last, undisturbed.split(separator: "\n").last, "detached with its code as it was: \(printed)")
    }

    /// A core file is served read-only: its stack and memory, and errors for running or writing.
    func testACoreFileIsServedReadOnly() throws {
        let program = try Harness.fixture("dapdemo")
        let core = Harness.fixtureDirectory + "/gdbserver-crash.core"
        try? FileManager.default.removeItem(atPath: core)
        XCTAssertTrue(try Harness.session(program: program, ["g", ".dump /o \(core)", "q"], arguments: ["crash"]).contains("Dump successfully written"))
        let server = try Server(["-z", core, program])
        let out = try gdb(server.port, ["bt", "print counter", "set var counter = 5", "print counter", "continue", "detach"], program: program)
        XCTAssertTrue(out.contains("Program received signal SIGSEGV") || out.range(of: #"#0  0x[0-9a-f]+ in crash \(where=0x0\)"#, options: .regularExpression) != nil, out)
        XCTAssertTrue(out.range(of: #"#1  0x[0-9a-f]+ in main \(argc=2"#, options: .regularExpression) != nil, out)
        XCTAssertTrue(out.contains("$1 = 10"), "counter after the loop: \(out)")
        XCTAssertTrue(out.contains("Cannot access memory at address"), "the write is refused: \(out)")
        XCTAssertTrue(out.contains("$2 = 10"), out)
        XCTAssertTrue(out.contains("Remote failure reply: E01"), "continue is refused: \(out)")
        XCTAssertEqual(server.finish().status, 0)
    }

    /// Another address than loopback is served only with a warning that anyone reaching the
    /// port controls the debuggee.
    func testANonLoopbackAddressIsWarnedAbout() throws {
        let program = try Harness.fixture("dapdemo")
        let server = try Server([program], address: "0.0.0.0:0")
        _ = try gdb(server.port, ["kill"], program: program)
        let (_, printed) = server.finish()
        XCTAssertTrue(server.firstLines.contains("swdbg: warning: serving on 0.0.0.0:0: the gdb-remote protocol has no authentication"), server.firstLines)
        XCTAssertFalse(printed.contains("total=20"), "killed, not run: \(printed)")
    }
}
