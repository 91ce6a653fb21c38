import Arch
import Engine
import Glibc
import Targets

/// WinDbg's wording of the engine's events: event lines, exception names and their NTSTATUS
/// codes, `pid.tid` prefixes. The engine gives values; this is how the command line says them.
extension Session {
    /// `pid.tid` in hex, as WinDbg names a thread in event lines (`(1a2c.1f34): ...`).
    public func eventPrefix(_ thread: ThreadID, pid: Int32? = nil) -> String {
        "\(String(pid ?? process?.pid ?? 0, radix: 16)).\(String(thread, radix: 16))"
    }

    /// `.lastevent`'s line for the last event, in the process it happened to.
    public var lastEventLine: String? {
        lastEvent.map { "\(eventPrefix($0.stop.thread, pid: $0.pid)): \(describe($0.stop.kind, pid: $0.pid, threadIndex: $0.threadIndex))" }
    }

    /// `.lastevent`'s wording of an event (of the current process, unless `pid` names another).
    public func describe(_ kind: StopKind, pid: Int32? = nil, threadIndex: Int? = nil) -> String {
        let pid = pid ?? process?.pid ?? 0
        func index(_ tid: ThreadID) -> Int { threadIndex ?? process?.thread(tid)?.index ?? 0 }
        switch kind {
        case .initialBreakpoint, .programBreakpoint, .breakIn: return "Break instruction exception - code 80000003 (first chance)"
        case .processCreated: return "Create process 0:\(String(pid, radix: 16))"
        case .breakpoint(let bp): return "Hit breakpoint \(bp.id)"
        case .step: return "Single step exception - code 80000004 (first chance)"
        case .callReturned: return "Call returned"
        case .signal(let signal, let first, let code, _): return "\(signalEventName(signal, code: code)) (\(first ? "first chance" : "!!! second chance !!!"))"
        case .crash(let info): return "\(signalEventName(info.signal, code: info.code)) (first/second chance not available)"
        case .moduleLoad(let module): return "Load module \(module.path) at \(formatAddress(module.start))"
        case .moduleUnload(let path): return "Unload module \(path)"
        case .threadCreated(let tid): return "Create thread \(index(tid)):\(String(tid, radix: 16))"
        case .threadExited(let tid): return "Exit thread \(index(tid)):\(String(tid, radix: 16))"
        case .processExit(let status): return "Exit process 0:\(String(pid, radix: 16)), \(exitDescription(status))"
        case .processGone(let status): return "Process exited, \(goneDescription(status))"
        }
    }

    /// `Access violation - code c0000005` for SIGSEGV, `Signal SIGUSR1 - code 0000000a` for others.
    func signalEventName(_ signal: Int32, code: Int32) -> String {
        let exception = Session.exception(signal, code: code)
        return "\(exception.name) - code \(zeroPaddedHex(UInt64(exception.code), digits: 8))"
    }

    /// WinDbg's exception name and NTSTATUS code for a signal (SIGFPE by its si_code).
    public static func exception(_ signal: Int32, code: Int32) -> (name: String, code: UInt32) {
        switch (signal, code) {
        case (SIGSEGV, _), (SIGBUS, _): return ("Access violation", 0xc000_0005)
        case (SIGILL, _): return ("Illegal instruction", 0xc000_001d)
        case (SIGFPE, 1): return ("Integer divide-by-zero", 0xc000_0094)        // FPE_INTDIV
        case (SIGFPE, 2): return ("Integer overflow", 0xc000_0095)              // FPE_INTOVF
        case (SIGFPE, 3): return ("Floating-point division by zero", 0xc000_008e)  // FPE_FLTDIV
        case (SIGFPE, _): return ("Floating-point exception", 0xc000_02b5)
        case (SIGTRAP, _): return ("Break instruction exception", 0x8000_0003)
        default: return ("Signal \(signalName(signal))", UInt32(bitPattern: signal))
        }
    }

    /// How a process ended, or `gone` when it said nothing on its way out.
    func goneDescription(_ status: ExitStatus?) -> String { status.map(exitDescription) ?? "gone" }

    func exitDescription(_ status: ExitStatus) -> String {
        switch status {
        case .exited(let code): "code \(String(code, radix: 16))"
        case .killed(let signal): "killed by \(signalName(signal))"
        }
    }
}

extension Interpreter {
    /// Prints an engine event as WinDbg does, as it happens (ModLoad lines while the target runs).
    func show(_ event: SessionEvent) {
        switch event {
        case .processStarted(let commandLine):
            output.line("CommandLine: \(commandLine.joined(separator: " "))")
        case .moduleLoaded(let module, let shown):
            guard shown else { return }
            let title = module.isMainProgram && session.process?.kernel != nil ? "nt (\(module.path))" : module.path
            output.line("ModLoad: \(formatAddress(module.start)) \(formatAddress(module.end))   \(title)")
        case .moduleUnloaded(let module, let shown):
            if shown { output.line("Unload module \(module.path) at \(formatAddress(module.start))") }
        case .reported(let stop):
            output.line("(\(session.eventPrefix(stop.thread))): \(session.describe(stop.kind))")
        case .exec(let path, let thread):
            output.line("(\(session.eventPrefix(thread))): Exec \(path)")
        case .breakpointRedefined(let id):
            output.line("breakpoint \(id) redefined")
        case .kernelOpened(let kernel, let symbolCount):
            output.line("Kernel: Linux \(kernel.image.release), \(symbolCount) symbols from kallsyms, "
                + (kernel.image.orc.map { "\($0.count) ORC entries" } ?? "no ORC tables") + (kernel.slide == 0 ? "" : ", KASLR slide \(formatAddress(kernel.slide))"))
        case .notice(let notice):
            output.line(notice.wording)
        case .threadStarted, .threadExited:
            break  // the `ct`/`et` filters decide; those lines come as `.reported`
        case .willResume:
            output.flush()
        }
    }
}

extension SessionNotice {
    /// The notice as the command line prints it.
    public var wording: String {
        switch self {
        case .dumpModuleFound(let path, let using): "\(path): using \(using), the file with the dump's build id"
        case .dumpModuleMismatch(let path, let reason): "WARNING: \(path) does not match the dump: \(reason)"
        case .unreadableImage(let path): "WARNING: Unable to read the ELF image of \(path); no symbols for it"
        case .kernelSlideUnknown: "WARNING: the kernel's text was not found in memory (KASLR slide unknown); symbols at their link addresses"
        case .conditionsInDebugger(let reason): "Note: breakpoint conditions are evaluated by the debugger: \(reason)"
        case .symbolSearch(let text): text
        }
    }
}
