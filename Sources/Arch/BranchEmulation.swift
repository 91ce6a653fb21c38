/// What a near control transfer does, computed from the thread's registers and memory, so a
/// tracer can execute a branch itself instead of single-stepping it: the next `rip`, and for
/// calls and returns what happens to the stack.
public enum BranchOutcome: Sendable, Equatable {
    /// `jmp`, or a `jcc` taken or not: `rip` becomes the address.
    case jump(UInt64)
    /// `call`: `returnAddress` is pushed, `rip` becomes the target.
    case call(UInt64, returnAddress: UInt64)
    /// `ret [imm16]`: `rip` becomes the popped address, `rsp` rises by `popped` bytes.
    case ret(UInt64, popped: UInt64)
}

extension Instruction {
    /// The outcome of this branch under `registers`, reading memory operands and the return
    /// address through `readWord`; nil for what is not a near call, jmp, jcc or ret whose
    /// effect is exactly that (far transfers, `iret`, `loop`, which also writes rcx), or when
    /// an operand cannot be read.
    public func outcome(_ registers: X86Registers, readWord: (UInt64) -> UInt64?) -> BranchOutcome? {
        let next = address &+ UInt64(length)
        switch flow {
        case .call:
            return target(registers, readWord).map { .call($0, returnAddress: next) }
        case .jump:
            return target(registers, readWord).map { .jump($0) }
        case .conditionalJump:
            guard let taken = conditionHolds(registers), let branchTarget else { return nil }
            return .jump(taken ? branchTarget : next)
        case .ret:
            guard let popped = returnPop, let returnAddress = readWord(registers.rsp) else { return nil }
            return .ret(returnAddress, popped: 8 + popped)
        default:
            return nil
        }
    }

    /// Where a call or jmp goes: its relative target, a register's value, or the word its
    /// memory operand points at. Far forms (a segment:offset pointer) give nil.
    private func target(_ registers: X86Registers, _ readWord: (UInt64) -> UInt64?) -> UInt64? {
        if let branchTarget { return branchTarget }
        if let access = memoryAccess {
            guard access.size == 8, let location = access.address(registers) else { return nil }
            return readWord(location)
        }
        guard X86Registers.width(of: operands) == 64 else { return nil }
        return registers.value(named: operands)
    }

    /// The immediate of `ret imm16` (0 for `ret`); nil for far returns and `iret`.
    private var returnPop: UInt64? {
        guard let last = bytes.last, !mnemonic.hasPrefix("iret") else { return nil }
        if last == 0xc3 { return 0 }
        guard bytes.count >= 3, bytes[bytes.count - 3] == 0xc2 else { return nil }
        return UInt64(bytes[bytes.count - 2]) | UInt64(bytes[bytes.count - 1]) << 8
    }

    /// Whether a `jcc` jumps, from the flags (and rcx for `jrcxz`/`jecxz`); nil for the `loop`
    /// family, which decrements rcx as it tests it.
    private func conditionHolds(_ registers: X86Registers) -> Bool? {
        let flags = registers.eflags
        let carry = flags & 1 != 0, parity = flags & 4 != 0, zero = flags & 0x40 != 0
        let sign = flags & 0x80 != 0, overflow = flags & 0x800 != 0
        let name = mnemonic.split(separator: " ").last.map(String.init) ?? mnemonic
        switch name {
        case "jo": return overflow
        case "jno": return !overflow
        case "jb": return carry
        case "jae": return !carry
        case "je": return zero
        case "jne": return !zero
        case "jbe": return carry || zero
        case "ja": return !carry && !zero
        case "js": return sign
        case "jns": return !sign
        case "jp": return parity
        case "jnp": return !parity
        case "jl": return sign != overflow
        case "jge": return sign == overflow
        case "jle": return zero || sign != overflow
        case "jg": return !zero && sign == overflow
        case "jrcxz": return registers.value(named: "rcx") == 0
        case "jecxz": return registers.value(named: "ecx") == 0
        default: return nil
        }
    }
}
