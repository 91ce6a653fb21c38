import Foundation
import XCTest

/// Malformed programs and files: a clear message, never a crash, and the session goes on.
final class BadInputTests: XCTestCase {
    private func copyOfFixture(_ name: String, as copy: String) throws -> String {
        let path = Harness.fixtureDirectory + "/" + copy
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: try Harness.fixture(name), toPath: path)
        return path
    }

    /// Section headers pointing past the end of the file: the kernel runs it, libelf finds no
    /// symbols, and swdbg still lists, unwinds and runs it.
    func testCorruptSectionHeaders() throws {
        let path = try copyOfFixture("loop", as: "badsections")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 0x28)  // e_shoff
        handle.write(Data([0xf0, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0]))
        try handle.close()
        let out = try Harness.run(Harness.swdbg, [path, "2"], input: "lm m badsections\nbp badsections!work\nk\ng\n").output
        XCTAssertTrue(out.output(of: "lm m badsections").contains(" badsections "), out)
        XCTAssertTrue(out.output(of: "bp badsections!work").contains("adding deferred bp"))
        XCTAssertTrue(out.output(of: "k").contains("Call Site"))
        XCTAssertTrue(out.contains("total=2 counter=1"), "the program ran to its end")
    }

    func testTruncatedAndNonElfPrograms() throws {
        let truncated = Harness.fixtureDirectory + "/truncated"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: try Harness.fixture("loop"))).prefix(3000)
        try bytes.write(to: URL(fileURLWithPath: truncated))
        let text = Harness.fixtureDirectory + "/notelf"
        try Data("\u{7f}ELF garbage".utf8).write(to: URL(fileURLWithPath: text))
        for path in [truncated, text] { chmod(path, 0o755) }
        let first = try Harness.run(Harness.swdbg, [truncated], input: "")
        XCTAssertTrue(first.output.contains("Cannot launch '\(truncated)'"), first.output)
        XCTAssertEqual(first.status, 1)
        let second = try Harness.run(Harness.swdbg, [text], input: "")
        XCTAssertTrue(second.output.contains("Cannot launch '\(text)': Exec format error"), second.output)
    }

    /// A running program whose file was deleted: its image is read through /proc/pid/exe.
    func testDeletedExecutableKeepsItsSymbols() throws {
        let path = try copyOfFixture("detach", as: "deleted")
        let target = try Harness.start(program: path, ["100"])
        try FileManager.default.removeItem(atPath: path)
        let out = try Harness.run(Harness.swdbg, ["-p", "\(target.pid)"], input: "lm m deleted\nk\nqd\n").output
        XCTAssertTrue(out.output(of: "lm m deleted").contains("(deleted)"), out)
        XCTAssertTrue(out.output(of: "k").contains("deleted!main+0x"), out.output(of: "k"))
        _ = target.finish()
        XCTAssertEqual(target.process.terminationStatus, 0)
    }
}
