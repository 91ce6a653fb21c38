import Foundation
import XCTest

/// Interactive use through a real pseudo-terminal: completion, history, Enter repeating the
/// last command, Ctrl-C, colour, and the terminal going away.
final class TerminalTests: XCTestCase {
    private func startSession(_ fixture: String, _ arguments: [String] = [], environment: [String: String] = [:]) throws -> TerminalSession {
        let program = try Harness.fixture(fixture, flags: Harness.flags[fixture] ?? [])
        let terminal = try TerminalSession([program] + arguments, environment: environment)
        terminal.waitFor("0:000> ")
        return terminal
    }

    func testTabCompletesCommandsSymbolsRegistersAndFiles() throws {
        let terminal = try startSession("loop")
        // libedit redraws the completed line in place, so the results show what was completed.
        var mark = terminal.mark
        terminal.type(".logcl\t\r")
        terminal.waitFor("No log file open", after: mark)
        mark = terminal.mark
        terminal.type("x loop!wor\t\r")
        terminal.waitFor("loop!work (", after: mark)
        mark = terminal.mark
        terminal.type("r ri\t\r")
        terminal.waitFor("rip=", after: mark)
        mark = terminal.mark
        terminal.type("? @rs\t")
        let listed = terminal.waitFor("@rsp", after: mark)
        XCTAssertTrue(listed.contains("@rsi"), listed)
        terminal.type("p\r")
        terminal.waitFor("Evaluate expression:", after: mark)
        let script = Harness.fixtureDirectory + "/completion-script.txt"
        try ".echo from the script\n".write(toFile: script, atomically: true, encoding: .utf8)
        mark = terminal.mark
        terminal.type("$$< \(Harness.fixtureDirectory)/completion-scr\t\r")
        terminal.waitFor("from the script", after: mark)
        terminal.type("q\r")
        XCTAssertNotNil(terminal.exitStatus(timeout: 20))
    }

    func testHistorySurvivesTheSession() throws {
        let state = Harness.fixtureDirectory + "/history-state-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let first = try startSession("loop", environment: ["XDG_STATE_HOME": state])
        first.type("? 0x1234\r")
        first.waitFor("Evaluate expression: 4660")
        first.type("q\r")
        XCTAssertNotNil(first.exitStatus(timeout: 20))
        XCTAssertTrue(try String(contentsOfFile: state + "/swdbg/history", encoding: .utf8).contains("0x1234"))
        let second = try startSession("loop", environment: ["XDG_STATE_HOME": state])
        let mark = second.mark
        second.type("\u{1b}[A\u{1b}[A\r")  // up arrow twice: the last session's command before its `q`
        second.waitFor("Evaluate expression: 4660", after: mark)
        second.type("q\r")
        XCTAssertNotNil(second.exitStatus(timeout: 20))
    }

    /// An empty line repeats `p` (another step) and continues `db` where it ended.
    func testEnterRepeatsSteppingAndContinuesDisplays() throws {
        let terminal = try startSession("loop")
        terminal.type("bp loop!work\r")
        terminal.type("g\r")
        terminal.waitFor("Breakpoint 0 hit")
        var mark = terminal.mark
        terminal.type("p\r")
        terminal.waitFor("loop!work+0x", after: mark)
        let first = terminal.waitFor("0:000> ", after: mark)
        mark = terminal.mark
        terminal.type("\r")
        terminal.waitFor("loop!work+0x", after: mark)
        let second = terminal.waitFor("0:000> ", after: mark)
        XCTAssertNotEqual(offset(in: first), offset(in: second), "the empty line stepped again:\n\(first)\n---\n\(second)")
        terminal.type("db @rsp L10\r")
        mark = terminal.mark
        terminal.waitFor("0:000> ", after: mark)
        let addressLine = { (text: String) in text.split(separator: "\n").first { $0.contains("  ") && $0.contains("`") }.map { String($0.prefix(17)) } }
        let before = addressLine(String(terminal.transcript[mark...]))
        mark = terminal.mark
        terminal.type("\r")
        terminal.waitFor("0:000> ", after: mark)
        let after = addressLine(String(terminal.transcript[mark...]))
        XCTAssertNotNil(before)
        XCTAssertNotEqual(before, after, "db continued after the first 16 bytes")
        terminal.type("q\r")
        XCTAssertNotNil(terminal.exitStatus(timeout: 20))
    }

    private func offset(in text: String) -> String? {
        guard let range = text.range(of: "loop!work+0x") else { return nil }
        return String(text[range.upperBound...].prefix { $0.isHexDigit })
    }

    /// Ctrl-C on the terminal breaks into the running program; at the prompt it cancels the line.
    func testControlCBreaksInAndCancelsTheLine() throws {
        let terminal = try startSession("detach", ["500"])
        terminal.type("g\r")
        terminal.waitFor("ready")
        terminal.interrupt(expecting: "Break instruction exception - code 80000003")
        let mark = terminal.mark
        terminal.type("this is not a command\u{3}")
        terminal.type("k\r")
        let stack = terminal.waitFor("detach!main+0x", after: mark)
        XCTAssertFalse(stack.contains("Syntax error"), "the cancelled line did not run: \(stack)")
        terminal.type("q\r")
        XCTAssertNotNil(terminal.exitStatus(timeout: 20))
    }

    /// Ctrl-C ends stepping that would never end by itself (`ta` to an address never reached).
    func testControlCStopsLongStepping() throws {
        let terminal = try startSession("loop")
        terminal.type("bp loop!work\r")
        terminal.type("g\r")
        terminal.waitFor("Breakpoint 0 hit")
        let mark = terminal.mark
        terminal.type("ta 1\r")
        terminal.waitFor("loop!work+0x", after: mark)
        terminal.interrupt(expecting: "Break instruction exception - code 80000003")
        terminal.type("q\r")
        XCTAssertNotNil(terminal.exitStatus(timeout: 20))
    }

    func testControlCStopsAnEndlessWhile() throws {
        let terminal = try startSession("loop")
        let mark = terminal.mark
        // The marker is printed by the loop, not in the line as typed (its echo).
        terminal.type("r $t0 = 0; .while (1) { r $t0 = @$t0 + 1; .if (@$t0 == 0n1000) { .printf \"%d-looping\\n\", 0n7 } }\r")
        terminal.waitFor("7-looping", after: mark)
        terminal.interrupt(expecting: "^C: the loop was interrupted")
        terminal.type("q\r")
        XCTAssertNotNil(terminal.exitStatus(timeout: 20))
    }

    func testColourOnATerminalOnly() throws {
        let coloured = try startSession("loop")
        var mark = coloured.mark
        coloured.type("u loop!work L2\r")
        coloured.waitFor("push", after: mark)
        XCTAssertTrue(coloured.waitFor("0:000> ", after: mark).contains("\u{1b}[32mloop!work"), "the symbol in green")
        mark = coloured.mark
        coloured.type("nosuchcommand\r")
        XCTAssertTrue(coloured.waitFor("0:000> ", after: mark).contains("\u{1b}[1;31m"), "errors in red")
        coloured.type("q\r")
        XCTAssertNotNil(coloured.exitStatus(timeout: 20))
        let plain = try startSession("loop", environment: ["NO_COLOR": "1"])
        mark = plain.mark
        plain.type("u loop!work L2\r")
        plain.waitFor("push", after: mark)
        plain.waitFor("0:000> ", after: mark)
        XCTAssertFalse(plain.transcript[mark...].contains("\u{1b}[3"), String(plain.transcript[mark...]))
        plain.type("q\r")
        XCTAssertNotNil(plain.exitStatus(timeout: 20))
        let piped = try Harness.session("loop", ["u loop!work L2"])
        XCTAssertFalse(piped.contains("\u{1b}["), "no colour into a pipe")
    }

    /// The terminal closes while the program runs: swdbg ends the session as at the end of
    /// its input (the launched program is killed) and exits instead of spinning.
    func testTerminalGoingAwayEndsTheSession() throws {
        let terminal = try startSession("detach", ["2000"])
        terminal.type("? @$tpid\r")
        let answer = terminal.waitFor("Evaluate expression: ")
        let pidText = answer.components(separatedBy: "Evaluate expression: ").last?.prefix { $0.isNumber } ?? ""
        let debuggee = try XCTUnwrap(Int32(pidText))
        terminal.type("g\r")
        terminal.waitFor("ready")
        terminal.closeTerminal()
        XCTAssertNotNil(terminal.exitStatus(timeout: 30), "swdbg is still running after its terminal went away")
        XCTAssertTrue(Harness.hasEnded(debuggee, timeout: 10), "the launched program was ended")
    }

    /// Attached with a breakpoint planted: the hangup ends the session as at the end of input,
    /// by detaching, so the program runs on with its code and result untouched.
    func testTerminalGoingAwayDetachesAnAttachedProgram() throws {
        let undisturbed = try Harness.run(try Harness.fixture("detach"), ["150"], input: "").output
        let target = try Harness.start("detach", ["150"])
        let terminal = try TerminalSession(["-p", "\(target.pid)"])
        terminal.waitFor("0:000> ")
        terminal.type("bp detach!work \"gc\"\r")
        terminal.type("g\r")
        terminal.waitFor("0:000> g")
        terminal.closeTerminal()
        XCTAssertNotNil(terminal.exitStatus(timeout: 30), "swdbg is still running after its terminal went away")
        let result = target.finish()
        XCTAssertEqual(target.process.terminationStatus, 0)
        let checksum = { (text: String) in text.components(separatedBy: "checksum=").last ?? "" }
        XCTAssertEqual(checksum(result), checksum(undisturbed), "the int3 was taken out: \(result)")
        XCTAssertTrue(result.contains("total=33675 "), result)
    }

    func testTerminalGoingAwayAtThePrompt() throws {
        let terminal = try startSession("loop")
        terminal.closeTerminal()
        XCTAssertNotNil(terminal.exitStatus(timeout: 30))
    }
}
