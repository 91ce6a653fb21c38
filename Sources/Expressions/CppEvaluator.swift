import Arch
import Symbols

/// A value with its C type, as the C++ evaluator computes it: in memory (an lvalue, `address`
/// set), held in a register (`register`, a variable the compiler keeps there), or computed
/// (`bytes`: a scalar, or a record assembled from the registers that hold it).
public struct TypedValue {
    public var type: TypeLayout
    public var address: UInt64?
    public var bytes: [UInt8]
    /// The symbols the type came from, to read a pointer target's or a record's members.
    public var files: ModuleSymbols?
    /// The register an assignment writes (`?? count = 4` where `count` lives in rbx).
    public var register: String?

    public init(type: TypeLayout, address: UInt64?, bytes: [UInt8], files: ModuleSymbols?, register: String? = nil) {
        self.type = type
        self.address = address
        self.bytes = bytes
        self.files = files
        self.register = register
    }
}

public struct CppExpressionError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// WinDbg's C++ evaluator (`??`, `@@c++(…)`), parsed once into a tree: variables, members
/// (`.`, `->`), indexing, `*`, `&`, casts to named or built-in types, `sizeof`, arithmetic with
/// C's promotions and pointer scaling, comparisons and logic, assignment; every result
/// carries its type.
public struct CppExpression {
    let root: CppNode

    /// Parses `text`. The context answers, while parsing, whether `(name)` names a type (a cast)
    /// or a variable (a parenthesized expression), as a C parser knows its typedef names.
    public static func parse(_ text: Substring, context: (any ExpressionContext)?) throws(CppExpressionError) -> CppExpression {
        try parse(text, context: context, switches: 0)
    }

    /// `switches`: how many `@@` language switches enclose this text (bounded: each one
    /// recurses through both parsers).
    static func parse(_ text: Substring, context: (any ExpressionContext)?, switches: Int) throws(CppExpressionError) -> CppExpression {
        guard switches < maximumSwitches else { throw CppExpressionError(ExpressionError.Message.tooDeep) }
        var parser = CppParser(tokens: try CppLexer.tokens(text), context: context, switches: switches)
        return CppExpression(root: try parser.parseAll())
    }

    static let maximumSwitches = 16

    /// The typed value under `context`.
    public func evaluate(_ context: any ExpressionContext) throws(CppExpressionError) -> TypedValue {
        try CppInterpreter(context: context).value(of: root)
    }

    /// The value as a MASM expression uses it: a scalar's value (signed ones sign-extended),
    /// a pointer's address, the address of a record or array in memory.
    public func integerValue(_ context: any ExpressionContext) throws(CppExpressionError) -> UInt64 {
        let interpreter = CppInterpreter(context: context)
        let value = try interpreter.value(of: root)
        if [.record, .array].contains(value.type.kind) {
            guard let address = value.address else { throw CppExpressionError("<value unavailable>") }
            return address
        }
        if value.type.kind == .float {
            let real = try interpreter.realValue(value).rounded(.towardZero)
            if let exact = Int64(exactly: real) { return UInt64(bitPattern: exact) }
            if let exact = UInt64(exactly: real) { return exact }
            throw CppExpressionError("\(real) is not an integer MASM can take")
        }
        return UInt64(bitPattern: try interpreter.signedValue(value))
    }
}

/// A node of a C++ syntax tree. Types named in casts and `sizeof` are resolved when parsing.
indirect enum CppNode {
    case integer(UInt64, unsigned: Bool, decimal: Bool)
    case real(Double)
    case boolean(Bool)
    case identifier(String)
    case register(String)
    /// `- + ! ~ * &`
    case unary(String, CppNode)
    case binary(String, CppNode, CppNode)
    case cast(TypeLayout, ModuleSymbols?, CppNode)
    case size(Int)
    case sizeOf(CppNode)
    case member(CppNode, String, arrow: Bool)
    case index(CppNode, CppNode)
    case assign(CppNode, CppNode)
    /// `@@masm(…)` / `@@(…)`: a MASM expression, typed `unsigned long`.
    case masm(MasmExpression)
}

/// Recursive descent over the tokens, bounded in nesting and in the height of the tree it
/// builds (evaluating and releasing a tree recurse as deep as it is tall).
struct CppParser {
    private var tokens: [CppToken]
    private var position = 0
    private let context: (any ExpressionContext)?
    private let switches: Int
    private var depth = 0
    private static let maximumDepth = 256

    init(tokens: [CppToken], context: (any ExpressionContext)?, switches: Int) {
        self.tokens = tokens
        self.context = context
        self.switches = switches
    }

    mutating func parseAll() throws(CppExpressionError) -> CppNode {
        let (node, _) = try assignment()
        guard case .end = current else { throw CppExpressionError("Syntax error at '\(current.text)'") }
        return node
    }

    private var current: CppToken { tokens[position] }

    private mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    private func isPunctuation(_ text: String) -> Bool {
        if case .punctuation(let found) = current { return found == text }
        return false
    }

    private mutating func expect(_ text: String) throws(CppExpressionError) {
        guard isPunctuation(text) else { throw CppExpressionError("Expected '\(text)' at '\(current.text)'") }
        advance()
    }

    private mutating func enter() throws(CppExpressionError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw Self.tooDeep }
    }

    private static let tooDeep = CppExpressionError(ExpressionError.Message.tooDeep)

    /// One level above the tallest of `heights`, within the bound.
    private func taller(_ heights: Int...) throws(CppExpressionError) -> Int {
        let height = heights.max() ?? 0
        guard height < Self.maximumDepth else { throw Self.tooDeep }
        return height + 1
    }

    private static let precedence: [String: Int] = [
        "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7,
        "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
    ]

    /// `a = b` binds loosest and to the right.
    private mutating func assignment() throws(CppExpressionError) -> (CppNode, Int) {
        try enter()
        defer { depth -= 1 }
        let (left, leftHeight) = try binary(minimum: 1)
        guard isPunctuation("=") else { return (left, leftHeight) }
        advance()
        let (right, rightHeight) = try assignment()
        return (.assign(left, right), try taller(leftHeight, rightHeight))
    }

    private mutating func binary(minimum: Int) throws(CppExpressionError) -> (CppNode, Int) {
        try enter()
        defer { depth -= 1 }
        var (left, height) = try unary()
        while case .punctuation(let op) = current, let level = Self.precedence[op], level >= minimum {
            advance()
            let (right, rightHeight) = try binary(minimum: level + 1)
            left = .binary(op, left, right)
            height = try taller(height, rightHeight)
        }
        return (left, height)
    }

    private mutating func unary() throws(CppExpressionError) -> (CppNode, Int) {
        try enter()
        defer { depth -= 1 }
        if case .punctuation(let op) = current, ["-", "+", "!", "~", "*", "&"].contains(op) {
            advance()
            let (operand, height) = try unary()
            return (.unary(op, operand), try taller(height))
        }
        if case .identifier("sizeof") = current {
            advance()
            try expect("(")
            if let (type, _) = try castType() { return (.size(type.size), 1) }
            let (operand, height) = try assignment()
            try expect(")")
            return (.sizeOf(operand), try taller(height))
        }
        if isPunctuation("(") {
            let saved = position
            advance()
            if let (type, files) = try castType() {
                let (operand, height) = try unary()
                return (.cast(type, files, operand), try taller(height))
            }
            position = saved
        }
        return try postfix()
    }
    /// After `(`: a type name and `*`s closed by `)`, or nil (and nothing consumed) if the
    /// parenthesis holds an expression.
    private mutating func castType() throws(CppExpressionError) -> (type: TypeLayout, files: ModuleSymbols?)? {
        let start = position
        var words: [String] = []
        while case .identifier(let word) = current {
            words.append(word)
            advance()
        }
        var pointers = 0
        while isPunctuation("*") { pointers += 1; advance() }
        guard !words.isEmpty, isPunctuation(")") else { position = start; return nil }
        let meaningful = words.filter { $0 != "const" && $0 != "volatile" }
        let tagged = ["struct", "union", "enum", "class"].contains(meaningful.first ?? "")
        let name = (tagged ? meaningful.dropFirst() : meaningful[...]).joined(separator: " ")
        var found: (type: TypeLayout, files: ModuleSymbols?)?
        if let builtin = TypeLayout.builtin(name) {
            found = (builtin, nil)
        } else if tagged || context?.variable(named: name) == nil {
            found = context?.type(named: name)
        }
        guard let (found, files) = found else {
            if tagged || pointers > 0 { throw CppExpressionError("Couldn't resolve type '\(words.joined(separator: " "))'") }
            position = start
            return nil
        }
        var type = found
        for _ in 0..<pointers { type = .pointer(to: type) }
        advance()
        return (type, files)
    }

    private mutating func postfix() throws(CppExpressionError) -> (CppNode, Int) {
        var (value, height) = try primary()
        while true {
            if isPunctuation(".") || isPunctuation("->") {
                let arrow = isPunctuation("->")
                advance()
                guard case .identifier(let name) = current else { throw CppExpressionError("Expected a member name at '\(current.text)'") }
                advance()
                value = .member(value, name, arrow: arrow)
                height = try taller(height)
            } else if isPunctuation("[") {
                advance()
                let (index, indexHeight) = try assignment()
                try expect("]")
                value = .index(value, index)
                height = try taller(height, indexHeight)
            } else {
                return (value, height)
            }
        }
    }

    private mutating func primary() throws(CppExpressionError) -> (CppNode, Int) {
        let token = current
        advance()
        switch token {
        case .integer(let value, let unsigned, let decimal):
            return (.integer(value, unsigned: unsigned, decimal: decimal), 1)
        case .real(let value):
            return (.real(value), 1)
        case .register(let name):
            return (.register(name), 1)
        case .identifier(let name):
            if name == "true" || name == "false" { return (.boolean(name == "true"), 1) }
            return (.identifier(name), 1)
        case .masm(let text):
            do { return (.masm(try MasmExpression.parse(text[...], context: context, switches: switches + 1)), 1) } catch {
                throw CppExpressionError(error.description)
            }
        case .punctuation("("):
            let value = try assignment()
            try expect(")")
            return value
        default:
            throw CppExpressionError("Syntax error at '\(token.text)'")
        }
    }
}

/// Evaluates a C++ tree with C's rules.
struct CppInterpreter {
    let context: any ExpressionContext
    /// False inside `sizeof`, whose operand is only typed, as in C: `sizeof(x = 5)` leaves x alone.
    var writes = true

    func value(of node: CppNode) throws(CppExpressionError) -> TypedValue {
        switch node {
        case .integer(let value, let unsigned, let decimal):
            let type = Self.literalType(value, unsigned: unsigned, decimal: decimal)
            return TypedValue(type: type, address: nil, bytes: [UInt8](littleEndian: value, size: type.size), files: nil)
        case .real(let value):
            return TypedValue(type: TypeLayout.double, address: nil, bytes: [UInt8](littleEndian: value.bitPattern, size: 8), files: nil)
        case .boolean(let value):
            return boolean(value)
        case .register(let name):
            let value = name.hasPrefix("$") ? context.pseudoRegisterValue(name) : context.registerValue(name)
            guard let value else { throw CppExpressionError("Bad register '@\(name)'") }
            return TypedValue(type: TypeLayout.unsignedLong, address: nil, bytes: [UInt8](littleEndian: value, size: 8), files: nil)
        case .identifier(let name):
            guard let value = context.variable(named: name) else { throw CppExpressionError("Couldn't resolve error at '\(name)'") }
            return try referent(value)
        case .unary(let op, let operandNode):
            let operand = try value(of: operandNode)
            switch op {
            case "*": return try dereference(operand)
            case "&":
                guard let address = operand.address else { throw CppExpressionError("Cannot take the address of a computed value") }
                return TypedValue(type: .pointer(to: operand.type), address: nil, bytes: [UInt8](littleEndian: address, size: 8), files: operand.files)
            case "-": return try apply("-", integer(0), operand)
            case "+": return operand
            case "!": return boolean(try truth(operand) == false)
            default: return try apply("^", operand, integer(-1))
            }
        case .binary(let op, let leftNode, let rightNode):
            let left = try value(of: leftNode)
            // && and || evaluate their right side only when it decides the result, as in C.
            if op == "&&" || op == "||" {
                let first = try truth(left)
                if op == "&&" ? !first : first { return boolean(first) }
                return boolean(try truth(try value(of: rightNode)))
            }
            return try apply(op, left, try value(of: rightNode))
        case .cast(let type, let files, let operand):
            return try cast(try value(of: operand), to: type, files: files)
        case .size(let size):
            return TypedValue(type: TypeLayout.unsignedLong, address: nil, bytes: [UInt8](littleEndian: UInt64(size), size: 8), files: nil)
        case .sizeOf(let operand):
            var typing = self
            typing.writes = false
            let size = try typing.value(of: operand).type.size
            return TypedValue(type: TypeLayout.unsignedLong, address: nil, bytes: [UInt8](littleEndian: UInt64(size), size: 8), files: nil)
        case .member(let base, let name, let arrow):
            let record = try value(of: base)
            return try referent(member(arrow ? dereference(record) : record, name))
        case .index(let base, let index):
            return try dereference(apply("+", try value(of: base), try value(of: index)))
        case .assign(let target, let source):
            return try assign(try value(of: source), to: try value(of: target))
        case .masm(let expression):
            let value: UInt64
            do { value = try expression.evaluate(context) } catch { throw CppExpressionError(error.description) }
            return TypedValue(type: TypeLayout.unsignedLong, address: nil, bytes: [UInt8](littleEndian: value, size: 8), files: nil)
        }
    }

    /// `lvalue = value`: the value converted to the target's type, written where the target
    /// lives (memory, or the register holding it); the result is the target's new value.
    private func assign(_ source: TypedValue, to target: TypedValue) throws(CppExpressionError) -> TypedValue {
        guard ![.record, .array, .void, .function].contains(target.type.kind) else {
            throw CppExpressionError("Cannot assign to '\(target.type.cName)'")
        }
        let converted = try cast(source, to: target.type, files: target.files)
        var bytes = converted.bytes
        if bytes.count > target.type.size { bytes = Array(bytes.prefix(target.type.size)) }
        var result = target
        result.bytes = bytes
        // Typed only (`sizeof`): the target's type is all that matters.
        guard writes else { return result }
        if let address = target.address {
            guard context.writeMemory(address, bytes) else { throw CppExpressionError("Memory access error at \(formatAddress(address))") }
        } else if let register = target.register, bytes.count <= 8 {
            guard context.setRegister(register, bytes.littleEndian(at: 0, size: bytes.count)) else {
                throw CppExpressionError("Cannot write register \(register)")
            }
        } else {
            throw CppExpressionError("Cannot assign to a computed value")
        }
        return result
    }

    // MARK: values

    /// C's type for an integer literal: the first of int, (unsigned int for hex and octal),
    /// long, unsigned long that holds it; a `u` suffix starts at unsigned int.
    private static func literalType(_ value: UInt64, unsigned: Bool, decimal: Bool) -> TypeLayout {
        if !unsigned && value <= UInt64(Int32.max) { return .int }
        if (unsigned || !decimal) && value <= UInt64(UInt32.max) { return .unsignedInt }
        if !unsigned && value <= UInt64(Int64.max) { return .long }
        return .unsignedLong
    }

    /// A C++ reference stands for what it refers to.
    private func referent(_ value: TypedValue) throws(CppExpressionError) -> TypedValue {
        value.type.isReference ? try dereference(value) : value
    }

    private func integer(_ value: Int64) -> TypedValue {
        TypedValue(type: TypeLayout.int, address: nil, bytes: [UInt8](littleEndian: UInt64(bitPattern: value), size: 4), files: nil)
    }

    private func boolean(_ value: Bool) -> TypedValue {
        TypedValue(type: TypeLayout.bool, address: nil, bytes: [value ? 1 : 0], files: nil)
    }

    /// The scalar's bytes, read from memory for an lvalue.
    private func raw(_ value: TypedValue) throws(CppExpressionError) -> UInt64 {
        guard value.type.size > 0, value.type.size <= 8, ![.record, .array, .complex].contains(value.type.kind) else {
            throw CppExpressionError("'\(value.type.cName)' is not a scalar")
        }
        var bytes = value.bytes
        if bytes.isEmpty {
            guard let address = value.address else { throw CppExpressionError("<value unavailable>") }
            guard let read = context.readMemory(address, size: value.type.size) else { throw CppExpressionError("Memory access error at \(formatAddress(address))") }
            bytes = read
        }
        return bytes.littleEndian(at: 0, size: min(bytes.count, 8))
    }

    func signedValue(_ value: TypedValue) throws(CppExpressionError) -> Int64 {
        let bits = try raw(value)
        guard value.type.kind == .signed || value.type.kind == .character || value.type.kind == .enumeration else { return Int64(bitPattern: bits) }
        let shift = UInt64(64 - 8 * value.type.size)
        return Int64(bitPattern: bits << shift) >> Int64(shift)
    }

    func realValue(_ value: TypedValue) throws(CppExpressionError) -> Double {
        if value.type.kind == .float, value.type.size > 8 {
            var bytes = value.bytes
            if bytes.isEmpty, let address = value.address { bytes = context.readMemory(address, size: value.type.size) ?? [] }
            guard let real = extendedToDouble(bytes) else { throw CppExpressionError("<value unavailable>") }
            return real
        }
        if value.type.kind == .float {
            let bits = try raw(value)
            return value.type.size == 4 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))) : Double(bitPattern: bits)
        }
        return value.type.kind == .unsigned || value.type.kind == .pointer ? Double(try raw(value)) : Double(try signedValue(value))
    }

    private func truth(_ value: TypedValue) throws(CppExpressionError) -> Bool {
        value.type.kind == .float ? try realValue(value) != 0 : try raw(value) != 0
    }

    /// The target of a pointer, or the first element of an array, as an lvalue.
    private func dereference(_ value: TypedValue) throws(CppExpressionError) -> TypedValue {
        switch value.type.kind {
        case .pointer:
            guard let target = value.type.elementType, target.kind != .void else { throw CppExpressionError("Cannot dereference '\(value.type.cName)'") }
            return TypedValue(type: expanded(target, value.files), address: try raw(value), bytes: [], files: value.files)
        case .array:
            guard let element = value.type.elementType else { throw CppExpressionError("Cannot index '\(value.type.cName)'") }
            return TypedValue(type: expanded(element, value.files), address: value.address, bytes: [], files: value.files)
        default:
            throw CppExpressionError("Cannot dereference '\(value.type.cName)'")
        }
    }

    private func expanded(_ type: TypeLayout, _ files: ModuleSymbols?) -> TypeLayout {
        files?.expanded(type) ?? type
    }

    private func member(_ value: TypedValue, _ name: String) throws(CppExpressionError) -> TypedValue {
        let record = expanded(value.type, value.files)
        guard record.kind == .record else { throw CppExpressionError("'\(value.type.cName)' has no members") }
        guard let member = record.members.first(where: { $0.name == name }) else {
            throw CppExpressionError("'\(name)' is not a member of '\(record.cName)'")
        }
        let type = expanded(member.type, value.files)
        guard let base = value.address else {
            // A record assembled from registers: its members are slices of its bytes.
            guard member.bitSize == nil, member.offset + type.size <= value.bytes.count, type.size > 0 else {
                throw CppExpressionError(value.bytes.isEmpty ? "<value unavailable>" : "Cannot take '\(name)' of a value held in registers")
            }
            return TypedValue(type: type, address: nil, bytes: Array(value.bytes[member.offset..<member.offset + type.size]), files: value.files)
        }
        let address = base &+ UInt64(member.offset)
        guard let bits = member.bitSize else { return TypedValue(type: type, address: address, bytes: [], files: value.files) }
        // The bytes that hold the field (it may run past its declared type's storage unit).
        guard let position = member.bitOffset, bits > 0 else { throw CppExpressionError("<value unavailable>") }
        let count = (position + bits + 7) / 8
        guard count <= 8, let bytes = context.readMemory(address, size: count) else {
            throw CppExpressionError(count > 8 ? "Bitfield '\(name)' is too wide to read" : "Memory access error at \(formatAddress(address))")
        }
        var field = (bytes.littleEndian(at: 0, size: count) >> UInt64(position)) & bitMask(bits)
        if type.kind == .signed, bits < 64, field & (1 << UInt64(bits - 1)) != 0 { field |= ~bitMask(bits) }
        return TypedValue(type: type, address: nil, bytes: [UInt8](littleEndian: field, size: type.size), files: value.files)
    }

    private func cast(_ value: TypedValue, to type: TypeLayout, files: ModuleSymbols?) throws(CppExpressionError) -> TypedValue {
        if type.kind == .record || type.kind == .array {
            // A record cast reinterprets memory: `(struct node)*p` keeps p's address.
            guard let address = value.address else { throw CppExpressionError("Cannot cast a computed value to '\(type.cName)'") }
            return TypedValue(type: expanded(type, files), address: address, bytes: [], files: files)
        }
        if type.kind == .float, type.size > 8 {
            return TypedValue(type: type, address: nil, bytes: doubleToExtended(try realValue(value)), files: files)
        }
        let bits: UInt64
        if type.kind == .float {
            let real = try realValue(value)
            bits = type.size == 4 ? UInt64(Float(real).bitPattern) : real.bitPattern
        } else if value.type.kind == .float {
            let real = try realValue(value).rounded(.towardZero)
            if let exact = Int64(exactly: real) {
                bits = UInt64(bitPattern: exact)
            } else if type.kind == .unsigned || type.kind == .pointer, let exact = UInt64(exactly: real) {
                bits = exact
            } else {
                throw CppExpressionError("\(real) does not fit in '\(type.cName)'")
            }
        } else {
            bits = value.type.kind == .array ? try arrayAddress(value) : UInt64(bitPattern: try signedValue(value))
        }
        return TypedValue(type: type, address: nil, bytes: [UInt8](littleEndian: bits, size: max(1, type.size)), files: files ?? value.files)
    }

    /// C's arithmetic: the wider operand's type (doubles win, unsigned wins at equal size),
    /// pointers scaled by their target's size, comparisons as `bool`.
    private func apply(_ op: String, _ left: TypedValue, _ right: TypedValue) throws(CppExpressionError) -> TypedValue {
        if op == "&&" || op == "||" {
            let a = try truth(left), b = try truth(right)
            return boolean(op == "&&" ? a && b : a || b)
        }
        let leftPointer = [.pointer, .array].contains(left.type.kind), rightPointer = [.pointer, .array].contains(right.type.kind)
        if (op == "+" || op == "-") && (leftPointer || rightPointer) {
            return try pointerArithmetic(op, left, right)
        }
        if ["==", "!=", "<", ">", "<=", ">="].contains(op) {
            let result: Bool
            if left.type.kind == .float || right.type.kind == .float {
                result = compare(op, try realValue(left), try realValue(right))
            } else if promoted(left.type, right.type).kind == .unsigned {
                let width = promoted(left.type, right.type).size * 8
                result = compare(op, UInt64(bitPattern: try signedValue(left)) & bitMask(width), UInt64(bitPattern: try signedValue(right)) & bitMask(width))
            } else {
                result = compare(op, try signedValue(left), try signedValue(right))
            }
            return boolean(result)
        }
        if left.type.kind == .float || right.type.kind == .float {
            let a = try realValue(left), b = try realValue(right)
            let result: Double
            switch op {
            case "+": result = a + b
            case "-": result = a - b
            case "*": result = a * b
            case "/": result = a / b
            default: throw CppExpressionError("'\(op)' needs integer operands")
            }
            return TypedValue(type: TypeLayout.double, address: nil, bytes: [UInt8](littleEndian: result.bitPattern, size: 8), files: nil)
        }
        let type = promoted(left.type, right.type)
        let unsigned = type.kind == .unsigned
        // Unsigned arithmetic works on the operands converted to the promoted width
        // (`-8 / 2u` divides 0xfffffff8).
        let width = bitMask(type.size * 8)
        let a = unsigned ? Int64(bitPattern: UInt64(bitPattern: try signedValue(left)) & width) : try signedValue(left)
        let b = unsigned ? Int64(bitPattern: UInt64(bitPattern: try signedValue(right)) & width) : try signedValue(right)
        let result: Int64
        switch op {
        case "+": result = a &+ b
        case "-": result = a &- b
        case "*": result = a &* b
        case "/", "%":
            guard b != 0 else { throw CppExpressionError("Divide by zero") }
            if unsigned {
                let (x, y) = (UInt64(bitPattern: a), UInt64(bitPattern: b))
                result = Int64(bitPattern: op == "/" ? x / y : x % y)
            } else {
                result = op == "/" ? a.dividedReportingOverflow(by: b).partialValue : a.remainderReportingOverflow(dividingBy: b).partialValue
            }
        case "<<": result = a << (b & 63)
        case ">>": result = unsigned ? Int64(bitPattern: UInt64(bitPattern: a) >> UInt64(b & 63)) : a >> (b & 63)
        case "&": result = a & b
        case "|": result = a | b
        default: result = a ^ b
        }
        return TypedValue(type: type, address: nil, bytes: [UInt8](littleEndian: UInt64(bitPattern: result), size: type.size), files: nil)
    }

    private func compare<T: Comparable>(_ op: String, _ a: T, _ b: T) -> Bool {
        switch op {
        case "==": a == b
        case "!=": a != b
        case "<": a < b
        case ">": a > b
        case "<=": a <= b
        default: a >= b
        }
    }

    /// Where an array starts (an array decays to it); an array the optimizer keeps in
    /// registers has no address.
    private func arrayAddress(_ value: TypedValue) throws(CppExpressionError) -> UInt64 {
        guard let address = value.address else { throw CppExpressionError("<value unavailable>") }
        return address
    }

    /// `int` at least; the wider of two; unsigned if either of the widest is.
    private func promoted(_ a: TypeLayout, _ b: TypeLayout) -> TypeLayout {
        let size = max(4, a.size, b.size)
        let unsigned = [a, b].contains { $0.size == size && ($0.kind == .unsigned || $0.kind == .pointer) }
        return size == 8 ? (unsigned ? .unsignedLong : .long) : (unsigned ? .unsignedInt : .int)
    }

    private func pointerArithmetic(_ op: String, _ left: TypedValue, _ right: TypedValue) throws(CppExpressionError) -> TypedValue {
        let leftPointer = [.pointer, .array].contains(left.type.kind)
        let pointer = leftPointer ? left : right
        let pointerType = pointer.type.kind == .array ? TypeLayout.pointer(to: pointer.type.elementType ?? TypeLayout.char) : pointer.type
        let stride = UInt64(max(1, pointerType.elementType?.size ?? 1))
        let base = pointer.type.kind == .array ? try arrayAddress(pointer) : try raw(pointer)
        if op == "-", leftPointer, [.pointer, .array].contains(right.type.kind) {
            let other = right.type.kind == .array ? try arrayAddress(right) : try raw(right)
            let count = Int64(bitPattern: base &- other) / Int64(stride)
            return TypedValue(type: TypeLayout.long, address: nil, bytes: [UInt8](littleEndian: UInt64(bitPattern: count), size: 8), files: nil)
        }
        guard leftPointer || op == "+" else { throw CppExpressionError("Cannot subtract a pointer from an integer") }
        let offset = UInt64(bitPattern: try signedValue(leftPointer ? right : left)) &* stride
        let result = op == "+" ? base &+ offset : base &- offset
        return TypedValue(type: pointerType, address: nil, bytes: [UInt8](littleEndian: result, size: 8), files: pointer.files)
    }
}

/// A token of a C++ expression.
enum CppToken {
    /// A literal, whether it had a `u` suffix, and whether it was written in decimal.
    case integer(UInt64, unsigned: Bool, decimal: Bool)
    case real(Double)
    case identifier(String)
    case register(String)
    case punctuation(String)
    /// The text inside `@@masm(…)` or `@@(…)`.
    case masm(String)
    case end

    var text: String {
        switch self {
        case .integer(let value, _, _): String(value)
        case .real(let value): String(value)
        case .identifier(let name): name
        case .register(let name): "@" + name
        case .punctuation(let text): text
        case .masm(let text): "@@masm(\(text))"
        case .end: "<end>"
        }
    }
}

/// Splits a C++ expression: numbers in C's forms (`0x1f`, `42`, `1.5`, suffixes `u`/`l`
/// ignored), identifiers with `::` scopes, `@register`, and C's operators.
enum CppLexer {
    private static let operators = ["->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "&", "|", "^", "!", "~",
                                    "<", ">", "(", ")", "[", "]", ".", "="]

    static func tokens(_ text: Substring, depth: Int = 0) throws(CppExpressionError) -> [CppToken] {
        guard depth < 64 else { throw CppExpressionError(ExpressionError.Message.tooDeep) }
        var result: [CppToken] = []
        var rest = text[...]
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let first = rest.first else { break }
            if first.isNumber || (first == "." && rest.dropFirst().first?.isNumber == true) {
                let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "." }
                rest = rest.dropFirst(word.count)
                result.append(try number(word))
            } else if rest.hasPrefix("@@") {
                result += try otherEvaluator(&rest, depth: depth)
            } else if first.isLetter || first == "_" || first == "@" {
                var word = String(first)
                rest = rest.dropFirst()
                while let next = rest.first {
                    if next.isLetter || next.isNumber || next == "_" || (next == "$" && word == "@") {
                        word.append(next)
                        rest = rest.dropFirst()
                    } else if rest.hasPrefix("::") {
                        word += "::"
                        rest = rest.dropFirst(2)
                    } else {
                        break
                    }
                }
                result.append(first == "@" ? .register(String(word.dropFirst()).lowercased()) : .identifier(word))
            } else if let op = operators.first(where: { rest.hasPrefix($0) }) {
                result.append(.punctuation(op))
                rest = rest.dropFirst(op.count)
            } else {
                throw CppExpressionError("Syntax error at '\(rest)'")
            }
        }
        result.append(.end)
        return result
    }

    /// `@@masm(…)` and `@@(…)` (MASM from C++) as one token of its text; `@@c++(…)`, which
    /// is C++ already, as the tokens of its inside in parentheses.
    private static func otherEvaluator(_ rest: inout Substring, depth: Int) throws(CppExpressionError) -> [CppToken] {
        let lower = rest.prefix(8).lowercased()
        let prefix = lower.hasPrefix("@@masm(") ? 7 : lower.hasPrefix("@@c++(") ? 6 : lower.hasPrefix("@@(") ? 3 : 0
        guard prefix > 0 else { throw CppExpressionError("Syntax error at '\(rest)'") }
        var nesting = 1
        var index = rest.index(rest.startIndex, offsetBy: prefix)
        let innerStart = index
        while index < rest.endIndex {
            if rest[index] == "(" { nesting += 1 }
            if rest[index] == ")" {
                nesting -= 1
                if nesting == 0 { break }
            }
            index = rest.index(after: index)
        }
        guard index < rest.endIndex else { throw CppExpressionError("Syntax error: missing ')' in '\(rest)'") }
        let inner = rest[innerStart..<index]
        rest = rest[rest.index(after: index)...]
        guard prefix == 6 else { return [.masm(String(inner))] }
        return [.punctuation("(")] + (try tokens(inner, depth: depth + 1)).dropLast() + [.punctuation(")")]
    }

    private static func number(_ word: Substring) throws(CppExpressionError) -> CppToken {
        let lower = word.lowercased()
        if !lower.hasPrefix("0x"), lower.contains(".") || lower.contains("e") {
            guard let value = Double(lower.trimmingSuffix("fl")) else { throw CppExpressionError("Bad number '\(word)'") }
            return .real(value)
        }
        let digits = lower.trimmingSuffix("ul")
        let unsigned = lower.dropFirst(digits.count).contains("u")
        let (text, radix): (Substring, Int) =
            digits.hasPrefix("0x") ? (digits.dropFirst(2), 16)
            : digits.hasPrefix("0n") ? (digits.dropFirst(2), 10)
            : digits.count > 1 && digits.hasPrefix("0") ? (digits.dropFirst(), 8)
            : (digits[...], 10)
        guard let value = UInt64(text, radix: radix) else { throw CppExpressionError("Bad number '\(word)'") }
        return .integer(value, unsigned: unsigned, decimal: radix == 10)
    }
}

private extension StringProtocol {
    /// Drops trailing characters found in `letters` (C's `u`, `l`, `f` suffixes).
    func trimmingSuffix(_ letters: String) -> String {
        var text = String(self)
        while let last = text.last, letters.contains(last), text.count > 1 { text.removeLast() }
        return text
    }
}
