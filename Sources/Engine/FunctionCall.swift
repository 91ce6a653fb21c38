import Arch

/// One argument of a `.call`, by System V class: an integer register or a vector register.
public enum CallArgument: Sendable, Equatable {
    case integer(UInt64)
    /// A `double`, or a `float` (`single`) in the low 32 bits.
    case floatingPoint(Double, single: Bool)
}

/// What a completed `.call` returned: rax and xmm0's low 64 bits, for the command layer to
/// read with the function's return type.
public struct CallResult: Sendable, Equatable {
    public let rax: UInt64
    public let xmm0: UInt64
}

/// A `.call` set up on a thread: what to put back when the function returns to the
/// debugger's return address (the program's entry point, an int3 there meanwhile).
struct PendingCall {
    let thread: ThreadInfo
    let registers: X86Registers
    let vectorState: [UInt8]
    /// The signal it had to take and the int3 it stood on, given back with the registers.
    let signal: Int32
    let trappedAt: UInt64?
    let returnAddress: UInt64
    /// rsp once the function has returned (its return address popped).
    let stackPointer: UInt64
}

extension Session {
    /// Sets up a call of the function at `address` on the current thread, as WinDbg's `.call`:
    /// arguments in rdi, rsi, rdx, rcx, r8, r9 and xmm0–7 (System V), a return address the
    /// debugger watches, the stack below the red zone. The next `g` runs it; its return
    /// stops with `.callReturned` and the thread's registers as they were before.
    public func prepareCall(_ address: UInt64, arguments: [CallArgument]) throws(EngineError) {
        guard let process, !process.gone, let thread = process.current else { throw EngineError("No runnable debuggees") }
        guard process.pendingCall == nil else { throw EngineError(".call: a call is already set up on thread \(process.pendingCall!.thread.index); g runs it") }
        let saved = try registers(thread)
        let vector = try vectorState(thread)
        let integers = arguments.compactMap { if case .integer(let value) = $0 { value } else { nil } }
        let reals = arguments.compactMap { if case .floatingPoint(let value, let single) = $0 { (value, single) } else { nil } }
        guard integers.count <= 6, reals.count <= 8 else { throw EngineError(".call passes at most 6 integer and 8 floating-point arguments in registers") }
        let returnAddress = process.entryPoint
        guard returnAddress != 0 else { throw EngineError(".call: the program has no entry point to return to") }
        var registers = saved
        let top = ((saved.rsp &- 512) & ~0xf) &- 8  // below the red zone, aligned as after a call
        do { try process.target.writeMemory(top, [UInt8](littleEndian: returnAddress, size: 8)) } catch { throw EngineError(".call: \(error.description)") }
        for (name, value) in zip(["rdi", "rsi", "rdx", "rcx", "r8", "r9"], integers) { _ = registers.setValue(value, named: name) }
        registers.rax = UInt64(reals.count)  // for a variadic callee: vector registers used
        _ = registers.setValue(UInt64.max, named: "orig_rax")  // not a system call to restart
        registers.eflags &= ~UInt64(0x400)  // DF clear, as the ABI wants at a call
        registers.rsp = top
        registers.rip = address
        var area = vector
        for (index, (value, single)) in reals.enumerated() where area.count >= 160 + 16 * (index + 1) {
            let bits = single ? UInt64(Float(value).bitPattern) : value.bitPattern
            area.replaceSubrange(160 + 16 * index..<168 + 16 * index, with: [UInt8](littleEndian: bits, size: 8))
        }
        try insertSite(returnAddress, isInternal: true)
        try setVectorState(area, thread)
        try setRegisters(registers, thread)
        process.pendingCall = PendingCall(thread: thread, registers: saved, vectorState: vector, signal: thread.signalToDeliver, trappedAt: thread.trappedAt,
                                          returnAddress: returnAddress, stackPointer: top &+ 8)
        thread.signalToDeliver = 0
    }

    /// Puts the thread back as it was before the call.
    func restore(_ call: PendingCall) {
        try? setVectorState(call.vectorState, call.thread)
        try? setRegisters(call.registers, call.thread)
        call.thread.signalToDeliver = call.signal
        call.thread.trappedAt = call.trappedAt
    }

    /// The set-up call's thread came back to the return address with its stack unwound: the
    /// result, and the thread as it was.
    func completedCall(at address: UInt64, _ thread: ThreadInfo) throws(EngineError) -> StopEvent? {
        guard let process, let call = process.pendingCall, call.thread === thread, call.returnAddress == address,
              try registers(thread).rsp == call.stackPointer else { return nil }
        process.pendingCall = nil
        try removeSite(address, isInternal: true)
        let rax = try registers(thread).rax
        let area = try vectorState(thread)
        let xmm0: UInt64 = area.count >= 168 ? area.littleEndian(at: 160) : 0
        restore(call)
        process.current = thread
        return StopEvent(kind: .callReturned(CallResult(rax: rax, xmm0: xmm0)), thread: thread.tid)
    }
}
