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
    /// `.while (c) {…}`, `.do {…} (c)` (`testFirst` false), `.for (init; c; next) {…}`.
    case loop(Loop)
    /// `.foreach [/pS n] [/ps n] [/s|/f] (variable {commands}|"text") {commands}`.
    case foreach(Foreach)
    /// `.break`, `.continue`, `.leave`.
    case jumpOut(Flow)
    /// `.block {…}`: its aliases are replaced when it runs, not when the line is parsed.
    case block(String)
    /// `.catch {…}`: an error ends the block, not the whole command line.
    case catchErrors(CommandProgram)
}

/// How a statement ended: normally, or leaving its loop or `.catch` block.
enum Flow: Equatable {
    case next, breakLoop, continueLoop, leave
}

/// A `.while`, `.do` or `.for` loop.
struct Loop {
    let initial: CommandProgram?
    let condition: MasmExpression
    let step: CommandProgram?
    let body: CommandProgram
    /// The condition is tested before each pass (`.while`, `.for`), or after (`.do`).
    let testFirst: Bool
}

/// A `.foreach`: the body's text runs once per token, the variable replaced by the token.
struct Foreach {
    enum Source {
        /// The output of these commands.
        case commands(CommandProgram)
        /// `/s`: a string's words.
        case text(String)
        /// `/f`: a file's words.
        case file(String)
    }

    let variable: String
    let source: Source
    let body: String
    /// `/pS`: tokens skipped before the first; `/ps`: tokens skipped after each one used.
    let initialSkip: Int
    let skip: Int
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
            if let statement = try parseLoopStatement(trimmed, depth: depth) {
                statements.append(statement)
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
        // `.for (init; cond; next)`: its semicolons are its own.
        var parentheses = 0
        var inFor = isWord(".for", at: trim(start..<range.upperBound).lowerBound)
        while index < range.upperBound {
            let byte = bytes[index]
            if inFor, quote == nil, byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")") {
                parentheses += byte == UInt8(ascii: "(") ? 1 : -1
            } else if inFor, parentheses > 0, byte == UInt8(ascii: ";") {
                index += 1
                continue
            }
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
                parentheses = 0
                inFor = isWord(".for", at: trim(start..<range.upperBound).lowerBound)
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

    /// `word` at `index` (case-insensitive), followed by a blank, `(`, `{`, `;`, `}` or the end.
    private func isWord(_ word: String, at index: Int) -> Bool {
        guard hasPrefix(word, at: index, caseInsensitive: true) else { return false }
        let after = index + word.utf8.count
        return after >= bytes.count || [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "("), UInt8(ascii: "{"), UInt8(ascii: ";"), UInt8(ascii: "}")].contains(bytes[after])
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

    /// `.while`, `.do`, `.for`, `.foreach`, `.break`, `.continue`, `.leave`, `.block`, `.catch`.
    private mutating func parseLoopStatement(_ piece: Range<Int>, depth: Int) throws(CommandError) -> Statement? {
        let start = piece.lowerBound
        for (word, flow) in [(".break", Flow.breakLoop), (".continue", .continueLoop), (".leave", .leave)] where isWord(word, at: start) {
            guard trim(start + word.utf8.count..<piece.upperBound).isEmpty else { throw syntaxError(piece) }
            return .jumpOut(flow)
        }
        if isWord(".while", at: start) {
            let (condition, body) = try conditionAndBlock(start + 6..<piece.upperBound, whole: piece, depth: depth)
            return .loop(Loop(initial: nil, condition: condition, step: nil, body: body, testFirst: true))
        }
        if isWord(".do", at: start) {
            let brace = trim(start + 3..<piece.upperBound).lowerBound
            guard brace < piece.upperBound, bytes[brace] == UInt8(ascii: "{") else { throw syntaxError(piece, ": missing '{'") }
            let (inside, next) = try block(at: brace, whole: piece)
            let condition = trim(next..<piece.upperBound)
            guard !condition.isEmpty else { throw syntaxError(piece, ": missing the condition after the block") }
            return .loop(Loop(initial: nil, condition: try parseCondition(condition), step: nil, body: try program(in: inside, depth: depth + 1), testFirst: false))
        }
        if isWord(".for", at: start) { return try parseFor(start + 4..<piece.upperBound, whole: piece, depth: depth) }
        if isWord(".foreach", at: start) { return try parseForeach(start + 8..<piece.upperBound, whole: piece, depth: depth) }
        for word in [".block", ".catch"] where isWord(word, at: start) {
            let brace = trim(start + word.utf8.count..<piece.upperBound).lowerBound
            guard brace < piece.upperBound, bytes[brace] == UInt8(ascii: "{") else { throw syntaxError(piece, ": missing '{'") }
            let (inside, next) = try block(at: brace, whole: piece)
            guard trim(next..<piece.upperBound).isEmpty else { throw syntaxError(trim(next..<piece.upperBound)) }
            return word == ".block" ? .block(String(string(inside))) : .catchErrors(try program(in: inside, depth: depth + 1))
        }
        return nil
    }

    /// `(condition) { body }`, and nothing after.
    private mutating func conditionAndBlock(_ range: Range<Int>, whole: Range<Int>, depth: Int) throws(CommandError) -> (MasmExpression, CommandProgram) {
        guard let brace = firstBrace(from: range.lowerBound, before: range.upperBound) else { throw syntaxError(whole, ": missing '{'") }
        let condition = try parseCondition(trim(range.lowerBound..<brace))
        let (inside, next) = try block(at: brace, whole: whole)
        guard trim(next..<range.upperBound).isEmpty else { throw syntaxError(trim(next..<range.upperBound)) }
        return (condition, try program(in: inside, depth: depth + 1))
    }

    /// The range of the parenthesized part starting at `open`, and the index after its `)`.
    private func parenthesized(at open: Int, before end: Int, whole: Range<Int>) throws(CommandError) -> (Range<Int>, Int) {
        guard open < end, bytes[open] == UInt8(ascii: "(") else { throw syntaxError(whole, ": missing '('") }
        var level = 0
        var index = open
        var quote: UInt8?
        while index < end {
            let byte = bytes[index]
            if let delimiter = quote {
                if byte == delimiter { quote = nil }
            } else if byte == UInt8(ascii: "\"") {
                quote = byte
            } else if byte == UInt8(ascii: "{"), let close = closing[index], close < end {
                index = close
            } else if byte == UInt8(ascii: "(") {
                level += 1
            } else if byte == UInt8(ascii: ")") {
                level -= 1
                if level == 0 { return (open + 1..<index, index + 1) }
            }
            index += 1
        }
        throw syntaxError(whole, ": missing ')'")
    }

    /// `.for (initial ; condition ; step) { body }`.
    private mutating func parseFor(_ range: Range<Int>, whole: Range<Int>, depth: Int) throws(CommandError) -> Statement {
        let (header, next) = try parenthesized(at: trim(range).lowerBound, before: range.upperBound, whole: whole)
        let parts = pieces(of: header)
        guard parts.count == 3 else { throw syntaxError(whole, ": .for takes (initial; condition; step)") }
        let brace = trim(next..<range.upperBound).lowerBound
        guard brace < range.upperBound, bytes[brace] == UInt8(ascii: "{") else { throw syntaxError(whole, ": missing '{'") }
        let (inside, after) = try block(at: brace, whole: whole)
        guard trim(after..<range.upperBound).isEmpty else { throw syntaxError(trim(after..<range.upperBound)) }
        let condition = trim(parts[1])
        return .loop(Loop(initial: try program(in: parts[0], depth: depth + 1),
                          condition: try parseCondition(condition),
                          step: try program(in: parts[2], depth: depth + 1), body: try program(in: inside, depth: depth + 1), testFirst: true))
    }

    /// `.foreach [/pS n] [/ps n] [/s|/f] ( variable { commands } | "text" ) { body }`.
    private mutating func parseForeach(_ range: Range<Int>, whole: Range<Int>, depth: Int) throws(CommandError) -> Statement {
        var cursor = trim(range).lowerBound
        var initialSkip = 0, skip = 0
        var sourceKind = ""
        while cursor < range.upperBound, bytes[cursor] == UInt8(ascii: "/") {
            let end = (cursor..<range.upperBound).first { bytes[$0] == UInt8(ascii: " ") || bytes[$0] == UInt8(ascii: "(") } ?? range.upperBound
            let option = String(string(cursor..<end))
            cursor = trim(end..<range.upperBound).lowerBound
            switch option {
            case "/pS", "/ps":
                let numberEnd = (cursor..<range.upperBound).first { !(bytes[$0] >= UInt8(ascii: "0") && bytes[$0] <= UInt8(ascii: "9")) } ?? range.upperBound
                guard let count = Int(string(cursor..<numberEnd)) else { throw syntaxError(whole, ": \(option) takes a number") }
                if option == "/pS" { initialSkip = count } else { skip = count }
                cursor = trim(numberEnd..<range.upperBound).lowerBound
            case "/s", "/f": sourceKind = option
            default: throw syntaxError(whole, ": unknown .foreach option \(option)")
            }
        }
        let (header, next) = try parenthesized(at: cursor, before: range.upperBound, whole: whole)
        let inside = trim(header)
        let variableEnd = (inside.lowerBound..<inside.upperBound).first { bytes[$0] == UInt8(ascii: " ") || bytes[$0] == UInt8(ascii: "{") || bytes[$0] == UInt8(ascii: "\"") } ?? inside.upperBound
        let variable = String(string(inside.lowerBound..<variableEnd))
        guard !variable.isEmpty else { throw syntaxError(whole, ": .foreach needs a variable") }
        let rest = trim(variableEnd..<inside.upperBound)
        let source: Foreach.Source
        if sourceKind.isEmpty {
            guard !rest.isEmpty, bytes[rest.lowerBound] == UInt8(ascii: "{") else { throw syntaxError(whole, ": missing '{'") }
            let (commands, _) = try block(at: rest.lowerBound, whole: whole)
            source = .commands(try program(in: commands, depth: depth + 1))
        } else {
            guard rest.count >= 2, bytes[rest.lowerBound] == UInt8(ascii: "\""), bytes[rest.upperBound - 1] == UInt8(ascii: "\"") else {
                throw syntaxError(whole, ": \(sourceKind) takes a quoted \(sourceKind == "/s" ? "string" : "file name")")
            }
            let text = String(string(rest.lowerBound + 1..<rest.upperBound - 1))
            source = sourceKind == "/s" ? .text(text) : .file(text)
        }
        let brace = trim(next..<range.upperBound).lowerBound
        guard brace < range.upperBound, bytes[brace] == UInt8(ascii: "{") else { throw syntaxError(whole, ": missing '{'") }
        let (body, after) = try block(at: brace, whole: whole)
        guard trim(after..<range.upperBound).isEmpty else { throw syntaxError(trim(after..<range.upperBound)) }
        return .foreach(Foreach(variable: variable, source: source, body: String(string(body)), initialSkip: initialSkip, skip: skip))
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
