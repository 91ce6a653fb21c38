import Arch

/// Why a condition cannot be evaluated outside the debugger (shown by `bl`).
public struct NotLowerable: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension MasmExpression {
    /// The condition as a machine-level expression, symbols resolved to addresses now (a
    /// module unloaded takes the breakpoint's probe with it); a part only the debugger can
    /// evaluate (`$t0`, a C++ part, a division) throws, saying which.
    public func lowered(_ context: any ExpressionContext) throws(NotLowerable) -> MachineCondition {
        try root.lowered(context)
    }

    /// The bare words it names (symbols, or registers where no symbol resolves): a word that
    /// names a local of the hit frame is that local, which no address fixed now can stand for.
    public var words: [String] { root.words }

    /// Whether it names symbols or source lines, which its lowering fixes as addresses.
    public var namesSymbols: Bool { root.namesSymbols }
}

extension MasmNode {
    var namesSymbols: Bool {
        switch self {
        case .word, .quotedSymbol, .sourceLine: true
        case .negate(let operand), .unary(_, let operand, _): operand.namesSymbols
        case .binary(_, let left, let right, _): left.namesSymbols || right.namesSymbols
        case .masm(let inner): inner.namesSymbols
        default: false
        }
    }

    var words: [String] {
        switch self {
        case .word(let name, _): [name]
        case .negate(let operand), .unary(_, let operand, _): operand.words
        case .binary(_, let left, let right, _): left.words + right.words
        case .masm(let inner): inner.words
        default: []
        }
    }

    func lowered(_ context: any ExpressionContext) throws(NotLowerable) -> MachineCondition {
        switch self {
        case .number(let value):
            return .constant(value)
        case .word(let name, _):
            if let address = context.symbolAddress(name) { return .constant(address) }
            let register = MasmLexer.lowercasedName(name[...])
            guard X86Registers.location(of: register) != nil else { throw NotLowerable("\(name) does not resolve") }
            return try loweredRegister(register)
        case .register(let name, _):
            return try loweredRegister(name)
        case .pseudoRegister(let name, _):
            throw NotLowerable("it reads the pseudo-register \(name.hasPrefix("$") ? name : "$" + name)")
        case .quotedSymbol(let name, _):
            guard let address = context.symbolAddress(name) else { throw NotLowerable("\(name) does not resolve") }
            return .constant(address)
        case .sourceLine(let spec, _):
            guard let address = context.sourceLineAddress(spec) else { throw NotLowerable("`\(spec)` does not resolve") }
            return .constant(address)
        case .negate(let operand):
            return .unary(.negate, try operand.lowered(context))
        case .unary(let op, let operand, _):
            let inner = try operand.lowered(context)
            switch op {
            case .logicalNot: return .unary(.logicalNot, inner)
            case .bitwiseNot: return .unary(.bitwiseNot, inner)
            case .high: return .binary(.and, .binary(.shiftRight, inner, .constant(16)), .constant(0xffff))
            case .low: return .binary(.and, inner, .constant(0xffff))
            case .byte: return .load(inner, size: 1)
            case .word: return .load(inner, size: 2)
            case .dword: return .load(inner, size: 4)
            case .qword, .pointer: return .load(inner, size: 8)
            }
        case .binary(let op, let left, let right, _):
            let (l, r) = (try left.lowered(context), try right.lowered(context))
            switch op {
            case .multiply: return .binary(.multiply, l, r)
            case .divide, .remainder: throw NotLowerable("it divides (a zero divisor is an error only the debugger reports)")
            case .add: return .binary(.add, l, r)
            case .subtract: return .binary(.subtract, l, r)
            case .shiftLeft, .shiftRight, .arithmeticShiftRight:
                guard case .constant(let count) = r else { throw NotLowerable("it shifts by a computed amount") }
                switch op {
                // A count of 64 or more gives 0, once the left side (a read that may fail) is evaluated.
                case .shiftLeft: return count >= 64 ? .binary(.and, l, .constant(0)) : .binary(.shiftLeft, l, r)
                case .shiftRight: return count >= 64 ? .binary(.and, l, .constant(0)) : .binary(.shiftRight, l, r)
                default: return .binary(.arithmeticShiftRight, l, .constant(min(count, 63)))
                }
            case .equal: return .binary(.equal, l, r)
            case .notEqual: return .binary(.notEqual, l, r)
            case .less: return .binary(.less, l, r)
            case .greater: return .binary(.greater, l, r)
            case .lessOrEqual: return .binary(.lessOrEqual, l, r)
            case .greaterOrEqual: return .binary(.greaterOrEqual, l, r)
            case .and: return .binary(.and, l, r)
            case .xor: return .binary(.xor, l, r)
            case .or: return .binary(.or, l, r)
            }
        case .masm(let expression):
            return try expression.lowered(context)
        case .cpp:
            throw NotLowerable("it has a C++ part")
        }
    }
}

extension CppExpression {
    /// The C++ condition as a machine-level expression, computed with the C++ evaluator's
    /// types: registers (`unsigned long`), integer and boolean constants, global integer
    /// variables (read from memory, extended by their type), `+ - * & | ^`, shifts by a
    /// constant, comparisons, `&& || ! ~ -` — each result truncated and extended to its C type
    /// as the evaluator does. Locals, members, casts, floating point and division are for the
    /// debugger.
    public func lowered(_ context: any ExpressionContext) throws(NotLowerable) -> MachineCondition {
        try root.typedLowering(context).value
    }

    /// The names it reads (a local of the hit frame, where there is one, else a global).
    public var words: [String] { root.identifiers }
}

/// A lowered C++ value with its C integer type: `value` holds it as the evaluator's
/// `signedValue` does (sign-extended for a signed type, zero-extended otherwise).
private struct TypedMachineValue {
    let value: MachineCondition
    let size: Int
    let signed: Bool

    static func bool(_ value: MachineCondition) -> TypedMachineValue { TypedMachineValue(value: value, size: 1, signed: false) }

    /// A 64-bit result of an operation in `type`, truncated and extended to it as the
    /// evaluator stores it.
    init(result: MachineCondition, in type: (size: Int, signed: Bool)) {
        value = type.size == 8 ? result : .extend(result, bits: 8 * type.size, signed: type.signed)
        (size, signed) = type
    }

    init(value: MachineCondition, size: Int, signed: Bool) {
        self.value = value
        self.size = size
        self.signed = signed
    }

    /// The type C's arithmetic gives two operands, as the evaluator's `promoted`.
    static func promoted(_ a: TypedMachineValue, _ b: TypedMachineValue) -> (size: Int, signed: Bool) {
        let size = max(4, a.size, b.size)
        return (size, ![a, b].contains { $0.size == size && !$0.signed })
    }

    /// The operand as the evaluator takes it for an operation of that type: masked to the
    /// width when the type is unsigned.
    func operand(for type: (size: Int, signed: Bool)) -> MachineCondition {
        type.signed || type.size == 8 ? value : .extend(value, bits: 8 * type.size, signed: false)
    }
}

extension CppNode {
    var identifiers: [String] {
        switch self {
        case .identifier(let name): [name]
        case .unary(_, let operand): operand.identifiers
        case .binary(_, let left, let right): left.identifiers + right.identifiers
        case .masm(let inner): inner.words
        default: []
        }
    }

    fileprivate func typedLowering(_ context: any ExpressionContext) throws(NotLowerable) -> TypedMachineValue {
        switch self {
        case .integer(let value, let unsigned, let decimal):
            // The evaluator's literal types: int, unsigned int, long, unsigned long.
            if !unsigned && value <= UInt64(Int32.max) { return TypedMachineValue(value: .constant(value), size: 4, signed: true) }
            if (unsigned || !decimal) && value <= UInt64(UInt32.max) { return TypedMachineValue(value: .constant(value), size: 4, signed: false) }
            return TypedMachineValue(value: .constant(value), size: 8, signed: !unsigned && value <= UInt64(Int64.max))
        case .boolean(let value):
            return .bool(.constant(value ? 1 : 0))
        case .register(let name):
            return TypedMachineValue(value: try loweredRegister(name), size: 8, signed: false)
        case .identifier(let name):
            return try Self.globalVariable(name, context)
        case .masm(let expression):
            return TypedMachineValue(value: try expression.lowered(context), size: 8, signed: false)
        case .unary(let op, let operand):
            let inner = try operand.typedLowering(context)
            switch op {
            case "+": return inner
            case "!": return .bool(.unary(.logicalNot, inner.value))
            case "-": return Self.arithmetic(.subtract, TypedMachineValue(value: .constant(0), size: 4, signed: true), inner)
            case "~": return Self.arithmetic(.xor, inner, TypedMachineValue(value: .constant(UInt64.max), size: 4, signed: true))
            default: throw NotLowerable("its operator \(op) needs the debugger")
            }
        case .binary(let op, let left, let right):
            let (l, r) = (try left.typedLowering(context), try right.typedLowering(context))
            let truth = { (value: TypedMachineValue) in MachineCondition.binary(.notEqual, value.value, .constant(0)) }
            let arithmetic: [String: MachineBinary] = ["+": .add, "-": .subtract, "*": .multiply, "&": .and, "|": .or, "^": .xor]
            if op == "&&" || op == "||" { return .bool(.binary(op == "&&" ? .and : .or, truth(l), truth(r))) }
            if let machine = arithmetic[op] { return Self.arithmetic(machine, l, r) }
            let type = TypedMachineValue.promoted(l, r)
            if op == "<<" || op == ">>" {
                guard case .constant(let count) = r.value, count < 64 else { throw NotLowerable("it shifts by a computed amount") }
                let shifted = MachineCondition.binary(op == "<<" ? .shiftLeft : type.signed ? .arithmeticShiftRight : .shiftRight, l.operand(for: type), r.value)
                return TypedMachineValue(result: shifted, in: type)
            }
            let comparisons: [String: (signed: MachineBinary, unsigned: MachineBinary)] = [
                "==": (.equal, .equal), "!=": (.notEqual, .notEqual), "<": (.less, .below), ">": (.greater, .above),
                "<=": (.lessOrEqual, .belowOrEqual), ">=": (.greaterOrEqual, .aboveOrEqual),
            ]
            guard let comparison = comparisons[op] else { throw NotLowerable("its operator \(op) needs the debugger") }
            return .bool(.binary(type.signed ? comparison.signed : comparison.unsigned, l.operand(for: type), r.operand(for: type)))
        default:
            throw NotLowerable("it uses C types (casts, members, floating point)")
        }
    }

    /// `+ - * & | ^` in the operands' promoted type, the result truncated and extended to it.
    private static func arithmetic(_ op: MachineBinary, _ l: TypedMachineValue, _ r: TypedMachineValue) -> TypedMachineValue {
        let type = TypedMachineValue.promoted(l, r)
        let result = MachineCondition.binary(op, l.operand(for: type), r.operand(for: type))
        return TypedMachineValue(result: result, in: type)
    }

    /// A global integer variable, read from its address at each hit.
    private static func globalVariable(_ name: String, _ context: any ExpressionContext) throws(NotLowerable) -> TypedMachineValue {
        guard let variable = context.variable(named: name), let address = variable.address, variable.register == nil,
              !variable.type.isReference, [1, 2, 4, 8].contains(variable.type.size) else {
            throw NotLowerable("it reads the variable \(name)")
        }
        let signed: Bool
        switch variable.type.kind {
        case .signed, .character, .enumeration: signed = true
        case .unsigned, .boolean: signed = false
        default: throw NotLowerable("it reads \(name), a \(variable.type.cName)")
        }
        let bits = 8 * variable.type.size
        let loaded = MachineCondition.load(.constant(address), size: variable.type.size)
        return TypedMachineValue(value: signed && bits < 64 ? .extend(loaded, bits: bits, signed: true) : loaded, size: variable.type.size, signed: signed)
    }
}

/// A general register (or part of one, or a flag) the kernel's saved registers hold.
private func loweredRegister(_ name: String) throws(NotLowerable) -> MachineCondition {
    guard let (slot, shift, mask) = X86Registers.location(of: name), slot < 21 else {
        throw NotLowerable("it reads \(name), which the kernel's probe does not see")
    }
    return .register(slot: slot, shift: shift, mask: mask)
}
