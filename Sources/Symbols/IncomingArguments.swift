import Arch

/// Where the System V x86-64 ABI passes a function's parameters, for a stop on a function's
/// first instruction (a breakpoint on its entry): unoptimized code has not yet stored them to
/// the frame slots its DWARF names, so the slots hold stale bytes while the registers hold the
/// values. Only scalars passed in registers are read; everything else (stack-passed values,
/// which compilers copy to other slots; records, which C++ may pass by hidden reference) is
/// reported unavailable, never read from a stale slot.
struct IncomingArguments {
    /// rdi, rsi, rdx, rcx, r8, r9 in DWARF numbering.
    private static let integerRegisters = [5, 4, 1, 2, 8, 9]
    /// xmm0, the first of eight float argument registers in DWARF numbering.
    private static let firstVectorRegister = 17
    private var integerIndex: Int
    private var vectorIndex = 0
    /// Set once a parameter's registers cannot be known; later register parameters follow it.
    private var lost: Bool
    /// C++ passes records that are not trivially copyable by hidden reference, in a register.
    private let isCPlusPlus: Bool

    /// A function returning a record through memory takes the result's address in rdi; a C++
    /// record may be returned that way whatever its size (non-trivial copy), so its
    /// parameters are not guessed. Swift and other languages have calling conventions of
    /// their own: nothing is guessed.
    init(returnType: TypeLayout, isCPlusPlus: Bool, isC: Bool) {
        integerIndex = returnType.kind == .record && returnType.size > 16 ? 1 : 0
        lost = (returnType.kind == .record && isCPlusPlus) || !(isC || isCPlusPlus)
        self.isCPlusPlus = isCPlusPlus
    }

    /// The next parameter's value in declaration order, or nil when it cannot be known.
    mutating func next(_ type: TypeLayout, registers: [Int: UInt64]) -> [UInt8]? {
        let isInteger = [.signed, .unsigned, .boolean, .character, .pointer, .enumeration].contains(type.kind)
        if isInteger && type.size <= 8 {
            guard integerIndex < Self.integerRegisters.count else { return nil }
            defer { integerIndex += 1 }
            guard !lost, let value = registers[Self.integerRegisters[integerIndex]] else { return nil }
            return [UInt8](littleEndian: value, size: type.size)
        }
        if type.kind == .float && type.size <= 8 {
            guard vectorIndex < 8 else { return nil }
            defer { vectorIndex += 1 }
            guard !lost, let value = registers[Self.firstVectorRegister + vectorIndex] else { return nil }
            return [UInt8](littleEndian: value, size: type.size)
        }
        if type.kind == .complex && type.size <= 16 {
            // `float _Complex` packs both parts into one SSE register; `double _Complex` takes
            // two, the real part first.
            let parts = type.size == 8 ? 1 : 2
            guard vectorIndex + parts <= 8 else { vectorIndex = 8; return nil }
            defer { vectorIndex += parts }
            guard !lost else { return nil }
            var bytes: [UInt8] = []
            for part in 0..<parts {
                guard let value = registers[Self.firstVectorRegister + vectorIndex + part] else { return nil }
                bytes += [UInt8](littleEndian: value, size: 8)
            }
            return bytes
        }
        if type.kind == .complex { return nil }  // long double _Complex: passed in memory
        // MEMORY-class values (over 16 bytes, long double) take no register; smaller records
        // take registers by a classification not repeated here, so the rest is unknown too.
        if isCPlusPlus || !(type.size > 16 || (type.kind == .float && type.size == 16)) { lost = true }
        return nil
    }
}
