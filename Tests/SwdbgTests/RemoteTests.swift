import Foundation
import XCTest

/// Processes under real gdb-remote stubs on loopback — gdbserver 13 and the toolchain's
/// lldb-server — debugged with `-premote`: attached or started through the stub, inspected
/// (threads, stacks with CFI and lines, registers, memory, modules) and run (breakpoints,
/// steps, watchpoints, `wt`, threads), then let go or ended, the program's own result intact.
final class RemoteTests: XCTestCase {
    private func stub(_ name: String) throws -> String {
        if name == "gdbserver" {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gdbserver") else { throw XCTSkip("gdbserver is not installed (script/setup installs it)") }
            return "/usr/bin/gdbserver"
        }
        let beside = (Harness.swiftc as NSString).deletingLastPathComponent + "/lldb-server"
        guard FileManager.default.isExecutableFile(atPath: beside) else { throw XCTSkip("no lldb-server beside the Swift toolchain (\(beside))") }
        return beside
    }

    /// The fixture running under `stub` (attached to), a swdbg session on it, and the program's
    /// own output once it finished.
    private func inspect(with name: String, _ commands: [String]) throws -> (session: String, program: String) {
        let server = try stub(name)
        let running = try Harness.start("detach", ["150"])
        let port = 30000 + Int(getpid() % 10000) + (name == "gdbserver" ? 0 : 1)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: server)
        process.arguments = name == "gdbserver" ? ["--once", "--attach", "127.0.0.1:\(port)", String(running.pid)]
                                                : ["gdbserver", "--attach", String(running.pid), "127.0.0.1:\(port)"]
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The stub listens once it has attached.
        var session = ""
        for _ in 0..<50 {
            session = try Harness.run(Harness.swdbg, ["-premote", "gdb:server=127.0.0.1,port=\(port)"], input: commands.joined(separator: "\n") + "\n").output
            if !session.contains("Connection refused") { break }
            usleep(100_000)
        }
        return (session, running.finish())
    }

    private func check(_ name: String) throws {
        let (out, program) = try inspect(with: name, ["~", "k", "r rip", "lm", "u detach!work L1", "db detach!work L4", "bp detach!work", "g", "db detach!work L4", "bc *", ".detach", "q"])
        XCTAssertTrue(out.contains("Connected to the gdb-remote stub at 127.0.0.1:"), out)
        XCTAssertEqual(out.output(of: "~").count(of: "Id: "), 1, out)
        if name == "gdbserver" { XCTAssertTrue(out.output(of: "~").hasSuffix("Unfrozen \"detach\""), "qXfer:threads names it: \(out)") }
        let stack = out.output(of: "k")
        XCTAssertTrue(stack.contains("detach!main+0x") && stack.contains("detach.c @ 17]"), stack)
        XCTAssertTrue(stack.contains("libc!usleep"), stack)
        XCTAssertTrue(out.output(of: "r rip").hasPrefix("rip=00007"), "in libc, where the mappings are (lldb-server keeps ASLR: 0x7e… happens): \(out)")
        let modules = out.output(of: "lm")
        XCTAssertTrue(modules.contains("detach ") && modules.contains("libc ") && modules.contains("linux_vdso "), modules)
        XCTAssertTrue(out.output(of: "u detach!work L1").contains("push    rbp"), out)
        XCTAssertTrue(out.output(of: "db detach!work L4").contains("55 48 89 e5"), out)
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"), out)
        XCTAssertTrue(out.output(of: "db detach!work L4", occurrence: 1).contains("55 48 89 e5"), "the stub's int3 is not shown: \(out)")
        XCTAssertTrue(out.output(of: ".detach").contains("Detached"), out)
        // Let go as it was: the sum and its own code's checksum as an undisturbed run prints them.
        let alone = try Harness.run(try Harness.fixture("detach"), ["150"], input: "").output
        XCTAssertEqual(program.split(separator: "\n").last, alone.split(separator: "\n").last, program)
    }

    func testInspectingAProcessUnderGdbserver() throws { try check("gdbserver") }

    func testInspectingAProcessUnderLldbServer() throws { try check("lldb-server") }

    /// The stub killed while the session looks: what was read stays, the rest is unreadable at
    /// once (no deadline waited out per read), and the session ends normally.
    func testAStubKilledMidSession() throws {
        let server = try stub("gdbserver")
        let running = try Harness.start("detach", ["3000"])
        defer { kill(running.pid, SIGKILL); _ = running.finish() }
        let port = 32000 + Int(getpid() % 10000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: server)
        process.arguments = ["--once", "--attach", "127.0.0.1:\(port)", String(running.pid)]
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try Harness.waitFor("Listening on port", on: log.fileHandleForReading.fileDescriptor, timeout: 30)
        // swdbg looks once; when it has answered, the stub is killed; then swdbg looks again.
        let (session, input, output) = try interactiveSession(["-premote", "gdb:server=127.0.0.1,port=\(port)"])
        input.fileHandleForWriting.write(Data("r rip\n".utf8))
        var out = try Harness.waitFor("rip=", on: output.fileHandleForReading.fileDescriptor, timeout: 30)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        input.fileHandleForWriting.write(Data("db @rsp L10\ndd @rsp L4\nq\n".utf8))
        try input.fileHandleForWriting.close()
        out += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        session.waitUntilExit()
        XCTAssertTrue(out.output(of: "db @rsp L10").contains("?? ?? ??"), out)
        XCTAssertTrue(out.output(of: "dd @rsp L4").contains("????????"), out)
        XCTAssertTrue(out.hasSuffix("quit:\n"), out)
    }

    /// A swdbg session the test types into while it runs (pipes for input and output).
    private func interactiveSession(_ arguments: [String]) throws -> (Process, input: Pipe, output: Pipe) {
        let session = Process()
        session.executableURL = URL(fileURLWithPath: Harness.swdbg)
        session.arguments = arguments
        let input = Pipe(), output = Pipe()
        session.standardInput = input
        session.standardOutput = output
        session.standardError = output
        try session.run()
        return (session, input, output)
    }

    /// A stub on loopback, its output (the program's too, for gdbserver) collected.
    private final class RunningStub {
        let process = Process()
        let log = Pipe()
        let port: Int

        init(_ server: String, _ arguments: [String], port: Int) throws {
            self.port = port
            process.executableURL = URL(fileURLWithPath: server)
            process.arguments = arguments
            process.standardOutput = log
            process.standardError = log
            try process.run()
        }

        deinit { if process.isRunning { process.terminate() } }

        /// Waits until the stub listens (its socket in /proc/net/tcp, state 0A), without
        /// connecting (`--once` would take a probe for the session).
        func waitUntilListening() throws {
            let needle = String(format: ":%04X 00000000:0000 0A", port)
            for _ in 0..<300 {
                if let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8), table.contains(needle) { return }
                usleep(20_000)
            }
            throw XCTSkip("the stub never listened on port \(port)")
        }

        /// Everything the stub and its program printed, once the stub ended.
        func finish() -> String {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            return String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
    }

    /// `gdbserver --multi` (or lldb-server, which starts programs as it is) waiting for a
    /// program, or a stub started with `program` already.
    private func startStub(_ name: String, port offset: Int, program: [String]? = nil) throws -> RunningStub {
        let server = try stub(name)
        let port = 20000 + Int(getpid() % 10000) + offset
        let address = "127.0.0.1:\(port)"
        let arguments = name == "gdbserver" ? (program.map { ["--once", address] + $0 } ?? ["--once", "--multi", address])
                                             : ["gdbserver", address] + (program ?? [])
        return try RunningStub(server, arguments, port: port)
    }

    /// A session on the stub; the first tries may come before it listens.
    private func session(_ stub: RunningStub, program: [String] = [], _ commands: [String]) throws -> String {
        var out = ""
        for _ in 0..<50 {
            out = try Harness.run(Harness.swdbg, ["-premote", "gdb:server=127.0.0.1,port=\(stub.port)"] + program, input: commands.joined(separator: "\n") + "\n").output
            if !out.contains("Connection refused") { break }
            usleep(100_000)
        }
        return out
    }

    /// A program started through the stub (`vRun`) and run like a local one: breakpoints,
    /// stepping, `gu`, a write watchpoint (Z2), `wt` counting what a local `wt` counts, locals,
    /// the stack, a register write, then the program finishing with its own result.
    private func checkRunControl(_ name: String, port: Int) throws {
        let program = try Harness.fixture("lines")
        let stub = try startStub(name, port: port)
        let commands = ["bp lines!square", "g", "k", "dv", "p", "gu", "bc *", "ba w4 lines!table+0x24", "g", "? poi(lines!table+0x24)",
                        "bc *", "bp lines!square", "g", "wt", "bc *", "r rbx=0n7", "r rbx", "g"]
        let out = try session(stub, program: [program], commands)
        let printed = stub.finish()
        XCTAssertTrue(out.contains("CommandLine: \(program)"), out)
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"), out)
        XCTAssertTrue(out.output(of: "k").contains("lines!square [") && out.output(of: "k").contains("lines!main+0x"), out)
        XCTAssertEqual(out.output(of: "dv").trimmingCharacters(in: .whitespaces), "v = 0n0", out)
        XCTAssertTrue(out.output(of: "p").contains("lines!square+0x1 "), out)
        XCTAssertTrue(out.output(of: "gu").contains("lines!main+0x") && out.output(of: "gu").contains("lines.c @ 13]"), out)
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("hit"), "the Z2 watchpoint fired: \(out)")
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("lines.c @ 12]"), out)
        XCTAssertEqual(out.output(of: "? poi(lines!table+0x24)"), "Evaluate expression: 99 = 00000000`00000063", out)
        // The same function traced locally is the oracle.
        let local = try Harness.session("lines", ["bp lines!square", "g", "wt", "q"])
        let count = local.output(of: "wt").split(separator: "\n").first { $0.contains("instructions were executed") }
        XCTAssertNotNil(count, local)
        XCTAssertTrue(out.output(of: "wt").contains(String(count ?? "-")), "\(out.output(of: "wt")) vs \(String(count ?? ""))")
        XCTAssertTrue(out.output(of: "r rbx").hasPrefix("rbx=0000000000000007"), out)
        XCTAssertTrue(out.output(of: "g", occurrence: 3).contains("exited, code"), out)
        if name == "gdbserver" {
            // rbx held nothing main needed after the loop: the program's result is its own.
            XCTAssertTrue(printed.contains("1913025920 99"), printed)
        }
    }

    func testRunControlUnderGdbserver() throws { try checkRunControl("gdbserver", port: 2) }

    func testRunControlUnderLldbServer() throws { try checkRunControl("lldb-server", port: 3) }

    /// Four threads through one conditional breakpoint: the stub stops them all at each hit,
    /// the engine resumes them all, and not one hit is lost (50 per thread). Threads the stub
    /// only shows in its stop replies are taken in as they appear.
    private func checkThreads(_ name: String, port: Int) throws {
        let program = try Harness.fixture("threads", flags: ["-pthread"])
        let stub = try startStub(name, port: port, program: [program])
        let out = try session(stub, ["bp threads!tick", "g", "~", "bc *", "bp threads!tick \"r $t0=@$t0+1; gc\"", "g", "? @$t0"])
        let printed = stub.finish()
        // Caught before the loader ran: the libraries load on the way.
        XCTAssertTrue(out.output(of: "g").contains("/libc.so.6\n") && out.output(of: "g").contains("\nBreakpoint 0 hit"), out)
        XCTAssertGreaterThanOrEqual(out.output(of: "~").count(of: "Id: "), 2, out)
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("exited, code 0"), out)
        XCTAssertEqual(out.output(of: "? @$t0"), "Evaluate expression: 199 = 00000000`000000c7", "every hit after the first: \(out)")
        if name == "gdbserver" { XCTAssertTrue(printed.contains("hits=50,50,50,50"), printed) }
    }

    func testThreadsUnderGdbserver() throws { try checkThreads("gdbserver", port: 4) }

    func testThreadsUnderLldbServer() throws { try checkThreads("lldb-server", port: 5) }

    /// Ctrl-C while the stub runs the program: the interrupt byte goes to the stub, the stop
    /// is a break-in (not a SIGINT for the program), and `q` ends the program.
    private func checkBreakIn(_ name: String, port: Int) throws {
        let stub = try startStub(name, port: port)
        try stub.waitUntilListening()
        let (session, input, output) = try interactiveSession(["-premote", "gdb:server=127.0.0.1,port=\(stub.port)", try Harness.fixture("detach"), "3000"])
        input.fileHandleForWriting.write(Data("g\nk\nq\n".utf8))
        try input.fileHandleForWriting.close()
        // Running once the program said so: on the stub's output (gdbserver), or passed on to
        // swdbg's (lldb-server sends it in `O` packets).
        let before = try Harness.waitFor("ready", on: (name == "gdbserver" ? stub.log : output).fileHandleForReading.fileDescriptor, timeout: 30)
        usleep(200_000)
        kill(session.processIdentifier, SIGINT)
        session.waitUntilExit()
        let out = (name == "gdbserver" ? "" : before) + String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(out.output(of: "g").count(of: "Break instruction exception - code 80000003 (first chance)"), 1, out)
        XCTAssertTrue(out.output(of: "k").contains("detach!main+0x"), out)
        XCTAssertFalse(stub.finish().contains("total="), "q ended the program before it finished")
    }

    func testBreakInUnderGdbserver() throws { try checkBreakIn("gdbserver", port: 6) }

    func testBreakInUnderLldbServer() throws { try checkBreakIn("lldb-server", port: 7) }

    /// A fork child and a posix_spawn (vfork) child of a program under gdbserver: the fork
    /// child is let go with its breakpoints taken out (it calls the function 5 times and exits
    /// with 25), the breakpoints are out while the vfork child shares the memory, and the
    /// parent's own call still stops.
    func testForkAndVforkChildrenUnderGdbserver() throws {
        let stub = try startStub("gdbserver", port: 9)
        let out = try session(stub, program: [try Harness.fixture("fork")], ["bp fork!work", "g", "r rdi", "g"])
        let printed = stub.finish()
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"), out)
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=000000000000000a", "the parent's work(10): \(out)")
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("exited, code 0"), out)
        XCTAssertTrue(printed.contains("child exited=1 code=25 parent=21 spawn=0"), printed)
    }

    /// The debugged process execs another program under gdbserver (its exec event): the new
    /// image's modules are read, a deferred breakpoint in it resolves and hits, and the new
    /// program runs to its own end.
    func testExecUnderGdbserver() throws {
        let stub = try startStub("gdbserver", port: 10)
        let out = try session(stub, program: [try Harness.fixture("execs"), try Harness.fixture("lines")], ["bu lines!square", "g", "k", "bc *", "g"])
        let printed = stub.finish()
        XCTAssertTrue(out.output(of: "g").contains("Exec \(try Harness.fixture("lines"))"), out)
        XCTAssertTrue(out.output(of: "g").contains("Breakpoint 0 hit"), out)
        XCTAssertTrue(out.output(of: "k").contains("lines!main+0x"), out)
        XCTAssertTrue(out.output(of: "g", occurrence: 1).contains("exited, code 0"), out)
        XCTAssertTrue(printed.contains("1913025920 99"), printed)
    }

    /// A stub swdbg starts itself on a pipe (`gdbserver - prog`, gdb's `target remote | …`):
    /// the same session, and the stub gone with it.
    func testAStubOnAPipe() throws {
        _ = try stub("gdbserver")
        let program = try Harness.fixture("lines")
        let out = try Harness.run(Harness.swdbg, ["-premote", "gdb:pipe=exec gdbserver - \(program)"], input: "bp lines!square\ng\nk\ndv\nq\n").output
        XCTAssertTrue(out.contains("Connected to the gdb-remote stub at | exec gdbserver - \(program): process 0n"), out)
        XCTAssertTrue(out.output(of: "g").contains("Breakpoint 0 hit"), out)
        XCTAssertTrue(out.output(of: "k").contains("lines!main+0x"), out)
        XCTAssertEqual(out.output(of: "dv").trimmingCharacters(in: .whitespaces), "v = 0n0", out)
        let left = try Harness.run("/usr/bin/pgrep", ["-f", "gdbserver - \(program)"], input: "")
        XCTAssertEqual(left.output, "", "the stub is gone with the session")
    }

    /// The stub killed while the program runs under it: the wait for its stop reply ends with
    /// a clear error, and the session goes on to a normal end.
    func testAStubKilledWhileTheTargetRuns() throws {
        let stub = try startStub("gdbserver", port: 8, program: [try Harness.fixture("detach"), "3000"])
        try stub.waitUntilListening()
        let (session, input, output) = try interactiveSession(["-premote", "gdb:server=127.0.0.1,port=\(stub.port)"])
        input.fileHandleForWriting.write(Data("g\n".utf8))
        _ = try Harness.waitFor("ready", on: stub.log.fileHandleForReading.fileDescriptor, timeout: 30)
        kill(stub.process.processIdentifier, SIGKILL)
        stub.process.waitUntilExit()
        input.fileHandleForWriting.write(Data("r rip\nq\n".utf8))
        try input.fileHandleForWriting.close()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        session.waitUntilExit()
        // The program the stub ran is nobody's now: it is not left behind.
        if let range = out.range(of: "process 0n"), let pid = Int32(out[range.upperBound...].prefix { $0.isNumber }) { kill(pid, SIGKILL) }
        XCTAssertTrue(out.output(of: "g").contains("remote: the stub closed the connection"), out)
        XCTAssertTrue(out.hasSuffix("quit:\n"), out)
        XCTAssertEqual(session.terminationStatus, 0, out)
    }

    func testAStubThatIsNotThereIsAClearError() throws {
        let result = try Harness.run(Harness.swdbg, ["-premote", "gdb:server=127.0.0.1,port=1"], input: "")
        XCTAssertTrue(result.output.contains("Cannot connect to 127.0.0.1:1: Connection refused"), result.output)
        XCTAssertEqual(result.status, 1)
        let usage = try Harness.run(Harness.swdbg, ["-premote", "tcp:server=x"], input: "")
        XCTAssertEqual(usage.status, 2, usage.output)
    }
}
