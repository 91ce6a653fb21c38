import ArgumentParser
import Arch
import CLineEdit
import Commands
import Engine
import Glibc
import Targets

/// cdb-compatible command line. Everything after the program name goes to the program.
/// The whole session runs on the main thread, which is therefore the one tracer thread
/// that ptrace requires; no other thread ever touches the target.
struct SwdbgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swdbg",
        abstract: "A WinDbg-style debugger for Linux x86-64.",
        usage: "swdbg [options] program [args...]\n       swdbg [options] -p PID | -pn NAME"
    )

    @Option(name: .customShort("p"), help: "Attach to a running process.")
    var pid: Int32?

    @Option(name: .customLong("pn", withSingleDash: true), help: "Attach to the process with this name.")
    var processName: String?

    @Option(name: .customShort("c"), help: "Commands to run at the first prompt (separated by ';').")
    var commands: String?

    @Option(name: .customLong("cf", withSingleDash: true), help: "A file of commands to run at the first prompt.")
    var commandFile: String?

    @Flag(name: .customShort("g"), help: "Skip the initial breakpoint.")
    var skipInitialBreakpoint = false

    @Flag(name: .customShort("G"), help: "Skip the final breakpoint (process exit).")
    var skipFinalBreakpoint = false

    @Option(name: .customShort("y"), help: "Symbol search path.")
    var symbolPath: String?

    @Option(name: .customLong("logo", withSingleDash: true), help: "Write a log of the session to this file.")
    var logFile: String?

    @Flag(name: .customLong("aslr"), help: "Keep address space layout randomization (off by default, as in gdb).")
    var keepASLR = false

    @Argument(parsing: .captureForPassthrough, help: "The program to launch and its arguments.")
    var program: [String] = []

    func validate() throws {
        let targets = (pid != nil ? 1 : 0) + (processName != nil ? 1 : 0) + (program.isEmpty ? 0 : 1)
        guard targets == 1 else { throw ValidationError("Give exactly one of: a program, -p PID, -pn NAME") }
    }

    func run() throws {
        let output = Output()
        let session = Session(output: output)
        session.disableASLR = !keepASLR
        session.shareTerminal = isatty(0) != 0
        if let symbolPath { session.symbolSearch.path = symbolPath.split(separator: ";").map(String.init) }
        if isatty(2) != 0 {
            // Long symbol loads show how far they got on the terminal's current line.
            session.symbolSearch.progress = { text in
                let line = "\r\u{1b}[K" + text
                _ = write(2, line, line.utf8.count)
            }
        }
        if skipFinalBreakpoint { _ = session.filters.set("epr", action: .ignore, commands: nil, argument: nil) }
        let interpreter = Interpreter(session: session)
        if let logFile, !output.openLog(logFile, append: false) {
            output.line("Unable to open log file '\(logFile)'")
        }
        BreakIn.installHandler()
        output.line("swdbg - WinDbg-style debugger for Linux x86-64")
        output.line("")
        let terminal = isatty(0) != 0
        let started = startTarget(interpreter)
        if started {
            var initial: [String] = []
            if let commandFile {
                guard let data = readFile(commandFile) else {
                    output.line("Unable to open command file '\(commandFile)'")
                    finish(interpreter)
                    return
                }
                initial += String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
            }
            if let commands { initial.append(commands) }
            for line in initial where !interpreter.quitRequested {
                output.line(interpreter.prompt + line)
                interpreter.execute(line)
            }
            if !interpreter.quitRequested { readCommands(interpreter, terminal: terminal) }
        }
        finish(interpreter)
        if !started { throw ExitCode(1) }
    }

    /// Launches or attaches and reports the first stop; false when there is no target.
    private func startTarget(_ interpreter: Interpreter) -> Bool {
        let session = interpreter.session
        do {
            let stop: StopEvent
            if let pid {
                stop = try session.attach(pid: pid)
            } else if let processName {
                stop = try session.attach(pid: try findProcess(named: processName))
            } else {
                stop = try session.launch(path: program[0], arguments: Array(program.dropFirst()))
            }
            if skipInitialBreakpoint {
                interpreter.execute("g")
            } else {
                interpreter.reportStop(stop)
                session.output.flush()
            }
            return true
        } catch {
            session.output.line(String(describing: error))
            session.output.flush()
            return false
        }
    }

    /// Commands from the terminal (with line editing and history) or from standard input.
    private func readCommands(_ interpreter: Interpreter, terminal: Bool) {
        if terminal {
            le_init("swdbg")
            defer { le_end() }
            while !interpreter.quitRequested {
                le_set_prompt(interpreter.prompt)
                var length: Int32 = 0
                guard let raw = le_read_line(&length) else {
                    if length < 0 { interpreter.session.output.line(); continue }  // Ctrl-C at the prompt
                    break
                }
                let line = String(String(cString: raw).trimmed())
                if !line.isEmpty { le_add_history(line) }
                interpreter.execute(line)
            }
            return
        }
        while !interpreter.quitRequested, let line = readLine() {
            interpreter.session.output.line(interpreter.prompt + line)
            interpreter.execute(line)
        }
    }

    /// End of the session: a launched program is ended, an attached one let go untouched.
    private func finish(_ interpreter: Interpreter) {
        let session = interpreter.session
        if let process = session.process, !interpreter.quitRequested {
            if process.launched { session.kill() } else { try? session.detach() }
        }
        session.output.line("quit:")
        session.output.closeLog()
        session.output.flush()
    }
}

/// `-pn`: the one process whose name (comm) is `name`.
func findProcess(named name: String) throws -> Int32 {
    let matches = PtraceProcess.processIDs(named: name)
    guard !matches.isEmpty else { throw EngineError("No process named '\(name)'") }
    guard matches.count == 1 else { throw EngineError("More than one process named '\(name)': \(matches.map(String.init).joined(separator: ", ")); use -p") }
    return matches[0]
}


SwdbgCommand.main()
