import Arch
import CDwarf
import Glibc

/// A variable's value as the debugger can know it: its bytes, or nil where the compiler left
/// no location for this pc (optimized out) — never a guessed number.
public struct VariableValue: Sendable {
    public let name: String
    public let typeName: String
    public let bytes: [UInt8]?
    public let isSigned: Bool
    public let isPointer: Bool
}

/// What a frame offers for evaluating location expressions (runtime values).
public struct FrameContext {
    public let registers: [Int: UInt64]
    public let cfa: UInt64?
    public let bias: UInt64
    public let readMemory: (UInt64, Int) -> [UInt8]?

    public init(registers: [Int: UInt64], cfa: UInt64?, bias: UInt64, readMemory: @escaping (UInt64, Int) -> [UInt8]?) {
        self.registers = registers
        self.cfa = cfa
        self.bias = bias
        self.readMemory = readMemory
    }
}

extension ModuleSymbols {
    /// The function containing link-time `pc` and its parameters' values in `frame`.
    public func parameters(at pc: UInt64, frame: FrameContext) -> (function: String, parameters: [VariableValue])? {
        guard let dwarf else { return nil }
        var unit = Dwarf_Die()
        guard dwarf_addrdie(dwarf, pc, &unit) != nil else { return nil }
        var scopes: UnsafeMutablePointer<Dwarf_Die>? = nil
        let count = dwarf_getscopes(&unit, pc, &scopes)
        guard count > 0, let scopes else { return nil }
        defer { free(scopes) }
        for index in 0..<Int(count) where dwarf_tag(&scopes[index]) == Int32(DW_TAG_subprogram) {
            var function = scopes[index]
            let name = dwarf_diename(&function).map { String(cString: $0) } ?? "?"
            let frameBase = evaluateAttribute(&function, UInt32(DW_AT_frame_base), pc: pc, frame: frame, frameBase: nil)
            return (name, formalParameters(&function, pc: pc, frame: frame, frameBase: frameBase?.value))
        }
        return nil
    }

    private func formalParameters(_ function: inout Dwarf_Die, pc: UInt64, frame: FrameContext, frameBase: UInt64?) -> [VariableValue] {
        var child = Dwarf_Die()
        guard dwarf_child(&function, &child) == 0 else { return [] }
        var result: [VariableValue] = []
        repeat {
            guard dwarf_tag(&child) == Int32(DW_TAG_formal_parameter) else { continue }
            let name = dwarf_diename(&child).map { String(cString: $0) } ?? "?"
            let type = describeType(of: &child)
            var bytes: [UInt8]?
            if let location = evaluateAttribute(&child, UInt32(DW_AT_location), pc: pc, frame: frame, frameBase: frameBase), type.size > 0 {
                bytes = location.isValue ? [UInt8](littleEndian: location.value, size: min(type.size, 8)) : frame.readMemory(location.value, type.size)
            }
            result.append(VariableValue(name: name, typeName: type.name, bytes: bytes, isSigned: type.isSigned, isPointer: type.isPointer))
        } while nextSibling(&child)
        return result
    }

    private func nextSibling(_ die: inout Dwarf_Die) -> Bool {
        var current = die
        return dwarf_siblingof(&current, &die) == 0
    }

    /// Evaluates a location attribute (an expression, or the entry of a location list that
    /// covers `pc`); nil when there is none for this pc or it uses operations not supported.
    private func evaluateAttribute(_ die: inout Dwarf_Die, _ name: UInt32, pc: UInt64, frame: FrameContext, frameBase: UInt64?) -> (value: UInt64, isValue: Bool)? {
        var attribute = Dwarf_Attribute()
        guard dwarf_attr_integrate(&die, name, &attribute) != nil else { return nil }
        var expression: UnsafeMutablePointer<Dwarf_Op>? = nil
        var length = 0
        guard dwarf_getlocation_addr(&attribute, pc, &expression, &length, 1) == 1, let expression, length > 0 else { return nil }
        return DwarfExpression.evaluate(UnsafeBufferPointer(start: expression, count: length), registers: frame.registers, cfa: frame.cfa,
                                        frameBase: frameBase, bias: frame.bias) { address in
            frame.readMemory(address, 8).map { $0.littleEndian(at: 0) }
        }
    }

    /// A C-like name for a DIE's type (`int`, `char **`, `const struct point *`), its size,
    /// and whether it is a signed integer or a pointer.
    private func describeType(of die: inout Dwarf_Die) -> (name: String, size: Int, isSigned: Bool, isPointer: Bool) {
        var attribute = Dwarf_Attribute()
        var type = Dwarf_Die()
        guard dwarf_attr_integrate(&die, UInt32(DW_AT_type), &attribute) != nil, dwarf_formref_die(&attribute, &type) != nil else {
            return ("void", 0, false, false)
        }
        var size: Dwarf_Word = 0
        let known = dwarf_aggregate_size(&type, &size) == 0
        let tag = dwarf_tag(&type)
        let name = dwarf_diename(&type).map { String(cString: $0) }
        switch tag {
        case Int32(DW_TAG_pointer_type):
            let target = describeType(of: &type)
            return (target.name + (target.name.hasSuffix("*") ? "*" : " *"), 8, false, true)
        case Int32(DW_TAG_subroutine_type):
            return ("<function>", 0, false, false)
        case Int32(DW_TAG_const_type), Int32(DW_TAG_volatile_type):
            let target = describeType(of: &type)
            return ((tag == Int32(DW_TAG_const_type) ? "const " : "volatile ") + target.name, target.size, target.isSigned, target.isPointer)
        case Int32(DW_TAG_typedef):
            let target = describeType(of: &type)
            return (name ?? target.name, target.size, target.isSigned, target.isPointer)
        case Int32(DW_TAG_structure_type): return ("struct " + (name ?? "<unnamed>"), known ? Int(size) : 0, false, false)
        case Int32(DW_TAG_union_type): return ("union " + (name ?? "<unnamed>"), known ? Int(size) : 0, false, false)
        case Int32(DW_TAG_enumeration_type): return ("enum " + (name ?? "<unnamed>"), known ? Int(size) : 4, true, false)
        case Int32(DW_TAG_base_type):
            var encoding: Dwarf_Word = 0
            var encodingAttribute = Dwarf_Attribute()
            if dwarf_attr(&type, UInt32(DW_AT_encoding), &encodingAttribute) != nil { dwarf_formudata(&encodingAttribute, &encoding) }
            let signed = encoding == Dwarf_Word(DW_ATE_signed) || encoding == Dwarf_Word(DW_ATE_signed_char)
            return (name ?? "?", known ? Int(size) : 0, signed, false)
        default:
            return (name ?? "?", known ? Int(size) : 0, false, false)
        }
    }
}
