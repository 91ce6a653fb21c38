import Arch
import Expressions
import Glibc
import Symbols
import Targets

/// Why the target stopped and the session wants the user's attention.
public enum StopKind {
    case initialBreakpoint
    /// The process exists, stopped at its exec, before the dynamic loader ran (`sxe cpr`).
    case processCreated
    case breakpoint(Breakpoint)
    /// A step or `g addr`/`gu` plan completed.
    case step
    case signal(Int32, firstChance: Bool, code: Int32, faultAddress: UInt64?)
    /// The signal that ended a process whose dump is open (no chance left to handle it).
    case crash(SignalInfo)
    /// An int3 the program itself executed (`bpe`).
    case programBreakpoint
    /// Ctrl-C.
    case breakIn
    /// A `.call` returned; the thread is back as it was before it.
    case callReturned(CallResult)
    case moduleLoad(Module)
    case moduleUnload(path: String)
    case threadCreated(ThreadID)
    case threadExited(ThreadID)
    /// The final breakpoint: the process is about to exit with this status.
    case processExit(status: ExitStatus)
    /// The process is gone; nothing is left to inspect.
    case processGone(status: ExitStatus?)
}

/// A reported stop: what happened and on which thread.
public struct StopEvent {
    public let kind: StopKind
    public let thread: ThreadID

    public init(kind: StopKind, thread: ThreadID) {
        self.kind = kind
        self.thread = thread
    }

    /// A step or plan completed (as opposed to an event that interrupted it).
    public var isStep: Bool { if case .step = kind { return true }; return false }
}

/// An event as it happened: the stop, its process, and the number then of the thread it
/// names (the new or exiting one for thread events).
public struct RecordedEvent {
    public let stop: StopEvent
    public let pid: Int32
    public let threadIndex: Int
}

/// How to resume: `g`/`gh`/`gn` (with optional end addresses), or a kind of stepping, each
/// run by the engine as a thread plan.
public enum ResumeRequest {
    /// `handled`: nil for `g` (signals go to the program), true for `gh`, false for `gn`.
    case go(handled: Bool?, until: [UInt64])
    /// `p`, `t` (by instruction or, in source mode, by line), with a count or to an address.
    case step(StepRequest)
    case stepOut
    /// `pc tc pt tt ph th`: silently, until the thread stands on the next instruction of
    /// one of these kinds (a call, a return, any branch).
    case stepUntil(Set<ControlFlow>, over: Bool)
    /// `wt`: trace the call the thread is at the start of (or stands on), into `trace`; where
    /// there is none (and no end address), a step over.
    case trace(CallTrace, TraceOptions)
    /// `gc`: resume the way the breakpoint was reached: a step or plan that a breakpoint
    /// interrupted goes on to its end; otherwise like `g`.
    case resumeInterrupted

    var isResumeInterrupted: Bool { if case .resumeInterrupted = self { return true }; return false }

    /// One instruction, into calls (`t`).
    public static var stepInto: ResumeRequest { .step(StepRequest(over: false)) }
    /// One instruction, over calls (`p`).
    public static var stepOver: ResumeRequest { .step(StepRequest(over: true)) }
}

/// A `p`/`t`-family step: over or into calls, by instruction or source line, `count` times
/// or (`pa`/`ta`) until the thread stands at `until`. Every step but the last is shown to
/// the front end through `Session.onIntermediateStep` as it completes.
public struct StepRequest: Sendable {
    public var over: Bool
    public var byLine = false
    public var count: UInt64 = 1
    public var until: UInt64?

    public init(over: Bool, byLine: Bool = false, count: UInt64 = 1, until: UInt64? = nil) {
        self.over = over
        self.byLine = byLine
        self.count = count
        self.until = until
    }
}

/// Why an engine call failed, as a value a front end can tell apart; `description` is plain
/// English (the command line puts some in WinDbg's words). The session goes on after each.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    /// No process or dump is open (or its process is gone and the call needs one).
    case noTarget
    /// A process (or dump, or kernel) is already open.
    case alreadyDebugging
    /// A call that runs or changes the target, with none that runs (a dump, an ended process).
    case noRunnableDebuggees
    /// A write to a target that cannot change (a core file); what was to be changed.
    case readOnly(String)
    /// `.restart` of a target this session did not start.
    case notStartedByDebugger
    /// The target's backend (ptrace, a stub, a file) failed, in its own words.
    case target(String)
    /// No int3 could be written at the address (unmapped, or not writable by the debugger).
    case breakpointNotInserted(UInt64)
    /// The four debug registers are taken.
    case debugRegistersInUse
    /// A frame number past the stack's end.
    case frameOutOfRange(frames: Int)
    /// The frame's code has no DWARF to enumerate its variables with.
    case noDebugInformation
    /// Every thread is frozen or suspended.
    case noThreadCanRun
    /// A thread the debugger lost (the kernel reports no more of it).
    case lostThread(ThreadID)
    /// The current frame has no return address to run back to.
    case noReturnAddress
    /// A breakpoint condition (MASM or C++) could not be evaluated.
    case expression(String)
    /// What was asked cannot be done here, and why (`wt` on an unfollowable call, a second
    /// `.call`, a kernel structure this kernel does not have).
    case unsupported(String)

    public var description: String {
        switch self {
        case .noTarget: "No target"
        case .alreadyDebugging: "A process is already being debugged"
        case .noRunnableDebuggees: "No runnable debuggees"
        case .readOnly(let what): "\(what) cannot be changed in a dump"
        case .notStartedByDebugger: "The target was not started by the debugger"
        case .target(let message): message
        case .breakpointNotInserted(let address): "Unable to insert breakpoint at \(formatAddress(address)): the memory cannot be written"
        case .debugRegistersInUse: "Too many hardware breakpoints: the four debug registers (DR0-DR3) are in use"
        case .frameOutOfRange(let frames): "Frame out of range: the stack has \(frames) frames"
        case .noDebugInformation: "Unable to enumerate locals: no DWARF information for this frame"
        case .noThreadCanRun: "No thread can run: every thread is frozen or suspended"
        case .lostThread(let tid): "Lost track of thread \(tid)"
        case .noReturnAddress: "Unable to determine the return address of the current frame"
        case .expression(let message): message
        case .unsupported(let message): message
        }
    }
}

/// A debugged process: its target, threads, modules and planted int3s.
public final class DebuggedProcess {
    /// What every inspection command reads.
    public let target: any Target
    /// Running, stopping and changing the process; nil for a core file.
    public let control: (any LiveTarget)?
    /// The running target, on paths only a live process takes: the session's entry points that
    /// run, plant or write (`requireLive`) refuse a dump before they get here.
    var live: any LiveTarget { control! }
    public var isLive: Bool { control != nil }
    /// Started by this session on the debugger's terminal (its SIGINT is a typed Ctrl-C).
    public let launched: Bool
    public private(set) var threads: [ThreadInfo] = []
    public internal(set) var current: ThreadInfo!
    public let modules = ModuleList()
    var sites: [UInt64: SoftwareSite] = [:]
    /// Basic blocks decoded for tracing.
    let blocks = BlockCache()
    /// The `.call` set up and not returned yet.
    var pendingCall: PendingCall?
    /// Which `ba` breakpoint holds which debug register.
    var debugSlots = DebugRegisterSlots()
    /// Where displaced instructions run out of line.
    var scratch = ScratchPages()
    /// A `syscall` instruction in the vDSO, for system calls the debugger makes the program do.
    var systemCallInstruction: UInt64?
    var nextThreadIndex = 0
    var debugStateAddress: UInt64?
    /// Where the executable's DT_DEBUG entry holds `&r_debug` (lldb's `qShlibInfoAddr`).
    public internal(set) var debugStateSlot: UInt64?
    var loaderBreak: UInt64?
    public internal(set) var gone = false
    /// A SIGSTOP from the Ctrl-C handler still on its way after the SIGINT was taken as the break-in.
    var strayBreakStop = false
    /// Set for a kernel under a stub: its image and where it runs.
    public internal(set) var kernel: KernelContext?
    public internal(set) var entryPoint: UInt64
    /// An internal stop at the program's entry point, where the dynamic loader has mapped
    /// the startup libraries and the module list can be read.
    var entryBreak: EntryBreak?
    /// Conditions evaluated in the kernel (the live target's), and the original bytes under
    /// the probes' int3s (the program's text as it reads them shows the kernel's int3).
    var kernelProbes: KernelProbes? { control?.kernelProbes }
    var probedBytes: [UInt64: UInt8] = [:]

    init(target: any Target, control: (any LiveTarget)?, launched: Bool, entryPoint: UInt64) {
        self.target = target
        self.control = control
        self.launched = launched
        self.entryPoint = entryPoint
    }

    public var pid: Int32 { target.processID }

    @discardableResult
    func addThread(_ tid: ThreadID) -> ThreadInfo {
        if let existing = thread(tid) { return existing }
        let info = ThreadInfo(tid: tid, index: nextThreadIndex)
        nextThreadIndex += 1
        threads.append(info)
        return info
    }

    /// A thread learned of from a clone event (`running`: it is on its way to its first stop)
    /// or from that first stop itself, whichever the kernel reported first. The kernel starts
    /// it with a SIGSTOP, which the debugger swallows. A thread already known, or already
    /// gone, is left as it is.
    @discardableResult
    func adoptThread(_ tid: ThreadID, running: Bool) -> ThreadInfo? {
        if let known = thread(tid) { return known }
        // A clone event for a thread that already came and went; a stop, though, is proof of
        // a live thread (the kernel may reuse an old tid).
        if exitedThreads.remove(tid) != nil && running { return nil }
        let info = addThread(tid)
        info.running = running
        return info
    }

    func removeThread(_ tid: ThreadID) {
        if let gone = thread(tid) {
            orphanedPlans += gone.plans
            gone.plans = []
        }
        threads.removeAll { $0.tid == tid }
        exitedThreads.insert(tid)
    }

    /// Plans of threads that exited in the middle of them, finished with the others (what
    /// they planted goes).
    var orphanedPlans: [ThreadPlan] = []

    /// Threads that have exited, so a late clone event does not bring one back.
    private var exitedThreads: Set<ThreadID> = []

    public func thread(_ tid: ThreadID) -> ThreadInfo? { threads.first { $0.tid == tid } }

    /// Children that run in this address space (vfork, posix_spawn, clone(CLONE_VM)): traced
    /// so they step over the int3s they meet, until they exec or exit; not threads of the
    /// debugged process and never reported.
    var helpers: [ThreadInfo] = []

    func helper(_ tid: ThreadID) -> ThreadInfo? { helpers.first { $0.tid == tid } }

    public func thread(index: Int) -> ThreadInfo? { threads.first { $0.index == index } }
}

/// A debugging session: at most one process, the breakpoints and event filters that outlive
/// it (`.restart` keeps them), and the debug event loop (wait → interpret → filter → continue).
/// Everything here runs on one thread, the tracer thread that ptrace requires.
public final class Session {
    /// Where events go as they happen (the front end's handler).
    public var onEvent: (SessionEvent) -> Void = { _ in }
    public var filters = EventFilters()
    public private(set) var breakpoints: [Breakpoint] = []
    public var disableASLR = true
    /// `$t0`…`$t19`, WinDbg's user pseudo-registers (breakpoint conditions read them).
    public var userRegisters = [UInt64](repeating: 0, count: 20)
    /// The debugger runs on a terminal: a launched program gets it while it runs, and its
    /// SIGINT (Ctrl-C typed while it runs) is a break-in, as in gdb.
    public var shareTerminal = false
    /// Where to look for debug files (`-y`, `.sympath`, `.symfix`) and whether to say so
    /// (`!sym noisy`); modules read it when they first need their symbols.
    public let symbolSearch = SymbolSearch()
    public internal(set) var process: DebuggedProcess?
    /// The thread the last event happened on (`~#`).
    public private(set) var lastEventThread: ThreadID?
    public internal(set) var launchSpec: LaunchRequest?
    let disassembler = Disassembler()
    var plan: RunPlan?
    /// Called, with every thread stopped, after each step of `p N`/`t N`/`pa`/`ta` but the
    /// last (which ends the resume), so the front end shows it as WinDbg does.
    public var onIntermediateStep: ((StopEvent) -> Void)?
    /// Events of threads other than a run plan's own, counted for `wt`'s summary.
    var otherThreadEvents = 0
    /// Times a thread was single-stepped over a breakpoint with the others stopped (what
    /// out-of-line execution avoids; for measurements and tests).
    public internal(set) var stepsOverBreakpoints = 0
    /// Stops the target's threads reported (each one a debugger wake-up: what branch-to-branch
    /// stepping saves; for measurements and tests).
    public internal(set) var threadStops = 0
    /// Conditional breakpoints go to the kernel where they can (`.kernelconditions`).
    public var kernelConditions = true
    /// The machine cannot evaluate conditions in the kernel, and the user was told.
    var kernelNoteShown = false
    /// `~N g`: only this thread runs.
    var exclusiveThread: ThreadID?
    /// How the process ended, as it reported on its way out.
    public internal(set) var lastExitStatus: ExitStatus?

    /// Where live targets come from (launch, attach, `.restart`).
    public let backend: any LiveTargetFactory

    public init(backend: any LiveTargetFactory) {
        self.backend = backend
        symbolSearch.log = { [unowned self] in onEvent(.notice(.symbolSearch($0))) }
    }

    // MARK: starting and ending

    /// Launches a program and runs it to the initial breakpoint at its entry point, after
    /// the dynamic loader mapped the startup libraries.
    public func launch(path: String, arguments: [String]) throws(EngineError) -> StopEvent {
        var request = LaunchRequest(program: path, arguments: arguments)
        request.ownTerminal = shareTerminal
        return try launch(request)
    }

    /// Launches as `request` says (environment, directory, standard streams): the session's
    /// `disableASLR` applies. A program whose standard input is not the debugger's is not on
    /// its terminal: a SIGINT it gets is its own, not a Ctrl-C.
    public func launch(_ request: LaunchRequest) throws(EngineError) -> StopEvent {
        guard process == nil else { throw EngineError.alreadyDebugging }
        var request = request
        request.disableASLR = disableASLR
        let target: any LiveTarget, resolved: String
        do { (target, resolved) = try backend.launch(request) } catch { throw EngineError.target(error.description) }
        request.program = resolved
        launchSpec = request
        return try start(target, commandLine: [resolved] + request.arguments, onTerminal: request.standardInput == nil)
    }

    /// A program a gdb-remote stub started (`vRun`), stopped before its first instruction:
    /// run to the initial breakpoint as a launch is (`.restart` is not offered: the backend
    /// would start it here).
    public func launch(started target: any LiveTarget, commandLine: [String]) throws(EngineError) -> StopEvent {
        guard process == nil else { throw EngineError.alreadyDebugging }
        launchSpec = nil
        return try start(target, commandLine: commandLine, onTerminal: false)
    }

    private func start(_ target: any LiveTarget, commandLine: [String], onTerminal: Bool) throws(EngineError) -> StopEvent {
        let auxv = target.auxiliaryVector()
        let entry = auxv[AuxiliaryVectorKey.entry] ?? 0
        let process = DebuggedProcess(target: target, control: target, launched: onTerminal, entryPoint: entry)
        self.process = process
        let main = process.addThread(target.processID)
        process.current = main
        onEvent(.processStarted(commandLine: commandLine))
        // A static program (no dynamic loader: static glibc, static-pie, Go, musl) starts at
        // its entry point: the exec stop is already where the initial breakpoint goes.
        let startsAtEntry = (try? registers(main))?.rip == entry
        guard entry != 0, !startsAtEntry else {
            scanModules()
            return recorded(StopEvent(kind: .initialBreakpoint, thread: main.tid))
        }
        process.entryBreak = EntryBreak(address: entry, isInitialBreakpoint: true)
        try insertSite(entry, isInternal: true)
        let created = StopEvent(kind: .processCreated, thread: main.tid)
        switch filters.filter("cpr")!.action {
        case .breakFirst: return recorded(created)
        case .output, .breakSecond: onEvent(.reported(created))
        case .ignore: break
        }
        return recorded(try run())
    }

    func recorded(_ event: StopEvent) -> StopEvent {
        record(event)
        return event
    }

    /// Attaches to a running process: every thread stops, the modules are read from the
    /// dynamic linker's list, and the stop is reported like WinDbg's attach break-in.
    public func attach(pid: Int32) throws(EngineError) -> StopEvent {
        guard process == nil else { throw EngineError.alreadyDebugging }
        let target: any LiveTarget
        do { target = try backend.attach(pid: pid) } catch { throw EngineError.target(error.description) }
        return try attach(target)
    }

    /// Takes over a process some other way stopped (a gdb-remote stub's), as an attach.
    public func attach(_ target: any LiveTarget) throws(EngineError) -> StopEvent {
        guard process == nil else { throw EngineError.alreadyDebugging }
        let process = DebuggedProcess(target: target, control: target, launched: false, entryPoint: target.auxiliaryVector()[AuxiliaryVectorKey.entry] ?? 0)
        self.process = process
        launchSpec = nil
        for tid in target.listThreads() { process.addThread(tid) }
        guard let first = process.thread(target.processID) ?? process.threads.first else {
            self.process = nil
            throw EngineError.target("Cannot attach to process \(target.processID): it exited while attaching")
        }
        process.current = first
        scanModules()
        // Caught before the dynamic loader ran (a stub started the program: `gdbserver :N prog`):
        // the libraries are read at the entry point, as after an exec.
        if process.loaderBreak == nil, process.entryPoint != 0,
           process.modules.modules.first(where: \.isMainProgram)?.symbolFiles?.image.dynamicAddress != nil,
           (try? registers(first))?.rip != process.entryPoint {
            process.entryBreak = EntryBreak(address: process.entryPoint, isInitialBreakpoint: false)
            try? insertSite(process.entryPoint, isInternal: true)
        }
        let event = StopEvent(kind: .breakIn, thread: process.current.tid)
        record(event)
        return event
    }

    /// Opens a target that does not run (a core file): every thread stands where it was when
    /// the dump was written, the modules come from the dynamic linker's list in its memory, and
    /// the last event is the signal that ended it (the faulting thread is current).
    public func open(dump target: any Target) throws(EngineError) -> StopEvent {
        try open(inspecting: target) { .crash($0) }
    }

    private func open(inspecting target: any Target, kind stopKind: (SignalInfo) -> StopKind) throws(EngineError) -> StopEvent {
        guard process == nil else { throw EngineError.alreadyDebugging }
        let process = DebuggedProcess(target: target, control: nil, launched: false, entryPoint: target.auxiliaryVector()[AuxiliaryVectorKey.entry] ?? 0)
        for tid in target.listThreads() { process.addThread(tid) }
        guard let first = process.threads.first else { throw EngineError.unsupported("The dump has no threads") }
        self.process = process
        launchSpec = nil
        process.current = process.threads.first { target.signalInfo($0.tid) != nil } ?? first
        scanModules()
        let kind = target.signalInfo(process.current.tid).map(stopKind) ?? .breakIn
        return recorded(StopEvent(kind: kind, thread: process.current.tid))
    }

    /// The running process, or WinDbg's error for a dump (or no target) where a command must run
    /// or change it.
    func requireLive() throws(EngineError) -> DebuggedProcess {
        guard let process, process.isLive else { throw EngineError.noRunnableDebuggees }
        return process
    }

    /// Restores every byte the debugger changed and lets the process run on without it.
    public func detach() throws(EngineError) {
        guard let process else { throw EngineError.noTarget }
        if process.isLive, !process.gone {
            // A `.call` set up and not run: the thread gets its registers back.
            if let call = process.pendingCall {
                restore(call)
                process.pendingCall = nil
            }
            for (address, site) in process.sites {
                try? process.live.removeSoftwareBreakpoint(at: address, original: site.originalByte)
            }
            process.sites.removeAll()
            // Closing the probes' events takes the kernel's int3s out while the threads are stopped.
            removeKernelProbes()
            // A fork child held for an event not yet reported must be let go too.
            for thread in process.threads {
                if case .forked = thread.pending { _ = try handle(thread.pending!, thread); thread.pending = nil }
            }
            // The Ctrl-C handler's SIGSTOP, not taken yet, would stop the program once it is free.
            if process.strayBreakStop, process.live.isSignalPending(SIGSTOP) { process.live.expectStop(process.current.tid) }
            try drainExpectedStops()
            releaseSharingChildren()
            removeScratchPages()
            for thread in process.threads {
                try? flushRegisters(thread)
                // A signal the program has yet to receive goes with it.
                try? process.live.detach(thread.tid, signal: thread.signalToDeliver)
            }
        }
        forgetProcess()
    }

    /// Ends the process (`q`, `.kill`) and reaps it, so no zombie or stopped orphan is left.
    public func kill() {
        guard let process else { return }
        // A machine is not the debugger's to end: it is let go, as kd's `q` does.
        if process.kernel != nil {
            try? detach()
            forgetProcess()
            return
        }
        if process.isLive, !process.gone {
            process.live.terminate()
            // Stopped threads (at an exit stop, say) only die once they run again.
            for thread in process.threads where !thread.running {
                try? process.live.resume(thread.tid, singleStep: false, signal: 0)
            }
            while let event = try? process.live.waitForEvent() {
                if case .threadGone(let tid, _, _) = event, tid == process.pid { break }
                if case .stopped(let tid, _) = event { try? process.live.resume(tid, singleStep: false, signal: 0) }
            }
        }
        forgetProcess()
    }

    /// Breakpoints outlive the process: they resolve again by expression in the next one.
    private func forgetProcess() {
        lastException = nil
        lastStop = nil
        discardPlans()
        removeKernelProbes()
        process = nil
        plan = nil
        for breakpoint in breakpoints { breakpoint.locations = [] }
    }

    /// `.restart`: kills the process and launches the same command line again.
    public func restart() throws(EngineError) -> StopEvent {
        guard let spec = launchSpec else { throw EngineError.notStartedByDebugger }
        // Descriptors a front end gave the first run (a DAP client's pipes) are not there now.
        guard spec.standardInput == nil, spec.standardOutput == nil, spec.standardError == nil else {
            throw EngineError.unsupported(".restart: the program's standard streams were its front end's; launch it again from there")
        }
        kill()
        return try launch(spec)
    }

    // MARK: breakpoints

    /// Adds a breakpoint with the lowest free id (or the requested one) and plants it where
    /// it resolves; a request without locations is resolved here, from its spec.
    @discardableResult
    public func addBreakpoint(_ request: BreakpointRequest) throws(EngineError) -> Breakpoint {
        var request = request
        if request.locations.isEmpty { request.locations = resolveLocations(request.expression, radix: request.radix) }
        if request.locations.count == 1, !Session.isSourceLineSpec(request.expression),
           (try? MasmExpression.parse(Substring(request.expression), radix: request.radix))?.readsThreadState == true {
            // `bp @rip`, `bp poi(@rsp)`: where the registers pointed when it was set, also after
            // `.restart` (the next process's registers point elsewhere).
            request.expression = "0x" + String(request.locations[0], radix: 16)
        }
        var requested = request.id
        if requested == nil, let address = request.locations.first,
           let duplicate = breakpoints.first(where: { $0.locations.first == address && $0.thread == request.thread && $0.hardware == request.hardware }) {
            // WinDbg redefines a breakpoint at the same place under its old number.
            onEvent(.breakpointRedefined(id: duplicate.id))
            requested = duplicate.id
        }
        let id = requested ?? (0...).first { id in !breakpoints.contains { $0.id == id } }!
        if let existing = breakpoints.first(where: { $0.id == id }) { try removeBreakpoint(existing) }
        let breakpoint = Breakpoint(id: id, request: request)
        breakpoints.append(breakpoint)
        breakpoints.sort { $0.id < $1.id }
        do { try plant(breakpoint) } catch {
            breakpoints.removeAll { $0 === breakpoint }
            throw error
        }
        return breakpoint
    }

    public func removeBreakpoint(_ breakpoint: Breakpoint) throws(EngineError) {
        if breakpoint.enabled { try unplant(breakpoint) }
        breakpoints.removeAll { $0 === breakpoint }
    }

    public func setEnabled(_ breakpoint: Breakpoint, _ enabled: Bool) throws(EngineError) {
        guard breakpoint.enabled != enabled else { return }
        if enabled { try plant(breakpoint) } else { try unplant(breakpoint) }
        breakpoint.enabled = enabled
    }

    /// Puts a breakpoint into the process where it resolves: an int3 at each location, or a
    /// debug register for `ba`.
    private func plant(_ breakpoint: Breakpoint) throws(EngineError) {
        guard process != nil else { return }
        _ = try requireLive()
        if breakpoint.hardware != nil { return try armHardware(breakpoint) }
        if plantInKernel(breakpoint) { return }
        for address in breakpoint.locations { try insertSite(address, isInternal: false) }
    }

    private func unplant(_ breakpoint: Breakpoint) throws(EngineError) {
        guard let process, process.isLive else { return }
        if breakpoint.hardware != nil { return disarmHardware(breakpoint) }
        let probed = Set(breakpoint.probes.map(\.address))
        unplantFromKernel(breakpoint)
        for address in breakpoint.locations where !probed.contains(address) { try removeSite(address, isInternal: false) }
    }

    /// Resolves breakpoints again from their specs after modules changed: those that wait for
    /// a module, and source-line ones, which gain the locations a new module has (a header's
    /// inlined function, a line of a static function compiled into several modules).
    func resolveDeferredBreakpoints() {
        for breakpoint in breakpoints {
            if breakpoint.locations.isEmpty {
                breakpoint.locations = resolveLocations(breakpoint.expression, radix: breakpoint.radix)
                if breakpoint.enabled { try? plant(breakpoint) }
            } else if breakpoint.hardware == nil, Session.isSourceLineSpec(breakpoint.expression) {
                let added = resolveLocations(breakpoint.expression, radix: breakpoint.radix).filter { !breakpoint.locations.contains($0) }
                guard !added.isEmpty else { continue }
                // Planted again whole: the kernel or int3s, for every location alike.
                if breakpoint.enabled { try? unplant(breakpoint) }
                breakpoint.locations += added
                if breakpoint.enabled { try? plant(breakpoint) }
            }
        }
    }

    /// `` `file.c:12` `` (or `` `module!file.c:12` ``): a source line, not an expression.
    static func isSourceLineSpec(_ spec: String) -> Bool {
        spec.count > 2 && spec.hasPrefix("`") && spec.hasSuffix("`") && !spec.dropFirst().dropLast().contains("`")
    }

    /// A module went away: its breakpoints lose their locations there (and their probes) and
    /// wait for it again.
    func forgetLocations(in module: Module) {
        // A kernel condition's symbols are addresses fixed when it was compiled: compiled again.
        for breakpoint in breakpoints where !breakpoint.probes.isEmpty && !breakpoint.locations.contains(where: module.contains) {
            guard case .masm(let masm)? = breakpoint.condition?.expression, masm.namesSymbols else { continue }
            try? unplant(breakpoint)
            try? plant(breakpoint)
        }
        for breakpoint in breakpoints where breakpoint.locations.contains(where: module.contains) {
            if breakpoint.hardware != nil { disarmHardware(breakpoint) }
            let probed = breakpoint.probes.contains { module.contains($0.address) }
            if probed { unplantFromKernel(breakpoint) }
            breakpoint.locations.removeAll(where: module.contains)
            // Probes in other modules went with the module's: the locations left get theirs again.
            if probed, breakpoint.enabled, !breakpoint.locations.isEmpty { try? plant(breakpoint) }
        }
    }

    /// Where a breakpoint spec resolves in the loaded modules: every location of a source line
    /// (`` `file.c:12` ``), or the value of an expression; none while nothing matches.
    public func resolveLocations(_ spec: String, radix: Int) -> [UInt64] {
        guard let process, !process.gone else { return [] }
        if Session.isSourceLineSpec(spec) {
            let locations = sourceLineLocations(String(spec.dropFirst().dropLast()))
            if !locations.isEmpty { return locations }
        }
        let scope = FrameScope(session: self, thread: process.current)
        guard let expression = try? MasmExpression.parse(Substring(spec), radix: radix, context: scope),
              let address = try? expression.evaluate(scope) else { return [] }
        return [address]
    }

    func insertSite(_ address: UInt64, isInternal: Bool) throws(EngineError) {
        let process = try requireLive()
        if process.probedBytes[address] != nil { try yieldProbes(at: address) }
        if var site = process.sites[address] {
            if isInternal { site.internalUsers += 1 } else { site.users += 1 }
            process.sites[address] = site
            return
        }
        let code = readMemory(address, count: 16)
        guard !code.isEmpty, let original = try? process.live.insertSoftwareBreakpoint(at: address) else {
            throw EngineError.breakpointNotInserted(address)
        }
        process.sites[address] = SoftwareSite(originalByte: original, users: isInternal ? 0 : 1, internalUsers: isInternal ? 1 : 0,
                                              emulation: SiteEmulation(code), branch: disassembler.decode(code, at: address).flatMap { $0.flow == .none ? nil : $0 },
                                              isSystemCall: code.starts(with: [0x0f, 0x05]))
    }

    func removeSite(_ address: UInt64, isInternal: Bool) throws(EngineError) {
        guard let process, var site = process.sites[address] else { return }
        if isInternal { site.internalUsers -= 1 } else { site.users -= 1 }
        if site.total > 0 { process.sites[address] = site; return }
        process.sites[address] = nil
        process.scratch.forget(site: address)
        if !process.gone { try? process.live.removeSoftwareBreakpoint(at: address, original: site.originalByte) }
    }

    // MARK: inspection

    /// Reads target memory as the program sees it (the debugger's int3 bytes are hidden).
    public func readMemory(_ address: UInt64, count: Int) -> [UInt8] {
        guard let process, !process.gone else { return [] }
        var bytes = process.target.readMemory(address, count: count)
        let end = address &+ UInt64(bytes.count)
        if !process.sites.isEmpty, process.control?.capabilities.breakpointsShowInMemory != false {
            for (siteAddress, site) in process.sites where siteAddress >= address && siteAddress < end {
                bytes[Int(siteAddress - address)] = site.originalByte
            }
        }
        for (probed, original) in process.probedBytes where probed >= address && probed < end {
            bytes[Int(probed - address)] = original
        }
        return bytes
    }

    /// Writes target memory; a write over a planted int3 changes the byte restored later.
    public func writeMemory(_ address: UInt64, _ bytes: [UInt8]) throws(EngineError) {
        guard let process, !process.gone else { throw EngineError.noTarget }
        guard process.isLive else { throw EngineError.readOnly("Memory") }
        process.blocks.removeAll()
        // Code written under a probe: its breakpoint goes to an int3, whose byte the write sets.
        for probed in process.probedBytes.keys where probed >= address && probed < address &+ UInt64(bytes.count) { try yieldProbes(at: probed) }
        var data = bytes
        // Where the int3s show in memory, the write keeps them; a stub keeps its own.
        let keepsInt3s = process.live.capabilities.breakpointsShowInMemory
        for (siteAddress, var site) in process.sites where siteAddress >= address && siteAddress < address &+ UInt64(bytes.count) {
            let offset = Int(siteAddress - address)
            site.originalByte = data[offset]
            process.sites[siteAddress] = site
            if keepsInt3s { data[offset] = 0xcc }
        }
        do { try process.live.writeMemory(address, data) } catch { throw EngineError.target(error.description) }
        // The instructions under int3s the write reaches (an instruction is at most 15 bytes)
        // are what the debugger executes or copies: read them again.
        for (siteAddress, var site) in process.sites where siteAddress &+ 15 > address && siteAddress < address &+ UInt64(bytes.count) {
            let code = readMemory(siteAddress, count: 16)
            site.emulation = SiteEmulation(code)
            site.branch = disassembler.decode(code, at: siteAddress).flatMap { $0.flow == .none ? nil : $0 }
            site.isSystemCall = code.starts(with: [0x0f, 0x05])
            process.sites[siteAddress] = site
            process.scratch.forget(site: siteAddress)
        }
    }

    public func registers(_ thread: ThreadInfo? = nil) throws(EngineError) -> X86Registers {
        guard let process, !process.gone, let thread = thread ?? process.current else { throw EngineError.noTarget }
        if let cached = thread.cachedRegisters { return cached }
        do {
            let registers = try process.target.registers(thread.tid)
            thread.cachedRegisters = registers
            return registers
        } catch { throw EngineError.target(error.description) }
    }

    public func setRegisters(_ registers: X86Registers, _ thread: ThreadInfo? = nil) throws(EngineError) {
        guard let process, !process.gone, let thread = thread ?? process.current else { throw EngineError.noTarget }
        guard process.isLive else { throw EngineError.readOnly("Registers") }
        do { try process.live.setRegisters(registers, thread.tid) } catch { throw EngineError.target(error.description) }
        thread.cachedRegisters = registers
        thread.registersDirty = false
    }

    /// The x87/SSE/AVX registers of a thread.
    public func vectorState(_ thread: ThreadInfo? = nil) throws(EngineError) -> VectorState {
        guard let process, !process.gone, let thread = thread ?? process.current else { throw EngineError.noTarget }
        do { return try process.target.vectorState(thread.tid) } catch { throw EngineError.target(error.description) }
    }

    public func setVectorState(_ area: VectorState, _ thread: ThreadInfo? = nil) throws(EngineError) {
        guard let process, !process.gone, let thread = thread ?? process.current else { throw EngineError.noTarget }
        guard process.isLive else { throw EngineError.readOnly("Registers") }
        do { try process.live.setVectorState(area, thread.tid) } catch { throw EngineError.target(error.description) }
    }

    public func setCurrentThread(_ thread: ThreadInfo) { process?.current = thread }

    /// Whether Ctrl-C was typed since the last call, while commands (not the target) ran: a
    /// long command loop stops for it.
    public func takeInterruptRequest() -> Bool { BreakIn.takeRequest() != .none }

    /// `module!symbol+0xoff` for an address, or nil outside every module; a return address
    /// (`callSite`) is looked up in the call before it, so a call that ends a function (a
    /// `noreturn` callee) names that function.
    public func symbolize(_ address: UInt64, callSite: Bool = false) -> String? {
        process?.modules.describe(address, callSite: callSite)
    }

    public func resolveSymbol(_ name: String) -> UInt64? { process?.modules.resolve(name) }

    /// Source line information in output and expressions (`.lines` turns it off and on).
    public var lineNumbers = true

    /// The source line of an address, when line numbers are on and DWARF covers it.
    public func sourceLine(at address: UInt64) -> SourceLine? {
        guard lineNumbers, let module = process?.modules.module(containing: address) else { return nil }
        return module.sourceLine(at: address)
    }

    /// The line of a statement that begins exactly at `address` (where source stepping stops).
    public func statementStart(at address: UInt64) -> SourceLine? {
        guard lineNumbers, let module = process?.modules.module(containing: address) else { return nil }
        return module.statementStart(at: address)
    }

    /// Whether an address is in the dynamic loader (its lazy-binding resolver is not a place
    /// for source stepping to stop).
    public func isInDynamicLoader(_ address: UInt64) -> Bool {
        process?.modules.module(containing: address)?.name.hasPrefix("ld_linux") == true
    }

    /// How many inlined calls the code at an address is inside (0 outside any).
    public func inlineDepth(at address: UInt64) -> Int {
        guard let module = process?.modules.module(containing: address), let files = module.symbolFiles else { return 0 }
        return files.inlinedCalls(at: address &- module.bias).count
    }

    /// The function of a frame and its parameters' values (DWARF), for `kp`; with
    /// `includeLocals`, its locals in scope too (`dv`).
    public func parameters(of frame: StackFrame, in thread: ThreadInfo, includeLocals: Bool = false) -> (function: String, parameters: [VariableValue])? {
        let lookup = frame.lookupAddress
        guard let module = process?.modules.module(containing: lookup), let files = module.symbolFiles else { return nil }
        var registers = frame.registers
        if frame.physicalIndex == 0, let state = try? vectorState(thread) {
            // xmm0–7 (DWARF 17–24), low 64 bits: float parameters.
            for index in 0..<8 { registers[17 + index] = state.xmmLow(index) }
        }
        // Entry values of one frame all come from the same call site: its caller is unwound
        // once, on the first one asked for, and each register's value is kept.
        var caller: StackFrame??
        var entryValues: [Int: UInt64?] = [:]
        let entryValue = { [weak self] (register: Int) -> UInt64? in
            guard let self else { return nil }
            if let known = entryValues[register] { return known }
            if caller == nil { caller = .some(self.caller(of: frame, in: thread)) }
            let value = caller?.flatMap { self.callSiteValue(in: $0, register: register) }
            entryValues[register] = .some(value)
            return value
        }
        let context = FrameContext(registers: registers, cfa: frame.cfa, bias: module.bias, isInnermost: frame.physicalIndex == 0,
                                   entryValue: entryValue, readMemory: memoryReader)

        return files.variables(at: lookup &- module.bias, frame: context, includeLocals: includeLocals, inlineDepth: frame.inlineDepth)
    }

    private var memoryReader: (UInt64, Int) -> [UInt8]? {
        { [weak self] address, size in
            guard let bytes = self?.readMemory(address, count: size), bytes.count == size else { return nil }
            return bytes
        }
    }

    /// The machine frame that called `frame`'s function.
    private func caller(of frame: StackFrame, in thread: ThreadInfo) -> StackFrame? {
        let frames = unwind(thread, maxFrames: frame.physicalIndex + 2)
        return frames.count == frame.physicalIndex + 2 ? frames[frame.physicalIndex + 1] : nil
    }

    /// A register's value when the callee of `caller` was entered, from the call site in
    /// `caller`, evaluated with the caller's recovered registers.
    private func callSiteValue(in caller: StackFrame, register: Int) -> UInt64? {
        guard let module = process?.modules.module(containing: caller.lookupAddress), let files = module.symbolFiles else { return nil }
        let context = FrameContext(registers: caller.registers, cfa: caller.cfa, bias: module.bias, isInnermost: false, readMemory: memoryReader)
        return files.callSiteValue(returnAddress: caller.pc &- module.bias, register: register, frame: context)
    }

    /// `file.c:12` or `module!file.c:12`: the lowest address where that line's code begins,
    /// searching the main program first.
    public func resolveSourceLine(_ spec: String) -> UInt64? { sourceLineLocations(spec).first }

    /// Every place `file.c:12` begins, as gdb's locations: the lowest address of the line in
    /// each function, and in each inlined copy of it (its call site tells copies apart), in
    /// every module that has the line (the main program's first).
    public func sourceLineLocations(_ spec: String) -> [UInt64] {
        guard let process, let colon = spec.lastIndex(of: ":"), let line = Int(spec[spec.index(after: colon)...]) else { return [] }
        var file = String(spec[..<colon])
        var modules = process.modules.searchOrder
        if let bang = file.firstIndex(of: "!") {
            guard let module = process.modules.module(named: String(file[..<bang])) else { return [] }
            modules = [module]
            file = String(file[file.index(after: bang)...])
        }
        return modules.flatMap { module in
            var seen = Set<String>()
            return module.addresses(file: file, line: line).filter { address in
                let function = module.symbol(at: address)?.symbol.name ?? ""
                let call = module.symbolFiles?.inlinedCalls(at: address &- module.bias).first?.callSite
                return seen.insert("\(function)|\(call?.file ?? ""):\(call?.line ?? 0)").inserted
            }
        }
    }

    public func decode(at address: UInt64) -> Instruction? {
        disassembler.decode(readMemory(address, count: 16), at: address)
    }

    public func disassembleBytes(_ bytes: [UInt8], at address: UInt64) -> Instruction? {
        disassembler.decode(bytes, at: address)
    }

    /// The disassembly line of one instruction in WinDbg's layout, or `????` when unreadable.
    public func formatInstruction(_ instruction: Instruction) -> String {
        disassembler.format(instruction) { [weak self] target in self?.symbolize(target) }
    }

    func record(_ event: StopEvent) {
        guard let process else { return }
        if process.kernel != nil { followUserContext() }
        if let thread = process.thread(event.thread) { thread.reportedAt = try? registers(thread).rip }
        lastEventThread = event.thread
        lastStop = event.kind
        let named: ThreadID = switch event.kind {
        case .threadCreated(let tid), .threadExited(let tid): tid
        default: event.thread
        }
        lastEvent = RecordedEvent(stop: event, pid: process.pid, threadIndex: process.thread(named)?.index ?? 0)
        switch event.kind {
        case .signal(let signal, _, let code, let fault): lastException = (event.thread, SignalInfo(signal: signal, code: code, address: fault))
        case .crash(let info): lastException = (event.thread, info)
        default: break
        }
    }

    /// What the last event was (`.dump` records it as the dump's stop; gone with the process).
    public internal(set) var lastStop: StopKind?
    /// The last event with the process and thread it happened to (`.lastevent` after `.kill`).
    public private(set) var lastEvent: RecordedEvent?

    /// The last signal an event reported (`.exr -1`, `.ecxr`, `!analyze`) and its thread.
    public private(set) var lastException: (thread: ThreadID, info: SignalInfo)?

}

/// The entry-point stop: after launch it is the initial breakpoint; after an exec the
/// modules are read again and the program runs on.
struct EntryBreak {
    let address: UInt64
    let isInitialBreakpoint: Bool
}

/// Internal stops a run is waiting for: `g addr`, step over a call, `gu`, the entry point.
struct RunPlan {
    var sites: Set<UInt64>
    /// Only this thread completes the plan.
    var thread: ThreadID?
    /// And only once the stack is back at or above this pointer (so recursion does not end a `p` early).
    var minimumSP: UInt64?
    /// Only `thread` runs, the others stay stopped (a traced block).
    var exclusive = false
}
