import Engine
import Foundation
import Glibc
import XCTest

/// `wt`'s plan driven through the engine: branch-to-branch tracing counts exactly what
/// single-stepping counts, in fewer stops.
final class EngineTraceTests: XCTestCase {
    private func stopped(at function: String, flags: [String]) throws -> Session {
        try Fixture.session(stoppedAt: function, in: "trace", flags: flags)
    }

    func testTraceCountsWhatSingleSteppingCounts() throws {
        for flags in [["-O0"], ["-O2"]] {
            let stepping = try stopped(at: "middle", flags: flags)
            let start = try stepping.registers()
            let returnAddress = stepping.readMemory(start.rsp, count: 8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            var steps: UInt64 = 0
            while true {
                guard case .step = try stepping.resume(.stepInto).kind else { return XCTFail("the step was interrupted") }
                steps += 1
                let registers = try stepping.registers()
                if registers.rip == returnAddress && registers.rsp > start.rsp { break }
                if steps > 100_000 { return XCTFail("runaway") }
            }
            stepping.kill()

            let tracing = try stopped(at: "middle", flags: flags)
            let trace = CallTrace()
            var lines: [TraceLine] = []
            trace.onLine = { lines.append($0) }
            guard case .step = try tracing.resume(.trace(trace, TraceOptions())).kind else { return XCTFail("the trace was interrupted") }
            XCTAssertTrue(trace.finished)
            XCTAssertEqual(trace.instructions, steps, "\(flags)")
            XCTAssertLessThan(trace.events, steps / 2, "\(flags): a block costs one stop")
            XCTAssertEqual(try tracing.registers().rip, returnAddress)
            XCTAssertEqual(trace.functions["trace!leaf"]?.invocations, 5)
            XCTAssertEqual(lines.last?.function, "trace!middle")
            XCTAssertEqual(lines.last?.depth, 0)
            XCTAssertEqual(lines.last.map { $0.instructions + $0.calleeInstructions }, steps, "the last line holds the whole call")
            tracing.kill()
        }
    }
}
