import Foundation
import XCTest

/// Builds the C fixtures with gcc (once per test process) and runs real swdbg sessions on them.
enum Harness {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The swdbg executable SwiftPM built next to the test bundle.
    static let swdbg: String = {
        var directory = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("swdbg").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/swdbg").path
    }()

    static let fixtureDirectory: String = {
        let path = NSTemporaryDirectory() + "swdbg-fixtures-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: [String: String] = [:]

    /// Compiles Tests/Fixtures/NAME.c with `gcc -g -O0` (NAME.cpp with g++, NAME.swift with
    /// `swiftc -g -Onone`), plus `flags`, and returns the binary's path.
    static func fixture(_ name: String, flags: [String] = []) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let key = ([name] + flags).joined(separator: " ")
        if let path = built[key] { return path }
        // Same file name whatever the flags, so the module name (and `name!symbol`) stays the same.
        let directory = fixtureDirectory + (flags.isEmpty ? "" : "/" + flags.joined().filter { $0.isLetter || $0.isNumber })
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let output = directory + "/" + name
        let source = Self.source(name)
        var (compiler, options): (String, [String]) = switch (source as NSString).pathExtension {
        case "cpp": ("/usr/bin/g++", ["-g", "-O0"])
        case "swift": (swiftc, ["-g", "-Onone"])
        default: ("/usr/bin/gcc", ["-g", "-O0"])
        }
        var flags = flags
        if flags.first == "--clang" {
            // The toolchain's clang, for DWARF as LLVM writes it.
            compiler = (swiftc as NSString).deletingLastPathComponent + "/clang"
            flags.removeFirst()
        }
        let result = try run(compiler, options + flags + ["-o", output, source], input: "")
        guard result.status == 0 else { throw HarnessError("\(compiler) failed for \(name): \(result.output)") }
        built[key] = output
        return output
    }

    /// Builds Tests/Fixtures/NAME.c as a shared library `libNAME.so` (`gcc -g -O0 -shared -fPIC`).
    static func library(_ name: String) throws -> String {
        let output = fixtureDirectory + "/lib\(name).so"
        lock.lock()
        defer { lock.unlock() }
        if FileManager.default.fileExists(atPath: output) { return output }
        let result = try run("/usr/bin/gcc", ["-g", "-O0", "-shared", "-fPIC", "-o", output, source(name)], input: "")
        guard result.status == 0 else { throw HarnessError("gcc failed for lib\(name).so: \(result.output)") }
        return output
    }

    struct Result {
        let output: String
        let status: Int32
    }

    /// Runs a program to completion with `input` on stdin; stdout and stderr together.
    @discardableResult
    static func run(_ path: String, _ arguments: [String], input: String, timeout: TimeInterval = 60, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let isolation = path == swdbg ? isolatedEnvironment : [:]
        if !environment.isEmpty || !isolation.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(isolation) { $1 }.merging(environment) { $1 }
        }
        process.currentDirectoryURL = URL(fileURLWithPath: fixtureDirectory)
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        // Written from another thread while the output is read: a long input and a long
        // answer would otherwise fill both pipes and wait on each other.
        let writer = stdin.fileHandleForWriting
        let bytes = Data(input.utf8)
        let written = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            writer.write(bytes)
            try? writer.close()
            written.signal()
        }
        defer { written.wait() }
        let deadline = Date().addingTimeInterval(timeout)
        var data = Data()
        let reader = stdout.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            data.append(chunk)
            if Date() > deadline { process.terminate(); break }
        }
        process.waitUntilExit()
        return Result(output: String(decoding: data, as: UTF8.self), status: process.terminationStatus)
    }

    /// A fixture started by the test itself (for `-p`/`-pn`), its output collected at the end.
    struct RunningProgram {
        let process: Process
        let output: Pipe

        var pid: Int32 { process.processIdentifier }

        /// Waits for the program to end and returns what it printed.
        func finish() -> String {
            process.waitUntilExit()
            return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
    }

    /// Starts a program that prints `ready` once it runs, and returns when it has said so.
    static func start(program path: String, _ arguments: [String]) throws -> RunningProgram {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        try waitFor("ready\n", on: output.fileHandleForReading.fileDescriptor, timeout: 30)
        return RunningProgram(process: process, output: output)
    }

    /// Starts a fixture (one that prints `ready`, as detach.c) and waits until it runs.
    static func start(_ fixture: String, _ arguments: [String]) throws -> RunningProgram {
        try start(program: try Self.fixture(fixture, flags: flags[fixture] ?? []), arguments)
    }

    /// Reads `fd` until `marker` has arrived (a handshake instead of a guess at timing);
    /// returns what was read.
    @discardableResult
    static func waitFor(_ marker: String, on fd: Int32, timeout: TimeInterval) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var seen: [UInt8] = []
        let wanted = Array(marker.utf8)
        while !seen.ends(with: wanted) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            guard remaining > 0, poll(&poller, 1, remaining) == 1 else { throw HarnessError("no '\(marker)' within \(timeout) s; got: \(String(decoding: seen, as: UTF8.self))") }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { throw HarnessError("end of output before '\(marker)'; got: \(String(decoding: seen, as: UTF8.self))") }
            seen.append(byte)
        }
        return String(decoding: seen, as: UTF8.self)
    }

    /// Whether a process (not a child of the tests) is gone or a zombie within `timeout`.
    static func hasEnded(_ pid: Int32, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if let close = stat.lastIndex(of: ")"), stat[close...].dropFirst(2).first == "Z" { return true }
            usleep(20_000)
        } while Date() < deadline
        return false
    }

    /// swdbg under test reads no init file and writes no history of the user's: its config
    /// and state folders are the test run's own.
    static let isolatedEnvironment: [String: String] = {
        let home = fixtureDirectory + "/home"
        for folder in ["config", "state"] { try? FileManager.default.createDirectory(atPath: home + "/" + folder, withIntermediateDirectories: true) }
        return ["XDG_CONFIG_HOME": home + "/config", "XDG_STATE_HOME": home + "/state"]
    }()

    /// Runs `body` with a NULL-terminated C array of C strings.
    static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }

    /// The absolute path of a fixture's source, as its DWARF names it (the compiler is given that path).
    static func source(_ fixture: String) -> String {
        let base = packageRoot.appendingPathComponent("Tests/Fixtures/\(fixture)").path
        return ["c", "cpp", "swift"].map { base + "." + $0 }.first { FileManager.default.fileExists(atPath: $0) } ?? base + ".c"
    }

    /// The Swift compiler of the toolchain that runs the tests.
    static let swiftc: String = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { $0 + "/swiftc" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/swiftc"
    }()

    /// Fixtures that need more than `gcc -g -O0`.
    static let flags = ["threads": ["-pthread"], "recurse": ["-O2", "-fomit-frame-pointer"], "dlopen": ["-ldl"], "vector": ["-mavx"], "pipe": ["-pthread"], "inline": ["-O2"], "plugin_host": ["-ldl"], "entry": ["-O2"], "copies": ["-O2"], "pieces": ["-O2"],
                        "values": [source("values_other")], "containers": ["-std=c++17"], "text": ["-std=c++20"],
                        "crashes": ["-fstack-protector-strong", "-pthread"]]

    /// A swdbg session on a fixture: `commands` are typed at the prompt, one per line.
    static func session(_ fixture: String, _ commands: [String], arguments: [String] = [], options: [String] = []) throws -> String {
        let program = try Self.fixture(fixture, flags: Self.flags[fixture] ?? [])
        return try session(program: program, commands, arguments: arguments, options: options)
    }

    /// A swdbg session on any program, with extra environment variables for swdbg.
    static func session(program: String, _ commands: [String], arguments: [String] = [], options: [String] = [],
                        environment: [String: String] = [:]) throws -> String {
        try run(swdbg, options + [program] + arguments, input: commands.joined(separator: "\n") + "\n", environment: environment).output
    }
}

/// A test's setup could not be made (a fixture that does not compile): the test fails.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Array where Element: Equatable {
    func ends(with suffix: [Element]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

extension String {
    /// The lines of the transcript that follow the prompt echo of `command`, up to the next
    /// prompt. A command that never ran fails the test (an empty answer proves nothing).
    func output(of command: String, occurrence: Int = 0, file: StaticString = #filePath, line: UInt = #line) -> String {
        let lines = components(separatedBy: "\n")
        var seen = 0
        for (index, line) in lines.enumerated() where line.hasSuffix("> " + command) && Self.isPrompt(line) {
            if seen == occurrence {
                let rest = lines[(index + 1)...].prefix { !Self.isPrompt($0) && $0 != "quit:" }
                return rest.joined(separator: "\n")
            }
            seen += 1
        }
        XCTFail("the command '\(command)' (occurrence \(occurrence)) never ran in:\n\(self)", file: file, line: line)
        return "<command never ran>"
    }

    func count(of needle: String) -> Int { components(separatedBy: needle).count - 1 }

    /// A prompt line: `0:000> …` (user mode) or `1: kd> …` (a kernel's CPU 1).
    static func isPrompt(_ line: String) -> Bool {
        guard let colon = line.firstIndex(of: ":"), colon > line.startIndex, line[..<colon].allSatisfy(\.isNumber) else { return false }
        let rest = line[line.index(after: colon)...]
        return rest.hasPrefix(" kd> ") || (rest.prefix(3).count == 3 && rest.prefix(3).allSatisfy(\.isNumber) && rest.dropFirst(3).hasPrefix("> "))
    }
}
