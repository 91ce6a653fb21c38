import Foundation
import XCTest

/// Damaged symbol files: a warning, then the session goes on with what can be trusted.
final class CorruptSymbolTests: XCTestCase {
    /// The fixture with one section replaced by bytes of garbage (objcopy), in a folder of its
    /// own so the module keeps its name.
    private func damaged(_ section: String, with byte: UInt8) throws -> String {
        let folder = Harness.fixtureDirectory + "/damaged-\(section.dropFirst())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let junk = folder + "/junk"
        XCTAssertTrue(FileManager.default.createFile(atPath: junk, contents: Data(repeating: byte, count: 200)))
        let program = folder + "/loop"
        let result = try Harness.run("/usr/bin/objcopy", ["--update-section", "\(section)=\(junk)", try Harness.fixture("loop"), program], input: "")
        XCTAssertEqual(result.status, 0, result.output)
        return program
    }

    private let commands = ["bp loop!work", "g", "k 2", "lm m loop", "dv"]

    func testCorruptDebugInfoFallsBackToElfSymbols() throws {
        let out = try Harness.session(program: try damaged(".debug_info", with: 0xff), commands)
        XCTAssertTrue(out.contains("*** WARNING: corrupt DWARF in "), out)
        XCTAssertTrue(out.contains("Breakpoint 0 hit"))
        XCTAssertTrue(out.output(of: "k 2").contains("loop!main+0x"), out.output(of: "k 2"))
        XCTAssertTrue(out.output(of: "lm m loop").contains("(elf symbols)"))
        XCTAssertEqual(out.output(of: "dv"), "Unable to enumerate locals: no DWARF information for this frame")
    }

    func testCorruptLineTableLosesOnlyLines() throws {
        let out = try Harness.session(program: try damaged(".debug_line", with: 0xee), commands)
        XCTAssertTrue(out.contains("*** WARNING: corrupt line table in "), out)
        XCTAssertTrue(out.output(of: "k 2").contains("loop!work\n") || out.output(of: "k 2").hasSuffix("loop!work"), out.output(of: "k 2"))
        XCTAssertFalse(out.output(of: "k 2").contains("loop.c @"))
    }

    func testTruncatedFileKeepsTheSessionGoing() throws {
        let original = try Harness.fixture("loop")
        let folder = Harness.fixtureDirectory + "/cut-short"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: original))
        let program = folder + "/loop"
        XCTAssertTrue(FileManager.default.createFile(atPath: program, contents: bytes.prefix(bytes.count * 3 / 4), attributes: [.posixPermissions: 0o755]))
        let out = try Harness.session(program: program, commands + ["? 1+1"])
        XCTAssertTrue(out.contains("*** WARNING: \(program) is truncated"), out)
        XCTAssertTrue(out.contains("Exit process"), "the program still runs: \(out)")
        XCTAssertEqual(out.output(of: "? 1+1"), "Evaluate expression: 2 = 00000000`00000002")
    }
}
