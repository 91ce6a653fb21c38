import Arch
import Engine
import Glibc

/// `!analyze [-v]`: WinDbg's crash analysis over the engine's `CrashAnalysis`, in its layout.
extension Interpreter {
    static let analyzeCommands: [CommandSpec] = [
        CommandSpec(names: ["!analyze"], summary: "explain the last exception: !analyze [-v]") { i, inv throws(CommandError) in
            let argument = inv.arguments.trimmed()
            guard argument.isEmpty || argument == "-v" else { throw CommandError("Usage: !analyze [-v]") }
            try i.analyze(verbose: argument == "-v")
        },
    ]

    func analyze(verbose: Bool) throws(CommandError) {
        let process = try requireProcess()
        guard let analysis = session.analyzeCrash(), let thread = process.thread(analysis.thread) else {
            throw CommandError("!analyze: no exception to analyze (no signal has stopped or ended the target)")
        }
        let stars = String(repeating: "*", count: 79)
        let blank = "*" + String(repeating: " ", count: 77) + "*"
        output.line(stars)
        output.line(blank)
        output.line("*" + "Exception Analysis".padding(to: 53).leftPadded(to: 77) + "*")
        output.line(blank)
        output.line(stars)
        output.line("")
        guard verbose else {
            output.line("Use !analyze -v to get detailed debugging information.")
            output.line("")
            output.line("PROBABLE_CAUSE:  \(analysis.cause)")
            output.line("FAILURE_BUCKET_ID:  \(analysis.bucketID)")
            return
        }
        output.line("FAULTING_IP:")
        let rip = analysis.instructionAddress
        output.line((session.symbolize(rip) ?? formatAddress(rip)) + sourceText(rip))
        if let instruction = session.decode(at: rip) {
            output.line(instructionLine(instruction, current: false))
        } else {
            output.line("\(formatAddress(rip)) ??              ???")
        }
        output.line("")
        output.line("EXCEPTION_RECORD:  (.exr -1)")
        try showExceptionRecord()
        output.line("")
        output.line("PROCESS_NAME:  \(process.target.executablePath.split(separator: "/").last.map(String.init) ?? "")")
        let exception = Session.exception(analysis.signal.signal, code: analysis.signal.code)
        let code = zeroPaddedHex(UInt64(exception.code), digits: 8)
        output.line("ERROR_CODE: (NTSTATUS) 0x\(code) - \(errorText(analysis, exception.name))")
        output.line("EXCEPTION_CODE_STR:  \(code)")
        output.line("SIGNAL:  \(signalName(analysis.signal.signal)) (0n\(analysis.signal.signal)), si_code \(analysis.signal.code)"
            + (faultCodeName(analysis.signal.signal, analysis.signal.code).map { " (\($0))" } ?? ""))
        if let address = analysis.accessAddress, let access = analysis.access {
            output.line("\(access.rawValue.uppercased())_ADDRESS:  \(formatAddress(address))")
        }
        if let message = analysis.abortMessage { output.line("ABORT_MESSAGE:  \(message)") }
        output.line("FAULTING_THREAD:  \(zeroPaddedHex(UInt64(UInt32(bitPattern: analysis.thread)), digits: 8))")
        output.line("PRIMARY_PROBLEM_CLASS:  \(analysis.problemClass)")
        output.line("PROBABLE_CAUSE:  \(analysis.cause)")
        output.line("")
        output.line("STACK_TEXT:")
        for frame in analysis.frames { output.line(frameLine(frame, of: thread, withArguments: false)) }
        output.line("")
        if let index = analysis.blamedFrame {
            let frame = analysis.frames[index]
            if let line = session.sourceLine(at: frame.lookupAddress) {
                output.line("FAULTING_SOURCE_FILE:  \(line.file)")
                output.line("FAULTING_SOURCE_LINE_NUMBER:  \(line.line)")
            }
            let symbol = session.symbolize(frame.pc, callSite: frame.isReturnAddress) ?? formatAddress(frame.pc)
            output.line("SYMBOL_NAME:  \(symbol)")
            if let module = session.process?.modules.module(containing: frame.lookupAddress) {
                output.line("MODULE_NAME:  \(module.name)")
                output.line("IMAGE_NAME:  \(module.path.split(separator: "/").last.map(String.init) ?? module.path)")
            }
            output.line("STACK_COMMAND:  ~\(thread.index)s; .frame \(index); k")
        }
        output.line("FAILURE_BUCKET_ID:  \(analysis.bucketID)")
        output.line("")
    }

    /// ERROR_CODE's sentence, WinDbg's for an access violation.
    private func errorText(_ analysis: CrashAnalysis, _ name: String) -> String {
        guard let address = analysis.accessAddress, let access = analysis.access else { return name }
        let what = access == .execute ? "executed" : access == .write ? "written" : "read"
        return "The instruction at 0x\(zeroPaddedHex(analysis.instructionAddress, digits: 16)) referenced memory at 0x\(zeroPaddedHex(address, digits: 16)). The memory could not be \(what)."
    }
}

extension CrashAnalysis {
    /// `NULL_POINTER_READ_c0000005_crash!read_through`: the class, the exception code and the
    /// function to blame.
    public var bucketID: String {
        let code = zeroPaddedHex(UInt64(Session.exception(signal.signal, code: signal.code).code), digits: 8)
        let site = blamedFunction.map { "\(blamedModule ?? "unknown")!\($0)" } ?? blamedModule ?? "unknown"
        return "\(problemClass)_\(code)_\(site)"
    }
}
