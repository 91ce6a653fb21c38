import Foundation
import XCTest

/// `swdbg -I` as the kernel's crash handler: crashing fixtures leave a core and a report in
/// the crash folder, the folder keeps to its size limit, and `-iu` restores the pattern.
final class PostMortemTests: XCTestCase {
    private let patternFile = "/proc/sys/kernel/core_pattern"

    private func crash(_ program: String, _ kind: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = [kind]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
    }

    /// The reports in `folder`, once `count` of them are whole (the handler renames each when done).
    private func reports(in folder: String, count: Int) throws -> [String] {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            let reports = names.filter { $0.hasSuffix(".txt") }.sorted()
            if reports.count >= count { return reports }
            usleep(50_000)
        }
        throw HarnessError("fewer than \(count) crash reports in \(folder) after 60 s: \((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])")
    }

    func testCrashesLeaveACoreAndAReportAndTheHandlerIsRestored() throws {
        let program = try Harness.fixture("crashes", flags: Harness.flags["crashes"]!)
        let folder = NSTemporaryDirectory() + "swdbg-crashes-\(UUID().uuidString)"
        let before = try String(contentsOfFile: patternFile, encoding: .utf8)
        let install = try Harness.run(Harness.swdbg, ["-I", "--crash-folder", folder], input: "")
        defer {
            // Whatever happened, the machine gets its pattern back.
            if (try? String(contentsOfFile: patternFile, encoding: .utf8)) != before { _ = try? Harness.run(Harness.swdbg, ["-iu"], input: "") }
        }
        XCTAssertEqual(install.status, 0, install.output)
        XCTAssertTrue(install.output.contains("swdbg is the crash handler"), install.output)
        XCTAssertTrue(try String(contentsOfFile: patternFile, encoding: .utf8).hasPrefix("|\(Harness.swdbg) --crash-handler"))
        // Installed twice, it still restores the pattern from before the first time.
        XCTAssertEqual(try Harness.run(Harness.swdbg, ["-I", "--crash-folder", folder], input: "").status, 0)
        try crash(program, "null")
        try crash(program, "assert")
        let names = try reports(in: folder, count: 2)
        let texts = try names.map { try String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }
        let null = try XCTUnwrap(texts.first { $0.contains("signal 11 (SIGSEGV)") }, texts.joined())
        XCTAssertTrue(null.contains("FAILURE_BUCKET_ID:  NULL_POINTER_READ_c0000005_crashes!read_null"), null)
        XCTAssertTrue(null.contains("0:000> ~*k") && null.contains("crashes!main+0x"), null)
        XCTAssertTrue(null.contains("0:000> lm") && null.contains("libc "), null)
        let assertion = try XCTUnwrap(texts.first { $0.contains("signal 6 (SIGABRT)") }, texts.joined())
        XCTAssertTrue(assertion.contains("PRIMARY_PROBLEM_CLASS:  ASSERTION_FAILURE"), assertion)
        for name in names {
            let core = folder + "/" + name.replacingOccurrences(of: ".txt", with: ".core")
            XCTAssertTrue(FileManager.default.fileExists(atPath: core), core)
            XCTAssertTrue(name.hasPrefix("crashes."), name)
        }
        let uninstall = try Harness.run(Harness.swdbg, ["-iu"], input: "")
        XCTAssertEqual(uninstall.status, 0, uninstall.output)
        XCTAssertEqual(try String(contentsOfFile: patternFile, encoding: .utf8), before)
        XCTAssertNotEqual(try Harness.run(Harness.swdbg, ["-iu"], input: "").status, 0, "a second -iu has nothing to restore")
    }

    /// A limit smaller than one core: the core is cut at the limit (the report says so and
    /// still has the registers), and older crashes are removed to make room.
    func testTheCrashFolderKeepsToItsLimit() throws {
        let program = try Harness.fixture("crashes", flags: Harness.flags["crashes"]!)
        let folder = NSTemporaryDirectory() + "swdbg-crashes-\(UUID().uuidString)"
        let before = try String(contentsOfFile: patternFile, encoding: .utf8)
        XCTAssertEqual(try Harness.run(Harness.swdbg, ["-I", "--crash-folder", folder, "--crash-limit", "64K"], input: "").status, 0)
        defer { if (try? String(contentsOfFile: patternFile, encoding: .utf8)) != before { _ = try? Harness.run(Harness.swdbg, ["-iu"], input: "") } }
        for round in 1...3 {
            try crash(program, "divide")
            _ = try reports(in: folder, count: 1)
            usleep(1_100_000 * UInt32(round == 3 ? 0 : 1))  // a new second: each crash its own name
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        let total = try names.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: folder + "/" + $1)[.size] as? Int) ?? 0) }
        XCTAssertLessThanOrEqual(names.filter { $0.hasSuffix(".core") }.count, 2, "\(names)")
        let newest = try XCTUnwrap(names.filter { $0.hasSuffix(".txt") }.sorted().last)
        let report = try String(contentsOfFile: folder + "/" + newest, encoding: .utf8)
        XCTAssertTrue(report.contains("cut off at the crash folder's limit"), report)
        XCTAssertTrue(report.contains("WARNING: The core file is truncated"), report)
        XCTAssertTrue(report.contains("rip="), report)
        XCTAssertLessThanOrEqual(total, 64 * 1024 + 16 * 1024, "\(names): \(total) bytes")
        XCTAssertEqual(try Harness.run(Harness.swdbg, ["-iu"], input: "").status, 0)
    }
}
