import Arch

/// Splitting a command line into commands and scanning a command's arguments, with WinDbg's
/// quoting: `;` separates commands except inside "double quotes", 'single quotes' and `{ }`.
enum CommandText {
    /// `.sympath a;b`: as in WinDbg, the symbol path's own `;` separate its elements, not commands.
    private static func takesRestOfLine(_ piece: Substring) -> Bool {
        piece.trimmed().lowercased().hasPrefix(".sympath")
    }

    /// Splits at top-level semicolons. `j cond 'a' ; 'b'` stays one command, as in WinDbg.
    static func split(_ line: Substring) -> [Substring] {
        var pieces: [Substring] = []
        var start = line.startIndex
        var index = line.startIndex
        var quote: Character?
        var depth = 0
        while index < line.endIndex {
            let c = line[index]
            if let open = quote {
                if c == "\\" && open == "\"" {
                    index = line.index(after: index)
                    if index == line.endIndex { break }
                } else if c == open { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "{" { depth += 1 }
            else if c == "}" { depth = max(0, depth - 1) }
            else if c == ";" && depth == 0 && !takesRestOfLine(line[start..<index]) {
                pieces.append(line[start..<index])
                start = line.index(after: index)
            }
            index = line.index(after: index)
        }
        pieces.append(line[start...])
        // `j cond 'a' ; 'b'` and `j cond a ; b`: the piece after a `j` is its else branch.
        var merged: [Substring] = []
        var previousWasJump = false
        for piece in pieces {
            if let last = merged.last, previousWasJump {
                merged[merged.count - 1] = line[last.startIndex..<piece.endIndex]
                previousWasJump = false
            } else {
                merged.append(piece)
                previousWasJump = isJump(piece)
            }
        }
        return merged.map { $0.trimmed() }.filter { !$0.isEmpty }
    }

    private static func isJump(_ piece: Substring) -> Bool {
        let text = piece.trimmed()
        guard text.first == "j" || text.first == "J", text.count > 1 else { return false }
        let second = text[text.index(after: text.startIndex)]
        return second == " " || second == "(" || second == "\t"
    }
}

/// A cursor over a command's argument text.
struct ArgumentScanner {
    var rest: Substring

    init(_ text: Substring) { rest = text.trimmed() }

    var isAtEnd: Bool { rest.isEmpty }

    mutating func skipBlanks() { rest = rest.trimmed() }

    /// The next blank-delimited word.
    mutating func word() -> Substring? {
        skipBlanks()
        guard !rest.isEmpty else { return nil }
        let end = rest.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? rest.endIndex
        let word = rest[..<end]
        rest = rest[end...].trimmed()
        return word
    }

    /// Consumes `prefix` if the text starts with it (case-insensitive).
    mutating func accept(_ prefix: String) -> Bool {
        skipBlanks()
        guard rest.lowercased().hasPrefix(prefix.lowercased()) else { return false }
        rest = rest.dropFirst(prefix.count)
        return true
    }

    /// WinDbg's `L count` length syntax (`L8`, `L?1000`): an L followed by a digit or `?`,
    /// so `loop!work` still reads as an address.
    var atLength: Bool {
        guard let first = rest.first, first == "L" || first == "l", let next = rest.dropFirst().first else { return false }
        return next.isNumber || next == "?" || next == " "
    }

    /// A "quoted" string (backslash escapes \" and \\), or nil when the text does not start with a quote.
    mutating func quoted() -> String? {
        skipBlanks()
        guard let open = rest.first, open == "\"" || open == "'" else { return nil }
        var result = ""
        var index = rest.index(after: rest.startIndex)
        while index < rest.endIndex, rest[index] != open {
            if rest[index] == "\\", open == "\"", rest.index(after: index) < rest.endIndex {
                let next = rest[rest.index(after: index)]
                if next == "\"" || next == "\\" { result.append(next); index = rest.index(index, offsetBy: 2); continue }
            }
            result.append(rest[index])
            index = rest.index(after: index)
        }
        rest = index < rest.endIndex ? rest[rest.index(after: index)...] : rest[rest.endIndex...]
        skipBlanks()
        return result
    }
}
