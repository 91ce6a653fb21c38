import Foundation
import XCTest

/// `swdbg --dap` driven by a real DAP client: Tests/Fixtures/dapclient, built here on
/// google/go-dap (the library Delve's DAP server uses), which decodes every message swdbg
/// sends into go-dap's typed structs (a malformed one fails the session). Full sessions on
/// the dapdemo fixture, whose values are known by construction.
final class DAPTests: XCTestCase {
    /// The client, built once per test run with the Debian go-dap package (script/setup).
    private static let client: Result<String, HarnessError> = {
        let output = Harness.fixtureDirectory + "/dapclient"
        let source = Harness.packageRoot.appendingPathComponent("Tests/Fixtures/dapclient").path
        guard FileManager.default.fileExists(atPath: "/usr/share/gocode/src/github.com/google/go-dap/codec.go") else {
            return .failure(HarnessError("go-dap is not installed: script/setup installs golang-go and golang-github-google-go-dap-dev"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/go")
        process.arguments = ["build", "-o", output, "."]
        process.currentDirectoryURL = URL(fileURLWithPath: source)
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOCACHE": Harness.fixtureDirectory + "/gocache", "GOFLAGS": ""]) { $1 }
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        do { try process.run() } catch { return .failure(HarnessError("cannot run go: \(error)")) }
        let text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return .failure(HarnessError("go build of the DAP client failed: \(text)")) }
        return .success(output)
    }()

    /// What a session printed: every message received (`<- `), parsed, and the client's status.
    struct Transcript {
        let text: String
        let received: [[String: Any]]
        let status: Int32

        func events(_ name: String) -> [[String: Any]] { received.filter { $0["type"] as? String == "event" && $0["event"] as? String == name } }
        func responses(_ command: String) -> [[String: Any]] { received.filter { $0["type"] as? String == "response" && $0["command"] as? String == command } }
        func body(_ message: [String: Any]?) -> [String: Any] { message?["body"] as? [String: Any] ?? [:] }
        /// What the program printed (its stdout as `output` events).
        var programOutput: String {
            events("output").compactMap { body($0)["category"] as? String == "stdout" ? body($0)["output"] as? String : nil }.joined()
        }
        var console: String {
            events("output").compactMap { body($0)["category"] as? String == "console" ? body($0)["output"] as? String : nil }.joined()
        }
        var exitCode: Int? { events("exited").first.flatMap { body($0)["exitCode"] as? Int } }
    }

    /// Runs a script (one step per line, see dapclient/main.go) against `swdbg --dap`.
    private func session(_ steps: [String], adapter: [String]? = nil, address: String? = nil) throws -> Transcript {
        let client = try Self.client.get()
        let script = Harness.fixtureDirectory + "/dap-\(UUID().uuidString).script"
        try steps.joined(separator: "\n").write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        var arguments = ["-script", script, "-timeout", "30"]
        if let address { arguments += ["-addr", address] } else { arguments += ["--"] + (adapter ?? [Harness.swdbg, "--dap"]) }
        let result = try Harness.run(client, arguments, input: "", timeout: 120)
        let received = result.output.split(separator: "\n").compactMap { line -> [String: Any]? in
            guard line.hasPrefix("<- ") else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(3).utf8))) as? [String: Any]
        }
        return Transcript(text: result.output, received: received, status: result.status)
    }

    private var program: String { get throws { try Harness.fixture("dapdemo") } }
    private var source: String { Harness.source("dapdemo") }

    private func initialize() -> [String] {
        [#"{"send": {"command": "initialize", "arguments": {"clientID": "dapclient", "adapterID": "swdbg", "linesStartAt1": true, "columnsStartAt1": true}}}"#,
         #"{"wait": "response"}"#]
    }

    func testALaunchSessionThroughBreakpointsVariablesMemoryAndModules() throws {
        let t = try session(initialize() + [
            #"{"send": {"command": "launch", "arguments": {"program": "\#(try program)", "stopOnEntry": true, "cwd": "/tmp", "env": {"DAPDEMO": "1"}}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "setBreakpoints", "arguments": {"source": {"path": "\#(source)"}, "breakpoints": [{"line": 16, "hitCondition": "3"}, {"line": 17, "logMessage": "counter is {counter}"}, {"line": 30}]}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "event:stopped", "save": {"tid": "body.threadId"}}"#,
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "continue", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "event:stopped"}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "value", "context": "hover"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "setBreakpoints", "arguments": {"source": {"path": "\#(source)"}, "breakpoints": [{"line": 30}]}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "continue", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "event:stopped"}"#,
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "response", "save": {"frame": "body.stackFrames.0.id", "pc": "body.stackFrames.0.instructionPointerReference"}}"#,
            #"{"send": {"command": "scopes", "arguments": {"frameId": "${frame}"}}}"#,
            #"{"wait": "response", "find": {"locals": {"in": "body.scopes", "where": {"name": "Locals"}, "take": "variablesReference"}, "registers": {"in": "body.scopes", "where": {"name": "Registers"}, "take": "variablesReference"}}}"#,
            #"{"send": {"command": "variables", "arguments": {"variablesReference": "${locals}"}}}"#,
            #"{"wait": "response", "find": {"tri": {"in": "body.variables", "where": {"name": "triangle"}, "take": "variablesReference"}}}"#,
            #"{"send": {"command": "variables", "arguments": {"variablesReference": "${tri}"}}}"#,
            #"{"wait": "response", "find": {"corners": {"in": "body.variables", "where": {"name": "corners"}, "take": "variablesReference"}, "first": {"in": "body.variables", "where": {"name": "first"}, "take": "variablesReference"}}}"#,
            #"{"send": {"command": "variables", "arguments": {"variablesReference": "${corners}"}}}"#,
            #"{"wait": "response", "find": {"c1": {"in": "body.variables", "where": {"name": "[1]"}, "take": "variablesReference"}}}"#,
            #"{"send": {"command": "variables", "arguments": {"variablesReference": "${c1}"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "variables", "arguments": {"variablesReference": "${first}"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "variables", "arguments": {"variablesReference": "${registers}"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "setVariable", "arguments": {"variablesReference": "${tri}", "name": "sides", "value": "7"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "&counter", "context": "watch"}}}"#,
            #"{"wait": "response", "save": {"addr": "body.result"}}"#,
            #"{"send": {"command": "readMemory", "arguments": {"memoryReference": "${addr}", "count": 4}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "writeMemory", "arguments": {"memoryReference": "${addr}", "data": "KgAAAA=="}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "counter * 2", "context": "watch"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "disassemble", "arguments": {"memoryReference": "${pc}", "instructionOffset": -2, "instructionCount": 5}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "modules"}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "loadedSources"}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "threads"}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "continue", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "event:terminated"}"#,
            #"{"send": {"command": "disconnect"}}"#,
            #"{"wait": "response"}"#,
        ])
        XCTAssertEqual(t.status, 0, t.text)
        let capabilities = t.body(t.responses("initialize").first)
        XCTAssertEqual(capabilities["supportsConfigurationDoneRequest"] as? Bool, true, t.text)
        XCTAssertEqual(t.events("initialized").count, 1, t.text)
        // Set at the entry stop: resolved at once, on the lines asked for.
        let set = t.body(t.responses("setBreakpoints").first)["breakpoints"] as? [[String: Any]] ?? []
        XCTAssertEqual(set.map { $0["verified"] as? Bool }, [true, true, true], t.text)
        XCTAssertEqual(set.map { $0["line"] as? Int }, [16, 17, 30], t.text)
        let stops = t.events("stopped").map { t.body($0) }
        XCTAssertEqual(stops.map { $0["reason"] as? String }, ["entry", "breakpoint", "breakpoint"], t.text)
        XCTAssertEqual(stops.dropFirst().map { $0["hitBreakpointIds"] as? [Int] }, [[1], [1]], t.text)
        // The log point printed the two hits before the third of line 14 (its hit count) stopped.
        XCTAssertEqual(t.console, "counter is 0\ncounter is 1\n", t.text)
        XCTAssertEqual(t.body(t.responses("evaluate").first)["result"] as? String, "2", "the third hit: value 2: \(t.text)")
        let frames = t.body(t.responses("stackTrace")[1])["stackFrames"] as? [[String: Any]] ?? []
        XCTAssertEqual(frames.first?["name"] as? String, "main", t.text)
        XCTAssertEqual(frames.first?["line"] as? Int, 30, t.text)
        XCTAssertEqual((frames.first?["source"] as? [String: Any])?["path"] as? String, source, t.text)
        XCTAssertEqual(frames.first?["moduleId"] as? String, "dapdemo", t.text)
        XCTAssertTrue(frames.contains { $0["moduleId"] as? String == "libc" }, t.text)
        let variables = t.responses("variables").map { t.body($0)["variables"] as? [[String: Any]] ?? [] }
        func value(_ list: [[String: Any]], _ name: String) -> String? { list.first { $0["name"] as? String == name }?["value"] as? String }
        XCTAssertEqual(value(variables[0], "total"), "20", t.text)
        XCTAssertEqual(value(variables[0], "argc"), "1", t.text)
        XCTAssertEqual(variables[0].first { $0["name"] as? String == "triangle" }?["type"] as? String, "struct shape", t.text)
        XCTAssertTrue(value(variables[1], "name")?.hasSuffix("\"triangle\"") == true, t.text)
        XCTAssertEqual(value(variables[1], "sides"), "3", t.text)
        XCTAssertEqual(value(variables[1], "corners"), "[3]", t.text)
        XCTAssertEqual(variables[2].map { $0["name"] as? String }, ["[0]", "[1]", "[2]"], t.text)
        XCTAssertEqual(value(variables[3], "x"), "3", t.text)
        XCTAssertEqual(value(variables[3], "y"), "4", t.text)
        XCTAssertEqual(variables[4].first?["name"] as? String, "*first", t.text)
        XCTAssertNotNil(value(variables[5], "rip"), t.text)
        XCTAssertEqual(value(variables[5], "rip"), (frames.first?["instructionPointerReference"] as? String).flatMap { UInt64($0.dropFirst(2), radix: 16) }.map { String(format: "0x%016llx", $0) }, t.text)
        XCTAssertEqual(t.body(t.responses("setVariable").first)["value"] as? String, "7", t.text)
        // Memory: 10 (0+1+2+3+4) read, 42 written, the watch sees 84.
        XCTAssertEqual(t.body(t.responses("readMemory").first)["data"] as? String, "CgAAAA==", t.text)
        XCTAssertEqual(t.body(t.responses("writeMemory").first)["bytesWritten"] as? Int, 4, t.text)
        XCTAssertEqual(t.body(t.responses("evaluate").last)["result"] as? String, "84", t.text)
        let instructions = t.body(t.responses("disassemble").first)["instructions"] as? [[String: Any]] ?? []
        XCTAssertEqual(instructions.count, 5, t.text)
        XCTAssertEqual(instructions[2]["address"] as? String, frames.first?["instructionPointerReference"] as? String, t.text)
        XCTAssertTrue((instructions[2]["symbol"] as? String)?.hasPrefix("dapdemo!main+0x") == true, t.text)
        let modules = t.body(t.responses("modules").first)["modules"] as? [[String: Any]] ?? []
        XCTAssertTrue(modules.contains { $0["name"] as? String == "dapdemo" && $0["path"] as? String == (try? program) }, t.text)
        XCTAssertTrue(modules.contains { $0["name"] as? String == "libc" }, t.text)
        let sources = t.body(t.responses("loadedSources").first)["sources"] as? [[String: Any]] ?? []
        XCTAssertTrue(sources.contains { $0["path"] as? String == source }, t.text)
        let threads = t.body(t.responses("threads").first)["threads"] as? [[String: Any]] ?? []
        XCTAssertEqual(threads.map { $0["id"] as? Int }, [stops.first?["threadId"] as? Int], t.text)
        // The program ran on with what was set: its own output says so.
        XCTAssertEqual(t.programOutput, "DAPDEMO=1 cwd=/tmp\ntotal=20 sides=7 x=1\n", "launch's env and cwd, then what was set: \(t.text)")
        XCTAssertEqual(t.exitCode, 20, t.text)
        XCTAssertTrue(t.text.contains("ADAPTER-EXIT 0"), t.text)
    }

    func testSteppingFunctionBreakpointsConditionsAndTheREPL() throws {
        let t = try session(initialize() + [
            #"{"send": {"command": "launch", "arguments": {"program": "\#(try program)"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "setFunctionBreakpoints", "arguments": {"breakpoints": [{"name": "step", "condition": "value == 2"}]}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "event:stopped", "save": {"tid": "body.threadId"}}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "value", "context": "watch"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "next", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "event:stopped"}"#,
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}", "levels": 1}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "stepOut", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "event:stopped"}"#,
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}", "levels": 1}}}"#,
            #"{"wait": "response", "save": {"before": "body.stackFrames.0.instructionPointerReference"}}"#,
            #"{"send": {"command": "next", "arguments": {"threadId": "${tid}", "granularity": "instruction"}}}"#,
            #"{"wait": "event:stopped"}"#,
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}", "levels": 1}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "stepIn", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "event:stopped"}"#,
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}", "levels": 2}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "kb", "context": "repl"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "? 0x10 + 2", "context": "repl"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "bl", "context": "repl"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "g", "context": "repl"}}}"#,
            #"{"wait": "event:terminated"}"#,
            #"{"send": {"command": "disconnect"}}"#,
            #"{"wait": "response"}"#,
        ])
        XCTAssertEqual(t.status, 0, t.text)
        let stops = t.events("stopped").map { t.body($0)["reason"] as? String }
        XCTAssertEqual(stops, ["function breakpoint", "step", "step", "step", "step"], t.text)
        XCTAssertEqual(t.body(t.responses("evaluate").first)["result"] as? String, "2", "the condition let value 0 and 1 pass: \(t.text)")
        let traces = t.responses("stackTrace").map { (t.body($0)["stackFrames"] as? [[String: Any]])?.first ?? [:] }
        XCTAssertEqual(traces[0]["name"] as? String, "step", t.text)
        XCTAssertEqual(traces[0]["line"] as? Int, 16, "next: from the function's first line (15, where `bp step` is) to 16: \(t.text)")
        XCTAssertEqual(traces[1]["name"] as? String, "main", t.text)
        XCTAssertEqual(traces[1]["line"] as? Int, 26, "stepOut: back in main's loop: \(t.text)")
        let before = (traces[1]["instructionPointerReference"] as? String).flatMap { UInt64($0.dropFirst(2), radix: 16) } ?? 0
        let after = (traces[2]["instructionPointerReference"] as? String).flatMap { UInt64($0.dropFirst(2), radix: 16) } ?? 0
        XCTAssertTrue(after > before && after - before <= 15, "one instruction on: \(t.text)")
        // stepIn from main's loop line: into the next call of step (the caller below it).
        XCTAssertEqual(traces[3]["name"] as? String, "step", t.text)
        XCTAssertEqual((t.body(t.responses("stackTrace")[3])["stackFrames"] as? [[String: Any]])?.last?["name"] as? String, "main", t.text)
        let repl = t.responses("evaluate").dropFirst().map { t.body($0)["result"] as? String ?? "" }
        XCTAssertTrue(repl[0].contains("dapdemo!main+0x"), t.text)
        XCTAssertEqual(repl[1], "Evaluate expression: 18 = 00000000`00000012", t.text)
        XCTAssertTrue(repl[2].contains("dapdemo!step"), t.text)
        // `g` typed in the REPL ran the program to its end; the client heard of it.
        XCTAssertEqual(t.exitCode, 20, t.text)
        XCTAssertEqual(t.programOutput, "total=20 sides=3 x=1\n", t.text)
    }

    /// Inlined calls are frames of their own (with the line of their call in the frame
    /// above); an instruction breakpoint at a frame's return address; `terminate` ends it.
    func testInlineFramesInstructionBreakpointsAndTerminate() throws {
        let program = try Harness.fixture("inline", flags: ["-O2"])
        let t = try session(initialize() + [
            #"{"send": {"command": "launch", "arguments": {"program": "\#(program)"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "setBreakpoints", "arguments": {"source": {"path": "\#(Harness.source("inline"))"}, "breakpoints": [{"line": 5}]}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "event:stopped", "save": {"tid": "body.threadId"}}"#,
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "response", "save": {"back": "body.stackFrames.3.instructionPointerReference"}}"#,
            #"{"send": {"command": "setBreakpoints", "arguments": {"source": {"path": "\#(Harness.source("inline"))"}, "breakpoints": []}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "setInstructionBreakpoints", "arguments": {"breakpoints": [{"instructionReference": "${back}"}]}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "continue", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "event:stopped"}"#,
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}", "levels": 1}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "terminate"}}"#,
            #"{"wait": "event:terminated"}"#,
            #"{"send": {"command": "disconnect"}}"#,
            #"{"wait": "response"}"#,
        ])
        XCTAssertEqual(t.status, 0, t.text)
        let frames = t.body(t.responses("stackTrace").first)["stackFrames"] as? [[String: Any]] ?? []
        XCTAssertEqual(frames.prefix(4).map { $0["name"] as? String }, ["square", "sum_squares", "compute", "main"], t.text)
        XCTAssertEqual(frames.prefix(3).map { $0["line"] as? Int }, [5, 9, 13], "each inlined call at its line: \(t.text)")
        let set = t.body(t.responses("setInstructionBreakpoints").first)["breakpoints"] as? [[String: Any]] ?? []
        XCTAssertEqual(set.first?["verified"] as? Bool, true, t.text)
        let stops = t.events("stopped").map { t.body($0)["reason"] as? String }
        XCTAssertEqual(stops, ["breakpoint", "instruction breakpoint"], t.text)
        let back = (t.body(t.responses("stackTrace").last)["stackFrames"] as? [[String: Any]])?.first
        XCTAssertEqual(back?["name"] as? String, "main", t.text)
        XCTAssertEqual(back?["instructionPointerReference"] as? String, frames[3]["instructionPointerReference"] as? String, t.text)
        XCTAssertEqual(t.exitCode, nil, "terminated, not exited: \(t.text)")
        XCTAssertEqual(t.programOutput, "", "killed before it printed: \(t.text)")
    }

    func testExceptionsStopAtTheChanceTheFiltersAsk() throws {
        func crash(_ filters: String) throws -> Transcript {
            try session(initialize() + [
                #"{"send": {"command": "launch", "arguments": {"program": "\#(try program)", "args": ["crash"]}}}"#,
                #"{"wait": "response"}"#,
                #"{"send": {"command": "setExceptionBreakpoints", "arguments": {"filters": \#(filters)}}}"#,
                #"{"wait": "response"}"#,
                #"{"send": {"command": "configurationDone"}}"#,
                #"{"wait": "event:stopped", "save": {"tid": "body.threadId"}}"#,
                #"{"send": {"command": "exceptionInfo", "arguments": {"threadId": "${tid}"}}}"#,
                #"{"wait": "response"}"#,
                #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}", "levels": 1}}}"#,
                #"{"wait": "response"}"#,
                #"{"send": {"command": "disconnect", "arguments": {"terminateDebuggee": true}}}"#,
                #"{"wait": "response"}"#,
            ])
        }
        for (filters, mode) in [(#"["av"]"#, "always"), (#"["second-chance"]"#, "unhandled")] {
            let t = try crash(filters)
            XCTAssertEqual(t.status, 0, t.text)
            let stop = t.body(t.events("stopped").first)
            XCTAssertEqual(stop["reason"] as? String, "exception", t.text)
            XCTAssertTrue((stop["description"] as? String)?.hasPrefix("Access violation - code c0000005") == true, t.text)
            let info = t.body(t.responses("exceptionInfo").first)
            XCTAssertEqual(info["exceptionId"] as? String, "av", t.text)
            XCTAssertEqual(info["breakMode"] as? String, mode, t.text)
            XCTAssertEqual(((t.body(t.responses("stackTrace").first)["stackFrames"] as? [[String: Any]])?.first)?["name"] as? String, "crash", t.text)
        }
        // No filter at all: the signal kills the program unstopped, as its exit code says.
        let t = try session(initialize() + [
            #"{"send": {"command": "launch", "arguments": {"program": "\#(try program)", "args": ["crash"]}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "setExceptionBreakpoints", "arguments": {"filters": []}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "event:terminated"}"#,
        ])
        XCTAssertEqual(t.events("stopped").count, 0, t.text)
        XCTAssertEqual(t.exitCode, 128 + 11, t.text)
    }

    func testPauseARunningProgramAndReleaseIt() throws {
        let t = try session(initialize() + [
            #"{"send": {"command": "launch", "arguments": {"program": "\#(try program)", "args": ["wait"]}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "response"}"#,
            #"{"sleep": 0.5}"#,
            #"{"send": {"command": "pause", "arguments": {"threadId": 0}}}"#,
            #"{"wait": "event:stopped", "save": {"tid": "body.threadId"}}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "release = 1", "context": "watch"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "continue", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "event:terminated"}"#,
        ])
        XCTAssertEqual(t.status, 0, t.text)
        XCTAssertEqual(t.body(t.events("stopped").first)["reason"] as? String, "pause", t.text)
        XCTAssertEqual(t.body(t.responses("evaluate").first)["result"] as? String, "1", t.text)
        XCTAssertEqual(t.programOutput, "total=20 sides=3 x=1\n", t.text)
        XCTAssertEqual(t.exitCode, 20, t.text)
    }

    /// Steps that attach with `arguments`, break on detach.c's `work` and run to it (`${tid}`).
    private func attachedToWork(_ arguments: String) -> [String] {
        initialize() + [
            #"{"send": {"command": "attach", "arguments": \#(arguments)}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "setFunctionBreakpoints", "arguments": {"breakpoints": [{"name": "work"}]}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "event:stopped", "save": {"tid": "body.threadId"}}"#,
            #"{"send": {"command": "continue", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "event:stopped"}"#,
        ]
    }

    /// Attached over TCP (`--dap --port 0`), stopped at a breakpoint, then disconnected: the
    /// program is detached with its code as it was, and finishes with its own result.
    func testAttachOverTCPAndDetachRestoresTheProgram() throws {
        let running = try Harness.start("detach", ["150"])
        let adapter = Process()
        adapter.executableURL = URL(fileURLWithPath: Harness.swdbg)
        adapter.arguments = ["--dap", "--port", "0"]
        let log = Pipe()
        adapter.standardError = log
        try adapter.run()
        defer { if adapter.isRunning { adapter.terminate() } }
        let banner = try Harness.waitFor("\n", on: log.fileHandleForReading.fileDescriptor, timeout: 30)
        guard let port = banner.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            return XCTFail("no port in: \(banner)")
        }
        XCTAssertTrue(banner.hasPrefix("swdbg: DAP server listening on 127.0.0.1:"), banner)
        let t = try session(attachedToWork(#"{"pid": \#(running.pid)}"#) + [
            #"{"send": {"command": "evaluate", "arguments": {"expression": "value", "context": "watch"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "disconnect"}}"#,
            #"{"wait": "response"}"#,
        ], address: "127.0.0.1:\(port)")
        XCTAssertEqual(t.status, 0, t.text)
        XCTAssertEqual(t.events("stopped").map { t.body($0)["reason"] as? String }, ["pause", "function breakpoint"], t.text)
        XCTAssertNotNil(Int(t.body(t.responses("evaluate").first)["result"] as? String ?? ""), t.text)
        let finished = running.finish()
        let undisturbed = try Harness.run(try Harness.fixture("detach"), ["150"], input: "").output
        XCTAssertEqual(finished.split(separator: "\n").last, undisturbed.split(separator: "\n").last, "sum and code checksum as an undisturbed run's: \(finished)")
        adapter.waitUntilExit()
        XCTAssertEqual(adapter.terminationStatus, 0)
    }

    /// `disconnect` while the target runs: a launched program is stopped and killed, an
    /// attached one stopped and detached (it finishes with its own result).
    func testDisconnectWhileTheTargetRuns() throws {
        let launched = try session(initialize() + [
            #"{"send": {"command": "launch", "arguments": {"program": "\#(try program)", "args": ["wait"]}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "response"}"#,
            #"{"sleep": 0.3}"#,
            #"{"send": {"command": "disconnect"}}"#,
            #"{"wait": "response"}"#,
        ])
        XCTAssertEqual(launched.responses("disconnect").first?["success"] as? Bool, true, launched.text)
        let pid = launched.events("process").first.flatMap { launched.body($0)["systemProcessId"] as? Int } ?? 0
        XCTAssertTrue(pid > 0 && Harness.hasEnded(Int32(pid), timeout: 10), launched.text)
        let running = try Harness.start("detach", ["100"])
        let attached = try session(initialize() + [
            #"{"send": {"command": "attach", "arguments": {"pid": \#(running.pid)}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "event:stopped", "save": {"tid": "body.threadId"}}"#,
            #"{"send": {"command": "continue", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "response"}"#,
            #"{"sleep": 0.2}"#,
            #"{"send": {"command": "disconnect"}}"#,
            #"{"wait": "response"}"#,
        ])
        XCTAssertEqual(attached.responses("disconnect").first?["success"] as? Bool, true, attached.text)
        let finished = running.finish()
        let undisturbed = try Harness.run(try Harness.fixture("detach"), ["100"], input: "").output
        XCTAssertEqual(finished.split(separator: "\n").last, undisturbed.split(separator: "\n").last, finished)
    }

    /// `attach` to a gdb-remote stub (gdbserver 13) with the target's address.
    func testAttachToAGdbRemoteStub() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gdbserver") else { throw XCTSkip("gdbserver is not installed (script/setup installs it)") }
        let port = 31000 + Int(getpid() % 10000)
        let stub = Process()
        stub.executableURL = URL(fileURLWithPath: "/usr/bin/gdbserver")
        stub.arguments = ["--once", "127.0.0.1:\(port)", try Harness.fixture("detach"), "20"]
        let log = Pipe()
        stub.standardOutput = log
        stub.standardError = log
        try stub.run()
        defer { if stub.isRunning { stub.terminate() } }
        try Harness.waitFor("Listening on port", on: log.fileHandleForReading.fileDescriptor, timeout: 30)
        let t = try session(attachedToWork(#"{"gdbRemote": "127.0.0.1:\#(port)"}"#) + [
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "disconnect", "arguments": {"terminateDebuggee": true}}}"#,
            #"{"wait": "response"}"#,
        ])
        XCTAssertEqual(t.status, 0, t.text)
        XCTAssertEqual(t.events("stopped").last.flatMap { t.body($0)["reason"] as? String }, "function breakpoint", t.text)
        let names = (t.body(t.responses("stackTrace").first)["stackFrames"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        XCTAssertEqual(Array(names.prefix(2)), ["work", "main"], t.text)
        XCTAssertEqual(t.responses("disconnect").first?["success"] as? Bool, true, t.text)
    }

    func testACoreFileIsInspectedNotRun() throws {
        let core = Harness.fixtureDirectory + "/dapdemo-crash.core"
        try? FileManager.default.removeItem(atPath: core)
        let dump = try Harness.session(program: try program, ["g", ".dump /o \(core)", "q"], arguments: ["crash"])
        XCTAssertTrue(dump.contains("Dump successfully written"), dump)
        let t = try session(initialize() + [
            #"{"send": {"command": "attach", "arguments": {"coreFile": "\#(core)", "program": "\#(try program)"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "event:stopped", "save": {"tid": "body.threadId"}}"#,
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "continue", "arguments": {"threadId": "${tid}"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "disconnect"}}"#,
            #"{"wait": "response"}"#,
        ])
        XCTAssertEqual(t.status, 0, t.text)
        XCTAssertEqual(t.body(t.events("stopped").first)["reason"] as? String, "exception", t.text)
        let names = (t.body(t.responses("stackTrace").first)["stackFrames"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        XCTAssertEqual(Array(names.prefix(2)), ["crash", "main"], t.text)
        let refused = t.responses("continue").first
        XCTAssertEqual(refused?["success"] as? Bool, false, t.text)
        XCTAssertEqual(refused?["message"] as? String, "A dump cannot run", t.text)
    }

    /// Malformed JSON, unknown and out-of-order requests get error responses and the session
    /// goes on; a client that vanishes leaves no program behind, stopped or running.
    func testBadInputGetsErrorsAndAVanishedClientLeavesNoProcess() throws {
        let t = try session([
            #"{"rawbody": "{\"seq\": 1, \"type\": \"request\", \"command\": "}"#,
            #"{"send": {"command": "threads"}}"#,
            #"{"wait": "response"}"#,
        ] + initialize() + [
            #"{"rawbody": "{\"seq\": 3, \"type\": \"request\", \"command\": \"frobnicate\", \"arguments\": {}}"}"#,
            #"{"rawbody": "\#(String(repeating: "[", count: 100))"}"#,
            #"{"rawbody": "{\"seq\": 4, \"type\": \"event\", \"event\": \"stopped\"}"}"#,
            #"{"raw": "Content-Type: text/plain\r\n\r\n"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "stackTrace", "arguments": {"threadId": 1}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "launch", "arguments": {"program": "/nonexistent/program"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "launch", "arguments": {"program": "\#(try program)", "args": ["wait"], "stopOnEntry": true}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "variables", "arguments": {"variablesReference": 99}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "no_such_variable + ", "context": "watch"}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "evaluate", "arguments": {"expression": "$pid", "context": "repl"}}}"#,
            #"{"wait": "response"}"#,
            #"{"close": true}"#,
        ])
        let failures = t.received.filter { $0["type"] as? String == "response" && $0["success"] as? Bool == false }
        let messages = failures.compactMap { $0["message"] as? String }
        XCTAssertTrue(messages.first?.hasPrefix("malformed JSON at byte") == true, t.text)
        XCTAssertTrue(messages.contains("The first request must be 'initialize'"), t.text)
        XCTAssertTrue(messages.contains("Unknown request 'frobnicate'"), t.text)
        XCTAssertTrue(messages.contains("'configurationDone' before 'launch' or 'attach'"), t.text)
        XCTAssertTrue(messages.contains("No process: launch or attach first"), t.text)
        XCTAssertTrue(messages.contains { $0.hasPrefix("Cannot launch '/nonexistent/program'") }, t.text)
        XCTAssertTrue(messages.contains { $0.hasPrefix("Unknown variablesReference") }, t.text)
        XCTAssertTrue(messages.contains { $0.hasSuffix("nested deeper than 64 levels") }, t.text)
        XCTAssertTrue(messages.contains("the adapter takes requests, not a event"), t.text)
        XCTAssertTrue(messages.contains("a message without a Content-Length header"), t.text)
        XCTAssertEqual(failures.count, 11, t.text)
        XCTAssertEqual(t.responses("launch").last?["success"] as? Bool, true, t.text)
        // The launched program is gone with the client (killed: it was launched).
        let pid = t.events("process").first.flatMap { t.body($0)["systemProcessId"] as? Int } ?? 0
        XCTAssertGreaterThan(pid, 0, t.text)
        XCTAssertTrue(Harness.hasEnded(Int32(pid), timeout: 10), "the program outlived its client: \(t.text)")
        XCTAssertTrue(t.text.contains("ADAPTER-EXIT 0"), t.text)

        // A client that vanishes while the program runs: it is killed too.
        let running = try session(initialize() + [
            #"{"send": {"command": "launch", "arguments": {"program": "\#(try program)", "args": ["wait"]}}}"#,
            #"{"wait": "response"}"#,
            #"{"send": {"command": "configurationDone"}}"#,
            #"{"wait": "response"}"#,
            #"{"close": true}"#,
        ])
        let runningPid = running.events("process").first.flatMap { running.body($0)["systemProcessId"] as? Int } ?? 0
        XCTAssertGreaterThan(runningPid, 0, running.text)
        XCTAssertTrue(Harness.hasEnded(Int32(runningPid), timeout: 10), "the program outlived its client: \(running.text)")
        XCTAssertTrue(running.text.contains("ADAPTER-EXIT 0"), running.text)
    }
}
