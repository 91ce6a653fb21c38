import Targets

/// What a hardware breakpoint (`ba`) watches: an instruction fetch, writes, or reads and
/// writes (x86 has no read-only watch), of 1, 2, 4 or 8 aligned bytes.
public struct HardwareWatch: Sendable, Equatable {
    public enum Access: Sendable, Equatable {
        case execute, write, readWrite

        /// DR7's two-bit access code.
        var code: UInt64 {
            switch self {
            case .execute: 0b00
            case .write: 0b01
            case .readWrite: 0b11
            }
        }
    }

    public let access: Access
    public let size: Int

    public init(access: Access, size: Int) {
        self.access = access
        self.size = size
    }

    /// DR7's two-bit length code (8 bytes is 0b10, 4 bytes 0b11).
    var lengthCode: UInt64 {
        switch size {
        case 2: 0b01
        case 8: 0b10
        case 4: 0b11
        default: 0b00
        }
    }
}

/// The four debug registers of a process, shared by its threads: which breakpoint holds
/// which slot. The target gives every thread the same DR0–DR3/DR7 (threads created later
/// too, before they first run); a thread-specific `~N ba` filters at the hit.
struct DebugRegisterSlots {
    private(set) var holders: [Breakpoint?] = [nil, nil, nil, nil]

    var isEmpty: Bool { holders.allSatisfy { $0 == nil } }

    /// Takes a free slot among the first `available` (what the target offers).
    mutating func claim(_ breakpoint: Breakpoint, available: Int) -> Bool {
        guard let free = holders.prefix(available).firstIndex(where: { $0 == nil }) else { return false }
        holders[free] = breakpoint
        return true
    }

    mutating func release(_ breakpoint: Breakpoint) {
        for index in holders.indices where holders[index] === breakpoint { holders[index] = nil }
    }

    /// The breakpoints whose slots a debug status (DR6) says fired.
    func fired(_ status: UInt64) -> [Breakpoint] {
        holders.indices.compactMap { status & (1 << UInt64($0)) != 0 ? holders[$0] : nil }
    }

    /// The registers every thread gets.
    var registers: DebugRegisters {
        var registers = DebugRegisters()
        for (index, holder) in holders.enumerated() {
            guard let holder, let watch = holder.hardware, let address = holder.address else { continue }
            let slot = UInt64(index)
            registers.addresses[index] = address
            registers.control |= 1 << (2 * slot) | watch.access.code << (16 + 4 * slot) | watch.lengthCode << (18 + 4 * slot)
        }
        return registers
    }
}

extension Session {
    /// Arms a hardware breakpoint in a free debug register of the process.
    func armHardware(_ breakpoint: Breakpoint) throws(EngineError) {
        guard let process, breakpoint.address != nil else { return }
        guard process.debugSlots.claim(breakpoint, available: process.live.capabilities.hardwareBreakpoints) else {
            throw EngineError.debugRegistersInUse
        }
        do { try process.live.setHardwareBreakpoints(process.debugSlots.registers) } catch {
            process.debugSlots.release(breakpoint)
            throw EngineError.target(error.description)
        }
    }

    func disarmHardware(_ breakpoint: Breakpoint) {
        guard let process else { return }
        process.debugSlots.release(breakpoint)
        try? process.live.setHardwareBreakpoints(process.debugSlots.registers)
    }
}
