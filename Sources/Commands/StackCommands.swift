import Arch
import Engine

/// `k kb kn kv .frame`: call stacks in WinDbg's x64 layout.
extension Interpreter {
    static let stackCommands: [CommandSpec] = [
        CommandSpec(names: ["k", "kb", "kn", "kv"], summary: "stack backtrace: k [count], kb with stack arguments, kn with frame numbers") { i, inv throws(CommandError) in
            try i.stackCommand(inv)
        },
        CommandSpec(names: [".frame"], summary: "show or set the current frame: .frame [n]") { i, inv throws(CommandError) in try i.frameCommand(inv) },
    ]

    private func stackCommand(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var scanner = invocation.scanner
        let count = scanner.isAtEnd ? 256 : Int(min(try expression(&scanner), 0xffff))
        for (position, thread) in try selectedThreads(invocation.threads, defaultAll: false).enumerated() {
            if invocation.threads != nil && invocation.threads?.isMulti == true {
                if position > 0 { output.line() }
                output.line(threadLine(thread))
            }
            printStack(thread, count: count, withArguments: invocation.name == "kb" || invocation.name == "kv", showMethod: invocation.name == "kv")
        }
    }

    /// `kv` adds how each frame was found (WinDbg shows FPO data there).
    func printStack(_ thread: ThreadInfo, count: Int, withArguments: Bool, showMethod: Bool) {
        let frames = session.unwind(thread, maxFrames: count)
        var header = " # Child-SP          RetAddr           "
        if withArguments { header += ": Args to Child                                                           : " }
        output.line(header + "Call Site")
        for frame in frames {
            let line = frameLine(frame, withArguments: withArguments)
            output.line(showMethod ? "\(line) (\(frame.method.text))" : line)
        }
    }

    func frameLine(_ frame: StackFrame, withArguments: Bool) -> String {
        var line = "\(zeroPaddedHex(UInt64(frame.number), digits: 2)) \(formatAddress(frame.sp)) \(formatAddress(frame.returnAddress)) "
        if withArguments {
            let words = session.readMemory(frame.sp &+ 8, count: 32)
            let args = (0..<4).map { n -> String in
                guard words.count >= (n + 1) * 8 else { return "????????`????????" }
                return formatAddress(words.littleEndian(at: n * 8))
            }
            line += ": " + args.joined(separator: " ") + " : "
        } else {
            line += "   "
        }
        return line + (session.symbolize(frame.pc) ?? formatAddress(frame.pc)) + sourceText(frame.pc, callSite: frame.number > 0)
    }

    private func frameCommand(_ invocation: Invocation) throws(CommandError) {
        let process = try requireProcess()
        var scanner = invocation.scanner
        if !scanner.isAtEnd {
            let requested = try expression(&scanner)
            let frames = session.unwind(process.current, maxFrames: 256)
            guard requested < UInt64(frames.count) else {
                throw CommandError("Frame out of range: the stack has \(frames.count) frames")
            }
            frameIndex = Int(requested)
        }
        let frames = session.unwind(process.current, maxFrames: frameIndex + 1)
        guard frameIndex < frames.count else { throw CommandError("Frame out of range: the stack has \(frames.count) frames") }
        output.line(frameLine(frames[frameIndex], withArguments: false))
    }
}

extension StackFrame.Method {
    var text: String {
        switch self {
        case .context: "registers"
        case .cfi: "CFI"
        case .framePointer: "frame pointer"
        }
    }
}
