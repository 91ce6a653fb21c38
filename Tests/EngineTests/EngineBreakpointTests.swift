import Targets
import Engine
import Expressions
import Foundation
import Glibc
import XCTest

/// The engine driven without the command language: breakpoints with conditions evaluated by
/// the engine itself, pass counts, and locations resolved again from the spec.
final class EngineBreakpointTests: XCTestCase {
    /// A session on a fixture stopped at its initial breakpoint; output goes nowhere.
    private func launch(_ fixture: String, flags: [String] = ["-O0"]) throws -> Session {
        let session = Session(backend: PtraceBackend())
        let stop = try session.launch(path: try Fixture.build(fixture, flags: flags), arguments: [])
        guard case .initialBreakpoint = stop.kind else { throw FixtureError("no initial breakpoint: \(stop.kind)") }
        return session
    }

    private func masm(_ text: String) throws -> BreakpointCondition {
        BreakpointCondition(.masm(try MasmExpression.parse(Substring(text))), text: text)
    }

    /// The argument registers of every breakpoint stop until the process ends.
    private func stops(_ session: Session) throws -> [UInt64] {
        var values: [UInt64] = []
        while true {
            let stop = try session.resume(.go(handled: nil, until: []))
            guard case .breakpoint = stop.kind else { return values }
            values.append(try session.registers().value(named: "rdi") ?? .max)
            XCTAssertLessThan(values.count, 100, "runaway")
            if values.count >= 100 { return values }
        }
    }

    func testFalseConditionsNeverStop() throws {
        let session = try launch("loop")
        var request = BreakpointRequest(kind: .bp, expression: "loop!work", locations: [])
        request.condition = try masm("@rdi == 7")
        let breakpoint = try session.addBreakpoint(request)
        XCTAssertEqual(breakpoint.locations.count, 1, "the engine resolved the spec")
        XCTAssertEqual(try stops(session), [7])
    }

    func testPassCountCountsOnlyHitsWhoseConditionHolds() throws {
        let session = try launch("loop")
        var request = BreakpointRequest(kind: .bp, expression: "loop!work", locations: [])
        request.condition = try masm("@rdi >= 2")
        request.passCount = 3
        try session.addBreakpoint(request)
        // Hits 2, 3 pass; 4 stops; after the count is spent every true hit stops.
        XCTAssertEqual(try stops(session), [4, 5, 6, 7, 8, 9])
    }

    func testNegatedAndCppConditions() throws {
        let session = try launch("loop")
        var negated = BreakpointRequest(kind: .bp, expression: "loop!work", locations: [])
        negated.condition = BreakpointCondition(.masm(try MasmExpression.parse("@rdi < 8")), negated: true, text: "@rdi < 8")
        try session.addBreakpoint(negated)
        XCTAssertEqual(try stops(session), [8, 9])

        let again = try launch("loop")
        var cpp = BreakpointRequest(kind: .bp, expression: "loop!work", locations: [])
        cpp.condition = BreakpointCondition(.cpp(try CppExpression.parse("value == 3 || counter > 30", context: nil)), text: "value == 3 || counter > 30")
        try again.addBreakpoint(cpp)
        // counter is 36 when work(9) starts (0+1+…+8).
        XCTAssertEqual(try stops(again), [3, 9])
    }

    func testAConditionThatCannotBeEvaluatedStopsWithTheReason() throws {
        let session = try launch("loop")
        var request = BreakpointRequest(kind: .bp, expression: "loop!work", locations: [])
        request.condition = try masm("poi(0) == 1")
        let breakpoint = try session.addBreakpoint(request)
        let stop = try session.resume(.go(handled: nil, until: []))
        guard case .breakpoint(let hit) = stop.kind else { return XCTFail("no stop: \(stop.kind)") }
        XCTAssertTrue(hit === breakpoint)
        XCTAssertEqual(breakpoint.conditionError, "Memory access error at ') == 1'")
        session.kill()
    }

    /// Bug: after `.restart` every location of a multi-location breakpoint collapsed onto the
    /// first; the locations are resolved again from the spec in the new process.
    func testLocationsOfASourceLineSurviveRestart() throws {
        let session = try launch("copies", flags: ["-O2"])
        let breakpoint = try session.addBreakpoint(BreakpointRequest(kind: .bp, expression: "`copies.c:7`", locations: []))
        XCTAssertEqual(breakpoint.locations.count, 2, "twice() is inlined into first() and second()")
        let before = breakpoint.locations
        for round in 0..<2 {
            var functions: [String] = []
            while case .breakpoint = try session.resume(.go(handled: nil, until: [])).kind {
                functions.append(session.symbolize(try session.registers().rip).map { String($0.prefix { $0 != "+" }) } ?? "?")
            }
            XCTAssertEqual(functions, ["copies!first", "copies!second"], "round \(round)")
            _ = try session.restart()
            XCTAssertEqual(breakpoint.locations, before)
        }
        session.kill()
    }
}

/// Conditions the engine sends to the kernel: a thread-specific breakpoint is filtered there.
final class EngineKernelConditionTests: XCTestCase {
    func testThreadSpecificBreakpointsAreFilteredInTheKernel() throws {
        for (own, expected) in [(true, [UInt64(7)]), (false, [])] {
            let session = Session(backend: PtraceBackend())
            _ = try session.launch(path: try Fixture.build("loop", flags: ["-O0"]), arguments: [])
            let pid = try XCTUnwrap(session.process?.pid)
            var request = BreakpointRequest(kind: .bp, expression: "loop!work", locations: [])
            request.condition = BreakpointCondition(.masm(try MasmExpression.parse("@rdi == 7")), text: "@rdi == 7")
            request.thread = own ? pid : pid + 100_000
            let breakpoint = try session.addBreakpoint(request)
            XCTAssertEqual(breakpoint.evaluation, .kernel)
            var hits: [UInt64] = []
            while case .breakpoint = try session.resume(.go(handled: nil, until: [])).kind {
                hits.append(try session.registers().value(named: "rdi") ?? .max)
                if hits.count > 10 { break }
            }
            XCTAssertEqual(hits, expected, own ? "the main thread's hit" : "another thread's breakpoint never stops this one")
            session.kill()
        }
    }

    /// The kernel's side of a probe is this process's file descriptors (a perf event, a BPF
    /// program, the maps): `bc` closes the probe's, the end of the process the maps, detach all.
    func testRemovingTheBreakpointClosesItsProbe() throws {
        let session = Session(backend: PtraceBackend())
        _ = try session.launch(path: try Fixture.build("loop", flags: ["-O0"]), arguments: [])
        let before = openKernelObjects()
        var request = BreakpointRequest(kind: .bp, expression: "loop!work", locations: [])
        request.condition = BreakpointCondition(.masm(try MasmExpression.parse("@rdi == 7")), text: "@rdi == 7")
        let breakpoint = try session.addBreakpoint(request)
        XCTAssertEqual(breakpoint.evaluation, .kernel)
        let attached = openKernelObjects()
        XCTAssertEqual(attached["perf_event", default: 0] - before["perf_event", default: 0], 1)
        XCTAssertEqual(attached["bpf-prog", default: 0] - before["bpf-prog", default: 0], 1)
        XCTAssertEqual(attached["bpf-map", default: 0] - before["bpf-map", default: 0], 3)
        try session.removeBreakpoint(breakpoint)
        let removed = openKernelObjects()
        XCTAssertEqual(removed["perf_event", default: 0], before["perf_event", default: 0])
        XCTAssertEqual(removed["bpf-prog", default: 0], before["bpf-prog", default: 0])
        session.kill()
        XCTAssertEqual(openKernelObjects()["bpf-map", default: 0], before["bpf-map", default: 0])

        // Detach closes them all too, before the program runs on without the debugger.
        let detaching = Session(backend: PtraceBackend())
        _ = try detaching.launch(path: try Fixture.build("loop", flags: ["-O0"]), arguments: [])
        XCTAssertEqual(try detaching.addBreakpoint(request).evaluation, .kernel)
        XCTAssertEqual(openKernelObjects()["perf_event", default: 0] - before["perf_event", default: 0], 1)
        try detaching.detach()
        XCTAssertEqual(openKernelObjects(), before)
    }

    /// This process's open kernel objects by kind (`anon_inode:[perf_event]`, `anon_inode:bpf-prog`).
    private func openKernelObjects() -> [String: Int] {
        var kinds: [String: Int] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name), target.hasPrefix("anon_inode:") else { continue }
            kinds[target.dropFirst("anon_inode:".count).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), default: 0] += 1
        }
        return kinds
    }
}

/// Compiles Tests/Fixtures sources for the engine tests.
enum Fixture {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "swdbg-engine-fixtures-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// A session on a fixture stopped at the first instruction of `function`; output goes nowhere.
    static func session(stoppedAt function: String, in name: String, flags: [String]) throws -> Session {
        let session = Session(backend: PtraceBackend())
        _ = try session.launch(path: try build(name, flags: flags), arguments: [])
        let breakpoint = try session.addBreakpoint(BreakpointRequest(kind: .bp, expression: "\(name)!\(function)", locations: []))
        guard case .breakpoint = try session.resume(.go(handled: nil, until: [])).kind else { throw FixtureError("\(function) was not reached") }
        try session.removeBreakpoint(breakpoint)
        return session
    }

    static func build(_ name: String, flags: [String]) throws -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name).c").path
        let subdirectory = directory + "/" + flags.joined().filter { $0.isLetter || $0.isNumber }
        try FileManager.default.createDirectory(atPath: subdirectory, withIntermediateDirectories: true)
        let output = subdirectory + "/" + name
        if FileManager.default.fileExists(atPath: output) { return output }
        let gcc = Process()
        gcc.executableURL = URL(fileURLWithPath: "/usr/bin/gcc")
        gcc.arguments = ["-g"] + flags + ["-o", output, source]
        try gcc.run()
        gcc.waitUntilExit()
        guard gcc.terminationStatus == 0 else { throw FixtureError("gcc failed for \(name)") }
        return output
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Resuming from a breakpoint is one stop whatever instruction it is on: the instruction runs
/// out of line (or the engine executes it), no thread is single-stepped over it.
final class EngineOutOfLineTests: XCTestCase {
    func testEveryHitOfAThreadedProgramResumesWithoutAStep() throws {
        let session = Session(backend: PtraceBackend())
        _ = try session.launch(path: try Fixture.build("storm", flags: ["-O2", "-pthread"]), arguments: ["4", "500"])
        try session.addBreakpoint(BreakpointRequest(kind: .bp, expression: "storm!f", locations: []))
        var hits = 0
        while case .breakpoint = try session.resume(.go(handled: nil, until: [])).kind { hits += 1 }
        XCTAssertGreaterThanOrEqual(hits, 2000, "4 threads × 500 calls, and the signal handlers' calls")
        XCTAssertEqual(session.stepsOverBreakpoints, 0)
    }
}

extension EngineOutOfLineTests {
    /// The program's executable mappings that map no file (the vDSO has a name).
    private func anonymousCode(_ pid: Int32) throws -> [String] {
        try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8).split(separator: "\n").map(String.init).filter { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count == 5 && fields[1].contains("x")
        }
    }

    func testDetachLeavesNoScratchPage() throws {
        let session = Session(backend: PtraceBackend())
        _ = try session.launch(path: try Fixture.build("detach", flags: ["-O0"]), arguments: ["20"])
        // work+4 stores rdi to the stack: neither a push nor a branch, so it runs out of line.
        try session.addBreakpoint(BreakpointRequest(kind: .bp, expression: "detach!work+4", locations: []))
        for _ in 0..<2 {
            guard case .breakpoint = try session.resume(.go(handled: nil, until: [])).kind else { return XCTFail("work was not hit") }
        }
        let pid = session.process!.pid
        XCTAssertEqual(try anonymousCode(pid).count, 1, "the scratch page")
        XCTAssertEqual(session.stepsOverBreakpoints, 0)
        try session.detach()
        XCTAssertEqual(try anonymousCode(pid), [])
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
        XCTAssertEqual(status, 0, "the program ran on to a clean exit")
    }
}
