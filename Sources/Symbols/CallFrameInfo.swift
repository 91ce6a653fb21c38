import Arch
import CDwarf
import Glibc

/// A module's unwind tables (`.eh_frame`, else `.debug_frame`) read through libdw, and one
/// unwind step over them. The CFI rules come from libdw; their DWARF expressions are
/// evaluated here against the registers and memory of the frame being unwound.
public final class CallFrameInfo {
    /// The .eh_frame table, which this object owns; a .debug_frame table belongs to the
    /// image's Dwarf handle.
    private let ehFrame: OpaquePointer?
    /// Where `.debug_frame` comes from: the image and its debug file. Their DWARF is opened
    /// only when `.eh_frame` does not cover an address (opening a debug file's DWARF
    /// decompresses every section of it, costlier than the whole unwind).
    private let debugSources: [ElfImage]
    private var debugFrames: [OpaquePointer]?

    init?(image: ElfImage, debugImage: ElfImage?) {
        ehFrame = dwarf_getcfi_elf(image.elf)
        debugSources = [image, debugImage].compactMap { $0 }.filter { $0.sectionSize(".debug_frame") > 0 }
        guard ehFrame != nil || !debugSources.isEmpty else { return nil }
    }

    private var debugFrameTables: [OpaquePointer] {
        if let debugFrames { return debugFrames }
        let tables = debugSources.compactMap { source in source.dwarf.flatMap { dwarf_getcfi($0) } }
        debugFrames = tables
        return tables
    }

    deinit {
        if let ehFrame { dwarf_cfi_end(ehFrame) }
    }

    /// Computes the caller's registers (DWARF numbering; 16 is the return address) from the
    /// registers of a frame stopped at link-time address `lookupAddress`. Returns nil when no
    /// table covers the address or a rule cannot be evaluated.
    public func unwind(lookupAddress: UInt64, registers: [Int: UInt64],
                       readMemory: (UInt64) -> UInt64?) -> (caller: [Int: UInt64], isSignalFrame: Bool)? {
        // .eh_frame first; .debug_frame (opening DWARF) only where it has no answer.
        if let ehFrame, let step = unwind(in: ehFrame, lookupAddress: lookupAddress, registers: registers, readMemory: readMemory) { return step }
        for table in debugFrameTables {
            if let step = unwind(in: table, lookupAddress: lookupAddress, registers: registers, readMemory: readMemory) { return step }
        }
        return nil
    }

    private func unwind(in table: OpaquePointer, lookupAddress: UInt64, registers: [Int: UInt64],
                        readMemory: (UInt64) -> UInt64?) -> (caller: [Int: UInt64], isSignalFrame: Bool)? {
        var framePointer: OpaquePointer? = nil
        guard dwarf_cfi_addrframe(table, lookupAddress, &framePointer) == 0, let frame = framePointer else { return nil }
        defer { free(UnsafeMutableRawPointer(frame)) }
        var isSignal = false
        var start: Dwarf_Addr = 0
        var end: Dwarf_Addr = 0
        let returnRegister = Int(dwarf_frame_info(frame, &start, &end, &isSignal))
        var cfaOps: UnsafeMutablePointer<Dwarf_Op>? = nil
        var cfaCount = 0
        guard dwarf_frame_cfa(frame, &cfaOps, &cfaCount) == 0, let cfaOps,
              let cfa = DwarfExpression.evaluate(UnsafeBufferPointer(start: cfaOps, count: cfaCount),
                                                 registers: registers, cfa: nil, readMemory: readMemory)?.value else { return nil }
        var caller: [Int: UInt64] = [:]
        let scratch = UnsafeMutablePointer<Dwarf_Op>.allocate(capacity: 3)
        defer { scratch.deallocate() }
        for number in 0...16 {
            var ops: UnsafeMutablePointer<Dwarf_Op>? = nil
            var count = 0
            guard dwarf_frame_register(frame, Int32(number), scratch, &ops, &count) == 0 else { continue }
            if count == 0 {
                // No ops and no buffer: "same value"; the scratch buffer: undefined. The SysV
                // ABI decides for rax (call-clobbered) and rbx (callee-saved) whatever the
                // default rules say: elfutils 0.188's x86-64 defaults name rax where rbx is meant.
                let sameValue = number == 3 || (ops == nil && number != 0)
                if sameValue, let same = registers[number] { caller[number] = same }
                continue
            }
            guard let ops, let result = DwarfExpression.evaluate(UnsafeBufferPointer(start: ops, count: count),
                                                                 registers: registers, cfa: cfa, readMemory: readMemory) else { continue }
            if result.isValue {
                caller[number] = result.value
            } else if let saved = readMemory(result.value) {
                caller[number] = saved
            }
        }
        caller[DwarfRegister.stackPointer] = cfa
        if returnRegister != DwarfRegister.returnAddress, let ra = caller[returnRegister] { caller[DwarfRegister.returnAddress] = ra }
        return (caller, isSignal)
    }
}

/// The DWARF expression subset that CFI uses on x86-64 (register bases, constants, arithmetic,
/// comparisons, dereference), e.g. the PLT's `DW_OP_breg7 8; DW_OP_breg16 0; DW_OP_lit15; DW_OP_and; ...`.
enum DwarfExpression {
    /// Returns the top of the stack and whether it is a value (`DW_OP_stack_value`, or a
    /// register operation) rather than an address.
    static func evaluate(_ ops: UnsafeBufferPointer<Dwarf_Op>, registers: [Int: UInt64], cfa: UInt64?,
                         frameBase: UInt64? = nil, bias: UInt64 = 0,
                         entryValue: ((Dwarf_Op) -> UInt64?)? = nil,
                         readMemory: (UInt64) -> UInt64?) -> (value: UInt64, isValue: Bool)? {
        var stack: [UInt64] = []
        var isValue = false
        func pop() -> UInt64? { stack.popLast() }
        for op in ops {
            let atom = op.atom
            switch atom {
            case 0x30...0x4f: stack.append(UInt64(atom - 0x30))                     // DW_OP_lit0..31
            case 0x50...0x6f:                                                           // DW_OP_reg0..31
                guard let value = registers[Int(atom - 0x50)] else { return nil }
                stack.append(value); isValue = true
            case 0x70...0x8f:                                                           // DW_OP_breg0..31
                guard let value = registers[Int(atom - 0x70)] else { return nil }
                stack.append(value &+ op.number)
            case 0x90:                                                                  // DW_OP_regx
                guard let number = Int(exactly: op.number), let value = registers[number] else { return nil }
                stack.append(value); isValue = true
            case 0x92:                                                                  // DW_OP_bregx
                guard let number = Int(exactly: op.number), let value = registers[number] else { return nil }
                stack.append(value &+ op.number2)
            case 0x08...0x11: stack.append(op.number)                                   // DW_OP_const*
            case 0x03: stack.append(op.number &+ bias)                                 // DW_OP_addr
            case 0x91:                                                                  // DW_OP_fbreg
                guard let frameBase else { return nil }
                stack.append(frameBase &+ op.number)
            case 0x9c:                                                                  // DW_OP_call_frame_cfa
                guard let cfa else { return nil }
                stack.append(cfa)
            case 0x9f: isValue = true                                                   // DW_OP_stack_value
            case 0xa3, 0xf3:                                                            // DW_OP_(GNU_)entry_value
                guard let value = entryValue?(op) else { return nil }
                stack.append(value)
            case 0x06:                                                                  // DW_OP_deref
                guard let address = pop(), let value = readMemory(address) else { return nil }
                stack.append(value)
            case 0x12: guard let top = stack.last else { return nil }; stack.append(top)  // DW_OP_dup
            case 0x13: guard pop() != nil else { return nil }                            // DW_OP_drop
            case 0x14: guard stack.count >= 2 else { return nil }; stack.append(stack[stack.count - 2]) // DW_OP_over
            case 0x16: guard stack.count >= 2 else { return nil }; stack.swapAt(stack.count - 1, stack.count - 2) // DW_OP_swap
            case 0x23: guard let a = pop() else { return nil }; stack.append(a &+ op.number)   // DW_OP_plus_uconst
            case 0x1f: guard let a = pop() else { return nil }; stack.append(0 &- a)           // DW_OP_neg
            case 0x20: guard let a = pop() else { return nil }; stack.append(~a)               // DW_OP_not
            default:
                guard let b = pop(), let a = pop(), let result = binary(atom, a, b) else { return nil }
                stack.append(result)
            }
        }
        guard let top = stack.last else { return nil }
        return (top, isValue)
    }

    /// The register an expression names when it is a lone `DW_OP_regN`.
    static func loneRegister(_ ops: UnsafeBufferPointer<Dwarf_Op>) -> Int? {
        guard ops.count == 1, (0x50...0x6f).contains(ops[0].atom) else { return nil }
        return Int(ops[0].atom - 0x50)
    }

    private static func binary(_ atom: UInt8, _ a: UInt64, _ b: UInt64) -> UInt64? {
        let sa = Int64(bitPattern: a), sb = Int64(bitPattern: b)
        switch atom {
        case 0x1a: return a & b                          // and
        case 0x1c: return a &- b                         // minus
        case 0x1e: return a &* b                         // mul
        case 0x21: return a | b                          // or
        case 0x22: return a &+ b                         // plus
        case 0x24: return b >= 64 ? 0 : a << b           // shl
        case 0x25: return b >= 64 ? 0 : a >> b           // shr
        case 0x26: return UInt64(bitPattern: sa >> min(sb, 63)) // shra
        case 0x27: return a ^ b                          // xor
        case 0x29: return sa == sb ? 1 : 0               // eq
        case 0x2a: return sa >= sb ? 1 : 0               // ge
        case 0x2b: return sa > sb ? 1 : 0                // gt
        case 0x2c: return sa <= sb ? 1 : 0               // le
        case 0x2d: return sa < sb ? 1 : 0                // lt
        case 0x2e: return sa != sb ? 1 : 0               // ne
        default: return nil
        }
    }
}
