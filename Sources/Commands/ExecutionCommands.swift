import Arch
import Engine

/// `g gc gh gn gu p t pa ta pc tc pt tt ph th`: resuming the target, and the loop that runs
/// breakpoint commands until one of them leaves the target stopped.
extension Interpreter {
    static let executionCommands: [CommandSpec] = [
        CommandSpec(names: ["g"], summary: "go [=start] [end addresses]") { i, inv throws(CommandError) in try i.goCommand(inv, handled: nil) },
        CommandSpec(names: ["gc"], summary: "go from a conditional breakpoint, the way it was reached", takesArguments: false) { i, _ throws(CommandError) in try i.run(.resumeInterrupted) },
        CommandSpec(names: ["gh"], summary: "go, exception handled (the signal is swallowed)") { i, inv throws(CommandError) in try i.goCommand(inv, handled: true) },
        CommandSpec(names: ["gn"], summary: "go, exception not handled (the signal is delivered)") { i, inv throws(CommandError) in try i.goCommand(inv, handled: false) },
        CommandSpec(names: ["gu"], summary: "go up: run until the current function returns", takesArguments: false) { i, _ throws(CommandError) in try i.run(.stepOut) },
        CommandSpec(names: ["p"], summary: "step over [count]") { i, inv throws(CommandError) in try i.stepCommand(inv, over: true) },
        CommandSpec(names: ["t"], summary: "trace (step into) [count]") { i, inv throws(CommandError) in try i.stepCommand(inv, over: false) },
        CommandSpec(names: ["pa"], summary: "step over to address") { i, inv throws(CommandError) in try i.stepToAddress(inv, over: true) },
        CommandSpec(names: ["ta"], summary: "trace to address") { i, inv throws(CommandError) in try i.stepToAddress(inv, over: false) },
        CommandSpec(names: ["pc"], summary: "step over to the next call") { i, _ throws(CommandError) in try i.run(.stepUntil([.call], over: true)) },
        CommandSpec(names: ["tc"], summary: "trace to the next call") { i, _ throws(CommandError) in try i.run(.stepUntil([.call], over: false)) },
        CommandSpec(names: ["pt"], summary: "step over to the next return") { i, _ throws(CommandError) in try i.run(.stepUntil([.ret], over: true)) },
        CommandSpec(names: ["tt"], summary: "trace to the next return") { i, _ throws(CommandError) in try i.run(.stepUntil([.ret], over: false)) },
        CommandSpec(names: ["ph"], summary: "step over to the next branch instruction") { i, _ throws(CommandError) in try i.run(.stepUntil(Interpreter.branches, over: true)) },
        CommandSpec(names: ["th"], summary: "trace to the next branch instruction") { i, _ throws(CommandError) in try i.run(.stepUntil(Interpreter.branches, over: false)) },
    ]

    /// What `ph`/`th` stop at: any instruction that may transfer control.
    static let branches: Set<ControlFlow> = [.call, .ret, .jump, .conditionalJump, .syscall, .interrupt]

    private func goCommand(_ invocation: Invocation, handled: Bool?) throws(CommandError) {
        var scanner = invocation.scanner
        if scanner.accept("=") {
            let start = try expression(&scanner)
            var registers = try currentRegisters()
            registers.rip = start
            do { try session.setRegisters(registers) } catch { throw CommandError(error.description) }
        }
        var until: [UInt64] = []
        while !scanner.isAtEnd { until.append(try expression(&scanner)) }
        try run(.go(handled: handled, until: until))
    }

    /// `p [count]`, `t [count]`: each step reported; in source mode (`l+t`) by source line.
    private func stepCommand(_ invocation: Invocation, over: Bool) throws(CommandError) {
        var scanner = invocation.scanner
        let count = scanner.isAtEnd ? 1 : try expression(&scanner)
        try run(.step(StepRequest(over: over, byLine: sourceStepping && !runningEmbedded, count: max(1, count))))
    }

    /// `pa addr`, `ta addr`: instruction steps, each reported, until the thread is at `addr`.
    private func stepToAddress(_ invocation: Invocation, over: Bool) throws(CommandError) {
        var scanner = invocation.scanner
        let target = try expression(&scanner)
        try run(.step(StepRequest(over: over, until: target)))
    }

    /// Resumes and reports, running breakpoint commands; inside breakpoint commands it only
    /// records the request (the outer loop resumes, so 100,000 hits do not nest).
    func run(_ request: ResumeRequest) throws(CommandError) {
        _ = try resumeOnce(request)
    }

    /// One resume as the user sees it; returns the stop that ended it (nil inside embedded commands).
    @discardableResult
    func resumeOnce(_ request: ResumeRequest) throws(CommandError) -> StopEvent? {
        if runningEmbedded { deferredResume = request; return nil }
        let process = try requireProcess()
        var request = request
        let frozen = process.threads.filter { !$0.runsOnResume(only: runOnlyThread?.tid) }.count
        let total = process.threads.count
        if frozen > 0 { output.line("System 0: \(frozen) of \(total) threads are frozen") }
        defer {
            if frozen > 0, let process = session.process, !process.gone { output.line("System 0: \(frozen) of \(total) threads were frozen") }
        }
        if case .resumeInterrupted = request {} else if case .trace = request {} else { activeTrace = nil }
        session.onIntermediateStep = { [unowned self] in reportStop($0) }
        defer { session.onIntermediateStep = nil }
        while true {
            let stop: StopEvent
            do { stop = try engine { () throws(EngineError) in try session.resume(request, onlyThread: runOnlyThread) } } catch { activeTrace = nil; throw error }
            reportTrace(stop)
            if let commands = embeddedCommands(for: stop) {
                output.setPendingHeader(header(for: stop))
                if let next = runEmbedded(commands) {
                    output.discardPendingHeader()
                    request = next
                    continue
                }
                if output.hasPendingHeader {
                    output.discardPendingHeader()
                    reportStop(stop)
                } else {
                    showCurrentState()
                }
                return stop
            }
            reportStop(stop)
            return stop
        }
    }

    private func header(for stop: StopEvent) -> String {
        if case .breakpoint(let breakpoint) = stop.kind { return "Breakpoint \(breakpoint.id) hit" }
        return session.describe(stop.kind)
    }

    /// The command string a stop carries: the breakpoint's, or the event filter's (`sxe -c`).
    private func embeddedCommands(for stop: StopEvent) -> String? {
        switch stop.kind {
        case .breakpoint(let breakpoint): return breakpoint.action
        case .signal(let signal, true, _, _): return session.filters.filter(forSignal: signal)?.commands
        case .programBreakpoint: return session.filters.filter("bpe")?.commands
        case .moduleLoad: return session.filters.filter("ld")?.commands
        case .moduleUnload: return session.filters.filter("ud")?.commands
        case .threadCreated: return session.filters.filter("ct")?.commands
        case .threadExited: return session.filters.filter("et")?.commands
        case .processExit: return session.filters.filter("epr")?.commands
        default: return nil
        }
    }

    /// Runs a command string as a breakpoint's commands; returns the resume it asked for.
    func runEmbedded(_ commands: String) -> ResumeRequest? {
        let saved = (runningEmbedded, deferredResume)
        runningEmbedded = true
        deferredResume = nil
        defer { (runningEmbedded, deferredResume) = saved }
        do { try executeLine(Substring(commands)) } catch { output.line(paint(error.description, .error)) }
        return deferredResume
    }
}
