import Foundation
import XCTest

/// The command line (`--help`, `--version`, usage errors), the init file, and `.srcpath`.
final class CommandLineTests: XCTestCase {
    func testHelpVersionAndUsageErrors() throws {
        for flag in ["--help", "-?"] {
            let help = try Harness.run(Harness.swdbg, [flag], input: "")
            XCTAssertEqual(help.status, 0)
            for option in ["-p PID", "-pn NAME", "-c \"CMDS\"", "-cf FILE", "-g ", "-G ", "-y PATH", "-srcpath PATH", "-logo FILE", "--aslr", "--no-init", "--version"] {
                XCTAssertTrue(help.output.contains("  " + option), "\(flag) lists \(option): \(help.output)")
            }
        }
        let version = try Harness.run(Harness.swdbg, ["--version"], input: "")
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.output.hasPrefix("swdbg 0."), version.output)
        for (arguments, message) in [(["-x", "prog"], "unknown option '-x'"), ([], "no program to debug"), (["-p"], "-p needs a value"),
                                     (["-p", "abc"], "-p takes a process id"), (["-p", "1", "prog"], "give one target")] {
            let result = try Harness.run(Harness.swdbg, arguments, input: "")
            XCTAssertEqual(result.status, 2, "\(arguments)")
            XCTAssertTrue(result.output.contains("swdbg: " + message), result.output)
            XCTAssertTrue(result.output.contains("see swdbg --help"), result.output)
        }
        let program = try Harness.fixture("loop")
        let passed = try Harness.session(program: program, ["? 1"], arguments: ["--help"])
        XCTAssertTrue(passed.contains("CommandLine: \(program) --help"), "options after the program are the program's")
    }

    /// `$XDG_CONFIG_HOME/swdbg/init` runs before the target starts; `--no-init` skips it.
    func testInitFile() throws {
        let config = Harness.fixtureDirectory + "/init-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: config + "/swdbg", withIntermediateDirectories: true)
        try ".echo init file ran\nbu loop!work\nnosuchcommand\n".write(toFile: config + "/swdbg/init", atomically: true, encoding: .utf8)
        let program = try Harness.fixture("loop")
        let out = try Harness.session(program: program, ["bl", "g", "q"], environment: ["XDG_CONFIG_HOME": config])
        XCTAssertTrue(out.contains("init file ran"), out)
        XCTAssertTrue(out.contains("\(config)/swdbg/init:3:        ^ Syntax error in 'nosuchcommand'"), "init errors say where: \(out)")
        XCTAssertTrue(out.output(of: "bl").contains("loop!work"), out.output(of: "bl"))
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"), out.output(of: "g"))
        let skipped = try Harness.session(program: program, ["bl"], options: ["--no-init"], environment: ["XDG_CONFIG_HOME": config])
        XCTAssertFalse(skipped.contains("init file ran"))
        XCTAssertEqual(skipped.output(of: "bl"), "")
    }

    /// A program built elsewhere: its sources are found through folders and remappings.
    func testSourcePathFindsMovedSources() throws {
        let root = Harness.fixtureDirectory + "/srcpath-\(UUID().uuidString)"
        let built = root + "/build/src", moved = root + "/moved"
        for folder in [built, moved + "/src"] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: Harness.source("loop"), toPath: built + "/loop.c")
        let program = root + "/loop"
        XCTAssertEqual(try Harness.run("/usr/bin/gcc", ["-g", "-O0", "-o", program, built + "/loop.c"], input: "").status, 0)
        try FileManager.default.moveItem(atPath: built + "/loop.c", toPath: moved + "/src/loop.c")
        // Where `/bu=/x` would lead if it matched inside the name `build`.
        try FileManager.default.createDirectory(atPath: root + "/xild/src", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: moved + "/src/loop.c", toPath: root + "/xild/src/loop.c")
        let out = try Harness.session(program: program, ["lsa loop!work", ".srcpath \(moved)", "lsa loop!work", ".srcpath \(root)/build=\(moved)", "lsa loop!work",
                                                        ".srcpath+ /nonexistent", ".srcpath", ".srcpath \(root)/bu=\(root)/x", "lsa loop!work"])
        XCTAssertTrue(out.output(of: "lsa loop!work", occurrence: 3).contains("Couldn't load source file"), "a remapping matches whole path components")
        XCTAssertTrue(out.output(of: "lsa loop!work").contains("Couldn't load source file '\(built)/loop.c'"), out.output(of: "lsa loop!work"))
        for occurrence in [1, 2] {
            XCTAssertTrue(out.output(of: "lsa loop!work", occurrence: occurrence).contains(">    6: __attribute__((noinline)) int work(int value) {"),
                          out.output(of: "lsa loop!work", occurrence: occurrence))
        }
        XCTAssertEqual(out.output(of: ".srcpath"), "Source search path is: \(root)/build=\(moved);/nonexistent")
    }
}
