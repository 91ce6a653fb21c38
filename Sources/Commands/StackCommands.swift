import Arch
import Engine
import Symbols

/// `k kb kn kv .frame`: call stacks in WinDbg's x64 layout.
extension Interpreter {
    static let stackCommands: [CommandSpec] = [
        CommandSpec(names: ["k", "kb", "kn", "kv", "kp", "kP"], summary: "stack backtrace: k [count], kb stack arguments, kp/kP parameters (DWARF)") { i, inv throws(CommandError) in
            try i.stackCommand(inv)
        },
        CommandSpec(names: [".frame"], summary: "show or set the current frame: .frame [n]") { i, inv throws(CommandError) in try i.frameCommand(inv) },
        CommandSpec(names: ["dv"], summary: "display the current frame's parameters and locals: dv [/t] [/v] [/i] [pattern]") { i, inv throws(CommandError) in try i.displayVariables(inv) },
    ]

    /// `k` with WinDbg's option letters, alone or combined (`kb`, `kv`, `kp`, `kP`, `kbn`,
    /// `kpn`): b arguments, v also how each frame was found, p/P parameters, n frame numbers
    /// (always shown, as recent WinDbg does).
    private func stackCommand(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var flags = Set(invocation.name.dropFirst())
        var arguments = invocation.arguments
        while let letter = arguments.first, Interpreter.stackOptionLetters.contains(letter) {
            flags.insert(letter)
            arguments = arguments.dropFirst()
        }
        var scanner = ArgumentScanner(arguments)
        let count = scanner.isAtEnd ? 256 : Int(min(try expression(&scanner), 0xffff))
        for (position, thread) in try selectedThreads(invocation.threads, defaultAll: false).enumerated() {
            if invocation.threads != nil && invocation.threads?.isMulti == true {
                if position > 0 { output.line() }
                output.line(threadLine(thread))
            }
            printStack(thread, count: count, withArguments: flags.contains("b") || flags.contains("v"), showMethod: flags.contains("v"),
                       parameters: flags.contains("P") ? .oneLineEach : flags.contains("p") ? .inline : .none)
        }
    }

    static let stackOptionLetters: Set<Character> = ["b", "v", "p", "P", "n"]

    /// How `kp` (inline) and `kP` (a line each) show a frame's parameters.
    enum ParameterStyle { case none, inline, oneLineEach }

    /// `kv` adds how each frame was found (WinDbg shows FPO data there).
    func printStack(_ thread: ThreadInfo, count: Int, withArguments: Bool, showMethod: Bool, parameters: ParameterStyle = .none) {
        let frames = session.stack(thread, maxFrames: count)
        var header = " # Child-SP          RetAddr           "
        if withArguments { header += ": Args to Child                                                           : " }
        output.line(header + "Call Site")
        // Frames found without unwind information (by the frame-pointer chain or the return
        // address on top of the stack) are guesses, and WinDbg says so where they start.
        let firstGuess = frames.firstIndex { $0.method == .framePointer || $0.method == .stackTop }
        for (index, frame) in frames.enumerated() {
            if index == firstGuess { output.line("WARNING: Stack unwind information not available. Following frames may be wrong.") }
            let line = frameLine(frame, of: thread, withArguments: withArguments, parameters: parameters)
            output.line(showMethod ? "\(line) (\(frame.method.text))" : line)
        }
    }

    /// One `k` line; an inlined call's frame shares its machine frame's stack, so it shows
    /// `(Inline Function)` where the stack pointer and return address would be.
    func frameLine(_ frame: StackFrame, of thread: ThreadInfo, withArguments: Bool, parameters: ParameterStyle = .none) -> String {
        var line = zeroPaddedHex(UInt64(frame.number), digits: 2) + " "
        if frame.inlined != nil {
            line += "(Inline Function) --------`-------- "
        } else {
            line += "\(paint(formatAddress(frame.sp), .address)) \(paint(formatAddress(frame.returnAddress), .address)) "
        }
        if withArguments {
            let words = frame.inlined == nil ? session.readMemory(frame.sp &+ 8, count: 32) : []
            let args = (0..<4).map { n -> String in
                guard words.count >= (n + 1) * 8 else { return "????????`????????" }
                return formatAddress(words.littleEndian(at: n * 8))
            }
            line += ": " + args.joined(separator: " ") + " : "
        } else {
            line += "   "
        }
        var site: String
        if let inlined = frame.inlined {
            let module = session.process?.modules.module(containing: frame.pc)
            site = module.map { "\($0.name)!\(inlined)" } ?? inlined
        } else {
            site = session.symbolize(frame.pc, callSite: frame.isReturnAddress) ?? "0x" + String(frame.pc, radix: 16)
        }
        if parameters != .none, let (_, values) = session.parameters(of: frame, in: thread) {
            // `module!function(int value = 0n5)+0x4`, as WinDbg's kp prints it.
            let files = session.process?.modules.module(containing: frame.lookupAddress)?.symbolFiles
            let list = values.map { "\($0.type.cName) \($0.name) = \(formatValue($0, files: files))" }
            let text = parameters == .inline ? list.joined(separator: ", ") : list.map { "\n\t\t\t" + $0 }.joined(separator: ",")
            let split = site.firstRange(of: "+0x")
            let name = split.map { String(site[..<$0.lowerBound]) } ?? site
            site = name + "(" + text + ")" + (split.map { String(site[$0.lowerBound...]) } ?? "")
        }
        if let callSite = frame.callSite {
            return line + paint(site, .symbol) + (session.lineNumbers ? paint(" [\(callSite.file) @ \(callSite.line)]", .source) : "")
        }
        return line + paint(site, .symbol) + paint(sourceText(frame.pc, callSite: frame.isReturnAddress), .source)
    }

    /// `dv`: parameters and locals of the `.frame` frame, names right-aligned as WinDbg does;
    /// `/t` adds types, `/v` where each lives, `/i` parameter or local.
    private func displayVariables(_ invocation: Invocation) throws(CommandError) {
        let words = invocation.arguments.split(separator: " ")
        let flags = Set(words.filter { $0.hasPrefix("/") }.map { $0.lowercased() })
        // `dv name` / `dv na*`: only the variables whose names match.
        let pattern = words.first { !$0.hasPrefix("/") }.map(String.init) ?? "*"
        let (values, files) = try selectedFrameVariables()
        let width = max(15, values.map(\.name.count).max() ?? 0)
        for value in values where wildcardMatch(pattern, value.name) {
            var line = ""
            if flags.contains("/i") { line += value.isParameter ? "prv param  " : "prv local  " }
            if flags.contains("/v") { line += locationText(value.location).padding(to: 18) + " " }
            if flags.contains("/t") { line += value.type.cName + " " + value.name } else { line += value.name.leftPadded(to: width) }
            output.line(line + " = " + formatValue(value, files: files))
        }
    }

    /// The parameters and locals of the `.frame` frame, and the symbols of its module.
    func selectedFrameVariables() throws(CommandError) -> (values: [VariableValue], files: ModuleSymbols?) {
        let process = try requireProcess()
        return try engine { () throws(EngineError) in try session.frameVariables(of: process.current, frame: frameIndex) }
    }

    private func locationText(_ location: VariableLocation?) -> String {
        switch location {
        case .register(let name): name
        case .memory(let address): formatAddress(address)
        case .computed: "<computed>"
        case nil: "<unavailable>"
        }
    }

    private func frameCommand(_ invocation: Invocation) throws(CommandError) {
        let process = try requireProcess()
        var scanner = invocation.scanner
        if !scanner.isAtEnd {
            let requested = try expression(&scanner)
            let frames = session.stack(process.current, maxFrames: 256)
            guard requested < UInt64(frames.count) else {
                throw CommandError("Frame out of range: the stack has \(frames.count) frames")
            }
            frameIndex = Int(requested)
        }
        let frames = session.stack(process.current, maxFrames: frameIndex + 1)
        guard frameIndex < frames.count else { throw CommandError("Frame out of range: the stack has \(frames.count) frames") }
        output.line(frameLine(frames[frameIndex], of: process.current, withArguments: false))
    }
}

extension StackFrame.Method {
    var text: String {
        switch self {
        case .context: "registers"
        case .cfi: "CFI"
        case .framePointer: "frame pointer"
        case .stackTop: "return address on the stack"
        }
    }
}
