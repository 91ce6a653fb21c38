import CTestPty
import Foundation
import XCTest

/// swdbg on a real pseudo-terminal, driven as a user at a terminal emulator would: keys in,
/// screen text out (with libedit's redrawing in it), Ctrl-C through the terminal driver, and
/// the terminal closed under it.
final class TerminalSession {
    let pid: pid_t
    private var master: Int32
    private(set) var transcript = ""

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        var env = ProcessInfo.processInfo.environment.merging(Harness.isolatedEnvironment) { $1 }
        env["TERM"] = "xterm"
        env.removeValue(forKey: "NO_COLOR")
        env.merge(environment) { $1 }
        let argv = [Harness.swdbg] + arguments
        var fd: Int32 = -1
        let child = Harness.withCStrings(argv) { argvPointers in
            Harness.withCStrings(env.map { "\($0.key)=\($0.value)" }) { envPointers in
                ctp_spawn(Harness.swdbg, argvPointers, envPointers, 200, 50, &fd)
            }
        }
        guard child > 0 else { throw HarnessError("cannot start swdbg on a terminal: \(String(cString: strerror(errno)))") }
        pid = child
        master = fd
    }

    deinit {
        closeTerminal()
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Types text (`\r` is Enter, `\t` Tab, `\u{3}` Ctrl-C).
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Reads the screen until `text` appears after `from` (a transcript offset); returns the
    /// new output. Fails the test after `timeout` seconds.
    @discardableResult
    func waitFor(_ text: String, after from: String.Index? = nil, timeout: TimeInterval = 30, file: StaticString = #filePath, line: UInt = #line) -> String {
        let start = from ?? transcript.startIndex
        let deadline = Date().addingTimeInterval(timeout)
        while !transcript[start...].contains(text) {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, readSome(timeout: remaining) else {
                XCTFail("'\(text)' did not appear on the terminal; it shows:\n\(transcript[start...])", file: file, line: line)
                return String(transcript[start...])
            }
        }
        return String(transcript[start...])
    }

    /// Where the transcript ends now (to wait for what comes after).
    var mark: String.Index { transcript.endIndex }

    /// Types Ctrl-C and waits for what it must print, then for the prompt.
    func interrupt(expecting message: String, file: StaticString = #filePath, line: UInt = #line) {
        let from = mark
        type("\u{3}")
        waitFor(message, after: from, file: file, line: line)
        waitFor("0:000> ", after: from, file: file, line: line)
    }

    private func readSome(timeout: TimeInterval) -> Bool {
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard master >= 0, poll(&poller, 1, Int32(min(timeout, 5) * 1000)) >= 0 else { return false }
        if poller.revents & Int16(POLLIN) == 0 { return poller.revents == 0 }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, 4096) }
        guard count > 0 else { return false }
        transcript += String(decoding: buffer[0..<count], as: UTF8.self)
        return true
    }

    /// Hangs up: the terminal goes away, as when its window is closed.
    func closeTerminal() {
        if master >= 0 { close(master) }
        master = -1
    }

    /// Waits for swdbg to end; its exit status, or nil if it still runs after `timeout`.
    func exitStatus(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return status }
            if master >= 0 { _ = readSome(timeout: 0.05) } else { usleep(20_000) }
        }
        return nil
    }
}
