import Arch
import Glibc
import Targets

/// The debug event loop: resume the threads that may run, wait for an event, interpret it,
/// apply the event filters, and either continue silently or stop every thread and report.
extension Session {
    /// Resumes the target as `request` asks and returns the next stop worth reporting. With
    /// `onlyThread` (`~2 g`, `~2 p`) that thread alone runs, the others stay frozen.
    public func resume(_ request: ResumeRequest, onlyThread: ThreadInfo? = nil) throws(EngineError) -> StopEvent {
        let process = try requireLive()
        guard !process.gone else { throw EngineError.noRunnableDebuggees }
        onEvent(.willResume)
        let thread = onlyThread ?? process.current!
        if let stop = pendingBreakIn(thread) { record(stop); return stop }
        BreakIn.setRoute(process.live.breakInRoute)
        process.live.handTerminal(toTarget: true)
        exclusiveThread = onlyThread?.tid
        defer {
            BreakIn.setRoute(.none)
            process.live.handTerminal(toTarget: false)
            exclusiveThread = nil
        }
        let resumedThread = request.isResumeInterrupted ? process.threads.first(where: { !$0.plans.isEmpty }) : nil
        if resumedThread == nil { discardPlans() }
        if breakpoints.contains(where: \.yieldedProbes) { regainProbes() }
        applyHandling(request, to: thread)
        if let second = secondChanceStop(thread) { record(second); return second }
        let stop: StopEvent
        switch request {
        case .go(_, let until):
            stop = until.isEmpty ? try run() : try execute(RunToSitesPlan(until), on: thread)
        case .resumeInterrupted:
            if let resumedThread { stop = try drive(resumedThread) } else { stop = try run() }
        case .step(let step):
            let single: ThreadPlan = step.byLine ? SourceLinePlan(over: step.over) : InstructionPlan(over: step.over)
            stop = try execute(step.count > 1 || step.until != nil ? RepeatedStepPlan(step) : single, on: thread)
        case .stepOut:
            stop = try execute(try RunToSitesPlan(returnOf: thread, in: self), on: thread)
        case .stepUntil(let flows, let over):
            stop = try execute(StepUntilPlan(flows: flows, over: over), on: thread)
        case .trace(let trace, let options):
            let plan: ThreadPlan = TracePlan.canStart(self, thread, options: options) ? TracePlan(trace: trace, options: options, session: self) : InstructionPlan(over: true)
            stop = try execute(plan, on: thread)
        }
        record(stop)
        return stop
    }

    /// A Ctrl-C since the last run (typed while commands ran, or during the last step): the
    /// run does not start, the stop is the break-in. A SIGSTOP the handler sent the target
    /// is still on its way; it is swallowed when it comes.
    private func pendingBreakIn(_ thread: ThreadInfo) -> StopEvent? {
        guard let process else { return nil }
        switch BreakIn.takeRequest() {
        case .none: return nil
        case .stoppedTarget: process.strayBreakStop = true
        case .requested, .interruptSent: break
        }
        process.current = thread
        return StopEvent(kind: .breakIn, thread: thread.tid)
    }

    /// `gh` swallows the signal the thread stopped with, `gn` passes it on, `g` passes it
    /// unless it was a breakpoint-like stop (a program's own int3 is handled by the debugger
    /// unless `gn` passes it, as WinDbg treats a breakpoint exception).
    private func applyHandling(_ request: ResumeRequest, to thread: ThreadInfo) {
        if case .go(let handled?, _) = request {
            if handled { thread.signalToDeliver = 0 }
        } else if thread.signalIsBreakpoint {
            thread.signalToDeliver = 0
        }
        thread.signalIsBreakpoint = false
    }

    /// The signal the thread gets when it runs next, 0 for none, whatever it stopped with: a
    /// gdb client names the signal of each resume itself (`vCont;C0a:tid`, or `c` for none).
    /// No second-chance stop comes before it: the client chose to deliver it.
    public func setSignal(_ signal: Int32, of thread: ThreadInfo) {
        thread.signalToDeliver = signal
        thread.signalIsBreakpoint = false
        thread.secondChanceReported = signal != 0
    }

    /// Puts a plan on the thread's (empty) plan stack and drives it.
    private func execute(_ plan: ThreadPlan, on thread: ThreadInfo) throws(EngineError) -> StopEvent {
        thread.plans = [plan]
        thread.interruptedStep = nil
        return try drive(thread)
    }

    /// Runs the steps the thread's plans ask for, the top plan first, until the stack is
    /// empty (a `.step` stop) or something interrupts it: the stack stays, with the step under
    /// way, for `gc`, which takes that step again and goes on.
    private func drive(_ thread: ThreadInfo) throws(EngineError) -> StopEvent {
        guard let process else { throw EngineError.noTarget }
        var next = try completedRetry(thread)
        thread.interruptedStep = nil
        var first = true
        // Where the last run ended: in a kernel, the task may have moved to another CPU.
        var arrivedOn = thread
        do {
            while let plan = thread.plans.last {
                if next == nil { next = try plan.nextStep(self, thread) }
                guard let step = next else {
                    plan.finish(self)
                    thread.plans.removeLast()
                    continue
                }
                next = nil
                switch step {
                case .push(let subplan):
                    thread.plans.append(subplan)
                    continue
                case .report(let event):
                    interrupt(thread, nil, by: event)
                    return event
                case .instruction, .run:
                    break
                }
                if !first, let stop = pendingBreakIn(thread) {
                    interrupt(thread, step, by: stop)
                    return stop
                }
                first = false
                let stop = if case .run(let target) = step { try runWithPlan(target) } else { try stepInstruction(thread) }
                guard stop.isStep else {
                    if process.gone { discardPlans() } else { interrupt(thread, step, by: stop) }
                    return stop
                }
                arrivedOn = process.thread(stop.thread) ?? thread
            }
        } catch {
            discardPlans()
            throw error
        }
        process.current = arrivedOn
        return StopEvent(kind: .step, thread: arrivedOn.tid)
    }

    /// The interrupted step `gc` takes again; nil where the thread already stands where that
    /// step was going (a breakpoint on the very address a run was to end at).
    private func completedRetry(_ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        guard let step = thread.interruptedStep else { return nil }
        guard case .run(let target) = step else { return step }
        let registers = try self.registers(thread)
        let arrived = target.sites.contains(registers.rip) && (target.thread == nil || target.thread == thread.tid || followsTask(target))
            && (target.minimumSP.map { reachedFrame(registers.rsp, minimumSP: $0) } ?? true)
        return arrived ? nil : step
    }

    /// Keeps an interrupted plan stack for `gc`.
    private func interrupt(_ thread: ThreadInfo, _ step: PlanStep?, by stop: StopEvent) {
        thread.plans.last?.interrupted(by: stop)
        thread.interruptedStep = thread.plans.last?.retriesInterruptedStep == true ? step : nil
    }

    /// Drops every thread's plans (a new command that resumes, the process's end): what they
    /// planted goes.
    func discardPlans() {
        guard let process else { return }
        for thread in process.threads {
            for plan in thread.plans.reversed() { plan.finish(self) }
            thread.plans = []
            thread.interruptedStep = nil
        }
        for plan in process.orphanedPlans.reversed() { plan.finish(self) }
        process.orphanedPlans = []
    }

    /// Shows one of several steps to the front end, with the thread's stop recorded as any
    /// other (so the next step goes on over a breakpoint it stands on).
    func reportIntermediateStep(_ thread: ThreadInfo) {
        guard let process, let onIntermediateStep else { return }
        let stop = StopEvent(kind: .step, thread: thread.tid)
        process.current = thread
        record(stop)
        process.live.handTerminal(toTarget: false)
        onIntermediateStep(stop)
        process.live.handTerminal(toTarget: true)
    }

    private func runWithPlan(_ newPlan: RunPlan) throws(EngineError) -> StopEvent {
        var planted: [UInt64] = []
        let others = exclusiveThread
        if newPlan.exclusive { exclusiveThread = newPlan.thread }
        defer {
            plan = nil
            exclusiveThread = others
            for address in planted { try? removeSite(address, isInternal: true) }
        }
        for address in newPlan.sites {
            try insertSite(address, isInternal: true)
            planted.append(address)
        }
        plan = newPlan
        return try run()
    }

    /// Single-steps one thread while the others stay stopped.
    private func stepInstruction(_ thread: ThreadInfo) throws(EngineError) -> StopEvent {
        guard let process else { throw EngineError.noTarget }
        let start = try registers(thread).rip
        var faultedBeforeRunning = false
        var retries = 0
        while true {
            let event = try singleStep(thread)
            switch event {
            case .trap, .breakpointTrap:
                if retries < 3, try stepDidNotRun(thread, from: start) {
                    retries += 1
                    continue
                }
                return StopEvent(kind: .step, thread: thread.tid)
            case .hardwareTrap:
                // The step also made a debug-register hit (a write it did): the hit reports.
                if let stop = try handle(event, thread) {
                    try stopAll()
                    return stop
                }
                // An execute breakpoint not taken (its condition false, passes left) fires
                // before the instruction runs: the step has not moved yet. The kernel set the
                // resume flag, so stepping again runs the instruction.
                if !faultedBeforeRunning, try registers(thread).rip == start {
                    faultedBeforeRunning = true
                    continue
                }
                return StopEvent(kind: .step, thread: thread.tid)
            default:
                if consumeExpectedStop(event, thread) { continue }
                if let stop = try handle(event, thread) {
                    try stopAll()
                    return stop
                }
                if process.gone { return StopEvent(kind: .processGone(status: lastExitStatus), thread: thread.tid) }
                if thread.signalToDeliver != 0 {
                    // A signal the filters let through: its handler runs to completion back
                    // to this instruction, then the step is made again.
                    let registers = try self.registers(thread)
                    let back = try runWithPlan(RunPlan(sites: [registers.rip], thread: thread.tid, minimumSP: registers.rsp))
                    guard case .step = back.kind else { return back }
                }
            }
        }
    }

    /// One single step of `thread` with any breakpoint at its pc lifted for the step.
    func singleStep(_ thread: ThreadInfo) throws(EngineError) -> ThreadEvent {
        guard let process else { throw EngineError.noTarget }
        let registers = try self.registers(thread)
        let site = process.sites[registers.rip]
        if let site { try? process.live.removeSoftwareBreakpoint(at: registers.rip, original: site.originalByte) }
        defer { if site != nil, process.sites[registers.rip] != nil, !process.gone { _ = try? process.live.insertSoftwareBreakpoint(at: registers.rip) } }
        let signal = thread.signalToDeliver
        thread.signalToDeliver = 0
        thread.secondChanceReported = false
        thread.singleStepping = true
        defer { thread.singleStepping = false }
        try resumeThread(thread, singleStep: true, signal: signal)
        thread.running = true
        while true {
            let (tid, event) = try nextEvent()
            if tid == thread.tid { return event }
            // Another thread (a new clone child) reported; keep its event for later.
            if let other = process.thread(tid) { other.pending = event }
        }
    }

    /// Waits for the next target event and interprets it for its thread.
    func nextEvent() throws(EngineError) -> (ThreadID, ThreadEvent) {
        while true {
            let (tid, event) = try interpretedEvent()
            // A child running in this address space gets its own handling, unseen, except
            // while the engine itself steps it.
            guard let helper = process?.helper(tid), !helper.singleStepping else { return (tid, event) }
            try handleSharingChild(event, helper)
        }
    }

    private func interpretedEvent() throws(EngineError) -> (ThreadID, ThreadEvent) {
        guard let process else { throw EngineError.noTarget }
        let raw: TargetEvent
        do { raw = try process.live.waitForEvent() } catch { throw EngineError.target(error.description) }
        switch raw {
        case .threadGone(let tid, let code, let signal):
            return (tid, .gone(exitCode: code, signal: signal))
        case .stopped(let tid, let reason):
            // A new thread can report its first stop (a SIGSTOP) before its creator's clone event.
            guard let thread = process.thread(tid) ?? process.helper(tid) ?? process.adoptThread(tid, running: false) else {
                throw EngineError.lostThread(tid)
            }
            threadStops += 1
            thread.running = false
            thread.cachedRegisters = nil
            translateOutOfLine(thread)
            switch reason {
            case .threadCreated(let child): return (tid, .created(child))
            case .forked(let child, let sharesMemory): return (tid, .forked(child: child, sharesMemory: sharesMemory))
            case .vforkDone: return (tid, .vforkDone)
            case .exec: return (tid, .exec)
            case .exiting(let status): return (tid, .exiting(status))
            case .requested: return (tid, .requestedStop)
            case .started: return (tid, .created(tid))
            case .probeHit(let hit): return (tid, .kernelHit(hit))
            case .signal(let signal) where signal == SIGTRAP:
                return (tid, try trapEvent(thread))
            case .signal(let signal):
                return (tid, .signal(signal))
            }
        }
    }

    /// A SIGTRAP: one of the debugger's int3s (rip rewound to it), a step, a debug-register hit.
    private func trapEvent(_ thread: ThreadInfo) throws(EngineError) -> ThreadEvent {
        guard let process else { throw EngineError.noTarget }
        guard !thread.singleStepping, thread.liftedSite == nil else { return hardwareOrStepTrap(thread) }
        let backsUp = process.live.capabilities.stopsAtBreakpointAddress
        if let registers = try? self.registers(thread), process.sites[backsUp ? registers.rip : registers.rip &- 1] != nil,
           (process.debugSlots.isEmpty && !backsUp) || process.live.trapCause(thread.tid) == .breakpointInstruction {
            var rewound = registers
            if !backsUp {
                rewound.rip &-= 1
                // Written back lazily: an emulated step-over replaces this write.
                stage(rewound, thread)
            }
            thread.trappedAt = rewound.rip
            return .breakpointTrap(rewound.rip)
        }
        // A child sharing the memory that trapped on an int3 removed before its stop was
        // taken: it goes back to the instruction the int3 covered.
        if process.helper(thread.tid) != nil, process.live.trapCause(thread.tid) == .breakpointInstruction, var registers = try? self.registers(thread) {
            registers.rip &-= 1
            stage(registers, thread)
            return .trap
        }
        return hardwareOrStepTrap(thread)
    }

    /// A SIGTRAP that is not one of our int3s: a debug exception of armed debug registers, or
    /// a single step (or the program's own int3).
    private func hardwareOrStepTrap(_ thread: ThreadInfo) -> ThreadEvent {
        guard let process, !process.debugSlots.isEmpty, case .debugException(let fired) = process.live.trapCause(thread.tid) else { return .trap }
        let hits = process.debugSlots.fired(UInt64(fired))
        return hits.isEmpty ? .trap : .hardwareTrap(hits)
    }

    /// The loop proper. Returns with every thread stopped.
    func run() throws(EngineError) -> StopEvent {
        guard let process else { throw EngineError.noTarget }
        while true {
            // An event a thread reported while the others were being stopped, reported now
            // unless the thread is frozen (it is kept until the thread may run).
            if let thread = process.threads.first(where: { $0.pending != nil && isAllowedToRun($0) }), let event = thread.pending {
                thread.pending = nil
                if let stop = try handle(event, thread) { try stopAll(); return stop }
                if process.gone { return StopEvent(kind: .processGone(status: lastExitStatus), thread: thread.tid) }
                continue
            }
            try resumeStoppedThreads()
            // A step over a breakpoint can itself end in an event: report it before waiting.
            if process.threads.contains(where: { $0.pending != nil && isAllowedToRun($0) }) { continue }
            if process.threads.allSatisfy({ !$0.running }) {
                throw EngineError.noThreadCanRun
            }
            let (tid, event) = try nextEvent()
            guard let thread = process.thread(tid) else { continue }
            if let own = plan?.thread, own != tid { otherThreadEvents += 1 }
            if let stop = try handle(event, thread) {
                try stopAll()
                return stop
            }
            if process.gone { return StopEvent(kind: .processGone(status: lastExitStatus), thread: tid) }
        }
    }

    /// Whether this resume lets the thread run at all.
    func isAllowedToRun(_ thread: ThreadInfo) -> Bool { thread.runsOnResume(only: exclusiveThread) }

    /// Whether resuming the process resumes this thread: allowed to run and not running yet.
    func mayRun(_ thread: ThreadInfo) -> Bool { !thread.running && isAllowedToRun(thread) }

    /// Resumes every stopped thread that may run. A thread standing on one of our int3s
    /// executes the instruction under it first: the debugger does it (a prologue push, a
    /// branch), or the thread runs a copy out of line; only where neither can be done is it
    /// single-stepped, alone with every other thread stopped, so no thread passes a lifted
    /// breakpoint unseen.
    private func resumeStoppedThreads() throws(EngineError) {
        guard let process else { return }
        var needsStep: [ThreadInfo] = []
        var syscallSteps: [ThreadInfo] = []
        for thread in process.threads {
            guard mayRun(thread), thread.pending == nil, let registers = try? self.registers(thread),
                  let site = process.sites[registers.rip], standsOnSite(thread, registers), !emulate(site, thread),
                  !emulateBranch(site, thread), !(try resumeOutOfLine(thread, site: registers.rip)) else { continue }
            if thread.signalToDeliver != 0 {
                // Deliver the signal with the int3 in place; the handler returns onto it.
                thread.resumedOnSite = (registers.rip, registers.rsp)
            } else if site.isSystemCall && process.threads.count > 1 {
                syscallSteps.append(thread)
            } else {
                needsStep.append(thread)
            }
        }
        if !needsStep.isEmpty && process.threads.contains(where: { $0.running }) {
            try stopAll()
        }
        for thread in needsStep where thread.pending == nil && !thread.running {
            try stepOverSite(thread)
        }
        for thread in process.threads where mayRun(thread) && thread.pending == nil && !syscallSteps.contains(where: { $0 === thread }) {
            let signal = thread.signalToDeliver
            thread.signalToDeliver = 0
            thread.secondChanceReported = false
            do { try resumeThread(thread, singleStep: false, signal: signal) } catch {
                // The thread may have vanished between the event and the resume.
                if process.target.listThreads().contains(thread.tid) { throw EngineError.target(error.description) }
                process.removeThread(thread.tid)
                continue
            }
            thread.running = true
        }
        // A system call may wait for another thread (a futex, a pipe): it is stepped with the
        // others running. The price: another thread passing this very instruction meanwhile
        // is not seen (stepping it out of line would close that gap).
        for thread in syscallSteps where thread.pending == nil {
            try stepOverSite(thread)
            if thread.pending == nil, mayRun(thread) {
                try resumeThread(thread, singleStep: false, signal: 0)
                thread.running = true
            }
        }
    }

    /// Whether resuming a thread at a site must execute the instruction under the int3 first:
    /// it trapped there, or it is the thread the user resumes from where it stopped (as gdb
    /// does). A thread that only stopped with rip there (in a system call the kernel restarts
    /// on resume), or was moved there (`.call`, `r rip=`), runs on and traps.
    private func standsOnSite(_ thread: ThreadInfo, _ registers: X86Registers) -> Bool {
        if thread.trappedAt == registers.rip { return true }
        guard thread === process?.current, thread.reportedAt == registers.rip else { return false }
        return !isRestartingSystemCall(registers)
    }

    /// Stopped inside a system call that the kernel restarts when the thread resumes (rip is
    /// backed up to the `syscall` instruction then).
    func isRestartingSystemCall(_ registers: X86Registers) -> Bool {
        // -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK in rax.
        let restarting = [512, 513, 514, 516].map { UInt64(bitPattern: -Int64($0)) }
        return Int64(bitPattern: registers.value(named: "orig_rax") ?? UInt64.max) >= 0 && restarting.contains(registers.rax)
    }

    /// A jump, call or return under the int3, executed by the debugger; false when it must
    /// run (a signal waits to be delivered there, or `executeBranch` cannot do it).
    func emulateBranch(_ site: SoftwareSite, _ thread: ThreadInfo) -> Bool {
        guard let branch = site.branch, thread.signalToDeliver == 0 else { return false }
        return executeBranch(branch, thread)
    }

    /// Single-steps a thread off the int3 it sits on; anything but the step's trap (a fault
    /// of the stepped instruction, an exit) is kept to go through the filters.
    private func stepOverSite(_ thread: ThreadInfo) throws(EngineError) {
        stepsOverBreakpoints += 1
        var event = try singleStep(thread)
        while consumeExpectedStop(event, thread) { event = try singleStep(thread) }
        if case .trap = event { return }
        thread.pending = event
    }

    /// The stop the engine asked for: nothing happened to the thread; true when it was one.
    func consumeExpectedStop(_ event: ThreadEvent, _ thread: ThreadInfo) -> Bool {
        if case .requestedStop = event { return true }
        return false
    }

    /// Writes back staged registers, then lets the thread run or step.
    func resumeThread(_ thread: ThreadInfo, singleStep: Bool, signal: Int32) throws(EngineError) {
        guard let process else { return }
        try flushRegisters(thread)
        if thread.kernelHitAt != nil { settleKernelHit(thread, try registers(thread)) }
        thread.trappedAt = nil
        thread.cachedRegisters = nil
        do { try process.live.resume(thread.tid, singleStep: singleStep, signal: signal) } catch { throw EngineError.target(error.description) }
    }

    func flushRegisters(_ thread: ThreadInfo) throws(EngineError) {
        guard thread.registersDirty, let registers = thread.cachedRegisters, let process else { return }
        do { try process.live.setRegisters(registers, thread.tid) } catch { throw EngineError.target(error.description) }
        thread.registersDirty = false
    }

    /// Stops every running thread and waits until each has stopped; events that arrive
    /// meanwhile are kept as pending and reported on a later resume.
    func stopAll() throws(EngineError) {
        guard let process else { return }
        for thread in process.threads where thread.running && !thread.exiting {
            do { try process.live.requestStop(thread.tid) } catch {
                // Already gone: its exit is reported by wait, not by a stop.
                thread.running = false
            }
        }
        while process.threads.contains(where: { $0.running && !$0.exiting }) {
            let (tid, event) = try nextEvent()
            guard let thread = process.thread(tid) else { continue }
            if consumeExpectedStop(event, thread) { continue }
            switch event {
            case .gone:
                _ = try handle(event, thread)
            case .created(let child):
                // Known at once (so it is waited for), reported later with the parent's event.
                process.adoptThread(child, running: true)
                thread.pending = event
            default:
                thread.pending = event
            }
        }
    }

    /// Lets every stop the debugger asked for arrive before detaching, so none stops the
    /// process after the debugger is gone.
    func drainExpectedStops() throws(EngineError) {
        guard let process else { return }
        for thread in process.threads where process.live.hasOutstandingStop(thread.tid) && !thread.running {
            try? resumeThread(thread, singleStep: false, signal: 0)
            thread.running = true
        }
        while process.threads.contains(where: { $0.running && !$0.exiting }) {
            let (tid, event) = try nextEvent()
            guard let thread = process.thread(tid) else { continue }
            if case .gone = event {
                process.removeThread(tid)
                continue
            }
            switch event {
            case .created(let child):
                process.adoptThread(child, running: true)
            case .forked:
                _ = try handle(event, thread)  // the child is let go as on any fork
            case .signal(let signal) where thread.signalToDeliver == 0:
                thread.signalToDeliver = signal  // passed on at the detach
            default:
                break
            }
            // Keep going until the stop the debugger asked for has been taken.
            if process.live.hasOutstandingStop(thread.tid) {
                try? resumeThread(thread, singleStep: false, signal: 0)
                thread.running = true
            }
        }
    }
}
