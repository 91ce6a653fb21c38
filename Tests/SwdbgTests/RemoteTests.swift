import Foundation
import XCTest

/// Processes under real gdb-remote stubs on loopback — gdbserver 13 and the toolchain's
/// lldb-server — opened with `-premote` and inspected: threads, stacks with CFI and lines,
/// registers, memory, disassembly, modules; run control refused; the stub let go at the end,
/// the program finishing as if never touched.
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
        let (out, program) = try inspect(with: name, ["~", "k", "r rip", "lm", "u detach!work L1", "db detach!work L4", "g", "bp detach!work", "q"])
        XCTAssertTrue(out.contains("Connected to the gdb-remote stub at 127.0.0.1:"), out)
        XCTAssertEqual(out.output(of: "~").count(of: "Id: "), 1, out)
        if name == "gdbserver" { XCTAssertTrue(out.output(of: "~").hasSuffix("Unfrozen \"detach\""), "qXfer:threads names it: \(out)") }
        let stack = out.output(of: "k")
        XCTAssertTrue(stack.contains("detach!main+0x") && stack.contains("detach.c @ 17]"), stack)
        XCTAssertTrue(stack.contains("libc!usleep"), stack)
        XCTAssertTrue(out.output(of: "r rip").hasPrefix("rip=00007f"), out)
        let modules = out.output(of: "lm")
        XCTAssertTrue(modules.contains("detach ") && modules.contains("libc ") && modules.contains("linux_vdso "), modules)
        XCTAssertTrue(out.output(of: "u detach!work L1").contains("push    rbp"), out)
        XCTAssertTrue(out.output(of: "db detach!work L4").contains("55 48 89 e5"), out)
        XCTAssertTrue(out.output(of: "g").contains("No runnable debuggees error in 'g'"), out)
        XCTAssertTrue(out.output(of: "bp detach!work").contains("No runnable debuggees error in 'bp'"), out)
        // Let go untouched: the sum and its own code's checksum as an undisturbed run prints them.
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
        let session = Process()
        session.executableURL = URL(fileURLWithPath: Harness.swdbg)
        session.arguments = ["-premote", "gdb:server=127.0.0.1,port=\(port)"]
        let input = Pipe(), output = Pipe()
        session.standardInput = input
        session.standardOutput = output
        session.standardError = output
        try session.run()
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

    func testAStubThatIsNotThereIsAClearError() throws {
        let result = try Harness.run(Harness.swdbg, ["-premote", "gdb:server=127.0.0.1,port=1"], input: "")
        XCTAssertTrue(result.output.contains("Cannot connect to 127.0.0.1:1: Connection refused"), result.output)
        XCTAssertEqual(result.status, 1)
        let usage = try Harness.run(Harness.swdbg, ["-premote", "tcp:server=x"], input: "")
        XCTAssertEqual(usage.status, 2, usage.output)
    }
}
