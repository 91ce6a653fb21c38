import Arch
import Glibc
import Targets

/// Interpreting one thread event: does it stop the session, and with what?
extension Session {
    /// Returns the stop to report, or nil to let the thread run on.
    func handle(_ event: ThreadEvent, _ thread: ThreadInfo) throws(EngineError) -> StopEvent? {
        guard let process else { return nil }
        switch event {
        case .breakpointTrap(let address):
            return try breakpointHit(at: address, thread)
        case .hardwareTrap(let fired):
            return try userBreakpointStop(fired, thread)
        case .kernelHit(let hit):
            return try kernelHit(hit, thread)
        case .requestedStop:
            return nil
        case .trap:
            if process.live.trapCause(thread.tid) == .breakpointInstruction {  // an int3 the program executed itself
                // Handled by the debugger, as WinDbg's breakpoint exception; at a break, `gn`
                // passes its SIGTRAP to the program's handler.
                let stop = filteredStop(filters.filter("bpe")!, .programBreakpoint, thread)
                if stop != nil {
                    thread.signalToDeliver = SIGTRAP
                    thread.signalIsBreakpoint = true
                }
                return stop
            }
            return try signalStop(SIGTRAP, thread)
        case .signal(let signal):
            return try signalStop(signal, thread)
        case .created(let child):
            guard process.adoptThread(child, running: true) != nil else { return nil }
            onEvent(.threadStarted(child))
            return filteredStop(filters.filter("ct")!, .threadCreated(child), thread)
        case .forked(let child, let sharesMemory):
            guard !sharesMemory else {
                // It runs in this memory, int3s included: it stays traced to step over them.
                try adoptSharingChild(child, preparing: true)
                return nil
            }
            releaseForkChild(child)
            return nil
        case .vforkDone:
            return nil
        case .exec:
            // A new address space: every int3 and module is gone; breakpoints resolve again by name.
            process.sites.removeAll()
            removeKernelProbes()
            process.blocks.removeAll()
            process.debugSlots = DebugRegisterSlots()
            process.scratch = ScratchPages()
            process.systemCallInstruction = nil
            process.modules.removeAll()
            process.loaderBreak = nil
            process.debugStateAddress = nil
            process.debugStateSlot = nil
            for breakpoint in breakpoints { breakpoint.locations = [] }
            for other in process.threads where other !== thread { process.removeThread(other.tid) }
            // The survivor may be a former leader that had called pthread_exit.
            thread.exiting = false
            thread.pending = nil
            thread.resumedOnSite = nil
            onEvent(.exec(path: process.target.executablePath, thread: thread.tid))
            if let entry = process.target.auxiliaryVector()[AuxiliaryVectorKey.entry] {
                process.entryPoint = entry
                if (try? registers(thread))?.rip == entry {
                    scanModules()  // a static program: nothing to wait for
                } else {
                    process.entryBreak = EntryBreak(address: entry, isInitialBreakpoint: false)
                    try insertSite(entry, isInternal: true)
                }
            }
            return nil
        case .exiting(let status):
            thread.exiting = true
            // The process ends with its last thread, whichever that is (the main thread may
            // have left early with pthread_exit).
            if process.threads.allSatisfy({ $0.exiting }) {
                lastExitStatus = status
                return filteredStop(filters.filter("epr")!, .processExit(status: status), thread)
            }
            onEvent(.threadExited(thread.tid))
            return filteredStop(filters.filter("et")!, .threadExited(thread.tid), thread)
        case .gone(let code, let signal):
            process.removeThread(thread.tid)
            if thread.tid == process.pid || process.threads.isEmpty {
                process.gone = true
                if let code { lastExitStatus = .exited(code: code) } else if let signal { lastExitStatus = .killed(signal: signal) }
                process.current = nil
            } else if process.current === thread {
                process.current = process.threads.first
            }
            return nil
        }
    }

    /// Child processes are not debugged: a forked copy is let go with the program's own bytes
    /// where the int3s are.
    func releaseForkChild(_ child: Int32) {
        process?.live.releaseForkChild(child, restore: process?.sites.map { (address: $0.key, byte: $0.value.originalByte) } ?? [])
    }

    /// Applies a filter to a non-signal event: break, print a line, or neither.
    private func filteredStop(_ filter: EventFilter, _ kind: StopKind, _ thread: ThreadInfo) -> StopEvent? {
        switch filter.action {
        case .breakFirst:
            process?.current = thread
            return StopEvent(kind: kind, thread: thread.tid)
        case .output, .breakSecond:
            onEvent(.reported(StopEvent(kind: kind, thread: thread.tid)))
            return nil
        case .ignore:
            return nil
        }
    }

    private func breakpointHit(at address: UInt64, _ thread: ThreadInfo) throws(EngineError) -> StopEvent? {
        guard let process else { return nil }
        if let entry = process.entryBreak, entry.address == address {
            process.entryBreak = nil
            try removeSite(address, isInternal: true)
            let known = Set(process.modules.modules.map(ObjectIdentifier.init))
            scanModules()
            // The startup libraries load here, as far as the debugger can see: `sxe ld:name`
            // for one of them (`sxe ld:libswiftCore`) stops now, in the initial breakpoint's place.
            let load = filters.filter("ld")!
            if load.action == .breakFirst, let module = process.modules.modules.first(where: { !known.contains(ObjectIdentifier($0)) && matches(load, $0.path) }) {
                process.current = thread
                return StopEvent(kind: .moduleLoad(module), thread: thread.tid)
            }
            guard entry.isInitialBreakpoint else { return nil }
            process.current = thread
            return StopEvent(kind: .initialBreakpoint, thread: thread.tid)
        }
        if address == process.loaderBreak {
            if let stop = moduleListChanged(thread) { return stop }
        }
        if let stop = try completedCall(at: address, thread) { return stop }
        // The handler of a signal delivered on this breakpoint returned onto it: same hit.
        var sameHit = false
        if let resumed = thread.resumedOnSite, resumed.address == address {
            thread.resumedOnSite = nil
            sameHit = try self.registers(thread).rsp == resumed.stackPointer
        }
        if !sameHit, let stop = try userBreakpointStop(breakpoints.filter { $0.hardware == nil && $0.locations.contains(address) }, thread) {
            return stop
        }
        if let plan, plan.sites.contains(address), plan.thread == nil || plan.thread == thread.tid || followsTask(plan) {
            let registers = try self.registers(thread)
            if plan.minimumSP.map({ reachedFrame(registers.rsp, minimumSP: $0) }) ?? true {
                process.current = thread
                return StopEvent(kind: .step, thread: thread.tid)
            }
        }
        return nil
    }

    /// The stop a hit on these breakpoints makes, if any: the first enabled one for this thread
    /// whose condition holds and whose passes are spent. Every candidate's condition and pass
    /// count is taken into account on every hit.
    func userBreakpointStop(_ candidates: [Breakpoint], _ thread: ThreadInfo) throws(EngineError) -> StopEvent? {
        var hit: Breakpoint?
        for breakpoint in candidates where breakpoint.enabled {
            if let only = breakpoint.thread, only != thread.tid { continue }
            if breakpoint.condition?.testedAfterPasses == true, breakpoint.remaining > 1 { breakpoint.remaining -= 1; continue }
            if let condition = breakpoint.condition {
                breakpoint.conditionError = nil
                do {
                    guard try condition.holds(in: FrameScope(session: self, thread: thread)) else {
                        // Its command string ran on this hit (and said gc): a one-shot one is used up.
                        if condition.testedAfterPasses, breakpoint.oneShot { try removeBreakpoint(breakpoint) }
                        continue
                    }
                } catch {
                    // A condition that cannot be evaluated stops, with the reason, rather than
                    // letting the program run past what the user wanted to see.
                    breakpoint.conditionError = error.description
                    if hit == nil { hit = breakpoint }
                    continue
                }
            }
            if breakpoint.condition?.testedAfterPasses != true, breakpoint.remaining > 1 { breakpoint.remaining -= 1; continue }
            if hit == nil { hit = breakpoint }
        }
        guard let hit else { return nil }
        if hit.oneShot { try removeBreakpoint(hit) }
        process?.current = thread
        return StopEvent(kind: .breakpoint(hit), thread: thread.tid)
    }

    /// A signal: break-in, swallowed SIGSTOPs, or an exception-like event under its filter.
    private func signalStop(_ signal: Int32, _ thread: ThreadInfo) throws(EngineError) -> StopEvent? {
        guard let process else { return nil }
        if signal == SIGSTOP, process.strayBreakStop {
            process.strayBreakStop = false
            return nil
        }
        // Ctrl-C reaches a program that holds the terminal as SIGINT; otherwise the
        // debugger's handler saw it and sent SIGSTOP.
        let typedInterrupt = signal == SIGINT && shareTerminal && process.launched
        let request = signal == SIGSTOP || signal == SIGINT ? BreakIn.takeRequest() : .none
        if typedInterrupt || request != .none {
            // The handler's SIGSTOP is still on its way when its SIGINT came first.
            process.strayBreakStop = request == .stoppedTarget && signal == SIGINT
            process.current = thread
            return StopEvent(kind: .breakIn, thread: thread.tid)
        }
        if signal == SIGSTOP {
            // Someone else stopped the program (kill -STOP): under ptrace it would only be
            // resumed again unseen, so report it; it is not delivered.
            process.current = thread
            return StopEvent(kind: .signal(SIGSTOP, firstChance: true, code: 0, faultAddress: nil), thread: thread.tid)
        }
        thread.signalToDeliver = signal
        guard let filter = filters.filter(forSignal: signal) else { return nil }
        let details = process.target.signalInfo(thread.tid)
        let first = StopEvent(kind: .signal(signal, firstChance: true, code: details?.code ?? 0, faultAddress: faultAddress(signal, details)), thread: thread.tid)
        switch filter.action {
        case .breakFirst:
            process.current = thread
            return first
        case .breakSecond, .output:
            onEvent(.reported(first))
            if let second = secondChanceStop(thread) { process.current = thread; return second }
            return nil
        case .ignore:
            return nil
        }
    }

    /// The second-chance stop for `thread`'s pending signal, if delivering it would kill.
    func secondChanceStop(_ thread: ThreadInfo) -> StopEvent? {
        guard let process else { return nil }
        let signal = thread.signalToDeliver
        guard signal != 0, !thread.secondChanceReported, defaultActionKills(signal),
              process.live.disposition(of: signal) == .byDefault,
              let filter = filters.filter(forSignal: signal), filter.action != .ignore else { return nil }
        thread.secondChanceReported = true
        let details = process.target.signalInfo(thread.tid)
        return StopEvent(kind: .signal(signal, firstChance: false, code: details?.code ?? 0, faultAddress: faultAddress(signal, details)), thread: thread.tid)
    }

    public func faultAddress(_ signal: Int32, _ details: SignalInfo?) -> UInt64? {
        guard [SIGSEGV, SIGBUS, SIGILL, SIGFPE].contains(signal), let details, details.code > 0 else { return nil }
        return details.address
    }
}
