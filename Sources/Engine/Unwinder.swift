import Arch
import Symbols

/// One frame of a call stack: where it executes and its stack pointer (WinDbg's Child-SP).
public struct StackFrame {
    public let number: Int
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

    /// `context`: frame 0, from the registers; `cfi`: unwound with `.eh_frame`/`.debug_frame`;
    /// `framePointer`: found by following the rbp chain where no CFI covered the callee.
    public enum Method: Sendable { case context, cfi, framePointer }
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
        while frames.count < maxFrames, let pc = registers[DwarfRegister.returnAddress], let sp = registers[DwarfRegister.stackPointer], pc != 0 {
            frames.append(StackFrame(number: frames.count, pc: pc, sp: sp, method: method, registers: registers))
            // A return address points after the call; look the caller up inside the call.
            let lookup = frames.count == 1 || isSignalFrame ? pc : pc &- 1
            var next: [Int: UInt64]?
            if let module = process.modules.module(containing: lookup), let cfi = module.symbolFiles?.callFrameInfo,
               let step = cfi.unwind(lookupAddress: lookup &- module.bias, registers: registers, readMemory: readWord) {
                next = step.caller
                isSignalFrame = step.isSignalFrame
                method = .cfi
            } else if let rbp = registers[DwarfRegister.framePointer], rbp > sp, let savedRbp = readWord(rbp), let ret = readWord(rbp &+ 8) {
                next = registers
                next?[DwarfRegister.framePointer] = savedRbp
                next?[DwarfRegister.stackPointer] = rbp &+ 16
                next?[DwarfRegister.returnAddress] = ret
                isSignalFrame = false
                method = .framePointer
            }
            guard let caller = next, let callerPC = caller[DwarfRegister.returnAddress], let callerSP = caller[DwarfRegister.stackPointer] else { break }
            // The stack grows down: a caller's frame is above its callee's (signal frames aside).
            if callerSP < sp || (callerSP == sp && callerPC == pc) { break }
            frames[frames.count - 1].returnAddress = callerPC
            frames[frames.count - 1].cfa = callerSP
            registers = caller
        }
        return frames
    }
}
