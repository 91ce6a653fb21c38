import Arch
import CLineEdit
import Commands
import DAP
import GdbServer
import Engine
import Glibc
import Targets

/// The whole session runs on the main thread, which is therefore the one tracer thread that
/// ptrace requires; no other thread ever touches the target.
func main() -> Int32 {
    let request: Options.Request
    do { request = try Options.parse(Array(CommandLine.arguments.dropFirst())) } catch {
        let text = "swdbg: \(error.message)\nUsage: swdbg [options] program [args...] | -p PID | -pn NAME; see swdbg --help\n"
        _ = write(2, text, text.utf8.count)
        return 2
    }
    switch request {
    case .help:
        print(Options.helpText)
        return 0
    case .version:
        print("swdbg \(swdbgVersion)")
        return 0
    case .session(let options):
        return Debugger(options).run()
    case .installCrashHandler(let folder, let limit):
        return CrashHandler.install(folder: folder, limit: limit)
    case .uninstallCrashHandler:
        return CrashHandler.uninstall()
    case .crashHandler(let arguments):
        return CrashHandler.handle(arguments)
    case .dap(let port):
        return serveDAP(port: port)
    case .gdbServer(let options):
        return serveGdbRemote(options)
    }
}

/// `--dap`: one client on standard input and output, or the first to connect to the port.
func serveDAP(port: UInt16?) -> Int32 {
    // A client gone is an error on write, not a signal that ends the adapter.
    signal(SIGPIPE, SIG_IGN)
    guard let port else { return DebugAdapter(input: 0, output: 1).run() }
    do {
        let listener = try TCPListener(port: port)
        let text = "swdbg: DAP server listening on 127.0.0.1:\(listener.port)\n"
        _ = write(2, text, text.utf8.count)
        let client = try listener.accept()
        return DebugAdapter(input: client, output: client).run()
    } catch {
        let text = "swdbg: \(error.description)\n"
        _ = write(2, text, text.utf8.count)
        return 1
    }
}

/// `--gdbserver`: opens the target, then serves it to one gdb or lldb client; the session's
/// own messages (the ModLoad lines of the opening, errors) go to standard error.
func serveGdbRemote(_ options: Options) -> Int32 {
    guard let address = options.gdbServer else { return 2 }
    signal(SIGPIPE, SIG_IGN)
    let output = Output(fd: 2)
    let session = Session(backend: PtraceBackend())
    session.disableASLR = !options.keepASLR
    let interpreter = Interpreter(session: session, output: output)
    func fail(_ message: String) -> Int32 {
        output.line("swdbg: \(message)")
        output.flush()
        return 1
    }
    do {
        if let dump = options.dumpFile {
            _ = try interpreter.openDump(dump, program: options.program.first)
        } else if let pid = options.pid {
            _ = try session.attach(pid: pid)
        } else {
            _ = try session.launch(LaunchRequest(program: options.program[0], arguments: Array(options.program.dropFirst())))
        }
    } catch {
        return fail("\(error)")
    }
    if !TCPListener.isLoopback(address.host) {
        output.line("swdbg: warning: serving on \(address.host):\(address.port): the gdb-remote protocol has no authentication; whoever reaches this port controls the debuggee")
    }
    do {
        let listener = try TCPListener(host: address.host, port: address.port)
        output.line("swdbg: gdb-remote server listening on \(address.host):\(listener.port) (process \(session.process?.pid ?? 0))")
        output.flush()
        let client = try listener.accept()
        try GdbServer(session: session, connection: client).serve()
    } catch {
        // A program swdbg started ends; one it attached to is let go as it was.
        if session.process?.launched == true || session.process?.isLive == false { session.kill() } else { try? session.detach() }
        return fail("\(error)")
    }
    output.flush()
    return 0
}

/// One debugging session from the command line: the target, the init file and `-c`/`-cf`
/// commands, then commands from the terminal or standard input until `q` or their end.
struct Debugger {
    let options: Options
    let interpreter: Interpreter
    /// Commands come from a terminal: line editing, completion, history, Enter repeats.
    let terminal = isatty(0) != 0

    init(_ options: Options) {
        self.options = options
        let output = Output()
        output.colors = isatty(1) != 0 && getenv("NO_COLOR") == nil && getenv("TERM").map { String(cString: $0) } != "dumb"
        let session = Session(backend: PtraceBackend())
        session.disableASLR = !options.keepASLR
        session.shareTerminal = isatty(0) != 0
        if let symbolPath = options.symbolPath { session.symbolSearch.path = symbolPath.split(separator: ";").map(String.init) }
        if isatty(2) != 0 {
            // Long symbol loads show how far they got on the terminal's current line.
            session.symbolSearch.progress = { text in
                let line = "\r\u{1b}[K" + text
                _ = write(2, line, line.utf8.count)
            }
        }
        if options.skipFinalBreakpoint { _ = session.filters.set("epr", action: .ignore, commands: nil, argument: nil) }
        interpreter = Interpreter(session: session, output: output)
        if let sourcePath = options.sourcePath { interpreter.setSourcePath(sourcePath) }
    }

    private var output: Output { interpreter.output }

    func run() -> Int32 {
        if let logFile = options.logFile, !output.openLog(logFile, append: false) {
            output.line("Unable to open log file '\(logFile)'")
        }
        BreakIn.installHandler()
        BreakIn.installHangupHandler()
        output.line("swdbg \(swdbgVersion) - WinDbg-style debugger for Linux x86-64")
        output.line("")
        if options.readInitFile { runInitFile() }
        let started = startTarget()
        if started {
            var initial: [String] = []
            if let commandFile = options.commandFile {
                do { initial += try interpreter.commandFileLines(commandFile) } catch {
                    output.line(error.description)
                    finish()
                    return 1
                }
            }
            if let commands = options.commands { initial.append(commands) }
            for line in initial where !interpreter.quitRequested {
                interpreter.execute(line, echo: true)
            }
            if !interpreter.quitRequested { readCommands() }
        }
        finish()
        return started ? 0 : 1
    }

    /// The user's init file, before the target starts (settings, aliases, deferred breakpoints).
    private func runInitFile() {
        let path = InitFile.path
        guard access(path, F_OK) == 0 else { return }
        do {
            for (number, line) in try interpreter.commandFileLines(path).enumerated() where !interpreter.quitRequested {
                interpreter.execute(line, origin: "\(path):\(number + 1)")
            }
        } catch {
            output.line(error.description)
        }
    }

    /// Launches or attaches and reports the first stop; false when there is no target.
    private func startTarget() -> Bool {
        let session = interpreter.session
        do {
            let stop: StopEvent
            if let dump = options.dumpFile {
                stop = try interpreter.openDump(dump, program: options.program.first)
            } else if let kernel = options.kernel {
                stop = try interpreter.connectKernel(kernel.address, image: kernel.image, userProgram: options.program.first)
            } else if let remote = options.remote {
                stop = try interpreter.connectRemote(remote, program: options.program)
            } else if let pid = options.pid {
                stop = try session.attach(pid: pid)
            } else if let processName = options.processName {
                stop = try session.attach(pid: try findProcess(named: processName))
            } else {
                stop = try session.launch(path: options.program[0], arguments: Array(options.program.dropFirst()))
            }
            if options.skipInitialBreakpoint && options.dumpFile == nil && options.kernel == nil && (options.remote == nil || !options.program.isEmpty) {
                interpreter.execute("g")
            } else {
                interpreter.reportStop(stop)
                output.flush()
            }
            return true
        } catch {
            output.line(String(describing: error))
            output.flush()
            return false
        }
    }

    /// Commands from the terminal (line editing, completion, history; an empty line repeats
    /// the last command where WinDbg does) or from standard input.
    private func readCommands() {
        guard terminal else {
            while !interpreter.quitRequested, let line = readLine() {
                _ = BreakIn.takeRequest()  // a Ctrl-C before the command is not meant for it
                interpreter.execute(line, echo: true)
            }
            return
        }
        activeInterpreter = interpreter
        le_init("swdbg", InitFile.historyPath, InitFile.historySize, completeLine)
        defer {
            le_end()
            activeInterpreter = nil
        }
        var last: String?
        while !interpreter.quitRequested {
            le_set_prompt(interpreter.prompt)
            var status: Int32 = 0
            let raw = BreakIn.hungUp ? nil : le_read_line(&status)
            guard let raw else {
                if status == 1 && !BreakIn.hungUp { output.line(); continue }  // Ctrl-C cancels the line
                if status == 2 || BreakIn.hungUp { output.line("The terminal went away: ending the session") }
                break
            }
            var line = String(String(cString: raw).trimmed())
            if line.isEmpty, let previous = last, let repeated = interpreter.repetition(of: previous) {
                line = repeated
            } else if !line.isEmpty {
                le_add_history(line)
            }
            last = line
            _ = BreakIn.takeRequest()  // Ctrl-C at the prompt cancelled a line, nothing more
            interpreter.execute(line)
        }
    }

    /// End of the session: a launched program is ended, an attached one let go untouched.
    private func finish() {
        let session = interpreter.session
        if let process = session.process, !interpreter.quitRequested {
            if process.launched { session.kill() } else { try? session.detach() }
        }
        output.line("quit:")
        output.closeLog()
        output.flush()
    }
}

/// `-pn`: the one process whose name (comm) is `name`.
func findProcess(named name: String) throws -> Int32 {
    let matches = PtraceProcess.processIDs(named: name)
    guard !matches.isEmpty else { throw EngineError.unsupported("No process named '\(name)'") }
    guard matches.count == 1 else { throw EngineError.unsupported("More than one process named '\(name)': \(matches.map(String.init).joined(separator: ", ")); use -p") }
    return matches[0]
}

exit(main())
