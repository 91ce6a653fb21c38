/// A MASM binary operator; `precedence` is higher for operators that bind tighter.
enum MasmBinaryOperator: Sendable {
    case multiply, divide, remainder
    case add, subtract
    case shiftLeft, shiftRight, arithmeticShiftRight
    case equal, notEqual, less, greater, lessOrEqual, greaterOrEqual
    case and, xor, or

    var precedence: Int {
        switch self {
        case .multiply, .divide, .remainder: 7
        case .add, .subtract: 6
        case .shiftLeft, .shiftRight, .arithmeticShiftRight: 5
        case .equal, .notEqual, .less, .greater, .lessOrEqual, .greaterOrEqual: 4
        case .and: 3
        case .xor: 2
        case .or: 1
        }
    }
}

/// A MASM prefix operator other than the signs, which double as binary operators and get their own tokens.
/// `byte` through `pointer` read memory (`by`, `wo`, `dwo`, `qwo`, `poi`).
enum MasmUnaryOperator: Sendable {
    case logicalNot, bitwiseNot, high, low
    case byte, word, dword, qword, pointer
}

/// WinDbg's two expression evaluators.
public enum ExpressionLanguage: Sendable {
    case masm, cpp
}

/// The two bracket pairs; MASM treats `[ ]` exactly like `( )`, but each must close with its own kind.
enum MasmBracket {
    case round, square
}

/// One lexical unit of a MASM expression; `start` lets errors and `evaluatePrefix` quote the remaining text.
struct MasmToken {
    enum Kind: Equatable {
        case number(UInt64)
        /// A bare word that is not a number: a symbol, else a register.
        case symbol
        /// `@name`; the token text includes the '@'.
        case register
        /// `$name` or `@$name`.
        case pseudoRegister
        /// `@!"name"`: a symbol whose name holds characters an expression cannot
        /// (`@!"shapes!geometry::largest<int>"`); the token text includes `@!"` and `"`.
        case quotedSymbol
        /// `` `file.c:12` `` or `` `module!file.c:12` ``: the address of a source line; the token
        /// text includes the backticks.
        case sourceLine
        case plus, minus
        case binary(MasmBinaryOperator)
        case unary(MasmUnaryOperator)
        case open(MasmBracket)
        case close(MasmBracket)
        /// `@@c++(…)`, `@@masm(…)`, `@@(…)` (the other evaluator, C++ from MASM): the text
        /// inside the parentheses is parsed by that evaluator.
        case otherEvaluator(ExpressionLanguage, Range<String.Index>)
        /// A word starting with a digit that is not a number in any accepted form.
        case malformedNumber
        /// A character that cannot start any token.
        case invalid
        /// The end of the text, or a `;` or quote, which end an expression without being consumed.
        case end
    }

    let kind: Kind
    let start: String.Index
    let end: String.Index
}

/// Splits a MASM expression into tokens, reading UTF-8 bytes so that conditional breakpoints evaluate cheaply.
struct MasmLexer {
    private let utf8: Substring.UTF8View
    private let radix: Int
    private var position: String.Index

    init(_ text: Substring, radix: Int) {
        utf8 = text.utf8
        self.radix = radix
        position = utf8.startIndex
    }

    mutating func next() -> MasmToken {
        skipBlanks()
        let start = position
        guard let first = byte(at: start) else {
            return MasmToken(kind: .end, start: start, end: start)
        }
        let kind: MasmToken.Kind
        switch first {
        case UInt8(ascii: ";"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            kind = .end
        case UInt8(ascii: "@") where byte(at: utf8.index(after: start)) == UInt8(ascii: "@"):
            kind = otherEvaluatorToken(after: start)
        case UInt8(ascii: "@") where Substring(utf8[start...]).hasPrefix("@!\""):
            kind = delimited(from: utf8.index(start, offsetBy: 3), until: "\"", as: .quotedSymbol)
        case UInt8(ascii: "@"):
            kind = registerToken(after: start)
        case UInt8(ascii: "$"):
            kind = pseudoRegisterToken(at: start)
        case UInt8(ascii: "!") where byte(at: utf8.index(after: start)).map({ $0 == UInt8(ascii: "_") || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) }) == true:
            // `!name` names a symbol in any module, even one that looks like a number or register.
            position = wordEnd(from: utf8.index(after: start))
            kind = .symbol
        case UInt8(ascii: "`"):
            kind = delimited(from: utf8.index(after: start), until: "`", as: .sourceLine)
        case _ where first.isIdentifierByte:
            position = wordEnd(from: start)
            kind = classifyWord(utf8[start..<position])
        default:
            position = utf8.index(after: start)
            kind = punctuator(first)
        }
        return MasmToken(kind: kind, start: start, end: position)
    }

    /// `@@c++(`, `@@masm(`, `@@(` up to the matching `)`; invalid without one.
    private mutating func otherEvaluatorToken(after at: String.Index) -> MasmToken.Kind {
        var cursor = utf8.index(at, offsetBy: 2)
        let rest = Substring(utf8[cursor...]).lowercased()
        let language: ExpressionLanguage
        if rest.hasPrefix("c++(") {
            language = .cpp
            cursor = utf8.index(cursor, offsetBy: 3)
        } else if rest.hasPrefix("masm(") {
            language = .masm
            cursor = utf8.index(cursor, offsetBy: 4)
        } else if rest.hasPrefix("(") {
            language = .cpp
        } else {
            position = cursor
            return .invalid
        }
        let innerStart = utf8.index(after: cursor)
        var depth = 0
        var index = cursor
        while let current = byte(at: index) {
            if current == UInt8(ascii: "(") { depth += 1 }
            if current == UInt8(ascii: ")") {
                depth -= 1
                if depth == 0 {
                    position = utf8.index(after: index)
                    return .otherEvaluator(language, innerStart..<index)
                }
            }
            index = utf8.index(after: index)
        }
        position = index
        return .invalid
    }

    /// A token that runs to a closing delimiter (`` `file.c:12` ``, `@!"name"`); invalid if none.
    private mutating func delimited(from start: String.Index, until closing: Unicode.Scalar, as kind: MasmToken.Kind) -> MasmToken.Kind {
        position = start
        while let current = byte(at: position), current != UInt8(ascii: closing) { position = utf8.index(after: position) }
        guard byte(at: position) != nil else { return .invalid }
        position = utf8.index(after: position)
        return kind
    }

    private func byte(at index: String.Index) -> UInt8? {
        index < utf8.endIndex ? utf8[index] : nil
    }

    private mutating func skipBlanks() {
        while let current = byte(at: position), current.isBlank {
            position = utf8.index(after: position)
        }
    }

    /// Consumes `expected` if it is the next byte; used for multi-character operators.
    private mutating func consume(_ expected: Character) -> Bool {
        guard byte(at: position) == expected.asciiValue else { return false }
        position = utf8.index(after: position)
        return true
    }

    private mutating func punctuator(_ first: UInt8) -> MasmToken.Kind {
        switch first {
        case UInt8(ascii: "+"): return .plus
        case UInt8(ascii: "-"): return .minus
        case UInt8(ascii: "*"): return .binary(.multiply)
        case UInt8(ascii: "/"): return .binary(.divide)
        case UInt8(ascii: "%"): return .binary(.remainder)
        case UInt8(ascii: "&"): return .binary(.and)
        case UInt8(ascii: "^"): return .binary(.xor)
        case UInt8(ascii: "|"): return .binary(.or)
        case UInt8(ascii: "~"): return .unary(.bitwiseNot)
        case UInt8(ascii: "("): return .open(.round)
        case UInt8(ascii: ")"): return .close(.round)
        case UInt8(ascii: "["): return .open(.square)
        case UInt8(ascii: "]"): return .close(.square)
        case UInt8(ascii: "!"): return consume("=") ? .binary(.notEqual) : .unary(.logicalNot)
        case UInt8(ascii: "="):
            _ = consume("=")
            return .binary(.equal)
        case UInt8(ascii: "<"):
            if consume("<") { return .binary(.shiftLeft) }
            return consume("=") ? .binary(.lessOrEqual) : .binary(.less)
        case UInt8(ascii: ">"):
            if consume(">") { return consume(">") ? .binary(.arithmeticShiftRight) : .binary(.shiftRight) }
            return consume("=") ? .binary(.greaterOrEqual) : .binary(.greater)
        default:
            return .invalid
        }
    }

    /// `@name` is always a register and `@$name` a pseudo-register, whatever symbols exist.
    private mutating func registerToken(after at: String.Index) -> MasmToken.Kind {
        let nameStart = utf8.index(after: at)
        if byte(at: nameStart) == UInt8(ascii: "$") {
            return pseudoRegisterToken(at: nameStart)
        }
        let nameEnd = identifierEnd(from: nameStart)
        position = nameEnd
        return nameEnd > nameStart ? .register : .invalid
    }

    private mutating func pseudoRegisterToken(at dollar: String.Index) -> MasmToken.Kind {
        let nameStart = utf8.index(after: dollar)
        let nameEnd = identifierEnd(from: nameStart)
        position = nameEnd
        return nameEnd > nameStart ? .pseudoRegister : .invalid
    }

    private func identifierEnd(from start: String.Index) -> String.Index {
        var index = start
        while let current = byte(at: index), current.isIdentifierByte {
            index = utf8.index(after: index)
        }
        return index
    }

    private func isIdentifierByte(at index: String.Index) -> Bool {
        byte(at: index)?.isIdentifierByte ?? false
    }

    /// Returns the end of the word starting at `start`. Besides identifier bytes a word may hold `$`, one module
    /// separator `!` (`libc!puts`), C++ scope `::` and `::~`, `.` (`main.cold`), `@` (`puts@GLIBC_2.2.5`) and
    /// number-grouping backticks; the punctuation only counts when a word character follows, so `rax!=0` and
    /// `libc!` stop before the operator.
    private func wordEnd(from start: String.Index) -> String.Index {
        var index = utf8.index(after: start)
        var sawModuleSeparator = false
        while let current = byte(at: index) {
            let next = utf8.index(after: index)
            if current.isIdentifierByte || current == UInt8(ascii: "$") {
                index = next
                continue
            }
            switch current {
            case UInt8(ascii: "."), UInt8(ascii: "`"), UInt8(ascii: "@"):
                guard isIdentifierByte(at: next) else { return index }
                index = next
            case UInt8(ascii: "!"):
                guard !sawModuleSeparator, isIdentifierByte(at: next) else { return index }
                sawModuleSeparator = true
                index = next
            case UInt8(ascii: ":"):
                guard byte(at: next) == UInt8(ascii: ":") else { return index }
                var afterScope = utf8.index(after: next)
                if byte(at: afterScope) == UInt8(ascii: "~") {
                    afterScope = utf8.index(after: afterScope)
                }
                guard isIdentifierByte(at: afterScope) else { return index }
                index = afterScope
            default:
                return index
            }
        }
        return index
    }

    /// Decides what a word is: a module-qualified name is always a symbol, a word starting with a digit must be a
    /// number, word operators come next, then any word that is a number in the current radix (`beef`), then symbols.
    private func classifyWord(_ word: Substring.UTF8View) -> MasmToken.Kind {
        if word.contains(UInt8(ascii: "!")) {
            return .symbol
        }
        if let first = word.first, first.isDigit {
            return number(startingWithDigit: word).map(MasmToken.Kind.number) ?? .malformedNumber
        }
        if let wordOperator = Self.wordOperator(word) {
            return wordOperator
        }
        if let value = Self.digits(word, radix: radix) {
            return .number(value)
        }
        return .symbol
    }

    /// Parses `0x`/`0n`/`0t`/`0y` prefixed numbers, `h`-suffixed hex (MASM style, so `ah` stays a register name)
    /// and plain numbers in the current radix.
    private func number(startingWithDigit word: Substring.UTF8View) -> UInt64? {
        let second = word.index(after: word.startIndex)
        if word.first == UInt8(ascii: "0"), second < word.endIndex, let prefixRadix = Self.prefixRadix(word[second]) {
            return Self.digits(word[word.index(after: second)...], radix: prefixRadix)
        }
        if let last = word.last, last.asciiLowercased == UInt8(ascii: "h") {
            return Self.digits(word.dropLast(), radix: 16)
        }
        return Self.digits(word, radix: radix)
    }

    private static func prefixRadix(_ letter: UInt8) -> Int? {
        switch letter.asciiLowercased {
        case UInt8(ascii: "x"): 16
        case UInt8(ascii: "n"): 10
        case UInt8(ascii: "t"): 8
        case UInt8(ascii: "y"): 2
        default: nil
        }
    }

    /// The value of `text` as digits in `radix`, skipping backticks; nil if empty, not all digits, or too large.
    private static func digits(_ text: Substring.UTF8View, radix: Int) -> UInt64? {
        var value: UInt64 = 0
        var sawDigit = false
        for current in text where current != UInt8(ascii: "`") {
            guard let digit = current.digitValue, digit < radix else { return nil }
            let (shifted, shiftOverflow) = value.multipliedReportingOverflow(by: UInt64(radix))
            let (sum, addOverflow) = shifted.addingReportingOverflow(UInt64(digit))
            guard !shiftOverflow, !addOverflow else { return nil }
            value = sum
            sawDigit = true
        }
        return sawDigit ? value : nil
    }

    /// Case-insensitive MASM word operators; all are at most three letters long.
    private static func wordOperator(_ word: Substring.UTF8View) -> MasmToken.Kind? {
        guard word.count <= 3 else { return nil }
        switch String(decoding: word.lazy.map(\.asciiLowercased), as: UTF8.self) {
        case "and": return .binary(.and)
        case "or": return .binary(.or)
        case "xor": return .binary(.xor)
        case "mod": return .binary(.remainder)
        case "not": return .unary(.logicalNot)
        case "hi": return .unary(.high)
        case "low": return .unary(.low)
        case "by": return .unary(.byte)
        case "wo": return .unary(.word)
        case "dwo": return .unary(.dword)
        case "qwo": return .unary(.qword)
        case "poi": return .unary(.pointer)
        default: return nil
        }
    }
}

extension MasmLexer {
    /// Register names reach the context in lower case, whatever case the user typed.
    static func lowercasedName(_ name: Substring) -> String {
        String(decoding: name.utf8.lazy.map(\.asciiLowercased), as: UTF8.self)
    }
}

fileprivate extension UInt8 {
    var isBlank: Bool {
        self == UInt8(ascii: " ") || self == UInt8(ascii: "\t") || self == UInt8(ascii: "\n") || self == UInt8(ascii: "\r")
    }

    var isDigit: Bool {
        self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9")
    }

    var isIdentifierByte: Bool {
        let lower = asciiLowercased
        return isDigit || (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || self == UInt8(ascii: "_")
    }

    var asciiLowercased: UInt8 {
        self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self
    }

    /// The digit's value in bases up to 36, nil for anything that is not a digit or letter.
    var digitValue: Int? {
        if isDigit { return Int(self - UInt8(ascii: "0")) }
        let lower = asciiLowercased
        guard lower >= UInt8(ascii: "a"), lower <= UInt8(ascii: "z") else { return nil }
        return Int(lower - UInt8(ascii: "a")) + 10
    }
}
