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
    /// Where it lives at this pc: `@rdi`, or a memory address; nil when unavailable.
    public let location: VariableLocation?
    public let isParameter: Bool
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

    public init(registers: [Int: UInt64], cfa: UInt64?, bias: UInt64, readMemory: @escaping (UInt64, Int) -> [UInt8]?) {
        self.registers = registers
        self.cfa = cfa
        self.bias = bias
        self.readMemory = readMemory
    }
}

extension ModuleSymbols {
    /// The function containing link-time `pc`, its parameters, and (`includeLocals`) the
    /// locals of every scope that contains `pc`, outermost first (`dv`).
    public func variables(at pc: UInt64, frame: FrameContext, includeLocals: Bool) -> (function: String, parameters: [VariableValue])? {
        guard let dwarf else { return nil }
        var unit = Dwarf_Die()
        guard dwarf_addrdie(dwarf, pc, &unit) != nil else { return nil }
        var scopes: UnsafeMutablePointer<Dwarf_Die>? = nil
        let count = dwarf_getscopes(&unit, pc, &scopes)
        guard count > 0, let scopes else { return nil }
        defer { free(scopes) }
        guard let functionIndex = (0..<Int(count)).first(where: { dwarf_tag(&scopes[$0]) == Int32(DW_TAG_subprogram) }) else { return nil }
        var function = scopes[functionIndex]
        let name = dwarf_diename(&function).map { String(cString: $0) } ?? "?"
        let frameBase = evaluateAttribute(&function, UInt32(DW_AT_frame_base), pc: pc, frame: frame, frameBase: nil)?.value
        var values = children(of: &function, tag: Int32(DW_TAG_formal_parameter), pc: pc, frame: frame, frameBase: frameBase)
        if includeLocals {
            for index in stride(from: functionIndex, through: 0, by: -1) {
                values += children(of: &scopes[index], tag: Int32(DW_TAG_variable), pc: pc, frame: frame, frameBase: frameBase)
            }
        }
        return (name, values)
    }

    private func children(of scope: inout Dwarf_Die, tag: Int32, pc: UInt64, frame: FrameContext, frameBase: UInt64?) -> [VariableValue] {
        var child = Dwarf_Die()
        guard dwarf_child(&scope, &child) == 0 else { return [] }
        var result: [VariableValue] = []
        repeat {
            guard dwarf_tag(&child) == tag else { continue }
            let name = dwarf_diename(&child).map { String(cString: $0) } ?? "?"
            let type = describeType(of: &child)
            var bytes: [UInt8]?
            var place: VariableLocation?
            if let location = evaluateAttribute(&child, UInt32(DW_AT_location), pc: pc, frame: frame, frameBase: frameBase), type.size > 0 {
                if location.isValue {
                    bytes = [UInt8](littleEndian: location.value, size: min(type.size, 8))
                    place = location.register.map { .register($0) } ?? .computed
                } else {
                    bytes = frame.readMemory(location.value, type.size)
                    place = .memory(location.value)
                }
            }
            result.append(VariableValue(name: name, typeName: type.name, bytes: bytes, isSigned: type.isSigned, isPointer: type.isPointer,
                                        location: bytes == nil ? nil : place, isParameter: tag == Int32(DW_TAG_formal_parameter)))
        } while nextSibling(&child)
        return result
    }

    /// Evaluates a location attribute (an expression, or the entry of a location list that
    /// covers `pc`); nil when there is none for this pc or it uses operations not supported.
    private func evaluateAttribute(_ die: inout Dwarf_Die, _ name: UInt32, pc: UInt64, frame: FrameContext,
                                   frameBase: UInt64?) -> (value: UInt64, isValue: Bool, register: String?)? {
        var attribute = Dwarf_Attribute()
        guard dwarf_attr_integrate(&die, name, &attribute) != nil else { return nil }
        var expression: UnsafeMutablePointer<Dwarf_Op>? = nil
        var length = 0
        guard dwarf_getlocation_addr(&attribute, pc, &expression, &length, 1) == 1, let expression, length > 0 else { return nil }
        let ops = UnsafeBufferPointer(start: expression, count: length)
        guard let result = DwarfExpression.evaluate(ops, registers: frame.registers, cfa: frame.cfa, frameBase: frameBase, bias: frame.bias, readMemory: { address in
            frame.readMemory(address, 8).map { $0.littleEndian(at: 0) }
        }) else { return nil }
        // A lone DW_OP_regN: the value lives in that register.
        var register: String?
        if length == 1, (0x50...0x6f).contains(ops[0].atom) { register = DwarfRegister.name(Int(ops[0].atom - 0x50)).map { "@" + $0 } }
        return (result.value, result.isValue, register)
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
