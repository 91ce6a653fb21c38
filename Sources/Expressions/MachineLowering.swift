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
    /// The C++ condition as a machine-level expression: registers, integer and boolean
    /// constants, `==`, `!=`, `&&`, `||`, `!`, `~`, `+`, `-`, `*`, `&`, `|`, `^`, and where an
    /// operand reads a register (an `unsigned long` to C++, so the other side converts to it)
    /// `<`, `>`, `<=`, `>=` unsigned and shifts by a constant; variables, members, casts and
    /// comparisons of constants alone (their C widths) are for the debugger.
    public func lowered(_ context: any ExpressionContext) throws(NotLowerable) -> MachineCondition {
        try root.lowered(context)
    }
}

extension CppNode {
    func lowered(_ context: any ExpressionContext) throws(NotLowerable) -> MachineCondition {
        switch self {
        case .integer(let value, _, _):
            return .constant(value)
        case .boolean(let value):
            return .constant(value ? 1 : 0)
        case .register(let name):
            return try loweredRegister(name)
        case .unary(let op, let operand):
            let inner = try operand.lowered(context)
            switch op {
            case "!": return .unary(.logicalNot, inner)
            case "~": return .unary(.bitwiseNot, inner)
            case "-": return .unary(.negate, inner)
            case "+": return inner
            default: throw NotLowerable("its operator \(op) depends on C types")
            }
        case .binary(let op, let left, let right):
            let (l, r) = (try left.lowered(context), try right.lowered(context))
            let truth = { (value: MachineCondition) in MachineCondition.binary(.notEqual, value, .constant(0)) }
            switch op {
            case "==": return .binary(.equal, l, r)
            case "!=": return .binary(.notEqual, l, r)
            case "&&": return .binary(.and, truth(l), truth(r))
            case "||": return .binary(.or, truth(l), truth(r))
            case "+": return .binary(.add, l, r)
            case "-": return .binary(.subtract, l, r)
            case "*": return .binary(.multiply, l, r)
            case "&": return .binary(.and, l, r)
            case "|": return .binary(.or, l, r)
            case "^": return .binary(.xor, l, r)
            default:
                let unsignedOperators: [String: MachineBinary] = ["<": .below, ">": .above, "<=": .belowOrEqual, ">=": .aboveOrEqual, "<<": .shiftLeft, ">>": .shiftRight]
                guard let machine = unsignedOperators[op], left.readsRegister || right.readsRegister else {
                    throw NotLowerable("its operator \(op) depends on C types")
                }
                if op == "<<" || op == ">>" {
                    guard case .constant(let count) = r, count < 64 else { throw NotLowerable("it shifts by a computed amount") }
                }
                return .binary(machine, l, r)
            }
        case .masm(let expression):
            return try expression.lowered(context)
        case .identifier(let name):
            throw NotLowerable("it reads the variable \(name)")
        default:
            throw NotLowerable("it uses C types (casts, members, floating point)")
        }
    }
}

extension CppNode {
    /// Whether the value is an `unsigned long` from a register (C++ types registers so, and
    /// arithmetic with one stays so): comparisons with it are 64-bit unsigned, as the kernel
    /// computes them.
    var readsRegister: Bool {
        switch self {
        case .register: true
        case .unary(let op, let operand): op != "!" && operand.readsRegister
        // Comparisons and logic give a C int, whatever their operands.
        case .binary(let op, let left, let right): ["+", "-", "*", "&", "|", "^", "<<", ">>"].contains(op) && (left.readsRegister || right.readsRegister)
        default: false
        }
    }
}

/// A general register (or part of one, or a flag) the kernel's saved registers hold.
private func loweredRegister(_ name: String) throws(NotLowerable) -> MachineCondition {
    guard let (slot, shift, mask) = X86Registers.location(of: name), slot < 21 else {
        throw NotLowerable("it reads \(name), which the kernel's probe does not see")
    }
    return .register(slot: slot, shift: shift, mask: mask)
}
