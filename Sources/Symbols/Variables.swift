import Arch
import CDwarf
import Glibc

/// A variable's value as the debugger can know it: its bytes, or nil where the compiler left
/// no location for this pc (optimized out) — never a guessed number.
public struct VariableValue: Sendable {
    public let name: String
    /// Its type; records come without members (`ModuleSymbols.expanded` reads them).
    public let type: TypeLayout
    public let bytes: [UInt8]?
    /// Where it lives at this pc: `@rdi`, or a memory address; nil when unavailable.
    public let location: VariableLocation?
    public let isParameter: Bool

    public init(name: String, type: TypeLayout, bytes: [UInt8]?, location: VariableLocation?, isParameter: Bool) {
        self.name = name
        self.type = type
        self.bytes = bytes
        self.location = location
        self.isParameter = isParameter
    }
}

/// Where a variable's value was found (`dv /v`).
public enum VariableLocation: Sendable, Equatable {
    case register(String)
    case memory(UInt64)
    case computed
}

/// What a frame offers for evaluating location expressions (runtime values).
public struct FrameContext {
    public let registers: [Int: UInt64]
    public let cfa: UInt64?
    public let bias: UInt64
    public let readMemory: (UInt64, Int) -> [UInt8]?
    /// Frame 0: its pc is where the thread stopped, not a return address.
    public let isInnermost: Bool
    /// The value a register (DWARF number) had when this frame's function was entered, as
    /// the caller's call site records it (`DW_OP_entry_value`); nil where unknown.
    public let entryValue: (Int) -> UInt64?

    public init(registers: [Int: UInt64], cfa: UInt64?, bias: UInt64, isInnermost: Bool, entryValue: @escaping (Int) -> UInt64? = { _ in nil },
                readMemory: @escaping (UInt64, Int) -> [UInt8]?) {
        self.registers = registers
        self.isInnermost = isInnermost
        self.entryValue = entryValue
        self.cfa = cfa
        self.bias = bias
        self.readMemory = readMemory
    }
}

extension ModuleSymbols {
    /// The function containing link-time `pc`, its parameters, and (`includeLocals`) the
    /// locals of every scope that contains `pc`, outermost first (`dv`). `inlineDepth` picks
    /// an inlined call instead (0 = the innermost function, inlined or not).
    public func variables(at pc: UInt64, frame: FrameContext, includeLocals: Bool, inlineDepth: Int = 0) -> (function: String, parameters: [VariableValue])? {
        guard var (unit, scopes) = scopes(at: pc) else { return nil }
        let count = scopes.count
        let functionTags = [DW_TAG_subprogram, DW_TAG_inlined_subroutine].map { Int32($0) }
        let functionScopes = (0..<Int(count)).filter { functionTags.contains(dwarf_tag(&scopes[$0])) }
        guard inlineDepth < functionScopes.count, let subprogramIndex = functionScopes.last,
              dwarf_tag(&scopes[subprogramIndex]) == Int32(DW_TAG_subprogram) else { return nil }
        let selected = functionScopes[inlineDepth]
        var function = scopes[selected]
        var subprogram = scopes[subprogramIndex]
        let name = dwarf_diename(&function).map { String(cString: $0) } ?? "?"
        let frameBase = evaluateAttribute(&subprogram, UInt32(DW_AT_frame_base), pc: pc, frame: frame, frameBase: nil)?.value
        // In the prologue (the function's first line-table row) memory-located parameters are
        // not stored yet: at the very first instruction the argument registers still hold
        // them; after it, not even those can be trusted (the prologue reloads registers).
        var incoming: IncomingArguments?
        var inPrologue = false
        var entry: Dwarf_Addr = 0
        if frame.isInnermost, selected == subprogramIndex, dwarf_lowpc(&function, &entry) == 0, sourceLine(at: pc)?.rowStart == entry {
            inPrologue = true
            if pc == entry {
                incoming = IncomingArguments(returnType: layout(ofTypeOf: &function, depth: 3), isCPlusPlus: isCPlusPlus(&unit), isC: isC(&unit))
            }
        }
        var values = children(of: &function, tag: Int32(DW_TAG_formal_parameter), pc: pc, frame: frame, frameBase: frameBase,
                              inPrologue: inPrologue, incoming: &incoming)
        if includeLocals {
            var none: IncomingArguments?
            // The selected function's own scope and its blocks, down to the next inlined call.
            let innermost = inlineDepth > 0 ? functionScopes[inlineDepth - 1] + 1 : 0
            for index in stride(from: selected, through: innermost, by: -1) {
                values += children(of: &scopes[index], tag: Int32(DW_TAG_variable), pc: pc, frame: frame, frameBase: frameBase,
                                   inPrologue: inPrologue, incoming: &none)
            }
        }
        return (name, values)
    }

    /// The scope's variables (or parameters) with their values; `incoming` is set when the
    /// stack frame still sits on its function's first row, where parameters are read where
    /// the ABI put them.
    private func children(of scope: inout Dwarf_Die, tag: Int32, pc: UInt64, frame: FrameContext, frameBase: UInt64?,
                          inPrologue: Bool, incoming: inout IncomingArguments?) -> [VariableValue] {
        var child = Dwarf_Die()
        guard dwarf_child(&scope, &child) == 0 else { return [] }
        var result: [VariableValue] = []
        repeat {
            guard dwarf_tag(&child) == tag else { continue }
            let name = dwarf_diename(&child).map { String(cString: $0) } ?? "?"
            let type = layout(ofTypeOf: &child, depth: 3)
            var bytes: [UInt8]?
            var place: VariableLocation?
            let location = evaluateAttribute(&child, UInt32(DW_AT_location), pc: pc, frame: frame, frameBase: frameBase)
            let atEntry = incoming?.next(type, registers: frame.registers)
            if inPrologue, let location, tag == Int32(DW_TAG_formal_parameter) ? !location.isValue : location.readsMemory {
                // Parameters: their slots are not written yet. Locals reached through a pointer
                // in a slot (a lambda's captures through `__closure`): that pointer is not either.
                result.append(VariableValue(name: name, type: type, bytes: atEntry, location: atEntry == nil ? nil : .computed,
                                            isParameter: tag == Int32(DW_TAG_formal_parameter)))
                continue
            }
            if location == nil, let constant = constantValue(&child, size: type.size) {
                // Optimized to a constant (`f.constprop`): DW_AT_const_value instead of a location.
                result.append(VariableValue(name: name, type: type, bytes: constant, location: .computed, isParameter: tag == Int32(DW_TAG_formal_parameter)))
                continue
            }
            if let location, type.size > 0 {
                if let pieces = location.pieces {
                    bytes = pieces.count == type.size ? pieces : nil
                    place = .computed
                } else if location.isValue {
                    // A register or computed value holds at most 8 bytes of it.
                    bytes = type.size <= 8 ? [UInt8](littleEndian: location.value, size: type.size) : nil
                    place = location.register.map { .register($0) } ?? .computed
                } else {
                    bytes = frame.readMemory(location.value, type.size)
                    place = .memory(location.value)
                }
            }
            result.append(VariableValue(name: name, type: type, bytes: bytes, location: bytes == nil ? nil : place,
                                        isParameter: tag == Int32(DW_TAG_formal_parameter)))
        } while nextSibling(&child)
        return result
    }

    /// A `DW_AT_const_value`: a number, or a block of the value's bytes.
    func constantValue(_ die: inout Dwarf_Die, size: Int) -> [UInt8]? {
        var attribute = Dwarf_Attribute()
        guard size > 0, dwarf_attr_integrate(&die, UInt32(DW_AT_const_value), &attribute) != nil else { return nil }
        var block = Dwarf_Block()
        if dwarf_formblock(&attribute, &block) == 0, let data = block.data, block.length >= UInt64(size) {
            return Array(UnsafeBufferPointer(start: data, count: size))
        }
        guard size <= 8, let value = constantInteger(&attribute) else { return nil }
        return [UInt8](littleEndian: value, size: size)
    }

    /// An integer constant as its form says: `DW_FORM_sdata` is signed, the fixed-size data
    /// forms and `udata` are not (gcc writes 203 as one byte, 0xcb, for an `int`), as gdb reads
    /// them.
    func constantInteger(_ attribute: inout Dwarf_Attribute) -> UInt64? {
        let form = Int(dwarf_whatform(&attribute))
        if form == DW_FORM_sdata || form == DW_FORM_implicit_const {
            var signed: Dwarf_Sword = 0
            return dwarf_formsdata(&attribute, &signed) == 0 ? UInt64(bitPattern: Int64(signed)) : nil
        }
        var unsigned: Dwarf_Word = 0
        guard dwarf_formudata(&attribute, &unsigned) == 0 else { return nil }
        switch form {
        case DW_FORM_data1: return unsigned & 0xff
        case DW_FORM_data2: return unsigned & 0xffff
        case DW_FORM_data4: return unsigned & 0xffff_ffff
        default: return unsigned
        }
    }

    /// What the call returning to link-time `returnAddress` passed in `register`: the
    /// `DW_AT_call_value` of its `DW_TAG_call_site_parameter`, evaluated in the calling frame
    /// (`frame`: the caller's registers as the unwind recovered them).
    public func callSiteValue(returnAddress: UInt64, register: Int, frame: FrameContext) -> UInt64? {
        guard var (_, scopes) = scopes(at: returnAddress &- 1) else { return nil }
        let siteTags = [DW_TAG_call_site, DW_TAG_GNU_call_site].map { Int32($0) }
        let parameterTags = [DW_TAG_call_site_parameter, DW_TAG_GNU_call_site_parameter].map { Int32($0) }
        for index in scopes.indices {
            var site = Dwarf_Die()
            guard dwarf_child(&scopes[index], &site) == 0 else { continue }
            repeat {
                guard siteTags.contains(dwarf_tag(&site)), callSiteReturn(&site) == returnAddress else { continue }
                var parameter = Dwarf_Die()
                guard dwarf_child(&site, &parameter) == 0 else { return nil }
                repeat {
                    guard parameterTags.contains(dwarf_tag(&parameter)), singleRegister(&parameter, UInt32(DW_AT_location)) == register else { continue }
                    let valueAttribute = dwarf_hasattr(&parameter, UInt32(DW_AT_call_value)) != 0 ? DW_AT_call_value : DW_AT_GNU_call_site_value
                    return evaluateAttribute(&parameter, UInt32(valueAttribute), pc: returnAddress &- 1, frame: frame, frameBase: nil)?.value
                } while nextSibling(&parameter)
                return nil
            } while nextSibling(&site)
        }
        return nil
    }

    /// Where a call site's call returns to: `DW_AT_call_return_pc` (DWARF 5) or the GNU
    /// extension's `DW_AT_low_pc`.
    private func callSiteReturn(_ site: inout Dwarf_Die) -> UInt64? {
        var attribute = Dwarf_Attribute()
        var address: Dwarf_Addr = 0
        if dwarf_attr(&site, UInt32(DW_AT_call_return_pc), &attribute) != nil, dwarf_formaddr(&attribute, &address) == 0 { return address }
        return dwarf_lowpc(&site, &address) == 0 ? address : nil
    }

    /// The register of a location that is one `DW_OP_regN`.
    private func singleRegister(_ die: inout Dwarf_Die, _ name: UInt32) -> Int? {
        var attribute = Dwarf_Attribute()
        guard dwarf_attr(&die, name, &attribute) != nil else { return nil }
        return loneRegister(of: &attribute)
    }

    /// The register an expression attribute names when it is one `DW_OP_regN`.
    private func loneRegister(of attribute: inout Dwarf_Attribute) -> Int? {
        var ops: UnsafeMutablePointer<Dwarf_Op>? = nil
        var count = 0
        guard dwarf_getlocation(&attribute, &ops, &count) == 0, let ops else { return nil }
        return DwarfExpression.loneRegister(UnsafeBufferPointer(start: ops, count: count))
    }

    /// A unit written in C++ (03, 11, 14, 17, 20; the last two are newer than this dwarf.h).
    func isCPlusPlus(_ unit: inout Dwarf_Die) -> Bool {
        [DW_LANG_C_plus_plus, DW_LANG_C_plus_plus_03, DW_LANG_C_plus_plus_11, DW_LANG_C_plus_plus_14].map(Int32.init).contains(dwarf_srclang(&unit))
            || [0x2a, 0x2b].contains(dwarf_srclang(&unit))
    }

    /// Evaluates a location attribute (an expression, or the entry of a location list that
    /// covers `pc`); nil when there is none for this pc or it uses operations not supported.
    /// A value in pieces comes back assembled in `pieces`.
    private func evaluateAttribute(_ die: inout Dwarf_Die, _ name: UInt32, pc: UInt64, frame: FrameContext,
                                   frameBase: UInt64?) -> (value: UInt64, isValue: Bool, register: String?, readsMemory: Bool, pieces: [UInt8]?)? {
        var attribute = Dwarf_Attribute()
        guard dwarf_attr_integrate(&die, name, &attribute) != nil else { return nil }
        var expression: UnsafeMutablePointer<Dwarf_Op>? = nil
        var length = 0
        guard dwarf_getlocation_addr(&attribute, pc, &expression, &length, 1) == 1, let expression, length > 0 else { return nil }
        let ops = UnsafeBufferPointer(start: expression, count: length)
        let entryValue = { (op: Dwarf_Op) -> UInt64? in
            // The operand is a sub-expression naming the register: `DW_OP_entry_value(DW_OP_reg5)`.
            var op = op
            var block = Dwarf_Attribute()
            guard dwarf_getlocation_attr(&attribute, &op, &block) == 0, let register = self.loneRegister(of: &block) else { return nil }
            return frame.entryValue(register)
        }
        let readsMemory = ops.contains { $0.atom == UInt8(DW_OP_deref) || $0.atom == UInt8(DW_OP_deref_size) }
        let evaluate = { (segment: UnsafeBufferPointer<Dwarf_Op>) in
            DwarfExpression.evaluate(segment, registers: frame.registers, cfa: frame.cfa, frameBase: frameBase, bias: frame.bias,
                                     entryValue: entryValue, readMemory: { address in frame.readMemory(address, 8).map { $0.littleEndian(at: 0) } })
        }
        if ops.contains(where: { $0.atom == UInt8(DW_OP_piece) }) {
            // A value in pieces (`DW_OP_reg5; DW_OP_piece 8; DW_OP_reg4; DW_OP_piece 8`): each
            // piece from its register or memory; a piece with no location makes it unavailable.
            var bytes: [UInt8] = []
            var start = 0
            var fromRegisters = true
            for (index, op) in ops.enumerated() where op.atom == UInt8(DW_OP_piece) {
                let size = Int(min(op.number, 64))
                let segment = UnsafeBufferPointer(rebasing: ops[start..<index])
                start = index + 1
                guard !segment.isEmpty, size > 0, let piece = evaluate(segment) else { return nil }
                if piece.isValue {
                    guard size <= 8 else { return nil }
                    bytes += [UInt8](littleEndian: piece.value, size: size)
                } else {
                    guard let memory = frame.readMemory(piece.value, size) else { return nil }
                    bytes += memory
                    fromRegisters = false
                }
            }
            return (0, fromRegisters, nil, readsMemory || !fromRegisters, bytes)
        }
        guard let result = evaluate(ops) else { return nil }
        // A lone DW_OP_regN: the value lives in that register.
        let register = DwarfExpression.loneRegister(ops).flatMap(DwarfRegister.name).map { "@" + $0 }
        return (result.value, result.isValue, register, readsMemory, nil)
    }
}
