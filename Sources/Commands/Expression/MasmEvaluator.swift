/// Evaluates WinDbg MASM expressions (`poi(rsp+8)`, `libc!puts+0x10`, `@rdi == 0xffffffff`) to 64-bit values.
///
/// All arithmetic is unsigned 64-bit with wrap-around; `<`, `>`, `<=`, `>=` and `>>>` treat values as signed,
/// as WinDbg does. Numbers default to `radix`, which must be between 2 and 16 (WinDbg's `n` offers 8, 10 and 16).
public struct MasmEvaluator {
    private let context: any ExpressionContext
    private let radix: Int

    public init(context: any ExpressionContext, radix: Int = 16) {
        precondition((2...16).contains(radix), "unsupported radix \(radix)")
        self.context = context
        self.radix = radix
    }

    /// Evaluates the whole text; trailing non-blank text is a syntax error.
    public func evaluate(_ text: Substring) throws(ExpressionError) -> UInt64 {
        let (value, rest) = try evaluatePrefix(text)
        guard rest.isEmpty else { throw .syntax(near: rest) }
        return value
    }

    /// Evaluates the longest prefix of `text` that forms an expression and returns the rest with leading blanks
    /// trimmed. The expression ends at the first token that cannot continue it, so commands can take their
    /// remaining arguments: "rsp+8 L4" gives (rsp+8, "L4"), "poi(rsp) ; g" gives (value, "; g").
    public func evaluatePrefix(_ text: Substring) throws(ExpressionError) -> (value: UInt64, rest: Substring) {
        var parser = MasmParser(text: text, radix: radix, context: context)
        let value = try parser.parseExpression()
        return (value, parser.rest)
    }
}

/// Recursive-descent MASM parser that evaluates as it parses, so no syntax tree is built per evaluation.
struct MasmParser {
    private let text: Substring
    private let context: any ExpressionContext
    private var lexer: MasmLexer
    private var token: MasmToken
    /// Start of the last consumed token; WinDbg reports memory errors there (`Memory access error at ')'`).
    private var previousTokenStart: String.Index

    init(text: Substring, radix: Int, context: any ExpressionContext) {
        self.text = text
        self.context = context
        lexer = MasmLexer(text, radix: radix)
        token = lexer.next()
        previousTokenStart = token.start
    }

    /// The unconsumed text, starting at the current token.
    var rest: Substring {
        text[token.start...]
    }

    /// Parses operators binding tighter than `precedence` (precedence climbing, left-associative).
    mutating func parseExpression(above precedence: Int = 0) throws(ExpressionError) -> UInt64 {
        var value = try parseOperand()
        while let binary = binaryOperator(token.kind), binary.precedence > precedence {
            advance()
            let operandStart = token.start
            let operand = try parseExpression(above: binary.precedence)
            value = try apply(binary, value, operand, operandText: text[operandStart...])
        }
        return value
    }

    private mutating func advance() {
        previousTokenStart = token.start
        token = lexer.next()
    }

    /// In operator position the signs are addition and subtraction; anything else that is not binary ends the
    /// expression.
    private func binaryOperator(_ kind: MasmToken.Kind) -> MasmBinaryOperator? {
        switch kind {
        case .plus: .add
        case .minus: .subtract
        case .binary(let binary): binary
        default: nil
        }
    }

    /// Parses a value with its prefix operators: a number, name, register, or bracketed expression.
    private mutating func parseOperand() throws(ExpressionError) -> UInt64 {
        let current = token
        switch current.kind {
        case .number(let value):
            advance()
            return value
        case .symbol:
            advance()
            return try resolveWord(current)
        case .register:
            advance()
            return try resolveRegister(current)
        case .pseudoRegister:
            advance()
            return try resolvePseudoRegister(current)
        case .quotedSymbol:
            advance()
            guard let address = context.symbolAddress(String(name(of: current).dropFirst(3).dropLast())) else {
                throw .couldNotResolve(near: text[current.start...])
            }
            return address
        case .sourceLine:
            advance()
            let quoted = name(of: current)
            guard let address = context.sourceLineAddress(String(quoted.dropFirst().dropLast())) else {
                throw .couldNotResolve(near: text[current.start...])
            }
            return address
        case .plus:
            advance()
            return try parseOperand()
        case .minus:
            advance()
            return 0 &- (try parseOperand())
        case .unary(let unary):
            advance()
            let operand = try parseOperand()
            return try apply(unary, operand)
        case .open(let bracket):
            advance()
            let value = try parseExpression()
            guard token.kind == .close(bracket) else { throw .syntax(near: rest) }
            advance()
            return value
        case .close, .end:
            throw .numericExpressionMissing(near: rest)
        case .binary, .malformedNumber, .invalid:
            throw .syntax(near: rest)
        }
    }

    private func name(of token: MasmToken) -> Substring {
        text[token.start..<token.end]
    }

    /// A bare word is a symbol if one resolves, else a register.
    private func resolveWord(_ word: MasmToken) throws(ExpressionError) -> UInt64 {
        let name = name(of: word)
        if let address = context.symbolAddress(String(name)) {
            return address
        }
        if let value = context.registerValue(MasmLexer.lowercasedName(name)) {
            return value
        }
        throw .couldNotResolve(near: text[word.start...])
    }

    private func resolveRegister(_ register: MasmToken) throws(ExpressionError) -> UInt64 {
        let name = name(of: register).dropFirst()
        guard let value = context.registerValue(MasmLexer.lowercasedName(name)) else {
            throw .badRegister(near: text[register.start...])
        }
        return value
    }

    private func resolvePseudoRegister(_ register: MasmToken) throws(ExpressionError) -> UInt64 {
        var name = name(of: register)
        if name.first == "@" {
            name = name.dropFirst()
        }
        guard let value = context.pseudoRegisterValue(MasmLexer.lowercasedName(name)) else {
            throw .badRegister(near: text[register.start...])
        }
        return value
    }

    private func apply(_ unary: MasmUnaryOperator, _ operand: UInt64) throws(ExpressionError) -> UInt64 {
        switch unary {
        case .logicalNot: return operand == 0 ? 1 : 0
        case .bitwiseNot: return ~operand
        case .high: return (operand >> 16) & 0xffff
        case .low: return operand & 0xffff
        case .byte: return try readMemory(operand, size: 1)
        case .word: return try readMemory(operand, size: 2)
        case .dword: return try readMemory(operand, size: 4)
        case .qword, .pointer: return try readMemory(operand, size: 8)
        }
    }

    /// Reads a little-endian value of `size` bytes.
    private func readMemory(_ address: UInt64, size: Int) throws(ExpressionError) -> UInt64 {
        guard let bytes = context.readMemory(address, size: size), bytes.count >= size else {
            throw .memoryAccess(near: text[previousTokenStart...])
        }
        return bytes[..<size].reversed().reduce(0) { value, byte in value << 8 | UInt64(byte) }
    }

    private func apply(
        _ binary: MasmBinaryOperator, _ left: UInt64, _ right: UInt64, operandText: Substring
    ) throws(ExpressionError) -> UInt64 {
        let signedLeft = Int64(bitPattern: left)
        let signedRight = Int64(bitPattern: right)
        switch binary {
        case .multiply: return left &* right
        case .divide, .remainder:
            guard right != 0 else { throw .divideByZero(near: operandText) }
            return binary == .divide ? left / right : left % right
        case .add: return left &+ right
        case .subtract: return left &- right
        case .shiftLeft: return right >= 64 ? 0 : left << right
        case .shiftRight: return right >= 64 ? 0 : left >> right
        case .arithmeticShiftRight: return UInt64(bitPattern: signedLeft >> min(right, 63))
        case .equal: return left == right ? 1 : 0
        case .notEqual: return left != right ? 1 : 0
        case .less: return signedLeft < signedRight ? 1 : 0
        case .greater: return signedLeft > signedRight ? 1 : 0
        case .lessOrEqual: return signedLeft <= signedRight ? 1 : 0
        case .greaterOrEqual: return signedLeft >= signedRight ? 1 : 0
        case .and: return left & right
        case .xor: return left ^ right
        case .or: return left | right
        }
    }
}
