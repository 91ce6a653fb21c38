import Engine

/// `q qd .detach .kill .restart .attach`: ending, leaving and restarting targets.
extension Interpreter {
    static let sessionCommands: [CommandSpec] = [
        CommandSpec(names: ["q"], summary: "quit (ends a launched or attached target)", takesArguments: false) { i, _ throws(CommandError) in
            i.session.kill()
            i.requestQuit()
        },
        CommandSpec(names: ["qd"], summary: "detach and quit", takesArguments: false) { i, _ throws(CommandError) in
            if i.session.process != nil { try i.engine { () throws(EngineError) in try i.session.detach() } }
            i.requestQuit()
        },
        CommandSpec(names: [".detach"], summary: "detach: restore every byte, let the process run on", takesArguments: false) { i, _ throws(CommandError) in
            let process = try i.requireProcess()
            try i.engine { () throws(EngineError) in try i.session.detach() }
            i.output.line(process.isLive ? "Detached from process \(process.pid)" : "Closed the target of process \(process.pid) (it does not run: nothing to detach)")
        },
        CommandSpec(names: [".kill"], summary: "end the process", takesArguments: false) { i, _ throws(CommandError) in
            let process = try i.requireProcess()
            i.session.kill()
            guard process.isLive else {
                // A dump, or a stub's process looked at: closed, nothing ended.
                return i.output.line("Closed the target of process \(process.pid) (it does not run: nothing to end)")
            }
            i.output.line("Terminated.  Exit thread and process events will occur.")
            i.output.line("Process \(process.pid) killed")
        },
        CommandSpec(names: [".restart"], summary: "start the program again (breakpoints are kept)") { i, _ throws(CommandError) in
            let stop = try i.engine { () throws(EngineError) in try i.session.restart() }
            i.reportStop(stop)
        },
        CommandSpec(names: [".attach"], summary: "attach to a process: .attach pid") { i, inv throws(CommandError) in
            let pid = try i.evaluate(inv.arguments.trimmed())
            let stop = try i.engine { () throws(EngineError) in try i.session.attach(pid: Int32(truncatingIfNeeded: pid)) }
            i.reportStop(stop)
        },
    ]

    /// Every command family, in the order `.help` lists them.
    static let allCommands: [CommandSpec] = executionCommands + traceCommands + breakpointCommands + eventCommands + registerCommands
        + memoryCommands + editCommands + expressionCommands + cppExpressionCommands + listCommands + disassemblyCommands + stackCommands
        + moduleCommands + dumpCommands + analyzeCommands + kernelCommands + sourceCommands + typeCommands + displayCommands + controlCommands + printfCommands + callCommands + sessionCommands
        + extensionCommands + addressCommands + heapCommands + scriptCommands + pythonFrameCommands + swiftCommands
}
