import Arch
import Symbols

/// A value with its C type, as `??` computes it: in memory (an lvalue, `address` set), or
/// computed (`bytes`: a scalar, or a record assembled from the registers that hold it).
struct TypedValue {
    var type: TypeLayout
    var address: UInt64?
    var bytes: [UInt8]
    /// The symbols the type came from, to read a pointer target's or a record's members.
    var files: ModuleSymbols?
}

/// What the C++ evaluator needs from the session.
protocol TypedExpressionContext {
    /// A local of the selected frame, else a global.
    func variable(named name: String) -> TypedValue?
    /// A type by name (`node`, `struct node`, a typedef) from DWARF.
    func type(named name: String) -> (type: TypeLayout, files: ModuleSymbols?)?
    func readMemory(_ address: UInt64, size: Int) -> [UInt8]?
    func registerValue(_ name: String) -> UInt64?
}

struct CppExpressionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// WinDbg's C++ evaluator (`??`): variables, members (`.`, `->`), indexing, `*`, `&`,
/// casts to named or built-in types, `sizeof`, arithmetic with C's promotions and pointer
/// scaling, comparisons and logic; every result carries its type.
struct CppEvaluator {
    private let context: TypedExpressionContext
    private var tokens: [CppToken]
    private var position = 0
    /// Nesting of operators and parentheses so far; bounded so a pathological expression
    /// gets an error instead of exhausting the stack.
    private var depth = 0
    private static let maximumDepth = 256

    init(_ text: Substring, context: TypedExpressionContext) throws(CppExpressionError) {
        self.context = context
        tokens = try CppLexer.tokens(text)
    }

    mutating func evaluate() throws(CppExpressionError) -> TypedValue {
        let value = try binary(minimum: 1)
        guard case .end = current else { throw CppExpressionError("Syntax error at '\(current.text)'") }
        return value
    }

    // MARK: grammar

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

    private static let precedence: [String: Int] = [
        "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7,
        "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
    ]

    private mutating func binary(minimum: Int) throws(CppExpressionError) -> TypedValue {
        var left = try unary()
        while case .punctuation(let op) = current, let level = Self.precedence[op], level >= minimum {
            advance()
            let right = try binary(minimum: level + 1)
            left = try apply(op, left, right)
        }
        return left
    }

    private mutating func unary() throws(CppExpressionError) -> TypedValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw CppExpressionError("Expression too deeply nested") }
        if case .punctuation(let op) = current, ["-", "+", "!", "~", "*", "&"].contains(op) {
            advance()
            let operand = try unary()
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
        }
        if case .identifier("sizeof") = current {
            advance()
            try expect("(")
            let size: Int
            if let type = try castType() {
                size = type.type.size
            } else {
                size = try binary(minimum: 1).type.size
                try expect(")")
            }
            return TypedValue(type: TypeLayout.unsignedLong, address: nil, bytes: [UInt8](littleEndian: UInt64(size), size: 8), files: nil)
        }
        if isPunctuation("(") {
            let saved = position
            advance()
            if let (type, files) = try castType() {
                return try cast(try unary(), to: type, files: files)
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
        } else if tagged || context.variable(named: name) == nil {
            found = context.type(named: name)
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

    private mutating func postfix() throws(CppExpressionError) -> TypedValue {
        var value = try primary()
        while true {
            if isPunctuation(".") || isPunctuation("->") {
                let arrow = isPunctuation("->")
                advance()
                guard case .identifier(let name) = current else { throw CppExpressionError("Expected a member name at '\(current.text)'") }
                advance()
                value = try referent(member(arrow ? dereference(value) : value, name))
            } else if isPunctuation("[") {
                advance()
                let index = try binary(minimum: 1)
                try expect("]")
                value = try dereference(apply("+", value, index))
            } else {
                return value
            }
        }
    }

    private mutating func primary() throws(CppExpressionError) -> TypedValue {
        let token = current
        advance()
        switch token {
        case .integer(let value, let unsigned, let decimal):
            let type = Self.literalType(value, unsigned: unsigned, decimal: decimal)
            return TypedValue(type: type, address: nil, bytes: [UInt8](littleEndian: value, size: type.size), files: nil)
        case .real(let value):
            return TypedValue(type: TypeLayout.double, address: nil, bytes: [UInt8](littleEndian: value.bitPattern, size: 8), files: nil)
        case .register(let name):
            guard let value = context.registerValue(name) else { throw CppExpressionError("Bad register '@\(name)'") }
            return TypedValue(type: TypeLayout.unsignedLong, address: nil, bytes: [UInt8](littleEndian: value, size: 8), files: nil)
        case .identifier(let name):
            if name == "true" || name == "false" { return boolean(name == "true") }
            guard let value = context.variable(named: name) else { throw CppExpressionError("Couldn't resolve error at '\(name)'") }
            return try referent(value)
        case .punctuation("("):
            let value = try binary(minimum: 1)
            try expect(")")
            return value
        default:
            throw CppExpressionError("Syntax error at '\(token.text)'")
        }
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
        guard value.type.size > 0, value.type.size <= 8, ![.record, .array].contains(value.type.kind) else {
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

    private func signedValue(_ value: TypedValue) throws(CppExpressionError) -> Int64 {
        let bits = try raw(value)
        guard value.type.kind == .signed || value.type.kind == .character || value.type.kind == .enumeration else { return Int64(bitPattern: bits) }
        let shift = UInt64(64 - 8 * value.type.size)
        return Int64(bitPattern: bits << shift) >> Int64(shift)
    }

    private func realValue(_ value: TypedValue) throws(CppExpressionError) -> Double {
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
    case end

    var text: String {
        switch self {
        case .integer(let value, _, _): String(value)
        case .real(let value): String(value)
        case .identifier(let name): name
        case .register(let name): "@" + name
        case .punctuation(let text): text
        case .end: "<end>"
        }
    }
}

/// Splits a C++ expression: numbers in C's forms (`0x1f`, `42`, `1.5`, suffixes `u`/`l`
/// ignored), identifiers with `::` scopes, `@register`, and C's operators.
enum CppLexer {
    private static let operators = ["->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "&", "|", "^", "!", "~",
                                    "<", ">", "(", ")", "[", "]", "."]

    static func tokens(_ text: Substring) throws(CppExpressionError) -> [CppToken] {
        var result: [CppToken] = []
        var rest = text[...]
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let first = rest.first else { break }
            if first.isNumber || (first == "." && rest.dropFirst().first?.isNumber == true) {
                let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "." }
                rest = rest.dropFirst(word.count)
                result.append(try number(word))
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
