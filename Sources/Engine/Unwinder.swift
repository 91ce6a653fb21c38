import Arch
import Symbols

/// One frame of a call stack: where it executes and its stack pointer (WinDbg's Child-SP).
public struct StackFrame {
    public var number: Int
    public let pc: UInt64
    public let sp: UInt64
    /// The frame's return address (the caller's pc), 0 for the outermost frame.
    public var returnAddress: UInt64 = 0
    /// How this frame was found: CFI, frame-pointer chain, or the registers (frame 0).
    public let method: Method
    /// The registers known in this frame (DWARF numbering); beyond frame 0 only those the
    /// unwind recovered (callee-saved ones, rsp, rip).
    public let registers: [Int: UInt64]
    /// The canonical frame address (the caller's stack pointer), once the caller is known.
    public var cfa: UInt64?
    /// The frame's place among the machine frames: 0 where the thread stopped; beyond it the
    /// pc is a return address, looked up inside the call before it.
    public let physicalIndex: Int
    /// Set for a frame of an inlined call (it shares the pc and sp of the machine frame it
    /// was inlined into): the function inlined, and how many inlined calls lie below it.
    public var inlined: String?
    public var inlineDepth = 0
    /// The line this frame is at when it is not the pc's: the call of the inlined function
    /// in the frame below.
    public var callSite: SourceLine?
    /// The frame is the signal trampoline (`__restore_rt`) a handler returns into: its pc is
    /// where the handler returns, not after a call.
    public internal(set) var isSignalTrampoline = false
    /// The frame a signal interrupted: its pc is the interrupted instruction itself.
    public internal(set) var wasInterrupted = false

    /// Whether the pc is a return address, pointing after the call the frame is in.
    public var isReturnAddress: Bool { physicalIndex > 0 && !isSignalTrampoline && !wasInterrupted }

    /// The address to look symbols and lines up at: inside the call for a return address.
    public var lookupAddress: UInt64 { isReturnAddress ? pc &- 1 : pc }

    /// `context`: frame 0, from the registers; `cfi`: unwound with `.eh_frame`/`.debug_frame`;
    /// `framePointer`: found by following the rbp chain where no CFI covered the callee;
    /// `stackTop`: the return address on top of the stack (frame 0 without CFI or pushes).
    public enum Method: Sendable { case context, cfi, framePointer, stackTop }
}

/// Stack unwinding: CFI (`.eh_frame`/`.debug_frame` through libdw) where a module has it,
/// the rbp chain where it does not, and sanity checks so a corrupt stack ends the walk
/// instead of looping.
extension Session {
    public func unwind(_ thread: ThreadInfo, maxFrames: Int = 256) -> [StackFrame] {
        guard let process, let start = try? registers(thread) else { return [] }
        var registers: [Int: UInt64] = [:]
        for number in 0...16 { registers[number] = start.value(dwarf: number) }
        var frames: [StackFrame] = []
        var method = StackFrame.Method.context
        var isSignalFrame = false
        // Frame 0 may stand at address 0 (a call through a null function pointer); beyond it
        // a zero return address ends the stack.
        while frames.count < maxFrames, let pc = registers[DwarfRegister.returnAddress], let sp = registers[DwarfRegister.stackPointer], pc != 0 || frames.isEmpty {
            var frame = StackFrame(number: frames.count, pc: pc, sp: sp, method: method, registers: registers, physicalIndex: frames.count)
            frame.wasInterrupted = isSignalFrame
            frames.append(frame)
            // A return address points after the call; look the caller up inside the call.
            let lookup = frames.count == 1 || isSignalFrame ? pc : pc &- 1
            var next: [Int: UInt64]?
            var intoUserMode = false
            if let kernel = process.kernel, let module = process.modules.module(containing: lookup),
               let (orc, slide) = module.name == "nt" ? kernel.image.orc.map({ ($0, kernel.slide) }) : kernel.moduleOrc[module.start].map({ ($0, UInt64(0)) }) {
                // The kernel and its modules: ORC. After a pt_regs frame the pc is where it was
                // interrupted, and from the system call entry the frame below is the user program's.
                guard let step = orcStep(orc, slide: slide, lookup: lookup, registers: registers) else { break }
                next = step.caller
                isSignalFrame = step.exactNext
                intoUserMode = step.exactNext && (step.caller[DwarfRegister.returnAddress] ?? 0) < 0x8000_0000_0000_0000
                method = .cfi
            } else if let module = process.modules.module(containing: lookup), let cfi = module.symbolFiles?.callFrameInfo,
               let step = cfi.unwind(lookupAddress: lookup &- module.bias, registers: registers, readMemory: readWord) {
                next = step.caller
                isSignalFrame = step.isSignalFrame
                frames[frames.count - 1].isSignalTrampoline = step.isSignalFrame
                method = .cfi
            } else if frames.count == 1, let ret = readWord(sp), followsCall(ret), isCode(ret) {
                // Stopped where no CFI reaches (glibc's clone3 after its syscall) and nothing
                // pushed yet: the return address is on top of the stack if a call precedes it.
                next = registers
                next?[DwarfRegister.stackPointer] = sp &+ 8
                next?[DwarfRegister.returnAddress] = ret
                isSignalFrame = false
                method = .stackTop
            } else if let rbp = registers[DwarfRegister.framePointer], rbp >= sp, let savedRbp = readWord(rbp), let ret = readWord(rbp &+ 8) {
                next = registers
                next?[DwarfRegister.framePointer] = savedRbp
                next?[DwarfRegister.stackPointer] = rbp &+ 16
                next?[DwarfRegister.returnAddress] = ret
                isSignalFrame = false
                method = .framePointer
            }
            guard let caller = next, let callerPC = caller[DwarfRegister.returnAddress], let callerSP = caller[DwarfRegister.stackPointer] else { break }
            // The stack grows down: a caller's frame is above its callee's (signal frames aside).
            if !intoUserMode && (callerSP < sp || (callerSP == sp && callerPC == pc)) { break }
            frames[frames.count - 1].returnAddress = callerPC
            frames[frames.count - 1].cfa = callerSP
            registers = caller
        }
        return frames
    }
}

extension Session {
    /// Whether the bytes before `address` end with a call instruction (`call rel32`, or
    /// `call r/m64` in its 2-, 3-, 6- and 7-byte forms): a real return address.
    func followsCall(_ address: UInt64) -> Bool {
        guard address > 7 else { return false }
        let bytes = readMemory(address - 7, count: 7)
        guard bytes.count == 7 else { return false }
        if bytes[2] == 0xe8 { return true }
        for length in [2, 3, 6, 7] where bytes[7 - length] == 0xff && (bytes[8 - length] >> 3) & 7 == 2 { return true }
        return false
    }

    /// Whether an address lies in a module's code.
    func isCode(_ address: UInt64) -> Bool {
        guard let module = process?.modules.module(containing: address) else { return false }
        return module.symbol(at: address) != nil
    }

    /// The call stack as `k` shows it: each machine frame preceded by a frame for every
    /// inlined call its pc is in (WinDbg's `(Inline Function)` lines), numbered together.
    public func stack(_ thread: ThreadInfo, maxFrames: Int = 256) -> [StackFrame] {
        var result: [StackFrame] = []
        for frame in unwind(thread, maxFrames: maxFrames) {
            let module = process?.modules.module(containing: frame.lookupAddress)
            let calls = module.flatMap { $0.symbolFiles?.inlinedCalls(at: frame.lookupAddress &- $0.bias) } ?? []
            var below: SourceLine?
            for (depth, call) in calls.enumerated() {
                var inline = frame
                inline.inlined = call.function
                inline.inlineDepth = depth
                inline.callSite = below
                result.append(inline)
                below = call.callSite
            }
            var machine = frame
            machine.inlineDepth = calls.count
            machine.callSite = below
            result.append(machine)
        }
        for index in result.indices { result[index].number = index }
        return Array(result.prefix(maxFrames))
    }
}
