import Arch
import Engine

/// `g gc gh gn gu p t pa ta pc tc pt tt`: resuming the target, and the loop that runs
/// breakpoint commands until one of them leaves the target stopped.
extension Interpreter {
    static let executionCommands: [CommandSpec] = [
        CommandSpec(names: ["g"], summary: "go [=start] [end addresses]") { i, inv throws(CommandError) in try i.goCommand(inv, handled: nil) },
        CommandSpec(names: ["gc"], summary: "go from a conditional breakpoint, the way it was reached") { i, _ throws(CommandError) in try i.run(.resumeInterrupted) },
        CommandSpec(names: ["gh"], summary: "go, exception handled (the signal is swallowed)") { i, inv throws(CommandError) in try i.goCommand(inv, handled: true) },
        CommandSpec(names: ["gn"], summary: "go, exception not handled (the signal is delivered)") { i, inv throws(CommandError) in try i.goCommand(inv, handled: false) },
        CommandSpec(names: ["gu"], summary: "go up: run until the current function returns") { i, _ throws(CommandError) in try i.run(.stepOut) },
        CommandSpec(names: ["p"], summary: "step over [count]") { i, inv throws(CommandError) in try i.stepCommand(inv, .stepOver) },
        CommandSpec(names: ["t"], summary: "trace (step into) [count]") { i, inv throws(CommandError) in try i.stepCommand(inv, .stepInto) },
        CommandSpec(names: ["pa"], summary: "step over to address") { i, inv throws(CommandError) in try i.stepToAddress(inv, .stepOver) },
        CommandSpec(names: ["ta"], summary: "trace to address") { i, inv throws(CommandError) in try i.stepToAddress(inv, .stepInto) },
        CommandSpec(names: ["pc"], summary: "step over to the next call") { i, _ throws(CommandError) in try i.stepUntil(.stepOver) { $0.flow == .call } },
        CommandSpec(names: ["tc"], summary: "trace to the next call") { i, _ throws(CommandError) in try i.stepUntil(.stepInto) { $0.flow == .call } },
        CommandSpec(names: ["pt"], summary: "step over to the next return") { i, _ throws(CommandError) in try i.stepUntil(.stepOver) { $0.flow == .ret } },
        CommandSpec(names: ["tt"], summary: "trace to the next return") { i, _ throws(CommandError) in try i.stepUntil(.stepInto) { $0.flow == .ret } },
    ]

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

    private func stepCommand(_ invocation: Invocation, _ request: ResumeRequest) throws(CommandError) {
        var scanner = invocation.scanner
        let count = scanner.isAtEnd ? 1 : try expression(&scanner)
        if sourceStepping && !runningEmbedded {
            for _ in 0..<max(1, count) { try stepSourceLine(request) }
            return
        }
        for _ in 0..<max(1, count) {
            guard let stop = try resumeOnce(request) else { return }
            guard case .step = stop.kind else { return }
        }
    }

    private func stepToAddress(_ invocation: Invocation, _ request: ResumeRequest) throws(CommandError) {
        var scanner = invocation.scanner
        let target = try expression(&scanner)
        while true {
            guard let stop = try resumeOnce(request), case .step = stop.kind else { return }
            if try currentRegisters().rip == target { return }
        }
    }

    /// Steps silently until the next instruction satisfies `done`, then shows the state.
    private func stepUntil(_ request: ResumeRequest, _ done: (Instruction) -> Bool) throws(CommandError) {
        var first = true
        while true {
            let rip = try currentRegisters().rip
            if !first, let instruction = session.decode(at: rip), done(instruction) {
                reportStop(StopEvent(kind: .step, thread: session.process?.current?.tid ?? 0))
                return
            }
            first = false
            guard let stop = try resumeOnce(request, quiet: true) else { return }
            guard case .step = stop.kind else { return }
        }
    }

    /// Resumes and reports, running breakpoint commands; inside breakpoint commands it only
    /// records the request (the outer loop resumes, so 100,000 hits do not nest).
    func run(_ request: ResumeRequest) throws(CommandError) {
        _ = try resumeOnce(request)
    }

    /// One resume as the user sees it; returns the stop that ended it (nil inside embedded commands).
    @discardableResult
    func resumeOnce(_ request: ResumeRequest, quiet: Bool = false) throws(CommandError) -> StopEvent? {
        if runningEmbedded { deferredResume = request; return nil }
        _ = try requireProcess()
        var request = request
        while true {
            let stop: StopEvent
            do { stop = try session.resume(request) } catch { throw CommandError(error.description) }
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
            if quiet, case .step = stop.kind { return stop }
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
        case .breakpoint(let breakpoint): return breakpoint.commands
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
