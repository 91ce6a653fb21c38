import Foundation
import XCTest

/// Core files as targets: cores the kernel writes for a crashing fixture, gdb's `gcore`, and
/// swdbg's own `.dump`, read by swdbg and checked against gdb and eu-stack.
final class DumpTests: XCTestCase {
    /// Runs `program` in a fresh folder with core dumps allowed, so it dies leaving a kernel
    /// core there; returns the core's path. The kernel's pattern is set to `core` for the run
    /// where it names something else (a pipe to a crash collector), and put back.
    static func kernelCore(of program: String, _ arguments: [String] = []) throws -> String {
        let folder = NSTemporaryDirectory() + "swdbg-core-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let patternFile = "/proc/sys/kernel/core_pattern"
        let pattern = try String(contentsOfFile: patternFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        if pattern != "core" { try "core".write(toFile: patternFile, atomically: false, encoding: .utf8) }
        defer { if pattern != "core" { try? pattern.write(toFile: patternFile, atomically: false, encoding: .utf8) } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -c unlimited; exec \"$0\" \"$@\"", program] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationReason == .uncaughtSignal else { throw HarnessError("\(program) did not die of a signal (status \(process.terminationStatus))") }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("core") }
        guard let core = files.first else { throw HarnessError("\(program) died but left no core in \(folder)") }
        return folder + "/" + core
    }

    /// A swdbg session on a core file (`-z core [program]`).
    static func dumpSession(_ core: String, program: String? = nil, _ commands: [String]) throws -> String {
        try Harness.run(Harness.swdbg, ["-z", core] + (program.map { [$0] } ?? []), input: commands.joined(separator: "\n") + "\n").output
    }

    func testKernelCoreOfANullDereference() throws {
        let program = try Harness.fixture("crash")
        let core = try Self.kernelCore(of: program)
        let out = try Self.dumpSession(core, ["k", ".exr -1", "dv", "lm", "~", "u @rip L1", "db crash!main L4", ".lastevent"])
        XCTAssertTrue(out.contains("Loading Dump File [\(core)]"), out)
        XCTAssertTrue(out.contains("ELF core file of process 0n"), out)
        XCTAssertTrue(out.contains("Access violation - code c0000005 (first/second chance not available)"), out)
        XCTAssertTrue(out.contains("Fault address: 00000000`00000000 (SEGV_MAPERR: address not mapped)"), out)
        let stack = out.output(of: "k").components(separatedBy: "\n").dropFirst()
        XCTAssertTrue(stack.first?.contains("crash!read_through+0x") == true && stack.first?.contains("crash.c @ 4]") == true, out)
        XCTAssertTrue(stack.dropFirst().first?.contains("crash!main+0x") == true && stack.dropFirst().first?.contains("crash.c @ 9]") == true, out)
        XCTAssertTrue(stack.contains { $0.contains("libc!__libc_start_main") }, out)
        let record = out.output(of: ".exr -1")
        XCTAssertTrue(record.contains("ExceptionCode: c0000005 (Access violation)"), record)
        XCTAssertTrue(record.contains("(crash!read_through+0x"), record)
        XCTAssertTrue(record.contains("Attempt to read from address 0000000000000000"), record)
        XCTAssertTrue(record.contains("Signal: SIGSEGV (0n11), si_code 1 (SEGV_MAPERR"), record)
        XCTAssertTrue(out.output(of: "dv").contains("pointer = 0x0000000000000000"), out)
        let modules = out.output(of: "lm")
        XCTAssertTrue(modules.contains("crash ") && modules.contains("libc ") && modules.contains(program), modules)
        XCTAssertEqual(out.output(of: "~").count(of: "Id: "), 1, out)
        XCTAssertTrue(out.output(of: "u @rip L1").contains("mov     eax,dword ptr [rax]"), out)
        // The code comes from the executable (the kernel does not dump text): the bytes of main.
        let objdump = try Harness.run("/usr/bin/objdump", ["-d", "--no-show-raw-insn", program], input: "").output
        XCTAssertTrue(objdump.contains("<main>:"), objdump)
        XCTAssertTrue(out.output(of: "db crash!main L4").contains("55 48 89 e5"), out)
        XCTAssertTrue(out.output(of: ".lastevent").contains("Access violation - code c0000005 (first/second chance not available)"), out)
        // gdb reads the same core to the same frames.
        let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "bt", program, core], input: "").output
        XCTAssertTrue(gdb.contains("read_through (pointer=0x0)") && gdb.contains("in main ()"), gdb)
    }

    func testCommandsThatRunOrChangeTheTargetRefuseADump() throws {
        let core = try Self.kernelCore(of: try Harness.fixture("crash"))
        let out = try Self.dumpSession(core, ["g", "p", "t", "gu", "wt", "bp crash!main", "ba e1 crash!main", "r rax=1", "ed @rsp 1", ".call crash!main()", "bl", "r rip"])
        for command in ["g", "p", "t", "gu", "wt", "bp", "ba"] {
            let name = command.split(separator: " ").first.map(String.init) ?? command
            XCTAssertTrue(out.contains("^ No runnable debuggees error in '\(name)'"), "\(command):\n\(out)")
        }
        XCTAssertTrue(out.output(of: "r rax=1").contains("cannot be changed in a dump"), out)
        XCTAssertTrue(out.output(of: "ed @rsp 1").contains("cannot be changed in a dump"), out)
        XCTAssertTrue(out.output(of: ".call crash!main()").contains("No runnable debuggees"), out)
        XCTAssertEqual(out.output(of: "bl").trimmingCharacters(in: .whitespacesAndNewlines), "", out)
        XCTAssertTrue(out.output(of: "r rip").contains("rip="), out)
    }

    /// `.dump /ma` and `/m` of a four-thread program stopped at a breakpoint: swdbg, gdb and
    /// eu-stack all read them back to the same threads and frames.
    func testDumpsWrittenAtABreakpointReadBackEverywhere() throws {
        let program = try Harness.fixture("threads", flags: ["-pthread"])
        let folder = NSTemporaryDirectory() + "swdbg-dump-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let full = folder + "/full.core", small = folder + "/small.core"
        let live = try Harness.session(program: program, ["bp threads!tick", "g", "~", "k", "~*k", ".dump /ma \(full)", ".dump /m \(small)", ".dump /m \(small)", ".dump /m /o \(small)", "q"])
        XCTAssertTrue(live.output(of: ".dump /ma \(full)").contains("Dump successfully written"), live)
        XCTAssertTrue(live.output(of: ".dump /m \(small)", occurrence: 1).contains("exists; /o overwrites it"), live)
        XCTAssertTrue(live.output(of: ".dump /m /o \(small)").contains("Dump successfully written"), live)
        let threadCount = live.output(of: "~").count(of: "Id: ")
        XCTAssertGreaterThanOrEqual(threadCount, 2, live)
        let liveStack = live.output(of: "k")
        for core in [full, small] {
            let out = try Self.dumpSession(core, ["~", "k", "~*k"])
            XCTAssertTrue(out.contains("This dump file has a breakpoint exception stored in it."), out)
            XCTAssertEqual(out.output(of: "~").count(of: "Id: "), threadCount, out)
            // The thread that hit the breakpoint is current, with the stack the live session
            // showed; every other thread has its live stack too.
            XCTAssertEqual(out.output(of: "k"), liveStack, out)
            XCTAssertTrue(out.output(of: "k").contains("threads!worker+0x"), out)
            XCTAssertEqual(Self.stacksByThread(out.output(of: "~*k")), Self.stacksByThread(live.output(of: "~*k")), out)
            let gdb = try Harness.run("/usr/bin/gdb", ["-batch", "-nx", "-ex", "bt", "-ex", "info threads", program, core], input: "").output
            XCTAssertTrue(gdb.contains("tick (index=") && gdb.contains("worker (arg="), gdb)
            XCTAssertEqual(gdb.components(separatedBy: "\n").filter { $0.contains("LWP ") && !$0.hasPrefix("[") }.count, threadCount, gdb)
            let stack = try Harness.run("/usr/bin/eu-stack", ["--core=\(core)", "-e", program], input: "").output
            XCTAssertEqual(stack.count(of: "TID "), threadCount, stack)
            XCTAssertTrue(stack.contains(" tick\n") && stack.contains(" worker\n"), stack)
        }
        let sizes = try [full, small].map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int ?? 0 }
        XCTAssertLessThan(sizes[1] * 10, sizes[0], "the /m dump should be far smaller: \(sizes)")
    }

    /// Every inspection command answers on a dump as it did live at the moment `.dump` wrote it:
    /// stacks with parameters, locals, types, C++ expressions, lists, symbols, memory,
    /// disassembly, search, registers, modules — from a full dump and from a small one.
    func testInspectionCommandsAnswerAsTheyDidLive() throws {
        let program = try Harness.fixture("types", flags: Harness.flags["types"] ?? [])
        let folder = NSTemporaryDirectory() + "swdbg-dump-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let inspection = ["k", "kp", "~*k", "dv", "dv /t", "? ring", "dl ring", "!list -t node.next -x \"?? ((struct node *)@$extret)->value\" nodes",
                          "dt node", "?? nodes[1]", "x types!n*", "ln @rip", "u @rip L4", "db @rsp L20", "s -b @rsp L100 0", "r", "r xmm0", "lm", "~"]
        let live = try Harness.session(program: program, ["g `types.c:49`", ".dump /ma \(folder)/full.core", ".dump /m \(folder)/small.core"] + inspection + ["q"])
        XCTAssertEqual(live.output(of: "!list -t node.next -x \"?? ((struct node *)@$extret)->value\" nodes"), "int 0n10\nint 0n20\nint 0n30", live)
        for core in ["full.core", "small.core"] {
            let out = try Self.dumpSession(folder + "/" + core, inspection)
            for command in inspection {
                XCTAssertEqual(out.output(of: command), live.output(of: command), "\(core): \(command)")
            }
        }
    }

    /// The vDSO is a module read from memory (live and in a core): its symbols take a
    /// breakpoint, its CFI unwinds to the caller, and a dump written inside it shows the same.
    func testTheVdsoIsAModuleFromMemory() throws {
        let program = try Harness.fixture("clock")
        let folder = NSTemporaryDirectory() + "swdbg-vdso-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let live = try Harness.session(program: program, ["bp linux_vdso!__vdso_clock_gettime", "g", "k", "lm m linux_vdso", ".dump /m \(folder)/vdso.core", "q"])
        let stack = live.output(of: "k")
        let lines = stack.components(separatedBy: "\n")
        XCTAssertTrue(lines.count > 1 && lines[1].contains("linux_vdso!"), stack)
        XCTAssertTrue(stack.contains("clock!elapsed+0x") && stack.contains("clock!main+0x"), stack)
        XCTAssertTrue(live.output(of: "lm m linux_vdso").contains("linux-vdso.so.1"), live)
        let out = try Self.dumpSession(folder + "/vdso.core", ["k", "lm m linux_vdso"])
        XCTAssertEqual(out.output(of: "k"), stack, out)
        XCTAssertEqual(out.output(of: "lm m linux_vdso"), live.output(of: "lm m linux_vdso"), out)
    }

    /// `~*k` as each thread's frames by its `pid.tid` (thread numbers and names differ between
    /// a live session and a dump, which puts the current thread first).
    static func stacksByThread(_ text: String) -> [String: [String]] {
        var stacks: [String: [String]] = [:]
        var current: String?
        for line in text.components(separatedBy: "\n") {
            if let range = line.range(of: "Id: ") {
                current = String(line[range.upperBound...].prefix { $0 != " " })
                stacks[current!] = []
            } else if let current, !line.trimmingCharacters(in: .whitespaces).isEmpty {
                stacks[current]!.append(line)
            }
        }
        return stacks
    }

    func testGcoreOfARunningProgram() throws {
        let running = try Harness.start("detach", ["300"])
        defer { kill(running.pid, SIGKILL); _ = running.finish() }
        let prefix = NSTemporaryDirectory() + "swdbg-gcore-\(UUID().uuidString)"
        let result = try Harness.run("/usr/bin/gcore", ["-o", prefix, String(running.pid)], input: "")
        let core = "\(prefix).\(running.pid)"
        guard FileManager.default.fileExists(atPath: core) else { return XCTFail("gcore wrote no core: \(result.output)") }
        let out = try Self.dumpSession(core, ["k", "lm"])
        XCTAssertTrue(out.output(of: "k").contains("detach!main+0x"), out)
        XCTAssertTrue(out.output(of: "lm").contains("detach "), out)
    }

    /// A core cut short (as a size limit cuts it) shows what it holds, with a warning.
    func testTruncatedCoreWarnsAndStillShowsTheThreads() throws {
        let core = try Self.kernelCore(of: try Harness.fixture("crash"))
        let whole = try Self.dumpSession(core, ["r rip"])
        let size = try FileManager.default.attributesOfItem(atPath: core)[.size] as? Int ?? 0
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: core))
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        let out = try Self.dumpSession(core, ["r rip", "lm", "k"])
        XCTAssertTrue(out.contains("WARNING: The core file is truncated:"), out)
        XCTAssertEqual(out.output(of: "r rip"), whole.output(of: "r rip"), out)
        XCTAssertTrue(out.output(of: "lm").contains("start "), out)
        XCTAssertTrue(out.contains("quit:"), out)
    }

    func testFilesThatAreNotCoresGiveClearErrors() throws {
        let program = try Harness.fixture("crash")
        let folder = NSTemporaryDirectory() + "swdbg-badcore-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = folder + "/text"
        try "not a core\n".write(toFile: text, atomically: true, encoding: .utf8)
        var out = try Self.dumpSession(text, [])
        XCTAssertTrue(out.contains("not an ELF core file"), out)
        out = try Self.dumpSession(program, [])
        XCTAssertTrue(out.contains("not a core file (ELF type 3, not ET_CORE)"), out)
        out = try Self.dumpSession(folder + "/missing", [])
        XCTAssertTrue(out.contains("No such file or directory"), out)
        // A core whose notes are garbage: no thread to show, said as such.
        let core = try Self.kernelCore(of: program)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: core))
        let notes = Int(bytes[64 + 8..<64 + 16].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })  // the first header is PT_NOTE
        for index in notes..<notes + 64 { bytes[index] = 0xff }
        let garbage = folder + "/garbage.core"
        try bytes.write(to: URL(fileURLWithPath: garbage))
        out = try Self.dumpSession(garbage, [])
        XCTAssertTrue(out.contains("A malformed note at offset"), out)
        XCTAssertTrue(out.contains("the core has no thread"), out)
        // And the session still opens another target: .opendump after a failed -z is not possible
        // (no session), but a failed .opendump leaves the session usable.
        out = try Harness.session(program: program, [".opendump \(garbage)", "r rip", "q"])
        XCTAssertTrue(out.output(of: ".opendump \(garbage)").contains("A target is already open"), out)
        XCTAssertTrue(out.output(of: "r rip").contains("rip="), out)
    }

    /// A thread other than the first dies: it is the dump's current thread, `.ecxr` comes
    /// back to it from another, and `.opendump` opens the core in a session whose target ended.
    func testTheFaultingThreadIsTheContext() throws {
        let program = try Harness.fixture("crashes", flags: Harness.flags["crashes"]!)
        let core = try Self.kernelCore(of: program, ["thread"])
        let out = try Self.dumpSession(core, ["~", "~1s", "k", ".ecxr", "k", ".exr -1"])
        let threads = out.output(of: "~").components(separatedBy: "\n")
        XCTAssertEqual(threads.count, 2, out)
        XCTAssertTrue(threads[0].hasPrefix(".  0"), out)
        XCTAssertFalse(out.output(of: "k").contains("read_null"), "thread 1 is the one waiting: \(out)")
        XCTAssertTrue(out.output(of: "k", occurrence: 1).contains("crashes!read_null+0x"), out)
        XCTAssertTrue(out.output(of: ".exr -1").contains("Attempt to read from address 0000000000000000"), out)
        XCTAssertTrue(out.contains("0:001> .ecxr"), "the prompt shows thread 1 before .ecxr: \(out)")
        XCTAssertTrue(out.contains("0:000> k"), out)
        let reopened = try Harness.session(program: try Harness.fixture("crash"), [".kill", ".opendump \(core)", "k", ".kill", "k"])
        XCTAssertTrue(reopened.output(of: ".kill", occurrence: 1).contains("Closed the target of process"), reopened)
        XCTAssertTrue(reopened.output(of: "k", occurrence: 1).contains("No runnable debuggees"), reopened)
        XCTAssertTrue(reopened.output(of: ".opendump \(core)").contains("Access violation - code c0000005 (first/second chance not available)"), reopened)
        XCTAssertTrue(reopened.output(of: "k").contains("crashes!read_null+0x"), reopened)
    }

    /// Cores as crash collectors store them: zstd, xz and gzip, whole and cut short.
    func testCompressedCores() throws {
        let core = try Self.kernelCore(of: try Harness.fixture("crash"))
        let plain = try Self.dumpSession(core, ["k", "r rip"])
        for (tool, suffix) in [("/usr/bin/zstd", ".zst"), ("/usr/bin/xz", ".xz"), ("/usr/bin/gzip", ".gz")] {
            let compressed = core + suffix
            let result = try Harness.run(tool, ["-k", "-f", core], input: "")
            XCTAssertEqual(result.status, 0, result.output)
            let out = try Self.dumpSession(compressed, ["k", "r rip"])
            XCTAssertEqual(out.output(of: "k"), plain.output(of: "k"), out)
            XCTAssertTrue(out.output(of: "k").contains("crash!read_through"), out)
            // Cut after the first few kilobytes: the notes survive, the warning says what broke off.
            let data = try Data(contentsOf: URL(fileURLWithPath: compressed))
            let cut = compressed + ".cut" + suffix
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
            let partial = try Self.dumpSession(cut, ["r rip"])
            XCTAssertTrue(partial.contains("WARNING: The compressed core breaks off: the"), partial)
            XCTAssertEqual(partial.output(of: "r rip"), plain.output(of: "r rip"), partial)
        }
        // A core larger than the decompressor's buffers (a full dump of four threads' stacks):
        // every byte comes through.
        let folder = NSTemporaryDirectory() + "swdbg-zstd-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let live = try Harness.session(program: try Harness.fixture("threads", flags: ["-pthread"]), ["bp threads!tick", "g", ".dump /ma \(folder)/big.core", "~*k", "q"])
        XCTAssertEqual(try Harness.run("/usr/bin/zstd", ["-q", "-k", folder + "/big.core"], input: "").status, 0)
        let size = try FileManager.default.attributesOfItem(atPath: folder + "/big.core")[.size] as? Int ?? 0
        XCTAssertGreaterThan(size, 8 << 20, "the dump should span many buffers")
        let big = try Self.dumpSession(folder + "/big.core.zst", ["~*k"])
        XCTAssertFalse(big.contains("breaks off"), big)
        XCTAssertEqual(Self.stacksByThread(big.output(of: "~*k")), Self.stacksByThread(live.output(of: "~*k")), big)
    }

    /// Headers the fuzzer found crashing the reader: a note segment at an offset past any
    /// file, and segments whose sizes sum past 2^64. Each is an error or a warning now.
    func testCraftedHeadersAreErrorsNotCrashes() throws {
        func word(_ value: UInt64, _ size: Int) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
        func core(_ headers: [(type: UInt64, offset: UInt64, address: UInt64, fileSize: UInt64, memorySize: UInt64)], notes: [UInt8]) -> [UInt8] {
            var bytes: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
            bytes += word(4, 2) + word(62, 2) + word(1, 4) + word(0, 8) + word(64, 8) + word(0, 8) + word(0, 4) + word(64, 2) + word(56, 2)
                + word(UInt64(headers.count), 2) + word(64, 2) + word(0, 2) + word(0, 2)
            for header in headers {
                bytes += word(header.type, 4) + word(6, 4) + word(header.offset, 8) + word(header.address, 8) + word(0, 8)
                    + word(header.fileSize, 8) + word(header.memorySize, 8) + word(4096, 8)
            }
            return bytes + notes
        }
        let folder = NSTemporaryDirectory() + "swdbg-crafted-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A thread's NT_PRSTATUS: tid 77, rip 0x401000.
        var status = [UInt8](repeating: 0, count: 336)
        status.replaceSubrange(32..<36, with: word(77, 4))
        status.replaceSubrange(112 + 16 * 8..<112 + 17 * 8, with: word(0x401000, 8))
        let note = word(5, 4) + word(336, 4) + word(1, 4) + Array("CORE".utf8) + [0, 0, 0, 0] + status
        let huge: UInt64 = 0xffff_ffff_fff0_0000  // two of them (overlapping) sum past 2^64
        let cases: [(name: String, bytes: [UInt8], expect: String)] = [
            ("far-notes", core([(4, 0xffff_ffff_ffff_0000, 0, 100, 0)], notes: []), "the core has no thread"),
            ("huge-loads", core([(4, 64 + 56 * 3, 0, UInt64(note.count), 0), (1, 0, 0x1000, huge, huge), (1, 0, 0x1000, huge, huge)], notes: note),
             "WARNING: The core file is truncated"),
        ]
        for crafted in cases {
            let path = folder + "/" + crafted.name
            try Data(crafted.bytes).write(to: URL(fileURLWithPath: path))
            let out = try Self.dumpSession(path, ["r rip", "k", "lm"])
            XCTAssertTrue(out.contains(crafted.expect), "\(crafted.name): \(out)")
            XCTAssertTrue(out.contains("quit:"), "\(crafted.name): \(out)")
        }
        // Another architecture's core: said as such.
        var arm = core([(4, 64 + 56, 0, UInt64(note.count), 0)], notes: note)
        arm.replaceSubrange(18..<20, with: word(183, 2))  // EM_AARCH64
        try Data(arm).write(to: URL(fileURLWithPath: folder + "/arm64"))
        let foreign = try Self.dumpSession(folder + "/arm64", [])
        XCTAssertTrue(foreign.contains("a core of another architecture (ELF machine 183, not x86-64)"), foreign)
        let opened = try Self.dumpSession(folder + "/huge-loads", ["r rip"])
        XCTAssertEqual(opened.output(of: "r rip"), "rip=0000000000401000", opened)
    }

    /// The build id in the dump's memory finds the right file in the symbol path when the one
    /// the core names is gone, or is another build: symbols, lines and code come from it.
    func testTheSymbolPathFindsTheDumpsFilesByBuildID() throws {
        let folder = NSTemporaryDirectory() + "swdbg-buildid-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/bin", withIntermediateDirectories: true)
        let program = folder + "/bin/crash"
        try FileManager.default.copyItem(atPath: try Harness.fixture("crash"), toPath: program)
        let core = try Self.kernelCore(of: program)
        let notes = try Harness.run("/usr/bin/eu-readelf", ["-n", program], input: "").output
        let buildID = try XCTUnwrap(notes.split(separator: "\n").first { $0.contains("Build ID:") }?.split(separator: " ").last.map(String.init))
        let symbols = folder + "/symbols/.build-id/" + buildID.prefix(2)
        try FileManager.default.createDirectory(atPath: symbols, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: program, toPath: symbols + "/" + buildID.dropFirst(2))
        let commands = ["k", "u @rip L1", "lm m crash"]
        let missing = try Harness.run(Harness.swdbg, ["-y", folder + "/symbols", "-z", core], input: commands.joined(separator: "\n") + "\n").output
        XCTAssertTrue(missing.contains("\(program): using \(symbols)/\(buildID.dropFirst(2)), the file with the dump's build id"), missing)
        XCTAssertTrue(missing.output(of: "k").contains("crash!read_through+0x") && missing.output(of: "k").contains("crash.c @ 4]"), missing)
        XCTAssertTrue(missing.output(of: "u @rip L1").contains("mov     eax,dword ptr [rax]"), missing)
        // Another build where the core's file was: the symbol path's file wins, no warning.
        try FileManager.default.copyItem(atPath: try Harness.fixture("crash", flags: ["-O1"]), toPath: program)
        let other = try Harness.run(Harness.swdbg, ["-y", folder + "/symbols", "-z", core], input: commands.joined(separator: "\n") + "\n").output
        XCTAssertFalse(other.contains("does not match the dump"), other)
        XCTAssertEqual(other.output(of: "k"), missing.output(of: "k"), other)
        XCTAssertFalse(other.output(of: "lm m crash").contains("(mismatched)"), other)
    }

    /// A core read with another build of its program: a warning, and `lm` marks the module.
    func testMismatchedExecutableIsAWarning() throws {
        let program = try Harness.fixture("crash")
        let core = try Self.kernelCore(of: program)
        let other = try Harness.fixture("crash", flags: ["-O1"])
        let out = try Self.dumpSession(core, program: other, ["lm"])
        XCTAssertTrue(out.contains("WARNING: \(other) does not match the dump: build id "), out)
        XCTAssertTrue(out.output(of: "lm").contains("(mismatched)"), out)
        let same = try Self.dumpSession(core, program: program, ["lm"])
        XCTAssertFalse(same.contains("does not match the dump"), same)
    }
}
