import Foundation
import XCTest

/// `!analyze -v` on kernel cores of a fixture that dies each way it can, and at a live
/// second-chance stop: the class of problem, the function to blame, glibc's abort message,
/// and a bucket id that stays the same across runs and address layouts.
final class CrashAnalysisTests: XCTestCase {
    private func analysis(_ kind: String) throws -> String {
        let program = try Harness.fixture("crashes", flags: Harness.flags["crashes"]!)
        let core = try DumpTests.kernelCore(of: program, [kind])
        return try DumpTests.dumpSession(core, ["!analyze -v"]).output(of: "!analyze -v")
    }

    private func field(_ name: String, in text: String) -> String? {
        text.components(separatedBy: "\n").first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    func testEachWayToDieHasItsClassAndCulprit() throws {
        let expected: [(kind: String, problem: String, code: String, function: String)] = [
            ("null", "NULL_POINTER_READ", "c0000005", "read_null"),
            ("wild", "INVALID_POINTER_WRITE", "c0000005", "write_wild"),
            ("overflow", "STACK_OVERFLOW", "c0000005", "recurse_forever"),
            ("abort", "APPLICATION_ABORT", "00000006", "main"),
            ("assert", "ASSERTION_FAILURE", "00000006", "check_positive"),
            ("heap", "HEAP_CORRUPTION", "00000006", "free_twice"),
            ("smash", "STACK_BUFFER_OVERRUN", "00000006", "smash_stack"),
            ("divide", "DIVIDE_BY_ZERO", "c0000094", "divide"),
            ("illegal", "ILLEGAL_INSTRUCTION", "c000001d", "illegal"),
            ("kill", "SIGNAL_SIGQUIT", "00000003", "main"),
            ("thread", "NULL_POINTER_READ", "c0000005", "read_null"),
        ]
        for crash in expected {
            let text = try analysis(crash.kind)
            XCTAssertEqual(field("PRIMARY_PROBLEM_CLASS", in: text), crash.problem, "\(crash.kind):\n\(text)")
            XCTAssertEqual(field("FAILURE_BUCKET_ID", in: text), "\(crash.problem)_\(crash.code)_crashes!\(crash.function)", "\(crash.kind):\n\(text)")
            XCTAssertTrue(field("SYMBOL_NAME", in: text)?.hasPrefix("crashes!\(crash.function)+0x") == true, "\(crash.kind):\n\(text)")
            XCTAssertEqual(field("FAULTING_SOURCE_FILE", in: text), Harness.source("crashes"), "\(crash.kind):\n\(text)")
            XCTAssertTrue(text.contains("STACK_TEXT:") && text.contains("crashes!\(crash.function)"), "\(crash.kind):\n\(text)")
            switch crash.kind {
            case "null":
                XCTAssertEqual(field("READ_ADDRESS", in: text), "00000000`00000000", text)
                XCTAssertTrue(text.contains("referenced memory at 0x0000000000000000. The memory could not be read."), text)
            case "wild":
                XCTAssertEqual(field("WRITE_ADDRESS", in: text), "00007e57`00001000", text)
            case "assert":
                XCTAssertTrue(field("ABORT_MESSAGE", in: text)?.contains("check_positive: Assertion `value > 0' failed.") == true, text)
            case "heap":
                XCTAssertEqual(field("ABORT_MESSAGE", in: text), "free(): double free detected in tcache 2", text)
            case "smash":
                XCTAssertEqual(field("ABORT_MESSAGE", in: text), "*** stack smashing detected ***: terminated", text)
            case "kill":
                XCTAssertTrue(field("PROBABLE_CAUSE", in: text)?.contains("sent by kill()") == true, text)
            default: break
            }
        }
    }

    /// Two runs of the same crash under ASLR: different addresses, the same bucket; and the same
    /// analysis at a live second-chance stop.
    func testBucketIsStableAcrossRunsAndLive() throws {
        let first = try analysis("null"), second = try analysis("null")
        let address = { (text: String) in text.components(separatedBy: "\n").first { $0.hasPrefix("ExceptionAddress:") } }
        XCTAssertNotNil(address(first), first)
        XCTAssertNotEqual(address(first), address(second), "ASLR moves the crash site between runs")
        XCTAssertEqual(field("FAILURE_BUCKET_ID", in: first), field("FAILURE_BUCKET_ID", in: second))
        let program = try Harness.fixture("crashes", flags: Harness.flags["crashes"]!)
        let live = try Harness.session(program: program, ["g", "g", "!analyze -v", "!analyze", "q"], arguments: ["null"])
        XCTAssertTrue(live.contains("!!! second chance !!!"), live)
        XCTAssertEqual(field("FAILURE_BUCKET_ID", in: live.output(of: "!analyze -v")), field("FAILURE_BUCKET_ID", in: first), live)
        XCTAssertTrue(live.output(of: "!analyze").contains("PROBABLE_CAUSE:  A null pointer dereference"), live)
        let clean = try Harness.session(program: program, ["!analyze -v", "q"], arguments: ["none"])
        XCTAssertTrue(clean.output(of: "!analyze -v").contains("no exception to analyze"), clean)
    }
}
