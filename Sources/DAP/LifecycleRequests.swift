import Commands
import Engine
import Glibc
import Targets

/// `initialize`, `launch`, `attach`, `configurationDone`, `disconnect`, `terminate`, and the
/// engine's events as protocol events.
extension DebugAdapter {
    static let lifecycleRequests: [String: RequestHandler] = [
        "initialize": { a, _ throws(AdapterError) in
            guard !a.initialized else { throw AdapterError("'initialize' was already sent") }
            a.initialized = true
            a.afterResponse.append { a.sendEvent("initialized") }
            return a.capabilities
        },
        "launch": { a, arguments throws(AdapterError) in try a.launch(arguments) },
        "attach": { a, arguments throws(AdapterError) in try a.attach(arguments) },
        "configurationDone": { a, _ throws(AdapterError) in
            guard a.origin != nil else { throw AdapterError("'configurationDone' before 'launch' or 'attach'") }
            guard !a.configured else { return nil }
            a.configured = true
            a.afterResponse.append { a.startRunning() }
            return nil
        },
        "disconnect": { a, arguments throws(AdapterError) in
            let terminate = arguments["terminateDebuggee"]?.bool
            a.afterResponse.append {
                a.endTarget(terminate: terminate)
                a.ended = true
            }
            return nil
        },
        "terminate": { a, _ throws(AdapterError) in
            _ = try a.requireProcess()
            a.afterResponse.append { a.endTarget(terminate: true) }
            return nil
        },
    ]

    /// What the adapter supports, and the exception filters (WinDbg's event filters).
    var capabilities: JSON {
        var filters: [JSON] = DebugAdapter.exceptionFilters.map { filter in
            .object([("filter", .string(filter.code)), ("label", .string("\(filter.label): first chance")),
                     ("description", .string("Stop when the program gets \(filter.label.lowercased()), before its handler runs (sxe \(filter.code))")),
                     ("default", .bool(firstChanceFilters.contains(filter.code)))])
        }
        filters.append(.object([("filter", .string(DebugAdapter.secondChanceFilter)), ("label", .string("Unhandled signals: second chance")),
                                ("description", .string("Stop before a signal the program does not handle ends it")), ("default", .bool(true))]))
        let yes = JSON.bool(true)
        return .object([
            ("supportsConfigurationDoneRequest", yes), ("supportsFunctionBreakpoints", yes), ("supportsConditionalBreakpoints", yes),
            ("supportsHitConditionalBreakpoints", yes), ("supportsEvaluateForHovers", yes), ("supportsSetVariable", yes),
            ("supportsExceptionInfoRequest", yes), ("supportsTerminateRequest", yes), ("supportsLoadedSourcesRequest", yes),
            ("supportsModulesRequest", yes), ("supportsLogPoints", yes), ("supportsDisassembleRequest", yes),
            ("supportsReadMemoryRequest", yes), ("supportsWriteMemoryRequest", yes), ("supportsInstructionBreakpoints", yes),
            ("supportsSteppingGranularity", yes), ("supportTerminateDebuggee", yes),
            ("exceptionBreakpointFilters", .array(filters)),
        ])
    }

    /// `launch`: `program`, `args`, `cwd`, `env` (an object or `NAME=value` strings),
    /// `stopOnEntry`. The program's output comes back as `output` events; its input is empty.
    private func launch(_ arguments: JSON) throws(AdapterError) -> JSON? {
        guard origin == nil else { throw AdapterError("A target is already open") }
        guard let program = arguments["program"]?.string, !program.isEmpty else { throw AdapterError("'launch' needs 'program'") }
        var request = LaunchRequest(program: program, arguments: try strings(arguments["args"], "args"))
        request.workingDirectory = arguments["cwd"]?.string
        request.environment = try environment(arguments["env"])
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard null >= 0 else { throw AdapterError("Cannot open /dev/null for the program's input") }
        defer { close(null) }
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw AdapterError("Cannot make a pipe for the program's output") }
        guard pipe(&errPipe) == 0 else {
            for fd in outPipe { close(fd) }
            throw AdapterError("Cannot make a pipe for the program's output")
        }
        // The debugger's ends stay out of the program (and out of the stubs it may start).
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        request.standardInput = null
        request.standardOutput = outPipe[1]
        request.standardError = errPipe[1]
        let stop: StopEvent
        do {
            stop = try session.launch(request)
        } catch {
            for fd in outPipe + errPipe { close(fd) }
            throw AdapterError(error.description)
        }
        close(outPipe[1])
        close(errPipe[1])
        pump(outPipe[0], category: "stdout")
        pump(errPipe[0], category: "stderr")
        origin = .launched
        stopOnEntry = arguments["stopOnEntry"]?.bool ?? false
        initialStop = stop
        sendProcessEvent(name: program, method: "launch")
        return nil
    }

    /// `attach`: `pid`, `coreFile` (with `program` for its symbols), or a stub's address
    /// (`gdbRemote: "host:port"`, or lldb-dap's `gdb-remote-port` and `gdb-remote-hostname`).
    private func attach(_ arguments: JSON) throws(AdapterError) -> JSON? {
        guard origin == nil else { throw AdapterError("A target is already open") }
        let stop: StopEvent
        if let pid = arguments["pid"]?.int ?? arguments["processId"]?.int {
            guard pid > 0, pid <= Int(Int32.max) else { throw AdapterError("'pid' must be a process id") }
            stop = try engine { () throws(EngineError) in try session.attach(pid: Int32(pid)) }
            origin = .attached
            sendProcessEvent(name: session.process?.target.executablePath ?? "", method: "attach")
        } else if let core = arguments["coreFile"]?.string {
            do { stop = try interpreter.openDump(core, program: arguments["program"]?.string) } catch { throw AdapterError(error.description) }
            origin = .dump
        } else if let address = try stubAddress(arguments) {
            do { stop = try interpreter.connectRemote(address) } catch { throw AdapterError(error.description) }
            origin = .attached
        } else {
            throw AdapterError("'attach' needs 'pid', 'coreFile' or 'gdbRemote'")
        }
        stopOnEntry = true
        initialStop = stop
        return nil
    }

    private func stubAddress(_ arguments: JSON) throws(AdapterError) -> RemoteConnection.Address? {
        if let text = arguments["gdbRemote"]?.string {
            guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
                throw AdapterError("'gdbRemote' takes host:port, not '\(text)'")
            }
            return .tcp(host: String(text[..<colon]), port: port)
        }
        guard let port = arguments["gdb-remote-port"]?.int else { return nil }
        guard let valid = UInt16(exactly: port) else { throw AdapterError("'gdb-remote-port' must be a port number") }
        return .tcp(host: arguments["gdb-remote-hostname"]?.string ?? "127.0.0.1", port: valid)
    }

    private func strings(_ value: JSON?, _ name: String) throws(AdapterError) -> [String] {
        guard let value else { return [] }
        guard let items = value.array else { throw AdapterError("'\(name)' must be an array of strings") }
        var result: [String] = []
        for item in items {
            guard let text = item.string else { throw AdapterError("'\(name)' must be an array of strings") }
            result.append(text)
        }
        return result
    }

    /// The program's environment: the debugger's with `env`'s entries set (a null value unsets).
    private func environment(_ value: JSON?) throws(AdapterError) -> [String]? {
        guard let value else { return nil }
        var entries: [(String, String?)] = []
        switch value {
        case .object(let members):
            for (name, setting) in members {
                if case .null = setting { entries.append((name, nil)); continue }
                guard let text = setting.string else { throw AdapterError("'env' values must be strings") }
                entries.append((name, text))
            }
        case .array:
            for entry in try strings(value, "env") {
                let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                entries.append((String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
            }
        default:
            throw AdapterError("'env' must be an object of strings")
        }
        var environment: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            let name = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
            if !entries.contains(where: { $0.0 == name }) { environment.append(text) }
            index += 1
        }
        for (name, setting) in entries { if let setting { environment.append("\(name)=\(setting)") } }
        return environment
    }

    private func sendProcessEvent(name: String, method: String) {
        sendEvent("process", .members([("name", .string(name)), ("systemProcessId", session.process.map { .integer(Int64($0.pid)) }),
                                       ("isLocalProcess", .bool(true)), ("startMethod", .string(method))]))
    }

    /// Copies a pipe of the program's to the client as `output` events until it closes.
    private func pump(_ fd: Int32, category: String) {
        programPipes.append(fd)
        let sender = Sender(self)
        startThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return }
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                sender.send(.members([("type", .string("event")), ("event", .string("output")),
                                        ("body", .object([("category", .string(category)), ("output", .string(text))]))]))
            }
        }
    }

    /// `configurationDone`: the configuration is in; report the first stop or run past it.
    private func startRunning() {
        guard let stop = initialStop else { return }
        initialStop = nil
        if stopOnEntry || origin == .dump { report(stop) } else { run(.go(handled: nil, until: [])) }
    }

    /// Ends the target as asked (`terminate` nil: as its origin implies): killed, detached with
    /// everything restored, or a dump closed; then `terminated`.
    func endTarget(terminate: Bool?) {
        guard let process = session.process else { return }
        if !process.gone {
            if terminate ?? (origin == .launched) {
                session.kill()
            } else {
                do { try session.detach() } catch { console("Detach failed: \(error.description); the process is killed", category: "stderr"); session.kill() }
            }
        } else {
            session.kill()
        }
        sendEvent("terminated")
    }

    /// An engine event as the protocol's: modules, and the filter-reported events as lines.
    func event(_ event: SessionEvent) {
        switch event {
        case .moduleLoaded(let module, _):
            sendEvent("module", .object([("reason", .string("new")), ("module", moduleJSON(module))]))
            announceResolvedBreakpoints()
        case .moduleUnloaded(let module, _):
            sendEvent("module", .object([("reason", .string("removed")), ("module", moduleJSON(module))]))
        case .reported(let stop):
            console("(\(session.eventPrefix(stop.thread))): \(session.describe(stop.kind))")
        case .exec(let path, _):
            console("Exec \(path)")
        case .notice(let notice):
            if case .symbolSearch = notice { return }
            console(notice.wording)
        case .threadStarted(let tid):
            sendEvent("thread", .object([("reason", .string("started")), ("threadId", .integer(Int64(tid)))]))
        case .threadExited(let tid):
            sendEvent("thread", .object([("reason", .string("exited")), ("threadId", .integer(Int64(tid)))]))
        case .processStarted, .breakpointRedefined, .kernelOpened, .willResume:
            break
        }
    }
}

/// The adapter's `send`, for the output pumps' threads (writes are serialised by the
/// stream's lock, the sequence number by its own).
struct Sender: @unchecked Sendable {
    let adapter: DebugAdapter
    init(_ adapter: DebugAdapter) { self.adapter = adapter }
    func send(_ message: JSON) { adapter.send(message) }
}
