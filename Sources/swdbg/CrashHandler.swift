import Commands
import Engine
import Glibc
import Targets

/// swdbg as the system's post-mortem debugger (WinDbg's `-I`, Dr. Watson): the kernel pipes
/// each crashing process's core to `swdbg --crash-handler`, which stores the core and a text
/// report (`!analyze -v`, `~*k`, `lm`) in a size-limited crash folder.
enum CrashHandler {
    /// Where the handler's settings and the pattern it replaced are kept (the kernel runs the
    /// handler with a pattern of at most 128 characters: no room for settings in it).
    static let stateFile = "/var/lib/swdbg/crash-handler"
    static let patternFile = "/proc/sys/kernel/core_pattern"
    static let defaultFolder = "/var/lib/swdbg/crashes"
    static let defaultLimit: UInt64 = 1 << 30

    /// The handler's settings: the crash folder, its size limit, and the pattern to restore.
    struct Settings {
        var folder = CrashHandler.defaultFolder
        var limit = CrashHandler.defaultLimit
        var previousPattern = "core"

        init() {}

        init(text: String) {
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                let key = line[..<equals], value = String(line[line.index(after: equals)...])
                switch key {
                case "folder": folder = value
                case "limit": limit = UInt64(value) ?? CrashHandler.defaultLimit
                case "previous": previousPattern = value
                default: break
                }
            }
        }

        var text: String { "folder=\(folder)\nlimit=\(limit)\nprevious=\(previousPattern)\n" }
    }

    /// `-I`: points core_pattern at this executable, keeping the pattern it replaces (the
    /// first one, when installed again).
    static func install(folder: String?, limit: UInt64?) -> Int32 {
        guard let executable = try? selfPath() else { return fail("cannot find swdbg's own path") }
        let pattern = "|\(executable) --crash-handler %P %s %t %e"
        guard pattern.utf8.count < 128 else { return fail("the handler's command line (\(pattern)) is longer than the kernel's 127-character core_pattern") }
        guard let current = readText(patternFile) else { return fail("cannot read \(patternFile): \(errnoText(errno))") }
        var settings = Settings()
        if let saved = readText(stateFile), current.hasPrefix("|\(executable) --crash-handler") {
            settings.previousPattern = Settings(text: saved).previousPattern
        } else {
            settings.previousPattern = current
        }
        if let folder { settings.folder = folder.hasPrefix("/") ? folder : currentDirectory() + "/" + folder }
        if let limit { settings.limit = limit }
        guard makeFolders(settings.folder), makeFolders(String(stateFile[..<stateFile.lastIndex(of: "/")!])) else {
            return fail("cannot create \(settings.folder): \(errnoText(errno))")
        }
        guard writeText(stateFile, settings.text) else { return fail("cannot write \(stateFile): \(errnoText(errno))") }
        guard writeText(patternFile, pattern) else { return fail("cannot write \(patternFile) (root is needed): \(errnoText(errno))") }
        print("swdbg is the crash handler: core_pattern is \(pattern)")
        print("Crashes go to \(settings.folder) (at most \(settings.limit) bytes); swdbg -iu restores '\(settings.previousPattern)'.")
        return 0
    }

    /// `-iu`: puts the replaced pattern back.
    static func uninstall() -> Int32 {
        guard let saved = readText(stateFile) else {
            return fail("swdbg is not installed as the crash handler (no \(stateFile))")
        }
        let settings = Settings(text: saved)
        guard writeText(patternFile, settings.previousPattern) else { return fail("cannot write \(patternFile) (root is needed): \(errnoText(errno))") }
        unlink(stateFile)
        print("core_pattern is '\(settings.previousPattern)' again; the crashes stay in \(settings.folder).")
        return 0
    }

    /// Run by the kernel with the core on standard input: stores it first (the dying process
    /// waits only for that), then writes the report, then trims the folder to its limit.
    static func handle(_ arguments: [String]) -> Int32 {
        let settings = readText(stateFile).map(Settings.init(text:)) ?? Settings()
        let pid = arguments.first ?? "0", signal = arguments.count > 1 ? arguments[1] : "0"
        let time = arguments.count > 2 ? Int(arguments[2]) ?? 0 : 0
        let program = arguments.count > 3 ? arguments[3].filter { $0 != "/" } : "unknown"
        guard makeFolders(settings.folder) else { return 1 }
        let base = "\(settings.folder)/\(program).\(pid).\(timestamp(time))"
        let core = base + ".core"
        let (written, truncated) = storeCore(at: core, limit: settings.limit)
        trimFolder(settings.folder, limit: settings.limit, keeping: [core, base + ".txt"])
        // Written under another name and renamed when whole: a report that exists is complete.
        let report = open(base + ".txt.part", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard report >= 0 else { return 1 }
        defer {
            close(report)
            rename(base + ".txt.part", base + ".txt")
        }
        let output = Output(fd: report)
        output.line("swdbg crash report: \(program), process \(pid), signal \(signal) (\(signalName(Int32(signal) ?? 0))), \(timestamp(time)) UTC")
        output.line("Core: \(core) (\(written) bytes\(truncated ? ", cut off at the crash folder's limit" : ""))")
        let interpreter = Interpreter(session: Session(backend: PtraceBackend()), output: output)
        do {
            interpreter.reportStop(try interpreter.openDump(core, program: nil))
            for command in ["!analyze -v", "~*k", "lm"] { interpreter.execute(command, echo: true) }
        } catch {
            output.line(error.description)
        }
        output.flush()
        return 0
    }

    /// Copies standard input to `path`, keeping at most `limit` bytes; the rest is read and
    /// dropped so the kernel can finish the dump.
    private static func storeCore(at path: String, limit: UInt64) -> (written: UInt64, truncated: Bool) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        var written: UInt64 = 0, truncated = false
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let keep = Int(min(UInt64(n), limit > written ? limit - written : 0))
            if keep < n { truncated = true }
            var done = 0
            while done < keep, fd >= 0 {
                let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress! + done, keep - done) }
                if n < 0 && errno == EINTR { continue }
                // A full disk: the core ends here (the report says how much there is).
                if n <= 0 { truncated = true; break }
                done += n
            }
            written += UInt64(done)
        }
        if fd >= 0 { close(fd) }
        return (written, truncated)
    }

    /// Removes the oldest crashes until the folder fits its limit.
    private static func trimFolder(_ folder: String, limit: UInt64, keeping: Set<String>) {
        guard let directory = opendir(folder) else { return }
        var entries: [(path: String, size: UInt64, time: Int)] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasSuffix(".core") || name.hasSuffix(".txt") else { continue }
            var status = stat()
            let path = folder + "/" + name
            if stat(path, &status) == 0 { entries.append((path, UInt64(status.st_size), status.st_mtim.tv_sec)) }
        }
        closedir(directory)
        var total = entries.reduce(0) { $0 + $1.size }
        for entry in entries.sorted(by: { $0.time < $1.time }) where total > limit && !keeping.contains(entry.path) {
            unlink(entry.path)
            total -= entry.size
        }
    }

    private static func timestamp(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))-\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
    }

    private static func selfPath() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw EngineError.unsupported("readlink") }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(cString: buffer)
    }

    private static func readText(_ path: String) -> String? {
        readFile(path).map { String(String(decoding: $0, as: UTF8.self).trimmed()) }
    }

    private static func writeText(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, text, text.utf8.count) == text.utf8.count
    }

    private static func fail(_ message: String) -> Int32 {
        let text = "swdbg: \(message)\n"
        _ = write(2, text, text.utf8.count)
        return 1
    }
}
