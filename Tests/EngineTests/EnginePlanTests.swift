import Engine
import Foundation
import Glibc
import XCTest

/// Stepping plans on the thread's plan stack, driven without the command language: repeated
/// steps shown one by one, an interrupted stack finished by `gc`, source lines stepped block
/// to block.
final class EnginePlanTests: XCTestCase {
    private func atMain() throws -> Session { try Fixture.session(stoppedAt: "main", in: "lines", flags: ["-O0"]) }

    private func line(_ session: Session) throws -> Int? { session.sourceLine(at: try session.registers().rip)?.line }

    private func stepLine(_ session: Session) throws {
        guard case .step = try session.resume(.step(StepRequest(over: true, byLine: true))).kind else { throw FixtureError("the line step was interrupted") }
    }

    /// Line 11 is a loop of 2,000 iterations on one line: stepping over it moves block to
    /// block, far fewer stops than the instructions it runs (a single step each, before).
    func testALineStepCostsAStopPerBlockNotPerInstruction() throws {
        let session = try atMain()
        try stepLine(session)
        XCTAssertEqual(try line(session), 10)
        try stepLine(session)
        XCTAssertEqual(try line(session), 11)
        let stopsBefore = session.threadStops
        try stepLine(session)
        XCTAssertEqual(try line(session), 12)
        let stops = session.threadStops - stopsBefore
        // An iteration is one block of seven instructions at -O0 (objdump: load, shift, xor,
        // add, increment, compare, branch), each its own statement: one stop, not seven.
        XCTAssertGreaterThan(stops, 0)
        XCTAssertLessThanOrEqual(stops, 2_000 + 20, "\(stops) stops for 2,000 iterations")
        session.kill()
    }

    /// `p 5`: five instruction steps, the first four shown to the front end as they complete.
    func testRepeatedStepsReportEachStepButTheLast() throws {
        let session = try atMain()
        var shown: [UInt64] = []
        session.onIntermediateStep = { _ in shown.append((try? session.registers().rip) ?? 0) }
        let start = try session.registers().rip
        guard case .step = try session.resume(.step(StepRequest(over: true, count: 5))).kind else { return XCTFail("interrupted") }
        XCTAssertEqual(shown.count, 4)
        XCTAssertEqual(Set(shown).count, 4, "every step moved")
        XCTAssertFalse(shown.contains(start))
        let end = try session.registers().rip
        XCTAssertFalse(shown.contains(end))

        // `pa`: steps until the thread stands at the address (line 11's first instruction).
        shown = []
        let target = try XCTUnwrap(session.resolveSourceLine("lines.c:11"))
        guard case .step = try session.resume(.step(StepRequest(over: true, until: target))).kind else { return XCTFail("interrupted") }
        XCTAssertEqual(try session.registers().rip, target)
        XCTAssertFalse(shown.contains(target), "the last step is the stop, not an intermediate one")
        session.kill()
    }

    /// A breakpoint in `square` interrupts the first of three line steps, inside the call it
    /// steps over (plans three deep: the steps, the line, the call); `gc` finishes that step
    /// and the two after it, where `g` would have dropped them.
    func testGoFromConditionalFinishesTheWholePlanStack() throws {
        let session = try atMain()
        let line13 = try XCTUnwrap(session.resolveSourceLine("lines.c:13"))
        guard case .step = try session.resume(.go(handled: nil, until: [line13])).kind else { return XCTFail("line 13 not reached") }
        var lines: [Int] = []
        session.onIntermediateStep = { _ in lines.append((try? self.line(session)) ?? -1) }
        let square = try session.addBreakpoint(BreakpointRequest(kind: .bp, expression: "lines!square", locations: []))
        let stop = try session.resume(.step(StepRequest(over: true, byLine: true, count: 3)))
        guard case .breakpoint(let hit) = stop.kind, hit === square else { return XCTFail("square's breakpoint did not interrupt: \(stop.kind)") }
        try session.setEnabled(square, false)
        guard case .step = try session.resume(.resumeInterrupted).kind else { return XCTFail("gc did not finish the steps") }
        XCTAssertEqual(lines, [12, 13], "the two steps before the last, shown as they completed")
        XCTAssertEqual(try line(session), 12)
        session.kill()
    }
}
