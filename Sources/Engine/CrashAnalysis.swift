import Arch
import Glibc
import Targets

/// How a faulting instruction touched the address it faulted at.
public enum FaultAccess: String, Sendable {
    case read, write, execute

    /// WinDbg's Parameter[0] of an access violation.
    public var parameter: UInt64 {
        switch self {
        case .read: 0
        case .write: 1
        case .execute: 8
        }
    }
}

/// Why a process crashed, as `!analyze -v` explains it: the signal, the faulting instruction
/// and the address it touched, the class of problem, the frame to blame (the first outside the
/// system's libraries) and a bucket id that names the crash site without addresses, so the
/// same crash gets the same id in every run and under any ASLR slide.
public struct CrashAnalysis {
    /// The thread that took the signal.
    public let thread: ThreadID
    public let signal: SignalInfo
    /// Where the thread stood: the faulting instruction.
    public let instructionAddress: UInt64
    /// The memory the instruction faulted on, and how it touched it (access violations).
    public let accessAddress: UInt64?
    public let access: FaultAccess?
    /// WinDbg's PRIMARY_PROBLEM_CLASS (`NULL_POINTER_READ`, `STACK_OVERFLOW`, ...).
    public let problemClass: String
    /// The probable cause in a sentence.
    public let cause: String
    /// The message glibc left for abort (`__abort_msg`): the failed assertion, the heap check.
    public let abortMessage: String?
    /// The faulting thread's stack, inlined calls included (64 frames at most).
    public let frames: [StackFrame]
    /// The frame blamed and its module and function; nil when no frame has a symbol.
    public let blamedFrame: Int?
    public let blamedModule: String?
    public let blamedFunction: String?
}

extension Session {
    /// Analyses the last exception (a dump's fatal signal, or a live stop at a signal); nil
    /// when none was recorded.
    public func analyzeCrash() -> CrashAnalysis? {
        guard let process, let (tid, info) = lastException, let thread = process.thread(tid),
              let registers = try? registers(thread) else { return nil }
        let frames = stack(thread, maxFrames: 64)
        var access: FaultAccess?
        var address = faultAddress(info.signal, info)
        let instruction = decode(at: registers.rip)
        if info.signal == SIGSEGV || info.signal == SIGBUS {
            if info.code == 0x80, let computed = instruction?.memoryAccess?.address(registers) {
                address = computed  // a general protection fault: the kernel reports no address
            }
            access = faultAccess(rip: registers.rip, fault: address, instruction: instruction)
        }
        let message = abortMessage()
        let (problem, cause) = classify(info, address: address, access: access, registers: registers, frames: frames, message: message, instruction: instruction)
        let blamed = blamedFrame(frames)
        var module: String?, function: String?
        if let blamed {
            let frame = frames[blamed]
            let owner = process.modules.module(containing: frame.lookupAddress)
            module = owner?.name
            function = frame.inlined ?? owner?.symbol(at: frame.lookupAddress)?.symbol.name
        }
        return CrashAnalysis(thread: tid, signal: info, instructionAddress: registers.rip, accessAddress: address, access: access,
                             problemClass: problem, cause: cause, abortMessage: message, frames: frames,
                             blamedFrame: blamed, blamedModule: module, blamedFunction: function)
    }

    /// How the instruction at `rip` touched `fault`, from its decoding (siginfo does not say).
    public func faultAccess(rip: UInt64, fault: UInt64?, instruction: Instruction?) -> FaultAccess {
        if let fault, rip == fault { return .execute }
        // The pc outside every executable mapping: the jump there was the fault. (Code that is
        // only unreadable here, a dump's missing file, says nothing.)
        if instruction == nil, process?.target.memoryMap().contains(where: { $0.executable && $0.range.contains(rip) }) == false { return .execute }
        if let memory = instruction?.memoryAccess, memory.writes { return .write }
        // push and call write the stack without a memory operand of their own.
        if instruction?.mnemonic == "push" || instruction?.flow == .call { return .write }
        return .read
    }

    /// The first frame outside the system's libraries (the program's own code called into
    /// libc, which crashed or aborted for it); the first frame when all are system code.
    private func blamedFrame(_ frames: [StackFrame]) -> Int? {
        guard let process else { return nil }
        let system = ["/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"]
        let known = frames.indices.filter { process.modules.module(containing: frames[$0].lookupAddress) != nil }
        return known.first { index in
            let path = process.modules.module(containing: frames[index].lookupAddress)!.path
            return !system.contains { path.hasPrefix($0) }
        } ?? known.first
    }

    /// glibc's message for abort (`__abort_msg`, set by assert, malloc's checks and the stack
    /// protector before they abort): `struct abort_msg_s { unsigned size; char msg[]; }`.
    private func abortMessage() -> String? {
        guard let variable = resolveSymbol("libc!__abort_msg"), let pointer = readWord(variable), pointer != 0 else { return nil }
        let text = String(readString(pointer &+ 4, limit: 1024).trimmed())
        return text.isEmpty ? nil : text
    }

    private func classify(_ info: SignalInfo, address: UInt64?, access: FaultAccess?, registers: X86Registers, frames: [StackFrame],
                          message: String?, instruction: Instruction?) -> (String, String) {
        let functions = Set(frames.compactMap { frame in frame.inlined ?? process?.modules.module(containing: frame.lookupAddress)?.symbol(at: frame.lookupAddress)?.symbol.name })
        switch info.signal {
        case SIGSEGV, SIGBUS:
            let access = access ?? .read
            let verb = access == .execute ? "execute" : access == .write ? "write to" : "read from"
            let kind = access.rawValue.uppercased()
            guard let address else { return ("INVALID_POINTER_\(kind)", "The instruction made an invalid memory access (the kernel gave no address).") }
            let hex = "0x" + zeroPaddedHex(address, digits: 16)
            if isStackOverflow(address, registers.rsp) {
                return ("STACK_OVERFLOW", "Stack overflow: the thread ran out of stack (\(hex), next to the stack pointer 0x\(zeroPaddedHex(registers.rsp, digits: 16)), is past the stack's end); runaway recursion or a large local.")
            }
            if access == .execute {
                if address < 0x10000 { return ("NULL_POINTER_EXECUTE", "A call through a null function pointer: the program jumped to \(hex).") }
                return ("BAD_INSTRUCTION_PTR", "The program jumped to \(hex), which is not executable code: a corrupt function pointer or return address.")
            }
            if address == 0 { return ("NULL_POINTER_\(kind)", "A null pointer dereference: an attempt to \(verb) address 0.") }
            if address < 0x10000 { return ("NULL_CLASS_PTR_\(kind)", "A null pointer dereference: an attempt to \(verb) \(hex), a field at that offset from a null pointer.") }
            if info.code == 2 { return ("INVALID_POINTER_\(kind)", "An attempt to \(verb) \(hex), mapped without that permission (SEGV_ACCERR).") }
            if info.signal == SIGBUS { return ("BUS_ERROR_\(kind)", "A bus error at \(hex): \(info.code == 1 ? "a misaligned access" : "memory past the end of a mapped file, or a hardware error").") }
            return ("INVALID_POINTER_\(kind)", "A wild pointer: an attempt to \(verb) \(hex), which is not mapped.")
        case SIGABRT:
            if functions.contains("__stack_chk_fail") || message?.contains("stack smashing detected") == true {
                return ("STACK_BUFFER_OVERRUN", "Stack smashing: a local buffer was overrun and the stack protector's canary changed (__stack_chk_fail).")
            }
            if functions.contains("__assert_fail") || message?.hasPrefix("Assertion") == true || message?.contains(": Assertion `") == true {
                return ("ASSERTION_FAILURE", "An assertion failed" + (message.map { ": \($0)" } ?? "."))
            }
            if functions.contains("malloc_printerr") || Self.heapMessages.contains(where: { message?.contains($0) == true }) {
                return ("HEAP_CORRUPTION", "Heap corruption found by glibc's malloc" + (message.map { ": \($0)" } ?? "."))
            }
            if functions.contains("abort") { return ("APPLICATION_ABORT", "The program called abort()" + (message.map { ": \($0)" } ?? ".")) }
            return ("SIGNAL_SIGABRT", "SIGABRT was sent to the process from outside (si_code \(info.code)).")
        case SIGFPE:
            switch info.code {
            case 1: return ("DIVIDE_BY_ZERO", "An integer division by zero.")
            case 2: return ("INTEGER_OVERFLOW", "An integer overflow trap (the most negative number divided by -1, or INTO).")
            default: return ("FLOATING_POINT_FAULT", "A floating-point exception (si_code \(info.code)).")
            }
        case SIGILL:
            if let instruction, instruction.mnemonic == "ud2" {
                return ("ILLEGAL_INSTRUCTION", "The program executed ud2: __builtin_trap() or a trap the compiler inserted for undefined behaviour.")
            }
            return ("ILLEGAL_INSTRUCTION", "An illegal instruction: code the processor does not implement, or a jump into data.")
        case SIGTRAP:
            return ("BREAKPOINT", "A breakpoint trap (int3) with no debugger to take it.")
        default:
            let sender = info.code == 0 ? ", sent by kill()" : info.code == -6 ? ", sent by tkill() or raise()" : ""
            return ("SIGNAL_\(signalName(info.signal))", "The process received \(signalName(info.signal))\(sender), whose default action ends it.")
        }
    }

    private static let heapMessages = ["free(): ", "malloc(): ", "realloc(): ", "double free", "corrupted", "munmap_chunk()", "malloc_consolidate"]

    /// A fault near the stack pointer (a frame just pushed reaches both ways), outside every
    /// readable mapping: the guard gap below a stack that cannot grow further.
    private func isStackOverflow(_ address: UInt64, _ stackPointer: UInt64) -> Bool {
        let distance = address > stackPointer ? address - stackPointer : stackPointer - address
        guard let process, distance < 1 << 20 else { return false }
        return !process.target.memoryMap().contains { $0.readable && $0.range.contains(address) }
    }
}
