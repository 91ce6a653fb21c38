import Arch
import Symbols

/// One argument of a `.call`, by System V class: an integer register or a vector register
/// (the stack once those are used up), or a struct by value.
public enum CallArgument: Sendable, Equatable {
    case integer(UInt64)
    /// A `double`, or a `float` (`single`) in the low 32 bits.
    case floatingPoint(Double, single: Bool)
    /// A struct, union or complex value: its bytes, and its eightbytes' classes when it is
    /// passed in registers (nil: it is copied onto the stack). It goes on the stack too when
    /// the registers its classes need are not all free.
    case aggregate([UInt8], classes: [EightbyteClass]?)
}

/// What a completed `.call` returned: rax, rdx and the low 64 bits of xmm0 and xmm1, for the
/// command layer to read with the function's return type; and the returned value itself
/// where the convention returns it in memory.
public struct CallResult: Sendable, Equatable {
    public let rax: UInt64
    public let rdx: UInt64
    public let xmm0: UInt64
    public let xmm1: UInt64
    public let memory: [UInt8]?
}

/// A `.call` set up on a thread: what to put back when the function returns to the
/// debugger's return address (the program's entry point, an int3 there meanwhile).
struct PendingCall {
    let thread: ThreadInfo
    let registers: X86Registers
    let vectorState: VectorState
    /// The signal it had to take, the int3 it stood on and the probe hit it owes a skip,
    /// given back with the registers.
    let signal: Int32
    let trappedAt: UInt64?
    let kernelHitAt: (address: UInt64, stackPointer: UInt64)?
    let returnAddress: UInt64
    /// rsp once the function has returned (its return address popped).
    let stackPointer: UInt64
    /// Where the callee writes a value returned in memory, and its size.
    let returnBuffer: (address: UInt64, size: Int)?
}

/// Arguments placed as the System V convention places them: general registers, vector
/// registers, then the stack in argument order.
private struct ArgumentPlacement {
    var integers: [UInt64] = []
    var vectors: [UInt64] = []
    var stack: [UInt64] = []

    mutating func place(_ argument: CallArgument) {
        switch argument {
        case .integer(let value):
            if integers.count < 6 { integers.append(value) } else { stack.append(value) }
        case .floatingPoint(let value, let single):
            let bits = single ? UInt64(Float(value).bitPattern) : value.bitPattern
            if vectors.count < 8 { vectors.append(bits) } else { stack.append(bits) }
        case .aggregate(let bytes, let classes):
            let padded = bytes + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
            let words = stride(from: 0, to: padded.count, by: 8).map { padded.littleEndian(at: $0) }
            guard let classes, classes.count == words.count,
                  integers.count + classes.filter({ $0 == .integer }).count <= 6,
                  vectors.count + classes.filter({ $0 == .sse }).count <= 8 else {
                stack += words
                return
            }
            for (kind, word) in zip(classes, words) {
                if kind == .integer { integers.append(word) } else { vectors.append(word) }
            }
        }
    }
}

extension Session {
    /// Sets up a call of the function at `address` on the current thread, as WinDbg's `.call`:
    /// arguments in rdi, rsi, rdx, rcx, r8, r9 and xmm0–7, then on the stack (System V); with
    /// `returnsInMemory` (the size of a struct returned in memory), a buffer for it on the
    /// stack passed as the hidden first argument; a return address the debugger watches, all
    /// below the red zone. The next `g` runs it; its return stops with `.callReturned` and the
    /// thread's registers as they were before.
    public func prepareCall(_ address: UInt64, arguments: [CallArgument], returnsInMemory: Int? = nil) throws(EngineError) {
        let process = try requireLive()
        guard !process.gone, let thread = process.current else { throw EngineError.noRunnableDebuggees }
        guard process.pendingCall == nil else { throw EngineError.unsupported(".call: a call is already set up on thread \(process.pendingCall!.thread.index); g runs it") }
        let saved = try registers(thread)
        let vector = try vectorState(thread)
        let returnAddress = process.entryPoint
        guard returnAddress != 0 else { throw EngineError.unsupported(".call: the program has no entry point to return to") }
        var cursor = (saved.rsp &- 512) & ~0xf
        var returnBuffer: (address: UInt64, size: Int)?
        var placement = ArgumentPlacement()
        if let size = returnsInMemory {
            cursor = (cursor &- UInt64(size)) & ~0xf
            returnBuffer = (cursor, size)
            placement.place(.integer(cursor))
        }
        for argument in arguments { placement.place(argument) }
        // The first stack argument 16-aligned, the return address below it: rsp as after a call.
        let stackArguments = (cursor &- 8 &* UInt64(placement.stack.count)) & ~0xf
        let top = stackArguments &- 8
        var frame = [UInt8](littleEndian: returnAddress, size: 8)
        for word in placement.stack { frame += [UInt8](littleEndian: word, size: 8) }
        do { try process.live.writeMemory(top, frame) } catch { throw EngineError.target(".call: \(error.description)") }
        var registers = saved
        for (name, value) in zip(["rdi", "rsi", "rdx", "rcx", "r8", "r9"], placement.integers) { _ = registers.setValue(value, named: name) }
        registers.rax = UInt64(placement.vectors.count)  // for a variadic callee: vector registers used
        _ = registers.setValue(UInt64.max, named: "orig_rax")  // not a system call to restart
        registers.eflags &= ~UInt64(0x400)  // DF clear, as the ABI wants at a call
        registers.rsp = top
        registers.rip = address
        var area = vector
        for (index, bits) in placement.vectors.enumerated() { area.setXMMLow(index, bits) }
        try insertSite(returnAddress, isInternal: true)
        try setVectorState(area, thread)
        try setRegisters(registers, thread)
        process.pendingCall = PendingCall(thread: thread, registers: saved, vectorState: vector, signal: thread.signalToDeliver, trappedAt: thread.trappedAt,
                                          kernelHitAt: thread.kernelHitAt, returnAddress: returnAddress, stackPointer: top &+ 8, returnBuffer: returnBuffer)
        thread.signalToDeliver = 0
    }

    /// Puts the thread back as it was before the call.
    func restore(_ call: PendingCall) {
        try? setVectorState(call.vectorState, call.thread)
        try? setRegisters(call.registers, call.thread)
        call.thread.signalToDeliver = call.signal
        call.thread.trappedAt = call.trappedAt
        call.thread.kernelHitAt = call.kernelHitAt
    }

    /// The set-up call's thread came back to the return address with its stack unwound: the
    /// result, and the thread as it was.
    func completedCall(at address: UInt64, _ thread: ThreadInfo) throws(EngineError) -> StopEvent? {
        guard let process, let call = process.pendingCall, call.thread === thread, call.returnAddress == address,
              try registers(thread).rsp == call.stackPointer else { return nil }
        process.pendingCall = nil
        try removeSite(address, isInternal: true)
        let returned = try registers(thread)
        let area = try vectorState(thread)
        let xmm0 = area.xmmLow(0) ?? 0, xmm1 = area.xmmLow(1) ?? 0
        let memory = call.returnBuffer.map { readMemory($0.address, count: $0.size) }
        restore(call)
        process.current = thread
        return StopEvent(kind: .callReturned(CallResult(rax: returned.rax, rdx: returned.value(named: "rdx") ?? 0, xmm0: xmm0, xmm1: xmm1, memory: memory)), thread: thread.tid)
    }
}
