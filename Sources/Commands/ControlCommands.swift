import Arch
import Engine
import Expressions
import Glibc
import Targets

/// The command language core: `.if/.elsif/.else`, `j`, `.echo`, `.sleep`, aliases (`as aS ad al`),
/// script files (`$$<`, `$$><`), logs (`.logopen .logappend .logclose`) and `.help`.
extension Interpreter {
    static let controlCommands: [CommandSpec] = [
        CommandSpec(names: [".if"], summary: ".if (cond) { cmds } .elsif (cond) { cmds } .else { cmds }") { i, inv throws(CommandError) in
            try i.run(try i.program(".if " + inv.arguments))
        },
        CommandSpec(names: ["j"], summary: "j cond 'cmds' ; 'cmds'") { i, inv throws(CommandError) in try i.run(try i.program("j " + inv.arguments)) },
        CommandSpec(names: [".echo"], summary: "print text") { i, inv throws(CommandError) in
            var text = inv.arguments.trimmed()
            if text.count >= 2, text.first == "\"", text.last == "\"" { text = text.dropFirst().dropLast() }
            i.output.line(String(text))
        },
        CommandSpec(names: [".sleep"], summary: "pause the debugger: .sleep milliseconds") { i, inv throws(CommandError) in
            var scanner = inv.scanner
            let milliseconds = try i.expression(&scanner)
            i.output.flush()
            usleep(UInt32(min(milliseconds, 3_600_000) * 1000))
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
        CommandSpec(names: ["$$>a<", "$>a<"], summary: "run a script file with arguments: $$>a< file arg1 arg2 (${$arg1} in it)") { i, inv throws(CommandError) in
            try i.runScriptWithArguments(inv.arguments)
        },
        CommandSpec(names: [".logopen", ".logappend"], summary: "log output to a file") { i, inv throws(CommandError) in
            let path = String(inv.arguments.trimmed())
            guard !path.isEmpty else { throw CommandError("Usage: \(inv.name) file") }
            guard i.output.openLog(path, append: inv.name == ".logappend") else { throw CommandError("Unable to open log file '\(path)'") }
            i.output.line("Opened log file '\(path)'")
        },
        CommandSpec(names: [".expr"], summary: "show or choose the default expression evaluator: .expr [/s masm|c++] [/q]") { i, inv throws(CommandError) in
            try i.chooseEvaluator(inv.arguments.trimmed())
        },
        CommandSpec(names: [".logclose"], summary: "close the log file") { i, _ throws(CommandError) in
            if i.output.isLogging { i.output.line("Closing open log file"); i.output.closeLog() } else { i.output.line("No log file open") }
        },
        CommandSpec(names: [".help", "?help", ".hh"], summary: "list commands; .help command (or .hh command) shows one") { i, inv throws(CommandError) in
            try i.showHelp(String(inv.arguments.trimmed()))
        },
    ]

    /// `.expr`: which evaluator takes command arguments; `/s` chooses, `/q` lists them.
    private func chooseEvaluator(_ arguments: Substring) throws(CommandError) {
        let names = (masm: "MASM - Microsoft Assembler expressions", cpp: "C++ - C++ source expressions")
        switch arguments.lowercased() {
        case "": break
        case "/q":
            output.line("Available expression evaluators:")
            output.line(names.masm)
            output.line(names.cpp)
            output.line("")
        case "/s masm": cppIsDefault = false
        case "/s c++": cppIsDefault = true
        default: throw CommandError("Usage: .expr [/s masm | /s c++] [/q]")
        }
        output.line("Current expression evaluator: \(cppIsDefault ? names.cpp : names.masm)")
    }

    /// `.help` lists every command; `.help bp` shows one command's syntax, options and examples.
    private func showHelp(_ name: String) throws(CommandError) {
        guard !name.isEmpty else {
            for spec in specs { output.line("\(spec.names.joined(separator: " ").padding(to: 36)) \(spec.summary)") }
            output.line("")
            output.line(".help COMMAND shows one command's syntax, options and examples.")
            return
        }
        let lookupName = name.hasPrefix("~") ? "~" : name
        guard let spec = commands[lookupName] ?? commands[lookupName.lowercased()],
              let help = Interpreter.commandHelp[spec.names[0]] else {
            throw CommandError("No help for '\(name)': .help lists the commands")
        }
        output.line(spec.names.joined(separator: ", "))
        output.line("")
        for line in help.syntax { output.line("  " + line) }
        output.line("")
        output.line(help.description)
        if !help.options.isEmpty {
            output.line("")
            output.line("Options:")
            let width = help.options.map(\.name.count).max() ?? 0
            for option in help.options { output.line("  " + option.name.padding(to: width) + "  " + option.meaning) }
        }
        if !help.examples.isEmpty {
            output.line("")
            output.line("Examples:")
            for example in help.examples { output.line("  " + example) }
        }
    }

    /// `as name text`, `aS name "text"`, and WinDbg's value forms: `/x` an expression's value,
    /// `/e` an environment variable, `/ma` `/mu` a string in memory, `/f` a file's text,
    /// `/c` what commands print.
    private func setAlias(_ invocation: Invocation) throws(CommandError) {
        var scanner = invocation.scanner
        var form: Substring?
        if scanner.rest.first == "/" { form = scanner.word() }
        guard let name = scanner.word() else { throw CommandError("Usage: as [/x|/e|/ma|/mu|/f|/c] name value") }
        let value: String
        if let form {
            value = try aliasValue(form: form, text: scanner.rest.trimmed(), invocation: invocation)
        } else if invocation.name == "aS" {
            // The quotes are optional: unquoted, the value is the rest of the command (to a `;`).
            guard !scanner.isAtEnd else { throw CommandError("       ^ Syntax error in 'aS\(invocation.arguments)'") }
            value = scanner.rest.first == "\"" ? scanner.quoted() ?? "" : String(scanner.rest)
        } else {
            value = String(scanner.rest)
        }
        aliases.removeAll { $0.name == String(name) }
        aliases.append((String(name), value))
    }

    private func aliasValue(form: Substring, text: Substring, invocation: Invocation) throws(CommandError) -> String {
        switch form.lowercased() {
        case "/x":
            return "0x" + String(try evaluate(text), radix: 16)
        case "/e":
            guard let value = getenv(String(text)) else { throw CommandError("Environment variable '\(text)' is not set") }
            return String(cString: value)
        case "/ma", "/mu":
            let address = try evaluate(text)
            guard !session.readMemory(address, count: 1).isEmpty else { throw CommandError("Memory access error at '\(formatAddress(address))'") }
            return form.lowercased() == "/mu" ? wideString(at: address) : session.readString(address)
        case "/f":
            return try commandFileLines(String(text)).joined(separator: "\n")
        case "/c":
            output.beginCapture()
            do { try executeLine(text) } catch {
                _ = output.endCapture()
                throw error
            }
            // As WinDbg keeps them: the line breaks of the output, one after each line.
            return output.endCapture()
        default:
            throw CommandError("Unknown alias option '\(form)' in '\(invocation.name)\(invocation.arguments)'")
        }
    }

    /// `$$>a< file arg1 "arg two"`: the file as one command line, with aliases `$arg0` (the
    /// file) and `$arg1`… (the arguments) while it runs.
    private func runScriptWithArguments(_ text: Substring) throws(CommandError) {
        var scanner = ArgumentScanner(text)
        guard let path = scanner.word() else { throw CommandError("Usage: $$>a< file [arguments]") }
        var words = [String(path)]
        while !scanner.isAtEnd { words.append(scanner.quoted() ?? String(scanner.word() ?? "")) }
        let saved = aliases
        defer { aliases = saved }
        for (index, word) in words.enumerated() {
            aliases.removeAll { $0.name == "$arg\(index)" }
            aliases.append(("$arg\(index)", word))
        }
        try runScript(path, condensed: true)
    }

    private func runScript(_ argument: Substring, condensed: Bool) throws(CommandError) {
        let path = String(argument.trimmed())
        guard scriptDepth < 16 else { throw CommandError("Script nesting too deep at '\(path)'") }
        let lines = try commandFileLines(path)
        scriptDepth += 1
        defer { scriptDepth -= 1 }
        if condensed {
            try executeLine(Substring(lines.joined(separator: ";")))
            return
        }
        for line in lines where !quitRequested {
            output.line(prompt + line)
            do { try executeLine(Substring(line)) } catch { output.line(error.description) }
        }
    }

    /// The lines of a command file (`$$<`, `-cf`, the init file), read with bounds: a regular
    /// file only (not `/dev/zero` or a pipe), at most 16 MiB, lines of at most 64 KiB.
    public func commandFileLines(_ path: String) throws(CommandError) -> [String] {
        // Not blocking: opening a FIFO would otherwise wait for a writer before fstat could refuse it.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw CommandError("Unable to open script file '\(path)': \(errnoText(errno))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw CommandError("Unable to open script file '\(path)': not a regular file")
        }
        guard status.st_size <= Interpreter.largestCommandFile else {
            throw CommandError("Script file '\(path)' is too large (\(status.st_size) bytes; at most \(Interpreter.largestCommandFile))")
        }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while data.count <= Interpreter.largestCommandFile {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if count <= 0 { break }
            data += chunk[0..<count]
        }
        guard data.count <= Interpreter.largestCommandFile else { throw CommandError("Script file '\(path)' is too large") }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map(String.init)
        if let index = lines.firstIndex(where: { $0.utf8.count > Interpreter.longestCommandLine }) {
            throw CommandError("Line \(index + 1) of script file '\(path)' is longer than \(Interpreter.longestCommandLine) bytes")
        }
        return lines
    }
}

extension Interpreter {
    static let largestCommandFile = 16 << 20
    static let longestCommandLine = 64 << 10
}
