import CZydis

/// How an instruction transfers control; the engine's stepping (p, pc, pt, gu, wt) needs this.
public enum ControlFlow: Sendable, Equatable {
    case none, call, ret, jump, conditionalJump, syscall, interrupt
}

/// One decoded instruction, with its operands already rendered in WinDbg's MASM style.
public struct Instruction: Sendable {
    public let address: UInt64
    public let length: Int
    public let bytes: [UInt8]
    /// As WinDbg prints it, lower case, prefixes included: "mov", "call", "rep movs".
    public let mnemonic: String
    /// MASM operands without symbols, no blank after commas: "qword ptr [rbp-8],rax".
    public let operands: String
    public let flow: ControlFlow
    /// Absolute target of a direct call/jmp/jcc; nil for indirect transfers.
    public let branchTarget: UInt64?
    /// rep/repe/repne string instructions, which `p` steps over as a whole.
    public let hasRepPrefix: Bool
    /// The memory the instruction reads or writes through an explicit operand (not `lea`'s
    /// computation), for the effective address WinDbg shows at a stop.
    public let memoryAccess: MemoryAccess?
    /// The operands split where an address may be replaced by a symbol when formatting.
    fileprivate let operandPieces: [OperandPiece]
}

/// Part of an operand list: fixed text, or a number that `format` may symbolize.
private enum OperandPiece: Sendable {
    case text(String)
    /// A code or data address (branch target, rip-relative or absolute memory):
    /// "libc!puts (00007fff`f7e50e50)" or "00007fff`f7e50e50".
    case address(UInt64)
    /// An immediate that may be an address: "offset libc!environ (…)" or "402010h".
    case offset(UInt64)

    func render(symbolize: (UInt64) -> String?) -> String {
        switch self {
        case .text(let text):
            return text
        case .address(let value):
            guard let name = symbolize(value) else { return formatAddress(value) }
            return "\(name) (\(formatAddress(value)))"
        case .offset(let value):
            guard let name = symbolize(value) else { return masmHex(value) }
            return "offset \(name) (\(formatAddress(value)))"
        }
    }
}

/// Decodes and formats x86-64 machine code with Zydis.
public struct Disassembler: Sendable {
    public init() {}

    /// Decodes one instruction from `bytes` that start at `address`; nil when the bytes are not a valid instruction.
    public func decode(_ bytes: [UInt8], at address: UInt64) -> Instruction? {
        guard let decoded = DecodedInstruction(bytes, at: address) else { return nil }
        let length = Int(decoded.instruction.length)
        let pieces = OperandRenderer(decoded).pieces()
        return Instruction(
            address: address,
            length: length,
            bytes: Array(bytes.prefix(length)),
            mnemonic: MnemonicRenderer(decoded).text(),
            operands: pieces.map { $0.render(symbolize: { _ in nil }) }.joined(),
            flow: decoded.flow,
            branchTarget: decoded.branchTarget,
            hasRepPrefix: decoded.hasRepPrefix,
            memoryAccess: decoded.memoryAccess,
            operandPieces: pieces
        )
    }

    /// Why running the instruction a second time from the registers it started with would
    /// not do what running it once does — nil when it writes only general registers, flags,
    /// rip and (push, call) the stack below rsp, so putting the registers back undoes it.
    /// A kernel probe runs the instruction before the debugger sees the hit; the debugger puts
    /// the registers back and the thread runs it again.
    public func reexecutionHazard(_ bytes: [UInt8], at address: UInt64) -> String? {
        guard let decoded = DecodedInstruction(bytes, at: address) else { return "the instruction cannot be decoded" }
        switch decoded.flow {
        case .syscall: return "it is a system call"
        case .interrupt: return "it is an interrupt"
        default: break
        }
        let instruction = decoded.instruction
        let pushes = [ZYDIS_MNEMONIC_PUSH, ZYDIS_MNEMONIC_CALL].contains(instruction.mnemonic)
        // `push [rsp+8]`, `call [rsp-8]`: run again, it would read what its first run pushed.
        if pushes, decoded.visibleOperandIndices.contains(where: {
            decoded.operands[$0].type == ZYDIS_OPERAND_TYPE_MEMORY && [ZYDIS_REGISTER_RSP, ZYDIS_REGISTER_ESP].contains(decoded.operands[$0].mem.base)
        }) {
            return "it reads the stack it writes"
        }
        for index in 0..<Int(instruction.operand_count) {
            let operand = decoded.operands[index]
            guard operand.actions & ZydisOperandActions(ZYDIS_OPERAND_ACTION_MASK_WRITE.rawValue) != 0 else { continue }
            switch operand.type {
            case ZYDIS_OPERAND_TYPE_MEMORY:
                if !pushes { return "it writes memory" }
            case ZYDIS_OPERAND_TYPE_REGISTER:
                let kind = ZydisRegisterGetClass(operand.reg.value)
                guard [ZYDIS_REGCLASS_GPR8, ZYDIS_REGCLASS_GPR16, ZYDIS_REGCLASS_GPR32, ZYDIS_REGCLASS_GPR64,
                       ZYDIS_REGCLASS_FLAGS, ZYDIS_REGCLASS_IP].contains(kind) else {
                    return "it writes \(cString(ZydisRegisterGetString(operand.reg.value)).lowercased())"
                }
            default:
                return "it changes state the registers do not hold"
            }
        }
        return nil
    }

    /// The bytes of the instruction at the start of `bytes` (at `address`) as they must read to
    /// do the same at `newAddress`: a rip-relative operand's displacement moved by the
    /// distance. Nil for what cannot run elsewhere: branches, calls, returns and interrupts
    /// (they depend on rip otherwise), a displacement that would not fit, undecodable bytes.
    public func relocate(_ bytes: [UInt8], from address: UInt64, to newAddress: UInt64) -> [UInt8]? {
        guard let decoded = DecodedInstruction(bytes, at: address), decoded.flow == .none || decoded.flow == .syscall else { return nil }
        let instruction = decoded.instruction
        var code = Array(bytes.prefix(Int(instruction.length)))
        guard instruction.attributes & ZYDIS_ATTRIB_IS_RELATIVE != 0 else { return code }
        guard decoded.visibleOperandIndices.contains(where: { decoded.operands[$0].type == ZYDIS_OPERAND_TYPE_MEMORY && decoded.operands[$0].mem.base == ZYDIS_REGISTER_RIP }),
              instruction.raw.disp.size == 32 else { return nil }
        let moved = instruction.raw.disp.value + Int64(bitPattern: address &- newAddress)
        guard let displacement = Int32(exactly: moved) else { return nil }
        let offset = Int(instruction.raw.disp.offset)
        for index in 0..<4 { code[offset + index] = UInt8(truncatingIfNeeded: UInt32(bitPattern: displacement) >> (8 * UInt32(index))) }
        return code
    }

    /// WinDbg's line: "00007fff`f7e50e50 4883ec28        sub     rsp,28h".
    /// `symbolize` turns an address into "libc!puts" or "libc!puts+0x10"; named addresses print as
    /// "libc!puts (00007fff`f7e50e50)", unnamed ones as "00007fff`f7e50e50". It is asked about every
    /// address the instruction names: branch targets, rip-relative and absolute memory, and the 32/64-bit
    /// immediates of mov/push (printed "offset libc!environ (…)" when named), so it must return nil for
    /// values outside any module.
    public func format(_ instruction: Instruction, symbolize: (UInt64) -> String?) -> String {
        let hex = instruction.bytes.map(hexByte).joined()
        let operands = instruction.operandPieces.map { $0.render(symbolize: symbolize) }.joined()
        let line = formatAddress(instruction.address) + " "
            + hex.padding(to: 15) + " "
            + instruction.mnemonic.padding(to: 7) + " "
            + operands
        return String(line.reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// An operand's memory reference: `segment:[base + index*scale + displacement]` of `size`
/// bytes, or an absolute address (rip-relative operands are resolved when decoding).
public struct MemoryAccess: Sendable, Equatable {
    public let segment: String
    public let base: String?
    public let index: String?
    public let scale: UInt64
    public let displacement: Int64
    public let absolute: UInt64?
    public let size: Int
    /// The instruction writes the operand (a store, a read-modify-write); else it only reads it.
    public var writes = false

    /// The address under the thread's registers (fs/gs through their base registers).
    public func address(_ registers: X86Registers) -> UInt64? {
        if let absolute { return absolute }
        var address = UInt64(bitPattern: displacement)
        if let base { guard let value = registers.value(named: base) else { return nil }; address &+= value }
        if let index { guard let value = registers.value(named: index) else { return nil }; address &+= value &* scale }
        if segment == "fs" || segment == "gs" { address &+= registers.value(named: segment + "_base") ?? 0 }
        return address
    }
}

/// "00007fff`f7e50e50": a 64-bit address as WinDbg prints it.
public func formatAddress(_ value: UInt64) -> String {
    zeroPaddedHex(value >> 32, digits: 8) + "`" + zeroPaddedHex(value & 0xffff_ffff, digits: 8)
}

/// A number as the MASM syntax of WinDbg prints it: "8", "28h", "0FFFFFFF0h".
private func masmHex(_ value: UInt64) -> String {
    if value < 10 { return String(value) }
    let digits = String(value, radix: 16, uppercase: true)
    return (digits.first!.isLetter ? "0" : "") + digits + "h"
}

private func hexByte(_ byte: UInt8) -> String {
    zeroPaddedHex(UInt64(byte), digits: 2)
}

private func cString(_ pointer: UnsafePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? "?"
}

/// Segment-override prefix bytes.
private let segmentPrefixes: [UInt8: ZydisRegister] = [
    0x2e: ZYDIS_REGISTER_CS, 0x36: ZYDIS_REGISTER_SS, 0x3e: ZYDIS_REGISTER_DS,
    0x26: ZYDIS_REGISTER_ES, 0x64: ZYDIS_REGISTER_FS, 0x65: ZYDIS_REGISTER_GS,
]

/// A Zydis decoding result with the facts the engine needs derived from it.
private struct DecodedInstruction {
    var instruction = ZydisDecodedInstruction()
    var operands = [ZydisDecodedOperand](repeating: ZydisDecodedOperand(), count: Int(ZYDIS_MAX_OPERAND_COUNT))
    let address: UInt64
    /// The legacy and REX prefix bytes.
    private(set) var prefixBytes: [UInt8] = []

    init?(_ bytes: [UInt8], at address: UInt64) {
        self.address = address
        var decoder = ZydisDecoder()
        guard !bytes.isEmpty,
              succeeded(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) else {
            return nil
        }
        let status = bytes.withUnsafeBytes { buffer in
            ZydisDecoderDecodeFull(&decoder, buffer.baseAddress, buffer.count, &instruction, &operands)
        }
        guard succeeded(status) else { return nil }
        prefixBytes = Array(bytes.prefix(Int(instruction.raw.prefix_count)))
    }

    /// The segment named by the last segment-override prefix, which WinDbg shows ("cs:[rax+rax]") even
    /// where 64-bit mode ignores it and Zydis therefore drops it. A 3E byte before an indirect branch is
    /// CET's notrack marker, not a segment.
    var segmentOverride: ZydisRegister? {
        let notrack = instruction.attributes & ZYDIS_ATTRIB_HAS_NOTRACK != 0
        return prefixBytes.reversed().lazy
            .filter { !(notrack && $0 == 0x3e) }
            .compactMap { segmentPrefixes[$0] }
            .first
    }

    /// movs/stos/lods/scas/cmps and ins/outs, the instructions a rep prefix repeats.
    var isString: Bool {
        instruction.meta.category == ZYDIS_CATEGORY_STRINGOP || instruction.meta.category == ZYDIS_CATEGORY_IOSTRINGOP
    }

    /// `66 90`, which Zydis calls an operand-less nop and WinDbg "xchg ax,ax".
    var isXchgAxAx: Bool {
        instruction.mnemonic == ZYDIS_MNEMONIC_NOP && instruction.operand_count_visible == 0
            && instruction.operand_width == 16
    }

    var hasRepPrefix: Bool {
        isString && instruction.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE) != 0
    }

    var flow: ControlFlow {
        switch instruction.mnemonic {
        case ZYDIS_MNEMONIC_CALL:
            return .call
        case ZYDIS_MNEMONIC_RET, ZYDIS_MNEMONIC_IRET, ZYDIS_MNEMONIC_IRETD, ZYDIS_MNEMONIC_IRETQ:
            return .ret
        case ZYDIS_MNEMONIC_JMP:
            return .jump
        case ZYDIS_MNEMONIC_SYSCALL, ZYDIS_MNEMONIC_SYSENTER:
            return .syscall
        case ZYDIS_MNEMONIC_INT, ZYDIS_MNEMONIC_INT1, ZYDIS_MNEMONIC_INT3, ZYDIS_MNEMONIC_INTO:
            return .interrupt
        default:
            return instruction.meta.category == ZYDIS_CATEGORY_COND_BR ? .conditionalJump : .none
        }
    }

    /// The target of a relative call/jmp/jcc/loop, the only branches whose target the bytes fix.
    var branchTarget: UInt64? {
        guard flow == .call || flow == .jump || flow == .conditionalJump else { return nil }
        for index in visibleOperandIndices
        where operands[index].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && operands[index].imm.is_relative != 0 {
            return absoluteAddress(of: index)
        }
        return nil
    }

    var visibleOperandIndices: Range<Int> { 0..<Int(instruction.operand_count_visible) }

    /// The first visible memory operand the instruction accesses (not `lea`, not the hint
    /// operands of `nop` and prefetches), with its segment as the CPU uses it.
    var memoryAccess: MemoryAccess? {
        guard instruction.mnemonic != ZYDIS_MNEMONIC_LEA, instruction.mnemonic != ZYDIS_MNEMONIC_NOP,
              instruction.meta.category != ZYDIS_CATEGORY_PREFETCH else { return nil }
        for index in visibleOperandIndices where operands[index].type == ZYDIS_OPERAND_TYPE_MEMORY && operands[index].mem.type == ZYDIS_MEMOP_TYPE_MEM {
            let memory = operands[index].mem
            let name = { (register: ZydisRegister) -> String? in
                register == ZYDIS_REGISTER_NONE ? nil : cString(ZydisRegisterGetString(register))
            }
            let size = Int(operands[index].size / 8)
            guard size > 0 else { return nil }
            var segment = name(memory.segment) ?? "ds"
            if let override = segmentOverride.flatMap(name), override == "fs" || override == "gs" { segment = override }
            var access = memory.base == ZYDIS_REGISTER_RIP
                ? MemoryAccess(segment: segment, base: nil, index: nil, scale: 1, displacement: 0, absolute: absoluteAddress(of: index), size: size)
                : MemoryAccess(segment: segment, base: name(memory.base), index: name(memory.index), scale: UInt64(max(1, memory.scale)),
                               displacement: memory.disp.value, absolute: nil, size: size)
            access.writes = operands[index].actions & ZyanU8(ZYDIS_OPERAND_ACTION_MASK_WRITE.rawValue) != 0
            return access
        }
        return nil
    }

    /// Resolves a relative immediate or a rip-relative memory operand.
    func absoluteAddress(of index: Int) -> UInt64? {
        var instruction = instruction
        var operand = operands[index]
        var result: UInt64 = 0
        guard succeeded(ZydisCalcAbsoluteAddress(&instruction, &operand, address, &result)) else { return nil }
        return result
    }
}

/// Zydis statuses carry an error flag in the high bit (`ZYAN_SUCCESS` is a macro Swift cannot import).
private func succeeded(_ status: ZyanStatus) -> Bool {
    status & 0x8000_0000 == 0
}

/// Spells a mnemonic the way the Microsoft disassembler does, which differs from Zydis in
/// condition-code names ("je" for "jz"), string instructions ("movs" for "movsb") and prefixes.
private struct MnemonicRenderer {
    let decoded: DecodedInstruction

    init(_ decoded: DecodedInstruction) {
        self.decoded = decoded
    }

    private var instruction: ZydisDecodedInstruction { decoded.instruction }

    func text() -> String {
        prefixes().map { $0 + " " }.joined() + baseMnemonic()
    }

    private func prefixes() -> [String] {
        let attributes = instruction.attributes
        var result: [String] = []
        if attributes & ZYDIS_ATTRIB_HAS_LOCK != 0 { result.append("lock") }
        if decoded.isString {
            if attributes & ZYDIS_ATTRIB_HAS_REP != 0 { result.append("rep") }
            if attributes & ZYDIS_ATTRIB_HAS_REPE != 0 { result.append("repe") }
            if attributes & ZYDIS_ATTRIB_HAS_REPNE != 0 { result.append("repne") }
        }
        if attributes & ZYDIS_ATTRIB_HAS_BND != 0 { result.append("bnd") }
        return result
    }

    private func baseMnemonic() -> String {
        if instruction.mnemonic == ZYDIS_MNEMONIC_INT3 { return "int" }
        if decoded.isXchgAxAx { return "xchg" }
        let name = cString(ZydisMnemonicGetString(instruction.mnemonic))
        if decoded.isString { return String(name.dropLast()) }
        for stem in ["j", "set", "cmov"] where name.hasPrefix(stem) {
            if let condition = Self.conditionNames[String(name.dropFirst(stem.count))] {
                return stem + condition
            }
        }
        return name
    }

    /// Zydis condition suffixes that Microsoft spells differently.
    private static let conditionNames = ["z": "e", "nz": "ne", "nb": "ae", "nbe": "a", "nl": "ge", "nle": "g"]
}

/// Renders the operand list in WinDbg's MASM flavour.
private struct OperandRenderer {
    let decoded: DecodedInstruction

    init(_ decoded: DecodedInstruction) {
        self.decoded = decoded
    }

    private var instruction: ZydisDecodedInstruction { decoded.instruction }

    func pieces() -> [OperandPiece] {
        if let implicit = implicitOperands() { return [.text(implicit)] }
        var result: [OperandPiece] = []
        for index in shownOperandIndices() {
            let operand = decoded.operands[index]
            if operand.encoding == ZYDIS_OPERAND_ENCODING_MASK {
                result.append(.text(maskDecorator(operand)))
                continue
            }
            // Zydis lists the ModRM reg of a multi-byte nop ("nop dword ptr [rax],eax"); WinDbg omits it.
            if instruction.mnemonic == ZYDIS_MNEMONIC_NOP && !result.isEmpty { break }
            if !result.isEmpty { result.append(.text(",")) }
            result += render(operandAt: index)
        }
        if let rounding = roundingDecorator() { result.append(.text(",\(rounding)")) }
        return result
    }

    /// Instructions whose operands WinDbg spells out although Zydis leaves them implicit.
    private func implicitOperands() -> String? {
        if instruction.mnemonic == ZYDIS_MNEMONIC_INT3 { return "3" }
        if decoded.isXchgAxAx { return "ax,ax" }
        return nil
    }

    /// Visible operands; for string instructions the memory operands (and the port of ins/outs),
    /// which WinDbg shows ("movs byte ptr [rdi],byte ptr [rsi]") while Zydis hides them.
    private func shownOperandIndices() -> [Int] {
        guard decoded.isString else { return Array(decoded.visibleOperandIndices) }
        return (0..<Int(instruction.operand_count)).filter { index in
            let operand = decoded.operands[index]
            return operand.type == ZYDIS_OPERAND_TYPE_MEMORY
                || (operand.type == ZYDIS_OPERAND_TYPE_REGISTER && operand.reg.value == ZYDIS_REGISTER_DX)
        }
    }

    private func render(operandAt index: Int) -> [OperandPiece] {
        let operand = decoded.operands[index]
        switch operand.type {
        case ZYDIS_OPERAND_TYPE_REGISTER:
            return [.text(registerName(operand.reg.value))]
        case ZYDIS_OPERAND_TYPE_MEMORY:
            return memory(operandAt: index)
        case ZYDIS_OPERAND_TYPE_POINTER:
            return [.text(masmHex(UInt64(operand.ptr.segment)) + ":" + masmHex(UInt64(operand.ptr.offset)))]
        case ZYDIS_OPERAND_TYPE_IMMEDIATE:
            return [immediate(operandAt: index)]
        default:
            return []
        }
    }

    private func immediate(operandAt index: Int) -> OperandPiece {
        let operand = decoded.operands[index]
        if operand.imm.is_relative != 0, let target = decoded.absoluteAddress(of: index) {
            return .address(target)
        }
        // Zydis sign-extends signed immediates to 64 bits; WinDbg shows them at the operation's width.
        let width = UInt64(operand.imm.is_signed != 0 ? instruction.operand_width : UInt8(operand.size))
        let value = width >= 64 ? operand.imm.value.u : operand.imm.value.u & ((1 << width) - 1)
        let mayBeAddress = width >= 32
            && (instruction.mnemonic == ZYDIS_MNEMONIC_MOV || instruction.mnemonic == ZYDIS_MNEMONIC_PUSH)
        return mayBeAddress ? .offset(value) : .text(masmHex(value))
    }

    private func memory(operandAt index: Int) -> [OperandPiece] {
        let operand = decoded.operands[index]
        let memory = operand.mem
        var prefix = ""
        if memory.type == ZYDIS_MEMOP_TYPE_MEM || memory.type == ZYDIS_MEMOP_TYPE_VSIB,
           let keyword = sizeKeyword(operand) {
            prefix += keyword + " ptr "
        }
        let segment = overriddenSegment(memory)
        if let segment { prefix += registerName(segment) + ":" }
        let address: [OperandPiece]
        if memory.base == ZYDIS_REGISTER_RIP || memory.base == ZYDIS_REGISTER_EIP {
            address = decoded.absoluteAddress(of: index).map { [.address($0)] } ?? [.text(addressExpression(memory))]
        } else if memory.base == ZYDIS_REGISTER_NONE && memory.index == ZYDIS_REGISTER_NONE
                    && segment != ZYDIS_REGISTER_FS && segment != ZYDIS_REGISTER_GS {
            address = [.address(UInt64(bitPattern: memory.disp.value))]
        } else {
            address = [.text(addressExpression(memory))]
        }
        return [.text(prefix + "[")] + address + [.text("]" + broadcastDecorator())]
    }

    /// "rbp-8", "rax+rcx*8+10h", "28h": base, scaled index and signed displacement.
    private func addressExpression(_ memory: ZydisDecodedOperandMem) -> String {
        var terms: [String] = []
        if memory.base != ZYDIS_REGISTER_NONE { terms.append(registerName(memory.base)) }
        if memory.index != ZYDIS_REGISTER_NONE {
            terms.append(registerName(memory.index) + (memory.scale > 1 ? "*\(memory.scale)" : ""))
        }
        var text = terms.joined(separator: "+")
        let displacement = memory.disp.value
        if terms.isEmpty {
            text = masmHex(UInt64(bitPattern: displacement))
        } else if displacement < 0 {
            text += "-" + masmHex(displacement.magnitude)
        } else if displacement > 0 {
            text += "+" + masmHex(UInt64(displacement))
        }
        return text
    }

    /// The segment prefix that applies to a memory operand ("gs:[30h]"); the destination of a string
    /// instruction (es:[rdi]) cannot be overridden, and lea computes no access.
    private func overriddenSegment(_ memory: ZydisDecodedOperandMem) -> ZydisRegister? {
        guard memory.type == ZYDIS_MEMOP_TYPE_MEM,
              !(decoded.isString && memory.segment == ZYDIS_REGISTER_ES) else { return nil }
        return decoded.segmentOverride
    }

    /// MASM's size keyword. Microsoft calls 64-bit memory operands of MMX/SSE/AVX instructions "mmword",
    /// except where the instruction treats them as a general-purpose integer (cvtsi2sd, pinsrq).
    private func sizeKeyword(_ operand: ZydisDecodedOperand) -> String? {
        switch operand.size {
        case 8: return "byte"
        case 16: return "word"
        case 32: return "dword"
        case 48: return "fword"
        case 64: return usesVectorRegisters && !Self.integerSourced.contains(instruction.mnemonic) ? "mmword" : "qword"
        case 80: return "tbyte"
        case 128: return "xmmword"
        case 256: return "ymmword"
        case 512: return "zmmword"
        default: return nil
        }
    }

    private static let integerSourced: Set<ZydisMnemonic> = [
        ZYDIS_MNEMONIC_CVTSI2SD, ZYDIS_MNEMONIC_CVTSI2SS, ZYDIS_MNEMONIC_VCVTSI2SD, ZYDIS_MNEMONIC_VCVTSI2SS,
        ZYDIS_MNEMONIC_VCVTUSI2SD, ZYDIS_MNEMONIC_VCVTUSI2SS, ZYDIS_MNEMONIC_PINSRQ, ZYDIS_MNEMONIC_VPINSRQ,
        ZYDIS_MNEMONIC_PEXTRQ, ZYDIS_MNEMONIC_VPEXTRQ,
    ]

    private var usesVectorRegisters: Bool {
        decoded.visibleOperandIndices.contains { index in
            let operand = decoded.operands[index]
            guard operand.type == ZYDIS_OPERAND_TYPE_REGISTER else { return false }
            let registerClass = ZydisRegisterGetClass(operand.reg.value)
            return registerClass == ZYDIS_REGCLASS_MMX || registerClass == ZYDIS_REGCLASS_XMM
                || registerClass == ZYDIS_REGCLASS_YMM || registerClass == ZYDIS_REGCLASS_ZMM
        }
    }

    /// "{k1}" or "{k1}{z}" after the destination of a masked AVX-512 instruction; k0 means unmasked.
    private func maskDecorator(_ operand: ZydisDecodedOperand) -> String {
        guard operand.reg.value != ZYDIS_REGISTER_K0 else { return "" }
        let zeroing = instruction.raw.evex.z != 0 ? "{z}" : ""
        return "{\(registerName(operand.reg.value))}" + zeroing
    }

    /// "{1to16}" after a memory operand whose element an AVX-512 instruction broadcasts.
    private func broadcastDecorator() -> String {
        guard instruction.avx.broadcast.is_static == 0,
              let count = Self.broadcastCounts[instruction.avx.broadcast.mode] else { return "" }
        return "{1to\(count)}"
    }

    private static let broadcastCounts: [ZydisBroadcastMode: Int] = [
        ZYDIS_BROADCAST_MODE_1_TO_2: 2, ZYDIS_BROADCAST_MODE_1_TO_4: 4, ZYDIS_BROADCAST_MODE_1_TO_8: 8,
        ZYDIS_BROADCAST_MODE_1_TO_16: 16, ZYDIS_BROADCAST_MODE_1_TO_32: 32, ZYDIS_BROADCAST_MODE_1_TO_64: 64,
    ]

    private func roundingDecorator() -> String? {
        switch instruction.avx.rounding.mode {
        case ZYDIS_ROUNDING_MODE_RN: return "{rn-sae}"
        case ZYDIS_ROUNDING_MODE_RD: return "{rd-sae}"
        case ZYDIS_ROUNDING_MODE_RU: return "{ru-sae}"
        case ZYDIS_ROUNDING_MODE_RZ: return "{rz-sae}"
        default: return instruction.avx.has_sae != 0 ? "{sae}" : nil
        }
    }

    /// Zydis register names, except x87 stack registers, which MASM writes "st(1)".
    private func registerName(_ register: ZydisRegister) -> String {
        let name = cString(ZydisRegisterGetString(register))
        if name.hasPrefix("st"), let slot = Int(name.dropFirst(2)) { return "st(\(slot))" }
        return name
    }
}
