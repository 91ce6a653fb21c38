import Arch

/// Where the System V x86-64 ABI passes a function's parameters, for the first line-table row
/// of a function (a breakpoint on its entry): unoptimized code has not yet stored them to the
/// frame slots its DWARF names, so the slots hold stale bytes while the registers hold the
/// values. Anything the classification below does not cover is reported unavailable, never
/// read from the stale slot.
struct IncomingArguments {
    /// rdi, rsi, rdx, rcx, r8, r9 in DWARF numbering.
    private static let integerRegisters = [5, 4, 1, 2, 8, 9]
    /// xmm0, the first of eight float argument registers in DWARF numbering.
    private static let firstVectorRegister = 17
    private var integerIndex: Int
    private var vectorIndex = 0
    /// Set once a parameter's registers cannot be known; later register parameters follow it.
    private var lost: Bool

    /// What to show for one parameter at the entry.
    enum Source {
        /// Its DWARF location is right at the entry (passed on the stack).
        case memory
        case bytes([UInt8])
        case unavailable
    }

    /// A function returning a record through memory takes the result's address in rdi; a C++
    /// record may be returned that way whatever its size (non-trivial copy), so its
    /// parameters are not guessed.
    /// Swift and other languages have calling conventions of their own: nothing is guessed.
    init(returnType: TypeLayout, isCPlusPlus: Bool, isC: Bool) {
        integerIndex = returnType.kind == .record && returnType.size > 16 ? 1 : 0
        lost = (returnType.kind == .record && isCPlusPlus) || !(isC || isCPlusPlus)
    }

    /// Takes the next parameter in declaration order.
    mutating func next(_ type: TypeLayout, registers: [Int: UInt64]) -> Source {
        let isInteger = [.signed, .unsigned, .boolean, .character, .pointer, .enumeration].contains(type.kind)
        if isInteger && type.size <= 8 {
            guard integerIndex < Self.integerRegisters.count else { return .memory }
            defer { integerIndex += 1 }
            guard !lost, let value = registers[Self.integerRegisters[integerIndex]] else { return .unavailable }
            return .bytes([UInt8](littleEndian: value, size: type.size))
        }
        if type.kind == .float && type.size <= 8 {
            guard vectorIndex < 8 else { return .memory }
            defer { vectorIndex += 1 }
            guard !lost, let value = registers[Self.firstVectorRegister + vectorIndex] else { return .unavailable }
            return .bytes([UInt8](littleEndian: value, size: type.size))
        }
        // MEMORY class (records over 16 bytes, long double): on the caller's stack, where the
        // DWARF location points.
        if type.size > 16 || (type.kind == .float && type.size == 16) { return .memory }
        lost = true
        return .unavailable
    }
}
