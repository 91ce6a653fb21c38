import Arch
import Glibc
import Targets

/// swdbg's version, printed by `--version` and at the start of a session.
let swdbgVersion = "0.7.0"

/// The command line, cdb's way: single-dash options (`-p`, `-pn`, `-cf`), then the program and
/// everything after it, which is the program's.
struct Options {
    var pid: Int32?
    var processName: String?
    /// `-z`: a core file to open (the program, if given, is its executable).
    var dumpFile: String?
    /// `-premote gdb:server=host,port=N`: a gdb-remote stub's process.
    var remote: RemoteConnection.Address?
    /// `-k gdb:server=host,port=N[,image=PATH]`: a kernel under QEMU's gdbstub.
    var kernel: (address: RemoteConnection.Address, image: String?)?
    var commands: String?
    var commandFile: String?
    var skipInitialBreakpoint = false
    var skipFinalBreakpoint = false
    var symbolPath: String?
    var sourcePath: String?
    var logFile: String?
    var keepASLR = false
    var readInitFile = true
    var program: [String] = []
    /// `-I` / `-iu`: install or remove swdbg as the kernel's crash handler, and its folder.
    var installCrashHandler = false
    var uninstallCrashHandler = false
    var crashFolder: String?
    var crashLimit: UInt64?
    /// `--dap`: serve the Debug Adapter Protocol (on standard input and output, or `--port`).
    var dap = false
    var port: UInt16?
    /// `--gdbserver [HOST]:PORT`: serve the target to gdb or lldb instead of a command line.
    var gdbServer: (host: String, port: UInt16)?

    /// What the command line asks for besides a session.
    enum Request {
        case session(Options), help, version
        case installCrashHandler(folder: String?, limit: UInt64?), uninstallCrashHandler
        /// The kernel runs the handler with the core on standard input: pid, signal, time, name.
        case crashHandler([String])
        /// A DAP server: on standard input and output, or on a loopback TCP port.
        case dap(port: UInt16?)
        /// A gdb-remote server for the target the options name.
        case gdbServer(Options)
    }

    /// One option: its spellings, its value's name (nil for a flag), its help line, and how
    /// it sets the options.
    struct Spec: Sendable {
        let names: [String]
        let value: String?
        let help: String
        let apply: @Sendable (inout Options, String) throws(UsageError) -> Void
    }

    static let specs: [Spec] = [
        Spec(names: ["--dap"], value: nil, help: "serve the Debug Adapter Protocol to an editor on standard input and output (VS Code, nvim-dap, dap-mode)") { o, _ in o.dap = true },
        Spec(names: ["--port"], value: "N", help: "with --dap: serve one client on 127.0.0.1:N instead (0: any free port, printed on standard error)") { o, v throws(UsageError) in
            guard let port = UInt16(v) else { throw UsageError("--port takes a port number, not '\(v)'") }
            o.port = port
        },
        Spec(names: ["--gdbserver"], value: "[HOST]:PORT", help: "serve the target (a program, -p PID or -z CORE) to gdb or lldb over the gdb-remote protocol; HOST defaults to 127.0.0.1") { o, v throws(UsageError) in
            guard let colon = v.lastIndex(of: ":"), let port = UInt16(v[v.index(after: colon)...]) else { throw UsageError("--gdbserver takes [HOST]:PORT, not '\(v)'") }
            let host = String(v[..<colon])
            o.gdbServer = (host.isEmpty ? "127.0.0.1" : host, port)
        },
        Spec(names: ["-p"], value: "PID", help: "attach to a running process") { o, v throws(UsageError) in
            guard let pid = Int32(v), pid > 0 else { throw UsageError("-p takes a process id, not '\(v)'") }
            o.pid = pid
        },
        Spec(names: ["-pn"], value: "NAME", help: "attach to the one process with this name") { o, v in o.processName = v },
        Spec(names: ["-z"], value: "CORE", help: "open a core file (a program after it names the executable)") { o, v in o.dumpFile = v },
        Spec(names: ["-premote"], value: "gdb:server=H,port=N", help: "debug the process of a gdb-remote stub (gdbserver, lldb-server), or a program after it the stub starts (gdbserver --multi); gdb:pipe=CMD starts the stub (gdbserver - prog)") { o, v throws(UsageError) in
            o.remote = try stubAddress(v, option: "-premote").address
        },
        Spec(names: ["-k"], value: "gdb:server=H,port=N[,image=PATH]", help: "debug a Linux kernel through QEMU's gdbstub (image: the kernel it runs, default the newest /boot/vmlinuz-*; a program after it: the user program's symbols)") { o, v throws(UsageError) in
            let fields = try stubAddress(v, option: "-k")
            o.kernel = (fields.address, fields.others["image"])
        },
        Spec(names: ["-c"], value: "\"CMDS\"", help: "commands to run at the first prompt (separated by ';')") { o, v in o.commands = v },
        Spec(names: ["-cf"], value: "FILE", help: "a file of commands to run at the first prompt") { o, v in o.commandFile = v },
        Spec(names: ["-g"], value: nil, help: "skip the initial breakpoint") { o, _ in o.skipInitialBreakpoint = true },
        Spec(names: ["-G"], value: nil, help: "skip the final breakpoint (process exit)") { o, _ in o.skipFinalBreakpoint = true },
        Spec(names: ["-y"], value: "PATH", help: "symbol search path (folders and srv* servers, ';'-separated)") { o, v in o.symbolPath = v },
        Spec(names: ["-srcpath"], value: "PATH", help: "source search path (folders and old=new remappings, ';'-separated)") { o, v in o.sourcePath = v },
        Spec(names: ["-logo"], value: "FILE", help: "write a log of the session to this file") { o, v in o.logFile = v },
        Spec(names: ["--aslr"], value: nil, help: "keep address space layout randomization (off by default, as in gdb)") { o, _ in o.keepASLR = true },
        Spec(names: ["--no-init", "-nx"], value: nil, help: "do not run the init file (\(InitFile.displayPath))") { o, _ in o.readInitFile = false },
        Spec(names: ["-I"], value: nil, help: "install swdbg as the kernel's crash handler (core_pattern): a core and a report per crash") { o, _ in o.installCrashHandler = true },
        Spec(names: ["-iu"], value: nil, help: "restore the crash handler swdbg -I replaced") { o, _ in o.uninstallCrashHandler = true },
        Spec(names: ["--crash-folder"], value: "DIR", help: "with -I: where crashes go (default \(CrashHandler.defaultFolder))") { o, v in o.crashFolder = v },
        Spec(names: ["--crash-limit"], value: "SIZE", help: "with -I: the crash folder's size limit, e.g. 500M or 2G (default 1G)") { o, v throws(UsageError) in
            guard let bytes = Options.size(v) else { throw UsageError("--crash-limit takes a size such as 500M, not '\(v)'") }
            o.crashLimit = bytes
        },
    ]

    /// `500M`, `2G`, `4096`: a size in bytes.
    static func size(_ text: String) -> UInt64? {
        let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        guard let last = text.uppercased().last else { return nil }
        if let unit = units[last] {
            guard let count = UInt64(text.dropLast()) else { return nil }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: unit)
            return overflow ? nil : bytes
        }
        return UInt64(text)
    }

    /// Parses the arguments after the program name.
    static func parse(_ arguments: [String]) throws(UsageError) -> Request {
        if arguments.first == "--crash-handler" { return .crashHandler(Array(arguments.dropFirst())) }
        var options = Options()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if ["--help", "-?", "-h", "-help"].contains(argument) { return .help }
            if ["--version", "-version"].contains(argument) { return .version }
            guard argument.hasPrefix("-"), argument.count > 1 else {
                options.program = Array(arguments[index...])
                break
            }
            if argument == "--" {
                options.program = Array(arguments[(index + 1)...])
                break
            }
            guard let spec = specs.first(where: { $0.names.contains(argument) }) else {
                throw UsageError("unknown option '\(argument)'")
            }
            var value = ""
            if let name = spec.value {
                index += 1
                guard index < arguments.count else { throw UsageError("\(argument) needs a value (\(name))") }
                value = arguments[index]
            }
            try spec.apply(&options, value)
            index += 1
        }
        if options.dap {
            guard options.program.isEmpty, options.pid == nil, options.processName == nil, options.dumpFile == nil, options.remote == nil, options.kernel == nil else {
                throw UsageError("--dap takes its target from the client's launch or attach request: no program, -p, -pn, -z, -premote or -k")
            }
            return .dap(port: options.port)
        }
        if options.port != nil { throw UsageError("--port goes with --dap") }
        if options.gdbServer != nil {
            let targets = (options.pid != nil ? 1 : 0) + (options.dumpFile != nil ? 1 : 0) + (options.program.isEmpty || options.dumpFile != nil ? 0 : 1)
            guard targets == 1, options.processName == nil, options.remote == nil, options.kernel == nil else {
                throw UsageError("--gdbserver serves one target: a program, -p PID or -z CORE [program]")
            }
            return .gdbServer(options)
        }
        if options.installCrashHandler || options.uninstallCrashHandler {
            guard options.installCrashHandler != options.uninstallCrashHandler, options.program.isEmpty, options.dumpFile == nil,
                  options.pid == nil, options.processName == nil else { throw UsageError("-I and -iu go alone (with --crash-folder and --crash-limit for -I)") }
            return options.installCrashHandler ? .installCrashHandler(folder: options.crashFolder, limit: options.crashLimit) : .uninstallCrashHandler
        }
        if options.kernel != nil {
            guard options.pid == nil, options.processName == nil, options.dumpFile == nil, options.remote == nil, options.program.count <= 1 else {
                throw UsageError("-k debugs a kernel: no -p, -pn, -z or -premote with it, and one program at most (the user program's symbols)")
            }
            return .session(options)
        }
        if options.remote != nil {
            guard options.pid == nil, options.processName == nil, options.dumpFile == nil else {
                throw UsageError("-premote debugs the stub's process, or a program it starts: no -p, -pn or -z with it")
            }
            return .session(options)
        }
        if options.dumpFile != nil {
            guard options.pid == nil, options.processName == nil else { throw UsageError("-z opens a core file; it does not go with -p or -pn") }
            guard options.program.count <= 1 else { throw UsageError("-z CORE takes one program after it (the executable), no arguments") }
            return .session(options)
        }
        let targets = (options.pid != nil ? 1 : 0) + (options.processName != nil ? 1 : 0) + (options.program.isEmpty ? 0 : 1)
        guard targets == 1 else {
            throw UsageError(targets == 0 ? "no program to debug" : "give one target: a program, -p PID, -pn NAME or -z CORE")
        }
        return .session(options)
    }

    /// `--help`: every option on one line.
    static var helpText: String {
        var lines = [
            "swdbg \(swdbgVersion) - a WinDbg-style debugger for Linux x86-64",
            "",
            "usage: swdbg [options] program [args...]    launch a program under the debugger",
            "       swdbg [options] -p PID | -pn NAME     attach to a running process",
            "       swdbg [options] -z CORE [program]     open a core file",
            "       swdbg -I [--crash-folder DIR] | -iu   install / remove swdbg as the crash handler",
            "",
            "options:",
        ]
        let width = specs.map { option in option.names.joined(separator: ", ").count + (option.value.map { $0.count + 1 } ?? 0) }.max() ?? 0
        for option in specs {
            let left = option.names.joined(separator: ", ") + (option.value.map { " " + $0 } ?? "")
            lines.append("  " + left + String(repeating: " ", count: width - left.count + 3) + option.help)
        }
        for (names, help) in [("--help, -?", "show this help and exit"), ("--version", "show the version and exit")] {
            lines.append("  " + names + String(repeating: " ", count: max(1, width - names.count + 3)) + help)
        }
        lines += [
            "",
            "At the prompt, .help lists the commands and .help CMD shows one (.hh CMD too).",
            "Environment: NO_COLOR turns colour off; DEBUGINFOD_URLS names the servers of .symfix.",
        ]
        return lines.joined(separator: "\n")
    }
}

/// A command line swdbg cannot run; printed with a pointer to `--help`, exit status 2.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Where swdbg keeps its files, after the XDG base directory rules: the init file under the
/// config folder, the command history under the state folder.
enum InitFile {
    static var path: String { configFolder + "/swdbg/init" }
    static let displayPath = "$XDG_CONFIG_HOME/swdbg/init, else ~/.config/swdbg/init"

    static var configFolder: String { environmentFolder("XDG_CONFIG_HOME", fallback: ".config") }
    static var stateFolder: String { environmentFolder("XDG_STATE_HOME", fallback: ".local/state") }

    private static func environmentFolder(_ variable: String, fallback: String) -> String {
        if let value = getenv(variable).map({ String(cString: $0) }), value.hasPrefix("/") { return value }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/"
        return home + "/" + fallback
    }

    /// The history file, its folder made on first use (nil when it cannot be).
    static var historyPath: String? {
        let folder = stateFolder + "/swdbg"
        _ = makeFolders(folder)
        return access(folder, W_OK) == 0 ? folder + "/history" : nil
    }

    /// Most commands kept in the history file.
    static let historySize: Int32 = 1000
}

/// Makes a folder and the ones above it that are missing (mode 0700); false where one cannot
/// be made.
func makeFolders(_ path: String) -> Bool {
    var prefix = ""
    for part in path.split(separator: "/") {
        prefix += "/" + part
        if access(prefix, F_OK) != 0, mkdir(prefix, 0o700) != 0 { return false }
    }
    return true
}

/// `gdb:server=HOST,port=N[,key=value...]`, as `-premote` and `-k` take it, or
/// `gdb:pipe=COMMAND` (everything after `pipe=`: a stub to start on a pipe).
private func stubAddress(_ value: String, option: String) throws(UsageError) -> (address: RemoteConnection.Address, others: [String: String]) {
    guard value.hasPrefix("gdb:") else { throw UsageError("\(option) takes gdb:server=HOST,port=N or gdb:pipe=COMMAND, not '\(value)'") }
    if value.hasPrefix("gdb:pipe=") {
        let command = String(value.dropFirst("gdb:pipe=".count))
        guard !command.trimmed().isEmpty else { throw UsageError("\(option) gdb:pipe= needs the command that starts the stub") }
        return (.command(command), [:])
    }
    var fields: [String: String] = [:]
    for pair in value.dropFirst(4).split(separator: ",") {
        let parts = pair.split(separator: "=", maxSplits: 1)
        if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
    }
    guard let host = fields.removeValue(forKey: "server"), let port = fields.removeValue(forKey: "port").flatMap({ UInt16($0) }) else {
        throw UsageError("\(option) takes gdb:server=HOST,port=N or gdb:pipe=COMMAND, not '\(value)'")
    }
    return (.tcp(host: host, port: port), fields)
}
