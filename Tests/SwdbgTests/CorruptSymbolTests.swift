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

    /// A compressed `.debug_info` whose stream is damaged, or whose header claims a size no
    /// stream could inflate to: refused with a warning, the ELF symbols still serve.
    func testDamagedCompressedDebugInfo() throws {
        let original = try Harness.fixture("loop", flags: ["-gz=zlib"])
        let sections = try Harness.run("/usr/bin/readelf", ["-S", "-W", original], input: "").output
        let line = try XCTUnwrap(sections.split(separator: "\n").first { $0.contains(" .debug_info ") && $0.contains(" C ") }, sections)
        let fields = line.split(separator: "]").last!.split(separator: " ")
        let offset = try XCTUnwrap(Int(fields[3], radix: 16)), size = try XCTUnwrap(Int(fields[4], radix: 16))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: original))
        let folder = Harness.fixtureDirectory + "/damaged-compressed"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var stream = bytes, claim = bytes
        for index in offset + 24 + size / 3..<offset + 24 + size / 3 + 40 { stream[index] = 0x5a }
        for index in offset + 8..<offset + 16 { claim[index] = index == offset + 12 ? 0x40 : 0 }  // ch_size = 2^38
        for (name, contents) in [("stream", stream), ("claim", claim)] {
            let program = folder + "/\(name)/loop"
            try FileManager.default.createDirectory(atPath: folder + "/\(name)", withIntermediateDirectories: true)
            XCTAssertTrue(FileManager.default.createFile(atPath: program, contents: contents, attributes: [.posixPermissions: 0o755]))
            let out = try Harness.session(program: program, commands)
            XCTAssertTrue(out.contains("*** WARNING: corrupt DWARF in \(program)"), "\(name): \(out)")
            XCTAssertTrue(out.output(of: "k 2").contains("loop!main+0x"), "\(name): \(out.output(of: "k 2"))")
        }
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

    /// Random bytes as `.debug_info` (not only a pattern that breaks the first header).
    func testRandomDebugInfoIsRefusedWithAWarning() throws {
        var generator = SystemRandomNumberGenerator()
        let folder = Harness.fixtureDirectory + "/random-info"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for round in 0..<3 {
            let junk = folder + "/junk\(round)"
            XCTAssertTrue(FileManager.default.createFile(atPath: junk, contents: Data((0..<4000).map { _ in UInt8.random(in: 0...255, using: &generator) })))
            let program = folder + "/loop"
            XCTAssertEqual(try Harness.run("/usr/bin/objcopy", ["--update-section", ".debug_info=\(junk)", try Harness.fixture("loop"), program], input: "").status, 0)
            let out = try Harness.session(program: program, commands)
            XCTAssertTrue(out.contains("*** WARNING: corrupt DWARF in "), out)
            XCTAssertTrue(out.output(of: "lm m loop").contains("(elf symbols)"), out.output(of: "lm m loop"))
            XCTAssertTrue(out.output(of: "k 2").contains("loop!main+0x"))
        }
    }

    /// A copy of the plugin library damaged by `damage`, loaded by plugin_host by relative path.
    private func damagedPlugin(_ name: String, _ damage: (FileHandle, String) throws -> Void) throws -> String {
        let folder = Harness.fixtureDirectory + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let library = folder + "/libplugin.so"
        try? FileManager.default.removeItem(atPath: library)
        try FileManager.default.copyItem(atPath: try Harness.library("plugin"), toPath: library)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: library))
        try damage(handle, library)
        try handle.close()
        return "./\(name)/libplugin.so"
    }

    private func pluginSession(_ library: String) throws -> String {
        try Harness.session("plugin_host", ["bu libplugin!plugin_compute", "g", "x libplugin!plugin_*", "k 2"], arguments: [library])
    }

    /// `.strtab` full of garbage: a warning, and the exports (`.dynsym`) are the symbols.
    func testDamagedStringTableFallsBackToExports() throws {
        let library = try damagedPlugin("damaged-strtab") { handle, path in
            let sections = try Harness.run("/usr/bin/readelf", ["-S", "-W", path], input: "").output
            let fields = try XCTUnwrap(sections.split(separator: "\n").first { $0.contains(" .strtab ") }).split(separator: " ")
            let index = try XCTUnwrap(fields.firstIndex(of: ".strtab"))
            let offset = try XCTUnwrap(UInt64(fields[index + 3], radix: 16)), size = try XCTUnwrap(Int(fields[index + 4], radix: 16))
            try handle.seek(toOffset: offset)
            handle.write(Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 0x80) }))
        }
        let out = try pluginSession(library)
        XCTAssertTrue(out.contains("*** WARNING: damaged symbol names in ") && out.contains("(.strtab) - export symbols only"), out)
        XCTAssertTrue(out.output(of: "g").contains("Breakpoint 0 hit"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: "x libplugin!plugin_*").contains("libplugin!plugin_compute"), out.output(of: "x libplugin!plugin_*"))
    }

    /// Section headers past the end of the file: the exports come from the dynamic segment.
    func testTruncatedLibraryExportsResolve() throws {
        let library = try damagedPlugin("cut-headers") { handle, _ in
            try handle.seek(toOffset: 0x28)  // e_shoff
            handle.write(Data([0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 0]))
        }
        let out = try pluginSession(library)
        XCTAssertTrue(out.contains("is truncated (its section headers lie past the end) - export symbols only"), out)
        XCTAssertTrue(out.output(of: "g").contains("Breakpoint 0 hit"), out.output(of: "g"))
        XCTAssertTrue(out.output(of: "x libplugin!plugin_*").contains("libplugin!plugin_compute"))
        XCTAssertTrue(out.output(of: "x libplugin!plugin_*").contains("libplugin!plugin_calls"))
        XCTAssertTrue(out.output(of: "k 2").contains("libplugin!plugin_compute"), out.output(of: "k 2"))
    }
}
