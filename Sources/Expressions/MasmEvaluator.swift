/// A MASM expression parsed once into a syntax tree (`poi(rsp+8)`, `libc!puts+0x10`,
/// `@rdi == 0xffffffff`), evaluated as many times as needed: a breakpoint's condition is
/// parsed on its first hit and then only evaluated.
///
/// Names are resolved when the tree is evaluated (a module loaded later makes a symbol
/// resolve), numbers when it is parsed (in the radix of that moment, as WinDbg does).
public struct MasmExpression {
    /// The text the expression was parsed from, including anything after it (errors quote it).
    let source: String
    let root: MasmNode
    /// The expression's own text, without what followed it.
    public var text: String {
        String(source.utf8.prefix(consumed)).map { String($0.trimmed()) } ?? source
    }
    /// How many UTF-8 bytes of `source` the expression took.
    let consumed: Int

    /// Parses the whole text; anything after the expression is a syntax error.
    public static func parse(_ text: Substring, radix: Int = 16, context: (any ExpressionContext)? = nil) throws(ExpressionError) -> MasmExpression {
        try parse(text, radix: radix, context: context, switches: 0)
    }

    static func parse(_ text: Substring, radix: Int = 16, context: (any ExpressionContext)?, switches: Int) throws(ExpressionError) -> MasmExpression {
        let (expression, rest) = try parsePrefix(text, radix: radix, context: context, switches: switches)
        guard rest.isEmpty else { throw .syntax(near: rest) }
        return expression
    }

    /// Parses the longest prefix of `text` that forms an expression and returns the rest with
    /// leading blanks trimmed, so commands can take their remaining arguments: "rsp+8 L4"
    /// gives (rsp+8, "L4"), "poi(rsp) ; g" gives (poi(rsp), "; g"). `context` is consulted
    /// only for `@@c++(…)` parts, whose casts need to know the program's type names.
    public static func parsePrefix(_ text: Substring, radix: Int = 16, context: (any ExpressionContext)? = nil) throws(ExpressionError) -> (MasmExpression, Substring) {
        try parsePrefix(text, radix: radix, context: context, switches: 0)
    }

    static func parsePrefix(_ text: Substring, radix: Int, context: (any ExpressionContext)?, switches: Int) throws(ExpressionError) -> (MasmExpression, Substring) {
        precondition((2...16).contains(radix), "unsupported radix \(radix)")
        guard switches < CppExpression.maximumSwitches else { throw ExpressionError(plain: ExpressionError.Message.tooDeep) }
        let source = String(text)
        var parser = MasmParser(text: source[...], radix: radix, context: context, switches: switches)
        let (root, _) = try parser.parseExpression()
        let consumed = source.utf8.distance(from: source.startIndex, to: parser.rest.startIndex)
        let rest = text.utf8.index(text.startIndex, offsetBy: consumed)
        return (MasmExpression(source: source, root: root, consumed: consumed), text[rest...])
    }

    /// Whether the value depends on a thread's registers or the session's pseudo-registers
    /// (`@rip`, `$t0`, a C++ part's locals): a breakpoint set on it is an address, not a
    /// place to look up again in the next process.
    public var readsThreadState: Bool { root.readsThreadState }

    /// The value under `context`. All arithmetic is unsigned 64-bit with wrap-around; `<`, `>`,
    /// `<=`, `>=` and `>>>` treat values as signed, as WinDbg does.
    public func evaluate(_ context: any ExpressionContext) throws(ExpressionError) -> UInt64 {
        try MasmInterpreter(source: source, context: context).value(of: root)
    }
}

/// One node of a MASM syntax tree. `at` is a UTF-8 offset into the source text: the place
/// errors quote (`Couldn't resolve error at 'foo+1'`, `Memory access error at ')'`).
indirect enum MasmNode {
    case number(UInt64)
    /// A bare word: a symbol if one resolves (a local variable's address first), else a register.
    case word(String, at: Int)
    case register(String, at: Int)
    case pseudoRegister(String, at: Int)
    /// `@!"name"`.
    case quotedSymbol(String, at: Int)
    /// `` `file.c:12` ``.
    case sourceLine(String, at: Int)
    case negate(MasmNode)
    case unary(MasmUnaryOperator, MasmNode, at: Int)
    /// `at`: where the right operand starts (a divisor of zero is quoted there).
    case binary(MasmBinaryOperator, MasmNode, MasmNode, at: Int)
    /// `@@c++(…)`: a C++ expression whose value the MASM expression uses.
    case cpp(CppExpression)
    /// `@@masm(…)`: a MASM expression with its own text.
    case masm(MasmExpression)
}

extension MasmNode {
    var readsThreadState: Bool {
        switch self {
        case .register, .pseudoRegister, .cpp: true
        case .number, .word, .quotedSymbol, .sourceLine: false
        case .negate(let operand), .unary(_, let operand, _): operand.readsThreadState
        case .binary(_, let left, let right, _): left.readsThreadState || right.readsThreadState
        case .masm(let inner): inner.readsThreadState
        }
    }
}

/// Recursive-descent MASM parser (precedence climbing, left-associative operators), bounded in
/// nesting so a pathological expression gets an error instead of exhausting the stack.
struct MasmParser {
    private let text: Substring
    private let radix: Int
    private let context: (any ExpressionContext)?
    /// How many `@@` language switches enclose this text.
    private let switches: Int
    private var lexer: MasmLexer
    private var token: MasmToken
    /// Start of the last consumed token; WinDbg reports memory errors there (`Memory access error at ')'`).
    private var previousTokenStart: String.Index
    private var depth = 0
    /// Deepest nesting of operands and operators, and the tallest tree.
    static let maximumDepth = 1000

    init(text: Substring, radix: Int, context: (any ExpressionContext)?, switches: Int) {
        self.text = text
        self.radix = radix
        self.context = context
        self.switches = switches
        lexer = MasmLexer(text, radix: radix)
        token = lexer.next()
        previousTokenStart = token.start
    }

    /// The unconsumed text, starting at the current token.
    var rest: Substring { text[token.start...] }

    private func offset(_ index: String.Index) -> Int { text.utf8.distance(from: text.startIndex, to: index) }

    private mutating func enter() throws(ExpressionError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw ExpressionError(plain: ExpressionError.Message.tooDeep) }
    }

    /// Parses operators binding tighter than `precedence`; returns the tree and its height,
    /// bounded as a whole (a chain inside parentheses inside a chain deepens it too), since
    /// evaluating and releasing a tree recurse as deep as it is.
    mutating func parseExpression(above precedence: Int = 0) throws(ExpressionError) -> (MasmNode, Int) {
        try enter()
        defer { depth -= 1 }
        var (value, height) = try parseOperand()
        while let binary = binaryOperator(token.kind), binary.precedence > precedence {
            advance()
            let operandStart = offset(token.start)
            let (operand, operandHeight) = try parseExpression(above: binary.precedence)
            value = .binary(binary, value, operand, at: operandStart)
            height = try taller(max(height, operandHeight))
        }
        return (value, height)
    }

    /// One level above `height`, within the bound.
    private func taller(_ height: Int) throws(ExpressionError) -> Int {
        guard height < Self.maximumDepth else { throw ExpressionError(plain: ExpressionError.Message.tooDeep) }
        return height + 1
    }

    private mutating func advance() {
        previousTokenStart = token.start
        token = lexer.next()
    }

    /// In operator position the signs are addition and subtraction; anything else that is not
    /// binary ends the expression.
    private func binaryOperator(_ kind: MasmToken.Kind) -> MasmBinaryOperator? {
        switch kind {
        case .plus: .add
        case .minus: .subtract
        case .binary(let binary): binary
        default: nil
        }
    }

    private func name(of token: MasmToken) -> Substring { text[token.start..<token.end] }

    /// A value with its prefix operators: a number, name, register, or bracketed expression;
    /// with the height of its tree.
    private mutating func parseOperand() throws(ExpressionError) -> (MasmNode, Int) {
        try enter()
        defer { depth -= 1 }
        let current = token
        let at = offset(current.start)
        switch current.kind {
        case .number(let value):
            advance()
            return (.number(value), 1)
        case .symbol:
            advance()
            return (.word(String(name(of: current)), at: at), 1)
        case .register:
            advance()
            return (.register(MasmLexer.lowercasedName(name(of: current).dropFirst()), at: at), 1)
        case .pseudoRegister:
            advance()
            var pseudo = name(of: current)
            if pseudo.first == "@" { pseudo = pseudo.dropFirst() }
            return (.pseudoRegister(MasmLexer.lowercasedName(pseudo), at: at), 1)
        case .quotedSymbol:
            advance()
            return (.quotedSymbol(String(name(of: current).dropFirst(3).dropLast()), at: at), 1)
        case .sourceLine:
            advance()
            return (.sourceLine(String(name(of: current).dropFirst().dropLast()), at: at), 1)
        case .otherEvaluator(let language, let inner):
            advance()
            let body = text[inner]
            switch language {
            case .masm:
                // Its own source text, so its errors quote the right place.
                let nested = try MasmExpression.parse(body, radix: radix, context: context, switches: switches + 1)
                return (.masm(nested), 1)
            case .cpp:
                do {
                    return (.cpp(try CppExpression.parse(body, context: context, switches: switches + 1)), 1)
                } catch {
                    throw ExpressionError(plain: error.description)
                }
            }
        case .plus:
            advance()
            return try parseOperand()
        case .minus:
            advance()
            let (operand, height) = try parseOperand()
            return (.negate(operand), try taller(height))
        case .unary(let unary):
            advance()
            let (operand, height) = try parseOperand()
            return (.unary(unary, operand, at: offset(previousTokenStart)), try taller(height))
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
}

/// Evaluates a MASM tree against the debugger's state.
struct MasmInterpreter {
    let source: String
    let context: any ExpressionContext

    private func near(_ offset: Int) -> Substring {
        let utf8 = source.utf8
        let index = utf8.index(utf8.startIndex, offsetBy: min(offset, utf8.count))
        return source[index...]
    }

    func value(of node: MasmNode) throws(ExpressionError) -> UInt64 {
        switch node {
        case .number(let value):
            return value
        case .word(let name, let at):
            if let address = context.symbolAddress(name) { return address }
            if let value = context.registerValue(MasmLexer.lowercasedName(name[...])) { return value }
            throw .couldNotResolve(near: near(at))
        case .register(let name, let at):
            guard let value = context.registerValue(name) else { throw .badRegister(near: near(at)) }
            return value
        case .pseudoRegister(let name, let at):
            guard let value = context.pseudoRegisterValue(name) else { throw .badRegister(near: near(at)) }
            return value
        case .quotedSymbol(let name, let at):
            guard let address = context.symbolAddress(name) else { throw .couldNotResolve(near: near(at)) }
            return address
        case .sourceLine(let spec, let at):
            guard let address = context.sourceLineAddress(spec) else { throw .couldNotResolve(near: near(at)) }
            return address
        case .negate(let operand):
            return 0 &- (try value(of: operand))
        case .unary(let op, let operand, let at):
            return try apply(op, try value(of: operand), at: at)
        case .binary(let op, let left, let right, let at):
            return try apply(op, try value(of: left), try value(of: right), at: at)
        case .masm(let expression):
            return try expression.evaluate(context)
        case .cpp(let expression):
            do { return try expression.integerValue(context) } catch {
                throw ExpressionError(plain: error.description)
            }
        }
    }

    private func apply(_ unary: MasmUnaryOperator, _ operand: UInt64, at: Int) throws(ExpressionError) -> UInt64 {
        switch unary {
        case .logicalNot: return operand == 0 ? 1 : 0
        case .bitwiseNot: return ~operand
        case .high: return (operand >> 16) & 0xffff
        case .low: return operand & 0xffff
        case .byte: return try readMemory(operand, size: 1, at: at)
        case .word: return try readMemory(operand, size: 2, at: at)
        case .dword: return try readMemory(operand, size: 4, at: at)
        case .qword, .pointer: return try readMemory(operand, size: 8, at: at)
        }
    }

    /// Reads a little-endian value of `size` bytes.
    private func readMemory(_ address: UInt64, size: Int, at: Int) throws(ExpressionError) -> UInt64 {
        guard let bytes = context.readMemory(address, size: size), bytes.count >= size else {
            throw .memoryAccess(near: near(at))
        }
        return bytes[..<size].reversed().reduce(0) { value, byte in value << 8 | UInt64(byte) }
    }

    private func apply(_ binary: MasmBinaryOperator, _ left: UInt64, _ right: UInt64, at: Int) throws(ExpressionError) -> UInt64 {
        let signedLeft = Int64(bitPattern: left)
        let signedRight = Int64(bitPattern: right)
        switch binary {
        case .multiply: return left &* right
        case .divide, .remainder:
            guard right != 0 else { throw .divideByZero(near: near(at)) }
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

/// Parse-and-evaluate in one call, for commands that use an expression once.
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
        try MasmExpression.parse(text, radix: radix, context: context).evaluate(context)
    }

    /// Evaluates the longest prefix of `text` that forms an expression; returns the rest.
    public func evaluatePrefix(_ text: Substring) throws(ExpressionError) -> (value: UInt64, rest: Substring) {
        let (expression, rest) = try MasmExpression.parsePrefix(text, radix: radix, context: context)
        return (try expression.evaluate(context), rest)
    }
}
