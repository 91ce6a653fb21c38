import Foundation
import XCTest

/// Symbol servers: a real `debuginfod` on loopback serves the debug file of a stripped
/// program; `.symfix` (DEBUGINFOD_URLS) and `-y srv*cache*url` find it by build ID.
final class SymbolServerTests: XCTestCase {
    private var server: Process?
    private var folder = ""
    private var port = 0

    /// The stripped fixture, its build ID, and a server whose folder holds its debug file (and
    /// the files of `serving`, which it indexes as it starts).
    private func startServer(serving: [String] = []) throws -> (program: String, buildID: String) {
        folder = Harness.fixtureDirectory + "/debuginfod-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/served", withIntermediateDirectories: true)
        for file in serving { try FileManager.default.copyItem(atPath: file, toPath: folder + "/served/" + (file as NSString).lastPathComponent) }
        let program = folder + "/loop"
        try FileManager.default.copyItem(atPath: try Harness.fixture("loop"), toPath: program)
        XCTAssertEqual(try Harness.run("/usr/bin/objcopy", ["--only-keep-debug", program, folder + "/served/loop.debug"], input: "").status, 0)
        XCTAssertEqual(try Harness.run("/usr/bin/strip", ["--strip-debug", program], input: "").status, 0)
        let notes = try Harness.run("/usr/bin/eu-readelf", ["-n", program], input: "").output
        let buildID = try XCTUnwrap(notes.split(separator: "\n").first { $0.contains("Build ID:") }?.split(separator: " ").last.map(String.init))

        let daemon = "/usr/bin/debuginfod"
        guard FileManager.default.isExecutableFile(atPath: daemon) else { throw XCTSkip("debuginfod is not installed (script/setup installs it)") }
        port = 20000 + Int(getpid() % 20000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: daemon)
        process.arguments = ["-F", folder + "/served", "-p", String(port), "-d", folder + "/index.sqlite"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        server = process
        // The server indexes its folder in the background: wait until it serves the file.
        let url = "http://127.0.0.1:\(port)/buildid/\(buildID)/debuginfo"
        for _ in 0..<100 {
            if try Harness.run("/usr/bin/curl", ["-sf", "-o", "/dev/null", url], input: "").status == 0 { return (program, buildID) }
            usleep(100_000)
        }
        XCTFail("debuginfod did not serve \(buildID) within 10 s")
        return (program, buildID)
    }

    override func tearDown() {
        server?.terminate()
        server?.waitUntilExit()
    }

    func testSymfixFindsTheDebugFileOnTheServer() throws {
        let (program, buildID) = try startServer()
        let commands = ["lm m loop", "!sym noisy", ".symfix", ".reload", "bp loop!work", "g", "k", "lm m loop"]
        let out = try Harness.session(program: program, commands,
                                      environment: ["DEBUGINFOD_URLS": "http://127.0.0.1:\(port)", "DEBUGINFOD_CACHE_PATH": folder + "/cache"])
        XCTAssertTrue(out.output(of: "lm m loop").contains("loop       (elf symbols)"), "stripped: no DWARF before the server is asked")
        XCTAssertEqual(out.output(of: ".symfix"), "Symbol search path is: srv*")
        XCTAssertTrue(out.contains("SYMSRV:  loop: http://127.0.0.1:\(port) build ID \(buildID) - found \(folder)/cache/\(buildID)/debuginfo"), out)
        XCTAssertTrue(out.output(of: "k").contains("loop!work [\(Harness.source("loop")) @ 6]"), out.output(of: "k"))
        XCTAssertTrue(out.output(of: "lm m loop", occurrence: 1).contains("loop       (dwarf)"))
    }

    func testServerInTheSymbolPathWithItsOwnCache() throws {
        let (program, _) = try startServer()
        let out = try Harness.session(program: program, ["bp loop!work", "g", "lm v m loop"], options: ["-y", "srv*\(folder)/own-cache*http://127.0.0.1:\(port)"],
                                      environment: ["DEBUGINFOD_URLS": ""])
        XCTAssertTrue(out.contains("loop!work [\(Harness.source("loop")) @ 6]"), out)
        XCTAssertTrue(out.output(of: "lm v m loop").contains("Debug file: \(folder)/own-cache/"), out.output(of: "lm v m loop"))
        XCTAssertFalse(out.contains("SYMSRV"), "quiet unless !sym noisy")
    }

    /// A core whose program is gone from where it ran: the server has it, by the build id in
    /// the core (debuginfod's `executable`).
    func testTheServerGivesADumpsMissingProgram() throws {
        let gone = Harness.fixtureDirectory + "/gone-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: gone, withIntermediateDirectories: true)
        let program = gone + "/crash"
        try FileManager.default.copyItem(atPath: try Harness.fixture("crash"), toPath: program)
        let notes = try Harness.run("/usr/bin/eu-readelf", ["-n", program], input: "").output
        let buildID = try XCTUnwrap(notes.split(separator: "\n").first { $0.contains("Build ID:") }?.split(separator: " ").last.map(String.init))
        let core = try DumpTests.kernelCore(of: program)
        _ = try startServer(serving: [program])
        try FileManager.default.removeItem(atPath: program)
        // Wait until the server has indexed it.
        let url = "http://127.0.0.1:\(port)/buildid/\(buildID)/executable"
        var served = false
        for _ in 0..<100 where !served {
            served = try Harness.run("/usr/bin/curl", ["-sf", "-o", "/dev/null", url], input: "").status == 0
            if !served { usleep(100_000) }
        }
        XCTAssertTrue(served, "debuginfod did not serve the executable \(buildID)")
        let out = try Harness.run(Harness.swdbg, ["-y", "srv*\(folder)/exe-cache*http://127.0.0.1:\(port)", "-z", core], input: "k\n",
                                  environment: ["DEBUGINFOD_URLS": ""]).output
        XCTAssertTrue(out.contains("\(program): using \(folder)/exe-cache/\(buildID)/executable, the file with the dump's build id"), out)
        XCTAssertTrue(out.output(of: "k").contains("crash!read_through+0x"), out)
    }
}
