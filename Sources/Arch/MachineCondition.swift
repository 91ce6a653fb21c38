/// A breakpoint condition lowered to what an evaluator outside the debugger can run — BPF in
/// the kernel, a remote stub's agent expressions: the stopped thread's general registers,
/// constants, 64-bit arithmetic and comparisons, and memory reads. Symbols are already
/// addresses; nothing needs the debugger's state.
public indirect enum MachineCondition: Sendable, Equatable {
    case constant(UInt64)
    /// `(slots[slot] >> shift) & mask` of the register file (`user_regs_struct` order).
    case register(slot: Int, shift: UInt64, mask: UInt64)
    /// A little-endian value of 1, 2, 4 or 8 bytes at the address; an unreadable address makes
    /// the whole condition unevaluable (the debugger then evaluates it and reports why).
    case load(MachineCondition, size: Int)
    case unary(MachineUnary, MachineCondition)
    case binary(MachineBinary, MachineCondition, MachineCondition)
    /// The low `bits` of the value, sign- or zero-extended to 64 (a C value of a narrower type).
    case extend(MachineCondition, bits: Int, signed: Bool)
}

public enum MachineUnary: Sendable, Equatable {
    case logicalNot, bitwiseNot, negate
}

/// Binary operators on 64-bit values: wrap-around arithmetic, signed comparisons (MASM's)
/// and unsigned ones (C's on unsigned long), logical and arithmetic shifts; comparisons
/// give 0 or 1. No division: a zero divisor is an error the evaluator outside could not report.
public enum MachineBinary: Sendable, Equatable {
    case add, subtract, multiply
    case shiftLeft, shiftRight, arithmeticShiftRight
    case equal, notEqual, less, greater, lessOrEqual, greaterOrEqual
    case below, above, belowOrEqual, aboveOrEqual
    case and, or, xor
}
