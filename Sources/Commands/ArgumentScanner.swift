import Arch

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

    /// WinDbg's `L count` length syntax (`L8`, `L?1000`, `L@rdx`, `L(@rdx)`, `L $t0`): an L
    /// followed by a digit, `?`, a register, a parenthesis or a blank, so `loop!work` still
    /// reads as an address.
    var atLength: Bool {
        guard let first = rest.first, first == "L" || first == "l", let next = rest.dropFirst().first else { return false }
        return next.isNumber || ["?", " ", "@", "(", "$", "["].contains(next)
    }

    /// A "quoted" string (backslash escapes \" and \\), or nil when the text does not start with a quote.
    /// `keepingEscapes`: the backslashes stay as typed (`\"` still does not end it), for a
    /// format whose escapes are read later (`.printf`).
    mutating func quoted(keepingEscapes: Bool = false) -> String? {
        skipBlanks()
        guard let open = rest.first, open == "\"" || open == "'" else { return nil }
        var result = ""
        var index = rest.index(after: rest.startIndex)
        while index < rest.endIndex, rest[index] != open {
            if rest[index] == "\\", open == "\"", rest.index(after: index) < rest.endIndex {
                let next = rest[rest.index(after: index)]
                if keepingEscapes { result += "\\" + String(next); index = rest.index(index, offsetBy: 2); continue }
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
