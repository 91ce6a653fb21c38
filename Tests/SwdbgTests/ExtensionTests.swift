import Foundation
import XCTest

/// WinDbg's extension mechanism: a sample extension built here against the repository's
/// header, loaded with `.load` and `.loadby`, its commands run as `!name` and `!module.name`;
/// the chain; bad libraries refused with the reason; `!address` on a live process and a core.
final class ExtensionTests: XCTestCase {
    private static let header = Harness.packageRoot.appendingPathComponent("Sources/CExtension/include").path

    /// Builds Tests/Fixtures/NAME.c as a shared library with the extension header.
    private func extensionLibrary(_ name: String, output: String? = nil, flags: [String] = []) throws -> String {
        let path = output ?? Harness.fixtureDirectory + "/lib\(name).so"
        let result = try Harness.run("/usr/bin/gcc", ["-shared", "-fPIC", "-O1", "-I", Self.header] + flags + ["-o", path, Harness.source(name)], input: "")
        guard result.status == 0 else { throw HarnessError("gcc failed for \(name): \(result.output)") }
        return path
    }

    func testASampleExtensionLoadsRunsAndUnloads() throws {
        let library = try extensionLibrary("sample_extension")
        let out = try Harness.session("loop", [".load \(library)", ".chain", "!hello world", "!sample_extension.hello again", "bp loop!work", "g",
                                              "!where", "!peek @rsp", "!peek 0", "!run r rdi", "!fail", ".extmatch *e*", ".extmatch /e ext a*",
                                              ".unload sample_extension", "!hello", ".chain"])
        XCTAssertTrue(out.output(of: ".load \(library)").isEmpty, out)
        let chain = out.output(of: ".chain")
        XCTAssertTrue(chain.contains("sample_extension: API 1, 5 commands, \(library)"), chain)
        XCTAssertTrue(chain.contains("ext: built in, 5 commands"), chain)
        XCTAssertEqual(out.output(of: "!hello world"), "hello from the sample extension: 'world'", out)
        XCTAssertEqual(out.output(of: "!sample_extension.hello again"), "hello from the sample extension: 'again'", out)
        XCTAssertTrue(out.output(of: "!where").range(of: #"^thread \d+ at loop!work"#, options: .regularExpression) != nil, out)
        XCTAssertTrue(out.output(of: "!peek @rsp").range(of: #"^peek 7fff[0-9a-f]+ = \d+$"#, options: .regularExpression) != nil, out)
        XCTAssertEqual(out.output(of: "!peek 0"), "peek: memory at 0 is not readable\n!sample_extension.peek failed (it returned 3)", out)
        XCTAssertEqual(out.output(of: "!run r rdi"), "rdi=0000000000000000", "the extension ran a command at the first hit (work(0)): \(out)")
        XCTAssertEqual(out.output(of: "!fail"), "!sample_extension.fail failed (it returned 7)", out)
        let matched = out.output(of: ".extmatch *e*").split(separator: "\n").map(String.init)
        XCTAssertEqual(matched, ["!sample_extension.hello", "!sample_extension.peek", "!sample_extension.where", "!ext.analyze", "!ext.address", "!ext.heap", "!kdexts.process", "!kdexts.thread", "!py.threads", "!swift.types", "!swift.name2ee"], out)
        XCTAssertEqual(out.output(of: ".extmatch /e ext a*"), "!ext.analyze\n!ext.address", out)
        XCTAssertEqual(out.output(of: "!hello"), "No export hello found", "unloaded: \(out)")
        XCTAssertFalse(out.output(of: ".chain", occurrence: 1).contains("sample_extension"), out)
    }

    /// `.loadby name module`: the extension beside a loaded module's file, as WinDbg's
    /// `.loadby sos clr`.
    func testLoadByFindsTheExtensionBesideAModule() throws {
        let host = try Harness.fixture("plugin_host", flags: ["-ldl"])
        let plugin = try Harness.library("plugin")
        let folder = (plugin as NSString).deletingLastPathComponent
        _ = try extensionLibrary("sample_extension", output: folder + "/libsample.so")
        let out = try Harness.session(program: host, ["sxe ld:libplugin", "g", ".loadby sample libplugin", "!sample.hello there", ".loadby nothing libplugin", ".loadby sample nomodule"],
                                      arguments: [plugin])
        XCTAssertEqual(out.output(of: "!sample.hello there"), "hello from the sample extension: 'there'", out)
        XCTAssertTrue(out.output(of: ".loadby nothing libplugin").hasPrefix("No extension nothing beside \(plugin)"), out)
        XCTAssertEqual(out.output(of: ".loadby sample nomodule"), "No module named nomodule is loaded", out)
    }

    func testBadExtensionsAreRefusedWithTheReason() throws {
        let wrong = try extensionLibrary("bad_extensions", output: Harness.fixtureDirectory + "/libwrongversion.so", flags: ["-DWRONG_VERSION"])
        let missing = try extensionLibrary("bad_extensions", output: Harness.fixtureDirectory + "/libmissing.so")
        let garbage = Harness.fixtureDirectory + "/libgarbage.so"
        try Data("not an ELF file at all".utf8).write(to: URL(fileURLWithPath: garbage))
        let plain = try Harness.library("plugin")
        let out = try Harness.session("loop", [".load \(wrong)", ".load \(missing)", ".load \(garbage)", ".load \(plain)", ".load /nonexistent/libx.so",
                                              ".load nosuchname", ".load ext", ".unload ext", ".unload nothing", "!nosuch", "!nomodule.cmd", "!ext.nosuch", "? 1"])
        XCTAssertEqual(out.output(of: ".load \(wrong)"), "\(wrong) is not a swdbg extension: it was built for extension API 99; this swdbg has API 1", out)
        XCTAssertEqual(out.output(of: ".load \(missing)"), "\(missing) is not a swdbg extension: it lists ghost but exports no swdbg_command_ghost", out)
        XCTAssertTrue(out.output(of: ".load \(garbage)").hasPrefix("Unable to load \(garbage): "), out)
        XCTAssertEqual(out.output(of: ".load \(plain)"), "\(plain) is not a swdbg extension: it exports no swdbg_extension_version", out)
        XCTAssertTrue(out.output(of: ".load /nonexistent/libx.so").hasPrefix("Unable to load /nonexistent/libx.so: "), out)
        XCTAssertTrue(out.output(of: ".load nosuchname").hasPrefix("The extension nosuchname was not found"), out)
        XCTAssertEqual(out.output(of: ".load ext"), "ext is built into swdbg: always loaded", out)
        XCTAssertEqual(out.output(of: ".unload ext"), "ext is built into swdbg and cannot be unloaded", out)
        XCTAssertEqual(out.output(of: ".unload nothing"), "No extension nothing is loaded", out)
        XCTAssertEqual(out.output(of: "!nosuch"), "No export nosuch found", out)
        XCTAssertEqual(out.output(of: "!nomodule.cmd"), "No extension nomodule is on the chain (.chain lists them)", out)
        XCTAssertEqual(out.output(of: "!ext.nosuch"), "No export nosuch found in ext", out)
        XCTAssertTrue(out.output(of: "? 1").hasPrefix("Evaluate expression: 1"), "the session went on: \(out)")
    }

    /// `!address` on a running program: its image, stack, brk heap, a malloc arena of another
    /// thread, a file it mapped, anonymous memory; one address; the summary tables.
    func testAddressClassifiesTheMemoryMap() throws {
        let program = try Harness.fixture("regions", flags: ["-pthread"])
        let out = try Harness.session(program: program, ["bp regions!ready", "g", "!address", "!address @rsp", "!address regions!main", "!address poi(regions!arena_block)",
                                                         "!address poi(regions!mapped)", "!address poi(regions!anonymous)", "!address -summary", "!address zz"])
        let table = out.output(of: "!address")
        XCTAssertTrue(table.contains("MEM_IMAGE   MEM_COMMIT  PAGE_EXECUTE_READ                  Image      [regions; \"\(program)\"]"), table)
        XCTAssertTrue(table.contains("Image      [libc; \"/lib/x86_64-linux-gnu/libc.so.6\"]"), table)
        XCTAssertTrue(table.contains("Heap       [brk heap]"), table)
        XCTAssertTrue(table.contains("Stack      [~0; "), table)
        XCTAssertTrue(table.contains("Free"), table)
        XCTAssertTrue(out.output(of: "!address @rsp").hasPrefix("Usage:                  Stack\n"), out)
        let image = out.output(of: "!address regions!main")
        XCTAssertTrue(image.contains("Usage:                  Image") && image.contains("Module Name:            regions") && image.contains("PAGE_EXECUTE_READ"), image)
        XCTAssertTrue(out.output(of: "!address poi(regions!arena_block)").hasPrefix("Usage:                  Heap\n"), "a second thread's malloc arena: \(out)")
        XCTAssertTrue(out.output(of: "!address poi(regions!arena_block)").contains("[malloc arena]"), out)
        let mapped = out.output(of: "!address poi(regions!mapped)")
        XCTAssertTrue(mapped.hasPrefix("Usage:                  MappedFile\n") && mapped.contains("MEM_MAPPED") && mapped.contains("PAGE_READONLY"), mapped)
        XCTAssertTrue(out.output(of: "!address poi(regions!anonymous)").hasPrefix("Usage:                  Anonymous\n"), out)
        let summary = out.output(of: "!address -summary")
        for row in ["--- Usage Summary", "--- Type Summary (for busy)", "--- State Summary", "--- Protect Summary (for commit)", "--- Largest Region by Usage"] {
            XCTAssertTrue(summary.contains(row), summary)
        }
        XCTAssertTrue(summary.range(of: #"\nImage +\d+ +0000"#, options: .regularExpression) != nil, summary)
        XCTAssertTrue(out.output(of: "!address zz").contains("error"), out)
    }

    /// The same classification from a core file's map (its NT_FILE and PT_LOAD segments).
    func testAddressOnACoreFile() throws {
        let program = try Harness.fixture("regions", flags: ["-pthread"])
        let core = Harness.fixtureDirectory + "/regions.core"
        try? FileManager.default.removeItem(atPath: core)
        XCTAssertTrue(try Harness.session(program: program, ["bp regions!ready", "g", ".dump /ma /o \(core)", "q"]).contains("Dump successfully written"))
        let out = try Harness.session(program: program, ["!address regions!main", "!address @rsp", "!address -summary"], options: ["-z", core])
        XCTAssertTrue(out.output(of: "!address regions!main").contains("Module Name:            regions"), out)
        XCTAssertTrue(out.output(of: "!address @rsp").hasPrefix("Usage:                  Stack\n"), out)
        XCTAssertTrue(out.output(of: "!address -summary").contains("--- Usage Summary"), out)
    }

    /// `!heap` on a heap built to be known: nine of ten 0x20 chunks freed (seven in tcache[0],
    /// two in fastbin[0]), one chunk in the unsorted bin, a second thread's arena.
    func testHeapArenasChunksAndOneAddress() throws {
        let program = try Harness.fixture("heap", flags: ["-pthread"])
        let out = try Harness.session(program: program, ["bp heap!inspect", "g", "!heap -s", "!heap -a", "!heap -p -a poi(heap!medium)",
                                                         "!heap -p -a poi(heap!small)+8", "!heap -v", "!ext.heap -p -a 0"])
        let summary = out.output(of: "!heap -s")
        XCTAssertTrue(summary.contains("      tcache[0] (size 0x20): 7\n      fastbin[0] (size 0x20): 2\n      unsorted bin: 1"), summary)
        XCTAssertEqual(summary.components(separatedBy: "  main   ").count - 1, 1, summary)
        XCTAssertEqual(summary.components(separatedBy: "  mmap   ").count - 1, 1, "the worker thread's arena: \(summary)")
        let chunks = out.output(of: "!heap -a")
        XCTAssertTrue(chunks.contains("0x290  busy (tcache_perthread_struct)"), chunks)
        XCTAssertEqual(chunks.components(separatedBy: "0x20  free (tcache[0])").count - 1, 7, chunks)
        XCTAssertEqual(chunks.components(separatedBy: "0x20  free (fastbin[0])").count - 1, 2, chunks)
        XCTAssertTrue(chunks.contains("0xd0  busy"), "the 200-byte block: \(chunks)")
        XCTAssertEqual(chunks.components(separatedBy: "  top").count - 1, 2, chunks)
        XCTAssertTrue(out.output(of: "!heap -p -a poi(heap!medium)").contains("     0xd0 ") && out.output(of: "!heap -p -a poi(heap!medium)").hasSuffix("0xc8 - busy"), out)
        XCTAssertTrue(out.output(of: "!heap -p -a poi(heap!small)+8").hasSuffix("- free (tcache[0])"), "an address inside the first small block: \(out)")
        XCTAssertEqual(out.output(of: "!heap -v"), "The heap is consistent: 2 arenas, 22 chunks walked", out)
        XCTAssertEqual(out.output(of: "!ext.heap -p -a 0"), "    address 00000000`00000000 is in no malloc arena's heap", out)
    }

    /// `!heap -v` finds and explains each corruption the fixture makes; the others go on.
    func testHeapVerifyExplainsCorruption() throws {
        let program = try Harness.fixture("heap", flags: ["-pthread"])
        let out = try Harness.session(program: program, ["bp heap!inspect", "g", "!heap -v", "!heap -s", "? 2"], arguments: ["corrupt"])
        let report = out.output(of: "!heap -v")
        XCTAssertTrue(report.range(of: #"tcache\[1\] \(size 0x30\): chunk [0-9a-f`]+ is in it twice: a double free"#, options: .regularExpression) != nil, report)
        XCTAssertTrue(report.contains("'s bk is 00000041`41414141, not "), report)
        XCTAssertTrue(report.contains("broken link"), report)
        XCTAssertTrue(report.contains(": size 0x12345 is not a chunk size"), report)
        XCTAssertTrue(report.hasSuffix("3 problems found in 2 arenas"), report)
        XCTAssertTrue(out.output(of: "!heap -s").contains("! chunk at "), out)
        XCTAssertTrue(out.output(of: "? 2").hasPrefix("Evaluate expression: 2"), out)
        // A program with no libc of its own (static): a clear error.
        let plain = try Harness.session(program: try Harness.fixture("loop", flags: ["-static"]), ["!heap -s"])
        XCTAssertEqual(plain.output(of: "!heap -s"), "!heap: no libc in this process (glibc's malloc only)", plain)
    }

    /// Python through the embedded CPython: a breakpoint whose callback decides (silent for
    /// values 0–2, a stop at 3), the script's own commands reading and writing memory and
    /// running a command, `invoke_script()`, and errors: a script that raises, a command that
    /// raises, a missing file, `.scriptrun` without invoke_script.
    func testPythonScriptsBreakpointsAndCommands() throws {
        let probe = Harness.packageRoot.appendingPathComponent("Tests/Fixtures/probe.py").path
        let raises = Harness.packageRoot.appendingPathComponent("Tests/Fixtures/raises.py").path
        let out = try Harness.session("loop", [".scriptrun \(probe)", "g", "r rdi", "!report now", "!probe.poke 40", "!boom x", ".scriptlist",
                                              ".scriptload \(raises)", ".scriptload /nonexistent/x.py", ".scriptrun \(raises)", "? 5"])
        XCTAssertTrue(out.output(of: ".scriptrun \(probe)").hasPrefix("invoke_script at loop!_start threads 1"), out)
        XCTAssertTrue(out.output(of: "g").hasPrefix("Breakpoint 0 hit"), out)
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000003", "the callback let values 0, 1, 2 run on: \(out)")
        XCTAssertEqual(out.output(of: "!report now"), "seen=[0, 1, 2, 3] counter=3 args='now'\nframe: loop!work", out)
        XCTAssertEqual(out.output(of: "!probe.poke 40"), "counter now 40", "written by the script, read back through MASM: \(out)")
        let boom = out.output(of: "!boom x")
        XCTAssertTrue(boom.contains("ValueError: boom: x") && boom.hasSuffix("!probe.boom raised an exception (traceback above)"), boom)
        XCTAssertTrue(out.output(of: ".scriptlist").contains("probe: \(probe) (!probe.boom, !probe.poke, !probe.report)"), out)
        let raised = out.output(of: ".scriptload \(raises)")
        XCTAssertTrue(raised.hasPrefix("before the error\nTraceback (most recent call last):"), raised)
        XCTAssertTrue(raised.contains("NameError: name 'undefined_name_here' is not defined"), raised)
        XCTAssertTrue(raised.hasSuffix("The script \(raises) raised an exception (traceback above)"), raised)
        XCTAssertTrue(out.output(of: ".scriptload /nonexistent/x.py").hasPrefix("Unable to read the script /nonexistent/x.py"), out)
        XCTAssertTrue(out.output(of: "? 5").hasPrefix("Evaluate expression: 5"), "the session went on: \(out)")
    }

    /// `!py.bt` on pyenv's CPython 3.11.7 (its libpython carries DWARF): the frames of a script
    /// stopped in time.sleep, known by construction, as gdb's py-bt prints them.
    func testPythonFramesOfACPythonDebuggee() throws {
        let pyenv = ProcessInfo.processInfo.environment["PYENV_ROOT"] ?? NSHomeDirectory() + "/.pyenv"
        let python = pyenv + "/versions/3.11.7/bin/python3.11"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw XCTSkip("pyenv's CPython 3.11.7 is not installed (\(python))") }
        let script = Harness.packageRoot.appendingPathComponent("Tests/Fixtures/pyframes.py").path
        let out = try Harness.session(program: python, ["bp libc!clock_nanosleep", "g", "!py.bt", "!bt", "!py.threads", "!py.locals", "!py.locals 2", "!py.locals 9", "!py.bt -n"],
                                      arguments: [script])
        let expected = ["Traceback (most recent call first):", "  File \"\(script)\", line 8, in inner", "  File \"\(script)\", line 12, in middle",
                        "  File \"\(script)\", line 17, in outer", "  File \"\(script)\", line 20, in <module>"].joined(separator: "\n")
        XCTAssertEqual(out.output(of: "!py.bt"), expected, out)
        XCTAssertEqual(out.output(of: "!bt"), expected, "unqualified, found on the chain: \(out)")
        XCTAssertTrue(out.output(of: "!py.threads").contains(": inner (\(script):8)"), out)
        XCTAssertEqual(out.output(of: "!py.locals"), "Locals of inner (\(script):8):\n    n = 0.5", out)
        XCTAssertEqual(out.output(of: "!py.locals 2"), ["Locals of outer (\(script):17):", "    label = 'outer'", "    count = 3", "    ratio = 1.5",
                                                       "    missing = None", "    negative = -42"].joined(separator: "\n"), out)
        XCTAssertEqual(out.output(of: "!py.locals 9"), "!py.locals: no Python frame 9 (the thread has 4)", out)
        // Among the native frames: Python's under the evaluation loop's C frame that runs them.
        let mixed = out.output(of: "!py.bt -n")
        XCTAssertTrue(mixed.range(of: #"libc!clock_nanosleep\n(.*\n)*.*libpython3_11!_PyEval_EvalFrameDefault\+0x[0-9a-f]+\n       Python: inner \("#, options: .regularExpression) != nil, mixed)
        XCTAssertTrue(mixed.contains("       Python: <module> (\(script):20)\n"), mixed)
        XCTAssertTrue(mixed.contains("libpython3_11!PyEval_EvalCode"), mixed)
        // A process without CPython: a clear error.
        let plain = try Harness.session("loop", ["!py.bt"])
        XCTAssertEqual(plain.output(of: "!py.bt"), "!py: no CPython runtime (_PyRuntime) with debug information in this process", plain)
    }

    /// Seed 004's first steps on Swift: `sxe ld:libswiftCore` stops when the runtime loads (a
    /// startup library: in the initial breakpoint's place), and a `bu` on a Swift library's
    /// function set before the library is there resolves when it loads (`!bpmd`'s role).
    func testSwiftRuntimeLoadEventAndADeferredBreakpoint() throws {
        let program = try Harness.fixture("geometry")
        let out = try Harness.session(program: program, ["sxe ld:libswiftCore", ".restart", ".lastevent", "sxd ld", "sxe cpr", ".restart", "lm m libswiftCore",
                                                         "bu libswiftCore!swift_allocObject", "bl", "g", "bl", "g"])
        XCTAssertTrue(out.output(of: ".restart").range(of: #"^CommandLine: .*\n(ModLoad: .*\n)*\([0-9a-f]+\.[0-9a-f]+\): Load module [^\n]*/libswiftCore\.so at "#, options: .regularExpression) != nil, out)
        XCTAssertTrue(out.output(of: ".lastevent").contains(": Load module ") && out.output(of: ".lastevent").contains("libswiftCore.so"), out)
        XCTAssertFalse(out.output(of: "lm m libswiftCore").contains("libswiftCore "), "stopped before the loader: \(out)")
        XCTAssertTrue(out.output(of: "bl").contains("eu") && out.output(of: "bl").contains("libswiftCore!swift_allocObject"), "deferred: \(out)")
        XCTAssertTrue(out.output(of: "g").contains("Break instruction exception"), "the initial breakpoint, the runtime loaded: \(out)")
        XCTAssertTrue(out.output(of: "bl", occurrence: 1).contains("e Disable Clear  00007"), "resolved in the loaded runtime: \(out)")
        XCTAssertTrue(out.output(of: "g", occurrence: 1).hasPrefix("Breakpoint 0 hit\n") && out.output(of: "g", occurrence: 1).contains("libswiftCore!swift_allocObject:"), out)
    }

    /// `!swift` from the runtime's metadata alone (the fixture is built without DWARF): the
    /// module's types, a class's vtable with its methods' names, objects with their classes,
    /// reference counts and stored properties — on the live process and on a core of it.
    func testSwiftMetadataWithoutDWARF() throws {
        let program = try Harness.fixture("classes", flags: ["-gnone"])
        let core = Harness.fixtureDirectory + "/classes.core"
        try? FileManager.default.removeItem(atPath: core)
        let out = try Harness.session(program: program, ["bp classes!classes.inspect", "g", "!swift.types classes", "!swift.name2ee classes.Square.perimeter",
                                                         "!swift.dumpmt classes.Square", "!swift.dumpmt classes.Circle", "!swift.dumpobj @rdi", "g",
                                                         "!swift.dumpobj @rdi", ".dump /ma /o \(core)", "!swift.dumpmt classes.Point", "!swift.dumpobj @rsp"])
        let types = out.output(of: "!swift.types classes").split(separator: "\n").map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
        XCTAssertEqual(types, ["class classes.Shape", "class classes.Circle", "class classes.Square", "struct classes.Point", "enum classes.Color"], out)
        XCTAssertTrue(out.output(of: "!swift.name2ee classes.Square.perimeter").contains("Method:      classes.Square.perimeter() -> Swift.Int"), out)
        let square = out.output(of: "!swift.dumpmt classes.Square")
        XCTAssertTrue(square.contains("Superclass:         classes.Shape\n") && square.contains("Instance size:      48\n"), square)
        XCTAssertTrue(square.contains("VTable:             5 entries"), square)
        for method in ["side.getter", "side.setter", "side.modify", "__allocating_init", "perimeter"] {
            XCTAssertTrue(square.contains("classes!classes.Square.\(method)"), square)
        }
        XCTAssertTrue(out.output(of: "!swift.dumpmt classes.Circle").contains("VTable:             1 entries"), "final: its initializer only: \(out)")
        let circle = out.output(of: "!swift.dumpobj @rdi")
        XCTAssertTrue(circle.contains("Class:              classes.Circle\n") && circle.contains("Strong references:  "), circle)
        XCTAssertTrue(circle.contains("name             : Swift.String   \"circle\""), circle)
        XCTAssertTrue(circle.contains("sides            : Swift.Int      0"), circle)
        XCTAssertTrue(circle.contains("radius           : Swift.Double   2.0"), circle)
        let squareObject = out.output(of: "!swift.dumpobj @rdi", occurrence: 1)
        XCTAssertTrue(squareObject.contains("Class:              classes.Square") && squareObject.contains("side             : Swift.Int      3"), squareObject)
        XCTAssertEqual(out.output(of: "!swift.dumpmt classes.Point"), "!swift.dumpmt: classes.Point is a struct, not a class", out)
        XCTAssertTrue(out.output(of: "!swift.dumpobj @rsp").hasSuffix("is not a Swift object (its first word is no class metadata)"), out)
        // A module without Swift metadata: a clear error.
        let plain = try Harness.session("loop", ["!swift.types loop", "!swift.dumpmt loop.Nothing"])
        XCTAssertEqual(plain.output(of: "!swift.types loop"), "!swift: loop has no Swift type metadata (swift5_type_metadata)", plain)
        XCTAssertEqual(plain.output(of: "!swift.dumpmt loop.Nothing"), "!swift: no type loop.Nothing in the loaded modules' Swift type metadata", plain)
        // The same object in the core.
        let dump = try Harness.session(program: program, ["!swift.dumpobj @rdi", "!swift.types classes"], options: ["-z", core])
        XCTAssertTrue(dump.output(of: "!swift.dumpobj @rdi").contains("side             : Swift.Int      3"), dump)
        XCTAssertTrue(dump.output(of: "!swift.types classes").contains("class   classes.Square"), dump)
    }
}
