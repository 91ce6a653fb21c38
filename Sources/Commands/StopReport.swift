import Arch
import Engine
import Glibc

/// Printing a stop the way WinDbg does: the event line(s), the register block, and the
/// current instruction under its `module!symbol+0xoff:` label.
extension Interpreter {
    public func reportStop(_ stop: StopEvent) {
        frameIndex = 0
        lastUnassemble = nil  // `u` starts again at the new instruction
        let prefix = "(\(session.eventPrefix(stop.thread)))"
        switch stop.kind {
        case .initialBreakpoint, .programBreakpoint, .breakIn:
            output.line(paint("\(prefix): Break instruction exception - code 80000003 (first chance)", .event))
        case .breakpoint(let breakpoint):
            output.line(paint("Breakpoint \(breakpoint.id) hit", .event))
            if let error = breakpoint.conditionError {
                output.line(paint("Breakpoint \(breakpoint.id)'s condition could not be evaluated: \(error)", .error))
            }
        case .step:
            break
        case .signal(let signal, let firstChance, let code, let fault):
            output.line(paint("\(prefix): \(session.describe(stop.kind))", .event))
            if firstChance {
                output.line("First chance exceptions are reported before any exception handling.")
                output.line("This exception may be expected and handled.")
            }
            if let fault {
                output.line("Fault address: \(formatAddress(fault)) (\(faultCodeName(signal, code) ?? "si_code \(code)"))")
            }
        case .crash(let info):
            output.line(info.signal == SIGTRAP ? "This dump file has a breakpoint exception stored in it." : "This dump file has an exception of interest stored in it.")
            output.line("The stored exception information can be accessed via .ecxr.")
            output.line(paint("\(prefix): \(session.describe(stop.kind))", .event))
            if let fault = session.faultAddress(info.signal, info) {
                output.line("Fault address: \(formatAddress(fault)) (\(faultCodeName(info.signal, info.code) ?? "si_code \(info.code)"))")
            }
        case .moduleLoad(let module):
            output.line("\(prefix): Load module \(module.path) at \(formatAddress(module.start))")
        case .moduleUnload(let path):
            output.line("\(prefix): Unload module \(path)")
        case .threadCreated, .threadExited, .processExit, .processCreated:
            output.line("\(prefix): \(session.describe(stop.kind))")
        case .processGone(let status):
            output.line("Process \(String(session.process?.pid ?? 0, radix: 16)) exited, \(session.goneDescription(status))")
            return
        case .callReturned(let result):
            reportCallResult(result)
            return
        }
        showCurrentState()
    }

    /// The register block and the current instruction (what `r` prints), as far as
    /// `.prompt_allow` lets each part show.
    func showCurrentState(everything: Bool = false) {
        guard let registers = try? session.registers() else { return }
        let saved = promptShows
        if everything { promptShows = Set(PromptPart.allCases) }
        defer { promptShows = saved }
        if promptShows.contains(.registers) { output.line(formatRegisterBlock(registers)) }
        if promptShows.contains(.source) { showSourceLine(at: registers.rip) }
        showInstruction(at: registers.rip)
    }

    /// `module!symbol+0xoff [file @ line]:` then the instruction line.
    func showInstruction(at address: UInt64) {
        if promptShows.contains(.symbol), let name = session.symbolize(address) {
            output.line(paint(name, .symbol) + paint(sourceText(address), .source) + ":")
        }
        guard promptShows.contains(.disassembly) else { return }
        if let instruction = session.decode(at: address) {
            output.line(instructionLine(instruction, current: true) + effectiveAddress(of: instruction))
        } else {
            output.line("\(paint(formatAddress(address), .address)) ??              ???")
        }
    }

    /// ` ss:00007fff`ffffe2cc=00000000`: where the current instruction reads or writes memory,
    /// and what is there, as WinDbg ends the line (`.prompt_allow -ea` leaves it out). Not for
    /// an area larger than a vector register (`fxsave`'s 512 bytes): no value to show.
    func effectiveAddress(of instruction: Instruction) -> String {
        guard promptShows.contains(.effectiveAddress), let access = instruction.memoryAccess, (1...64).contains(access.size),
              let registers = try? session.registers(), let address = access.address(registers) else { return "" }
        let bytes = session.readMemory(address, count: access.size)
        let value: String
        if bytes.count < access.size {
            value = String(repeating: "?", count: min(access.size, 8) * 2)
        } else if access.size == 8 {
            value = formatAddress(bytes.littleEndian(at: 0))
        } else {
            value = hexDigits(bytes.reversed())
        }
        return " \(access.segment):\(formatAddress(address))=\(value)"
    }

    /// A disassembly line with its address coloured, the whole line bright for the current one.
    func instructionLine(_ instruction: Instruction, current: Bool = false) -> String {
        let text = session.formatInstruction(instruction)
        guard output.colors else { return text }
        let split = text.index(text.startIndex, offsetBy: min(17, text.count))
        let rest = String(text[split...])
        return paint(String(text[..<split]), .address) + (current ? paint(rest, .current) : rest)
    }

    /// si_code in words: why the kernel sent a fault signal, or who sent any signal.
    func faultCodeName(_ signal: Int32, _ code: Int32) -> String? {
        switch (signal, code) {
        case (_, 0): return "SI_USER: sent by kill()"
        case (_, 0x80): return "SI_KERNEL: sent by the kernel"
        case (_, -1): return "SI_QUEUE: sent by sigqueue()"
        case (_, -6): return "SI_TKILL: sent by tkill() or raise()"
        case (SIGSEGV, 1): return "SEGV_MAPERR: address not mapped"
        case (SIGSEGV, 2): return "SEGV_ACCERR: invalid permissions"
        case (SIGSEGV, 3): return "SEGV_BNDERR: failed address bound checks"
        case (SIGSEGV, 4): return "SEGV_PKUERR: protection key denied access"
        case (SIGBUS, 1): return "BUS_ADRALN: invalid address alignment"
        case (SIGBUS, 2): return "BUS_ADRERR: nonexistent physical address"
        case (SIGBUS, 3): return "BUS_OBJERR: object-specific hardware error"
        case (SIGFPE, 1): return "FPE_INTDIV: integer divide by zero"
        case (SIGFPE, 2): return "FPE_INTOVF: integer overflow"
        case (SIGFPE, 3): return "FPE_FLTDIV: floating-point divide by zero"
        case (SIGILL, 1): return "ILL_ILLOPC: illegal opcode"
        case (SIGILL, 2): return "ILL_ILLOPN: illegal operand"
        case (SIGILL, 4): return "ILL_ILLTRP: illegal trap"
        case (SIGILL, 5): return "ILL_PRVOPC: privileged opcode"
        case (SIGTRAP, 1): return "TRAP_BRKPT: process breakpoint"
        case (SIGTRAP, 2): return "TRAP_TRACE: process trace trap"
        default: return nil
        }
    }
}

extension Interpreter {
    /// ` [file @ line]` for an address with line information, as WinDbg appends it; for a
    /// return address (`callSite`) the line of the call, which ends just before it.
    func sourceText(_ address: UInt64, callSite: Bool = false) -> String {
        guard let source = session.sourceLine(at: callSite ? address &- 1 : address) else { return "" }
        return " [\(source.file) @ \(source.line)]"
    }
}

/// What each stop shows (`.prompt_allow`): WinDbg's `reg`, `dis`, `sym`, `src`, `ea`.
enum PromptPart: String, CaseIterable {
    case symbol = "sym", disassembly = "dis", effectiveAddress = "ea", registers = "reg", source = "src"

    var description: String {
        switch self {
        case .symbol: "Symbol for current instruction"
        case .disassembly: "Disassembly of current instruction"
        case .effectiveAddress: "Effective address for current instruction"
        case .registers: "Register state"
        case .source: "Source info for current instruction"
        }
    }
}
