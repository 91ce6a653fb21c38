import Expressions

/// A command line parsed once into statements: commands for the table, `.if`/`.elsif`/`.else`
/// chains, `j` and `z` loops, with their conditions already parsed. A breakpoint's commands
/// are parsed when it first hits and reused on every later hit.
///
/// Parsing is linear in the text: every `{` knows its matching `}` from one pass, so a block
/// is skipped in O(1) by the statements around it and read once, when it is parsed itself.
struct CommandProgram {
    let statements: [Statement]
    /// The text the statements were parsed from (a block's inside, without its braces).
    var text = ""

    /// Just `gc`: how a conditional breakpoint's command string says "do not stop".
    var isGoFromBreakpoint: Bool {
        guard statements.count == 1, case .command(let command) = statements[0] else { return false }
        return command.trimmed() == "gc"
    }

    /// Nesting of blocks deeper than this is refused (each level recurses when it runs).
    static let maximumNesting = 512

    static func parse(_ text: String, radix: Int, context: (any ExpressionContext)?) throws(CommandError) -> CommandProgram {
        var parser = ProgramParser(text: text, radix: radix, context: context)
        return try parser.program(in: 0..<parser.bytes.count, depth: 0)
    }
}

/// One statement of a command program.
indirect enum Statement {
    /// A command dispatched through the command table, with its arguments.
    case command(Substring)
    /// `.if (c) {…} .elsif (c) {…} .else {…}`: the first branch whose condition holds.
    case conditional(branches: [(condition: MasmExpression, body: CommandProgram)], otherwise: CommandProgram?)
    /// `j cond 'a' ; 'b'`.
    case jump(condition: MasmExpression, then: CommandProgram, otherwise: CommandProgram)
    /// `cmds ; z(cond)`: the commands before it run again while the condition holds.
    case repeatWhile(body: [Statement], condition: MasmExpression)
}

/// The parser over one text's UTF-8 bytes.
struct ProgramParser {
    let text: String
    let bytes: [UInt8]
    let radix: Int
    let context: (any ExpressionContext)?
    /// For each `{` outside quotes, the index of its matching `}` (nil where unbalanced).
    private var closing: [Int: Int] = [:]

    init(text: String, radix: Int, context: (any ExpressionContext)?) {
        self.text = text
        bytes = Array(text.utf8)
        self.radix = radix
        self.context = context
        var open: [Int] = []
        var quote: UInt8?
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if let delimiter = quote {
                if byte == UInt8(ascii: "\\") && delimiter == UInt8(ascii: "\"") { index += 1 } else if byte == delimiter { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "{") {
                open.append(index)
            } else if byte == UInt8(ascii: "}"), let start = open.popLast() {
                closing[start] = index
            }
            index += 1
        }
    }

    private func string(_ range: Range<Int>) -> Substring {
        Substring(String(decoding: bytes[range], as: UTF8.self))
    }

    private func syntaxError(_ range: Range<Int>, _ detail: String = "") -> CommandError {
        CommandError("       ^ Syntax error\(detail) in '\(string(range).trimmed())'")
    }

    /// The statements of `range`.
    mutating func program(in range: Range<Int>, depth: Int) throws(CommandError) -> CommandProgram {
        guard depth < CommandProgram.maximumNesting else { throw CommandError("Command nesting too deep (more than \(CommandProgram.maximumNesting) levels)") }
        var statements: [Statement] = []
        var loopStart = 0
        var previousJump: Range<Int>?
        for piece in pieces(of: range) {
            // `j cond 'a' ; 'b'` and `j cond a ; b`: the piece after a `j` is its else branch.
            if let jump = previousJump {
                statements.append(try parseJump(jump.lowerBound..<piece.upperBound, depth: depth))
                previousJump = nil
                continue
            }
            let trimmed = trim(piece)
            guard !trimmed.isEmpty else { continue }
            // `* comment` runs to the end, semicolons included.
            if bytes[trimmed.lowerBound] == UInt8(ascii: "*") { break }
            if isJump(trimmed) {
                previousJump = trimmed
                continue
            }
            if let condition = repeatCondition(trimmed) {
                let body = Array(statements[loopStart...])
                statements.removeSubrange(loopStart...)
                statements.append(.repeatWhile(body: body, condition: try parseCondition(condition)))
                loopStart = statements.count
                continue
            }
            if isWord(".if", at: trimmed.lowerBound) {
                statements.append(try parseConditional(trimmed.lowerBound + 3..<trimmed.upperBound, whole: trimmed, depth: depth))
                continue
            }
            statements.append(.command(string(trimmed)))
        }
        if let jump = previousJump { statements.append(try parseJump(jump, depth: depth)) }
        return CommandProgram(statements: statements, text: String(string(trim(range))))
    }

    /// The ranges between top-level semicolons; blocks are jumped over. A piece that is a
    /// comment (`* …`) or takes the rest of the line (`as`, `.sympath`, `.srcpath`) runs to the
    /// end of `range`.
    private func pieces(of range: Range<Int>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = range.lowerBound
        var index = range.lowerBound
        var quote: UInt8?
        while index < range.upperBound {
            let byte = bytes[index]
            if let delimiter = quote {
                if byte == UInt8(ascii: "\\") && delimiter == UInt8(ascii: "\"") { index += 1 } else if byte == delimiter { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "{"), let end = closing[index], end < range.upperBound {
                index = end
            } else if byte == UInt8(ascii: ";") {
                if takesRestOfLine(start..<index) { index = range.upperBound; break }
                result.append(start..<index)
                start = index + 1
            }
            index += 1
        }
        result.append(start..<range.upperBound)
        return result
    }

    private func takesRestOfLine(_ piece: Range<Int>) -> Bool {
        let start = trim(piece).lowerBound
        guard start < bytes.count else { return false }
        if bytes[start] == UInt8(ascii: "*") { return true }
        return [".sympath", ".srcpath"].contains { hasPrefix($0, at: start, caseInsensitive: true) } || AliasCommand(string(start..<piece.upperBound)[...]) == .restOfLine
    }

    private func hasPrefix(_ prefix: String, at index: Int, caseInsensitive: Bool = false) -> Bool {
        let wanted = Array(prefix.utf8)
        guard index + wanted.count <= bytes.count else { return false }
        for (offset, byte) in wanted.enumerated() {
            let found = bytes[index + offset]
            if found != byte && !(caseInsensitive && found | 0x20 == byte | 0x20 && byte.isLetter) { return false }
        }
        return true
    }

    /// `word` at `index` (case-insensitive), followed by a blank, `(`, `{` or the end.
    private func isWord(_ word: String, at index: Int) -> Bool {
        guard hasPrefix(word, at: index, caseInsensitive: true) else { return false }
        let after = index + word.utf8.count
        return after >= bytes.count || [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "("), UInt8(ascii: "{")].contains(bytes[after])
    }

    private func trim(_ range: Range<Int>) -> Range<Int> {
        var low = range.lowerBound, high = range.upperBound
        while low < high, bytes[low].isBlank { low += 1 }
        while high > low, bytes[high - 1].isBlank { high -= 1 }
        return low..<high
    }

    /// `j cond ...`, `j(cond) ...`, `j@rax==0 ...`: a `j` not followed by a letter or digit.
    private func isJump(_ piece: Range<Int>) -> Bool {
        guard piece.count > 1, bytes[piece.lowerBound] | 0x20 == UInt8(ascii: "j") else { return false }
        let second = bytes[piece.lowerBound + 1]
        return !(second.isLetter || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(second) || second == UInt8(ascii: "_"))
    }

    /// `z(cond)`: the condition's range.
    private func repeatCondition(_ piece: Range<Int>) -> Range<Int>? {
        guard bytes[piece.lowerBound] | 0x20 == UInt8(ascii: "z") else { return nil }
        let rest = trim(piece.lowerBound + 1..<piece.upperBound)
        guard !rest.isEmpty, bytes[rest.lowerBound] == UInt8(ascii: "(") else { return nil }
        return rest
    }

    private func parseCondition(_ range: Range<Int>) throws(CommandError) -> MasmExpression {
        do { return try MasmExpression.parse(string(range), radix: radix, context: context) } catch { throw CommandError(error.description) }
    }

    /// The text after `.if`: condition, block, then any `.elsif (c) {…}` and one `.else {…}`.
    private mutating func parseConditional(_ range: Range<Int>, whole: Range<Int>, depth: Int) throws(CommandError) -> Statement {
        var branches: [(condition: MasmExpression, body: CommandProgram)] = []
        var otherwise: CommandProgram?
        var cursor = range.lowerBound
        var expectCondition = true
        while true {
            let (body, next): (Range<Int>, Int)
            if expectCondition {
                guard let brace = firstBrace(from: cursor, before: range.upperBound) else { throw syntaxError(whole, ": missing '{'") }
                let condition = try parseCondition(trim(cursor..<brace))
                (body, next) = try block(at: brace, whole: whole)
                branches.append((condition, try program(in: body, depth: depth + 1)))
            } else {
                let brace = trim(cursor..<range.upperBound).lowerBound
                guard brace < range.upperBound, bytes[brace] == UInt8(ascii: "{") else { throw syntaxError(whole, ": missing '{'") }
                (body, next) = try block(at: brace, whole: whole)
                otherwise = try program(in: body, depth: depth + 1)
            }
            let rest = trim(next..<range.upperBound)
            if rest.isEmpty { break }
            guard expectCondition else { throw syntaxError(rest) }
            if hasPrefix(".elsif", at: rest.lowerBound, caseInsensitive: true) {
                cursor = rest.lowerBound + 6
            } else if hasPrefix(".else", at: rest.lowerBound, caseInsensitive: true) {
                cursor = rest.lowerBound + 5
                expectCondition = false
            } else {
                throw syntaxError(rest)
            }
        }
        return .conditional(branches: branches, otherwise: otherwise)
    }

    private func firstBrace(from start: Int, before end: Int) -> Int? {
        (start..<end).first { bytes[$0] == UInt8(ascii: "{") }
    }

    /// The inside of the block opening at `brace`, and the index after its `}`.
    private func block(at brace: Int, whole: Range<Int>) throws(CommandError) -> (Range<Int>, Int) {
        guard let end = closing[brace] else { throw syntaxError(whole, ": missing '}'") }
        return (brace + 1..<end, end + 1)
    }

    /// `j cond 'a' ; 'b'` (quotes optional when a branch has no `;`).
    private mutating func parseJump(_ range: Range<Int>, depth: Int) throws(CommandError) -> Statement {
        let text = string(trim(range).dropFirst())
        let condition: MasmExpression
        let rest: Substring
        do { (condition, rest) = try MasmExpression.parsePrefix(text, radix: radix, context: context) } catch {
            throw CommandError(error.description)
        }
        var scanner = ArgumentScanner(rest)
        func branch() -> String {
            if let quoted = scanner.quoted() { return quoted }
            let end = scanner.rest.firstIndex(of: ";") ?? scanner.rest.endIndex
            let piece = scanner.rest[..<end]
            scanner.rest = scanner.rest[end...]
            return String(piece.trimmed())
        }
        let first = branch()
        _ = scanner.accept(";")
        let second = branch()
        return .jump(condition: condition, then: try nested(first, depth: depth), otherwise: try nested(second, depth: depth))
    }

    /// A quoted command string parsed as a program of its own.
    private func nested(_ text: String, depth: Int) throws(CommandError) -> CommandProgram {
        guard depth + 1 < CommandProgram.maximumNesting else { throw CommandError("Command nesting too deep (more than \(CommandProgram.maximumNesting) levels)") }
        var parser = ProgramParser(text: text, radix: radix, context: context)
        return try parser.program(in: 0..<parser.bytes.count, depth: depth + 1)
    }
}

private extension UInt8 {
    var isBlank: Bool { self == UInt8(ascii: " ") || self == UInt8(ascii: "\t") || self == UInt8(ascii: "\r") || self == UInt8(ascii: "\n") }
    var isLetter: Bool { (self | 0x20) >= UInt8(ascii: "a") && (self | 0x20) <= UInt8(ascii: "z") }
}

/// The alias commands, which name aliases and so never have them replaced: `as` takes the
/// rest of the line (`;` included), `aS` and `ad` end at a `;` like any command.
enum AliasCommand: Equatable {
    case restOfLine, toSemicolon

    init?(_ line: Substring) {
        let name = line.prefix { $0 != " " && $0 != "\t" }
        guard name.count < line.count else { return nil }
        switch name {
        case "as": self = .restOfLine
        case "aS", "ad": self = .toSemicolon
        default: return nil
        }
    }
}
