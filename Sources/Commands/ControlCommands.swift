import Arch
import Engine
import Expressions
import Targets

/// The command language core: `.if/.elsif/.else`, `j`, `.echo`, aliases (`as aS ad al`),
/// script files (`$$<`, `$$><`), logs (`.logopen .logappend .logclose`) and `.help`.
extension Interpreter {
    static let controlCommands: [CommandSpec] = [
        CommandSpec(names: [".if"], summary: ".if (cond) { cmds } .elsif (cond) { cmds } .else { cmds }") { i, inv throws(CommandError) in try i.conditional(inv.arguments) },
        CommandSpec(names: ["j"], summary: "j cond 'cmds' ; 'cmds'") { i, inv throws(CommandError) in try i.jump(inv.arguments) },
        CommandSpec(names: [".echo"], summary: "print text") { i, inv throws(CommandError) in
            var text = inv.arguments.trimmed()
            if text.count >= 2, text.first == "\"", text.last == "\"" { text = text.dropFirst().dropLast() }
            i.output.line(String(text))
        },
        CommandSpec(names: ["as", "aS"], summary: "set alias: as name text, aS name \"text\"") { i, inv throws(CommandError) in try i.setAlias(inv) },
        CommandSpec(names: ["ad"], summary: "delete alias: ad name, ad *") { i, inv throws(CommandError) in
            let name = inv.arguments.trimmed()
            if name == "*" { i.aliases.removeAll() } else {
                guard i.aliases.contains(where: { $0.name == name }) else { throw CommandError("No alias \(name)") }
                i.aliases.removeAll { $0.name == name }
            }
        },
        CommandSpec(names: ["al"], summary: "list aliases") { i, _ throws(CommandError) in
            guard !i.aliases.isEmpty else { i.output.line("No Alias"); return }
            i.output.line("  Alias            Value  ")
            i.output.line(" -------          ------- ")
            for alias in i.aliases { i.output.line(" \(alias.name.padding(to: 16)) \(alias.value)") }
        },
        CommandSpec(names: ["$$<", "$<"], summary: "run a script file line by line") { i, inv throws(CommandError) in try i.runScript(inv.arguments, condensed: false) },
        CommandSpec(names: ["$$><", "$><"], summary: "run a script file as one command line") { i, inv throws(CommandError) in try i.runScript(inv.arguments, condensed: true) },
        CommandSpec(names: [".logopen", ".logappend"], summary: "log output to a file") { i, inv throws(CommandError) in
            let path = String(inv.arguments.trimmed())
            guard !path.isEmpty else { throw CommandError("Usage: \(inv.name) file") }
            guard i.output.openLog(path, append: inv.name == ".logappend") else { throw CommandError("Unable to open log file '\(path)'") }
            i.output.line("Opened log file '\(path)'")
        },
        CommandSpec(names: [".logclose"], summary: "close the log file") { i, _ throws(CommandError) in
            if i.output.isLogging { i.output.line("Closing open log file"); i.output.closeLog() } else { i.output.line("No log file open") }
        },
        CommandSpec(names: [".help", "?help"], summary: "list commands") { i, _ throws(CommandError) in
            for spec in i.specs { i.output.line("\(spec.names.joined(separator: " ").padding(to: 36)) \(spec.summary)") }
        },
    ]

    /// `.if (cond) { ... } .elsif (cond) { ... } .else { ... }` — the text after `.if`.
    private func conditional(_ text: Substring) throws(CommandError) {
        var rest = text.trimmed()
        var first = true
        while true {
            var condition: UInt64 = 1
            if first || rest.lowercased().hasPrefix(".elsif") {
                if !first { rest = rest.dropFirst(6).trimmed() }
                let (conditionText, afterCondition) = try splitCondition(rest)
                condition = try evaluate(conditionText)
                rest = afterCondition
            } else if rest.lowercased().hasPrefix(".else") {
                rest = rest.dropFirst(5).trimmed()
            } else {
                throw CommandError("       ^ Syntax error in '\(rest)'")
            }
            let (block, afterBlock) = try splitBlock(rest)
            if condition != 0 {
                try executeLine(block)
                return
            }
            rest = afterBlock.trimmed()
            first = false
            if rest.isEmpty { return }
        }
    }

    /// The condition of `.if`: up to the `{` that starts the block.
    private func splitCondition(_ text: Substring) throws(CommandError) -> (Substring, Substring) {
        guard let brace = text.firstIndex(of: "{") else { throw CommandError("       ^ Syntax error: missing '{' in '\(text)'") }
        return (text[..<brace].trimmed(), text[brace...])
    }

    /// A `{ ... }` block with nesting; returns its inside and what follows.
    private func splitBlock(_ text: Substring) throws(CommandError) -> (Substring, Substring) {
        guard text.first == "{" else { throw CommandError("       ^ Syntax error: missing '{' in '\(text)'") }
        var depth = 0
        var quote: Character?
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if let open = quote { if c == open { quote = nil } }
            else if c == "\"" || c == "'" { quote = c }
            else if c == "{" { depth += 1 }
            else if c == "}" {
                depth -= 1
                if depth == 0 {
                    return (text[text.index(after: text.startIndex)..<index], text[text.index(after: index)...])
                }
            }
            index = text.index(after: index)
        }
        throw CommandError("       ^ Syntax error: missing '}' in '\(text)'")
    }

    /// `j cond 'a' ; 'b'` (quotes optional when a command has no `;`).
    private func jump(_ text: Substring) throws(CommandError) {
        let (condition, rest) = try evaluatePrefixed(text)
        let (first, second) = splitJumpBranches(rest)
        try executeLine(condition != 0 ? first : second)
    }

    private func evaluatePrefixed(_ text: Substring) throws(CommandError) -> (UInt64, Substring) {
        do { return try evaluator().evaluatePrefix(text.trimmed()) } catch { throw CommandError(error.description) }
    }

    private func splitJumpBranches(_ text: Substring) -> (Substring, Substring) {
        var scanner = ArgumentScanner(text)
        func branch() -> Substring {
            if let quoted = scanner.quoted() { return Substring(quoted) }
            let end = scanner.rest.firstIndex(of: ";") ?? scanner.rest.endIndex
            let piece = scanner.rest[..<end]
            scanner.rest = scanner.rest[end...]
            return piece.trimmed()
        }
        let first = branch()
        _ = scanner.accept(";")
        let second = branch()
        return (first, second)
    }

    private func setAlias(_ invocation: Invocation) throws(CommandError) {
        var scanner = invocation.scanner
        guard let name = scanner.word() else { throw CommandError("Usage: as name text") }
        let value: String
        if invocation.name == "aS" {
            // The quotes are optional: unquoted, the value is one word.
            guard let text = scanner.quoted() ?? scanner.word().map(String.init) else { throw CommandError("       ^ Syntax error in 'aS\(invocation.arguments)'") }
            value = text
        } else {
            value = String(scanner.rest)
        }
        aliases.removeAll { $0.name == String(name) }
        aliases.append((String(name), value))
    }

    private func runScript(_ argument: Substring, condensed: Bool) throws(CommandError) {
        let path = String(argument.trimmed())
        guard scriptDepth < 16 else { throw CommandError("Script nesting too deep at '\(path)'") }
        guard let data = readFile(path) else { throw CommandError("Unable to open script file '\(path)'") }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" })
        scriptDepth += 1
        defer { scriptDepth -= 1 }
        if condensed {
            try executeLine(Substring(lines.joined(separator: ";")))
            return
        }
        for line in lines where !quitRequested {
            output.line(prompt + line)
            do { try executeLine(line) } catch { output.line(error.description) }
        }
    }
}
