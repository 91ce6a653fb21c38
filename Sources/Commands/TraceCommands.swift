import Arch
import Engine
import Symbols

/// `wt`: trace and watch data — a function's call tree with exact instruction counts, in
/// WinDbg's report (book listing 30-9).
extension Interpreter {
    static let traceCommands: [CommandSpec] = [
        CommandSpec(names: ["wt"], summary: "trace and watch data: a call tree with instruction counts") { i, inv throws(CommandError) in try i.traceCommand(inv) },
    ]

    /// How `wt` shows its trace.
    struct TraceDisplay {
        var calls = true
        var summary = true
        var untracedEntries = true
        var callSites = false
        var returnValues = false
        var typedReturnValues = false
    }

    private func traceCommand(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var scanner = invocation.scanner
        var options = TraceOptions()
        var display = TraceDisplay()
        while scanner.rest.first == "-" {
            guard let option = scanner.word() else { break }
            switch option {
            case "-l":
                guard let depth = scanner.word() else { throw CommandError("wt -l takes a depth") }
                options.maximumDepth = Int(min(try evaluate(depth), 0xffff))
            case "-m", "-i":
                guard let module = scanner.word() else { throw CommandError("wt \(option) takes a module name") }
                if option == "-m" { options.modules.append(String(module)) } else { options.ignoredModules.append(String(module)) }
            case "-ni": display.untracedEntries = false
            case "-nc": display.calls = false
            case "-ns": display.summary = false
            case "-nw": break  // wt gives no warnings while it traces
            case "-oa": display.callSites = true
            case "-or": display.returnValues = true
            case "-oR": display.typedReturnValues = true
            default: throw CommandError("Unknown wt option '\(option)'")
            }
        }
        if scanner.accept("=") {
            let start = try expression(&scanner)
            var registers = try currentRegisters()
            registers.rip = start
            try engine { () throws(EngineError) in try session.setRegisters(registers) }
        }
        if !scanner.isAtEnd { options.endAddress = try expression(&scanner) }
        if !scanner.isAtEnd { throw CommandError("       ^ Syntax error in 'wt\(invocation.arguments)'") }
        let trace = CallTrace()
        var announced = false
        trace.onLine = { [unowned self] line in
            if !announced { announce(trace); announced = true }
            guard display.calls, !line.untraced || display.untracedEntries else { return }
            output.line(traceLineText(line, display))
        }
        activeTrace = (trace, display)
        try run(.trace(trace, options))
    }

    private func announce(_ trace: CallTrace) {
        output.line("Tracing \(trace.function) to return address \(formatAddress(trace.endAddress))")
    }

    /// `   51     0 [  1]   nt!IopXxxControlFile`: own instructions, callees', depth, name.
    private func traceLineText(_ line: TraceLine, _ display: TraceDisplay) -> String {
        var text = String(line.instructions).leftPadded(to: 5) + " " + String(line.calleeInstructions).leftPadded(to: 5)
            + " [" + String(line.depth).leftPadded(to: 3) + "] " + String(repeating: " ", count: 2 * line.depth) + line.function
        if line.untraced { text += " (not traced)" }
        if display.callSites, let site = line.callSite { text += " (called from \(formatAddress(site)))" }
        if let value = line.returnValue {
            if display.typedReturnValues, let typed = typedReturnValue(value, of: line.functionStart) {
                text += " rax = \(typed)"
            } else if display.returnValues || display.typedReturnValues {
                text += " rax = \(String(value, radix: radix))"
            }
        }
        return text
    }

    /// A return value as its function's DWARF return type shows it.
    private func typedReturnValue(_ value: UInt64, of function: UInt64?) -> String? {
        guard let function, let module = session.process?.modules.module(containing: function), let files = module.symbolFiles,
              let type = files.returnType(ofFunctionAt: function &- module.bias),
              [.signed, .unsigned, .boolean, .character, .pointer, .enumeration].contains(type.kind) else { return nil }
        let bytes = [UInt8](littleEndian: value, size: max(1, min(type.size, 8)))
        return formatValue(VariableValue(name: "", type: type, bytes: bytes, location: .register("@rax"), isParameter: false), files: files)
    }

    /// After a resume during `wt`: the summary once the trace arrived, a note when something
    /// interrupted it (`gc` goes on with it).
    func reportTrace(_ stop: StopEvent) {
        guard let (trace, display) = activeTrace else { return }
        if trace.function.isEmpty {
            activeTrace = nil  // not at a function's start: wt was a step
            return
        }
        guard trace.finished else {
            output.line("wt: interrupted after \(trace.instructions) instructions; gc goes on with the trace")
            return
        }
        activeTrace = nil
        if trace.instructions == 0 && trace.events == 0 { announce(trace) }
        guard display.summary else { output.line(); return }
        output.line()
        output.line("\(trace.instructions) instructions were executed in \(trace.events) events (\(trace.otherThreadEvents) from other threads)")
        if let trips = trace.roundTrips {
            let hundredths = trace.instructions > 0 ? UInt64(trips) * 100 / trace.instructions : 0
            let each = trace.instructions > 0 ? "\(hundredths / 100).\(String(hundredths % 100).leftPadded(to: 2, with: "0"))" : "-"
            output.line("\(trips) round trips to the stub (\(each) per instruction) in \(trace.milliseconds) ms")
        }
        output.line()
        output.line("Function Name".padding(to: 44) + "Invocations MinInst MaxInst AvgInst")
        for (name, figures) in trace.functions.sorted(by: { $0.key.lowercased() < $1.key.lowercased() }) {
            output.line(name.padding(to: 44) + String(figures.invocations).leftPadded(to: 11) + " " + String(figures.minimum).leftPadded(to: 7)
                        + " " + String(figures.maximum).leftPadded(to: 7) + " " + String(figures.average).leftPadded(to: 7))
        }
        output.line()
        let calls = trace.systemCalls.values.reduce(0, +)
        output.line(calls == 1 ? "1 system call was executed" : "\(calls) system calls were executed")
        if calls > 0 {
            output.line()
            output.line("Calls  System Call")
            let named = trace.systemCalls.map { (name: SystemCalls.name($0.key) ?? "syscall \($0.key)", count: $0.value) }
            for call in named.sorted(by: { $0.name < $1.name }) {
                output.line(String(call.count).leftPadded(to: 5) + "  " + call.name)
            }
        }
        output.line()
    }
}
