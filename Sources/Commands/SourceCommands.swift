import Arch
import Engine
import Targets

/// Source mode (`l+t`, `l-t`, `l+s`, `l-s`) and source display (`lsa`, `ls`, `lsf`).
/// In source mode `p` and `t` step by source line rather than by instruction.
extension Interpreter {
    static let sourceCommands: [CommandSpec] = [
        CommandSpec(names: ["l+t", "l-t", "l+s", "l-s"], summary: "source options: l+t step by source line, l+s show the source line at stops") { i, inv throws(CommandError) in
            let on = inv.name.hasPrefix("l+")
            if inv.name.hasSuffix("t") { i.sourceStepping = on } else { i.showSourceAtStops = on }
            i.output.line("Source options are \(i.sourceOptionsText)")
        },
        CommandSpec(names: ["lsa"], summary: "show source around an address: lsa addr") { i, inv throws(CommandError) in
            var scanner = inv.scanner
            let address = scanner.isAtEnd ? try i.currentRegisters().rip : try i.expression(&scanner)
            guard let source = i.session.sourceLine(at: address) else { throw CommandError("No source line information for \(formatAddress(address))") }
            try i.listSource(file: source.file, around: source.line, mark: source.line)
        },
        CommandSpec(names: ["ls"], summary: "show the next source lines of the current file") { i, _ throws(CommandError) in
            guard let (file, line) = i.sourceCursor else { throw CommandError("No current source file") }
            try i.listSource(file: file, from: line, count: 10, mark: nil)
        },
        CommandSpec(names: ["lsf"], summary: "make a file the current source file: lsf file") { i, inv throws(CommandError) in
            let file = String(inv.arguments.trimmed())
            guard i.sourceLines(file) != nil else { throw CommandError("Couldn't load source file '\(file)'") }
            i.sourceCursor = (file, 1)
        },
        CommandSpec(names: [".prompt_allow"], summary: "what stops show: .prompt_allow [+|-reg] [+|-dis] [+|-sym] [+|-src] [+|-ea]") { i, inv throws(CommandError) in
            for word in inv.arguments.split(separator: " ") {
                guard let sign = word.first, sign == "+" || sign == "-", let part = PromptPart(rawValue: String(word.dropFirst()).lowercased()) else {
                    throw CommandError("       ^ Syntax error in '.prompt_allow\(inv.arguments)': use +/- with reg, dis, sym, src or ea")
                }
                if sign == "+" { i.promptShows.insert(part) } else { i.promptShows.remove(part) }
            }
            i.output.line("Allow the following information to be displayed at the prompt:")
            i.output.line("(Other settings can affect whether the information is actually displayed)")
            for part in PromptPart.allCases where i.promptShows.contains(part) { i.output.line("   \(part.rawValue) - \(part.description)") }
            let hidden = PromptPart.allCases.filter { !i.promptShows.contains($0) }
            if !hidden.isEmpty {
                i.output.line("Do not allow the following information to be displayed at the prompt:")
                for part in hidden { i.output.line("   \(part.rawValue) - \(part.description)") }
            }
        },
        CommandSpec(names: [".srcpath", ".srcpath+"], summary: "source search path: .srcpath [folder;old=new;...], .srcpath+ element") { i, inv throws(CommandError) in
            let text = String(inv.arguments.trimmed())
            if inv.name == ".srcpath+" {
                i.sourcePath.elements += SourcePath.parse(text)
            } else if !text.isEmpty {
                i.setSourcePath(text)
            }
            i.output.line("Source search path is: \(i.sourcePath.elements.isEmpty ? "<empty>" : i.sourcePath.text)")
        },
    ]

    var sourceOptionsText: String {
        let options = [(sourceStepping, "t - Step/trace by source line"), (showSourceAtStops, "s - Display source at prompt")].filter(\.0)
        return options.isEmpty ? "0:\n    None" : "\(options.count):\n" + options.map { "    \($0.1)" }.joined(separator: "\n")
    }

    /// Five lines either side of `line`, the marked one with `>`.
    func listSource(file: String, around line: Int, mark: Int?) throws(CommandError) {
        try listSource(file: file, from: max(1, line - 5), count: 11, mark: mark)
    }

    func listSource(file: String, from first: Int, count: Int, mark: Int?) throws(CommandError) {
        guard let lines = sourceLines(file) else { throw CommandError("Couldn't load source file '\(file)'") }
        guard first <= lines.count else { throw CommandError("No more source lines in '\(file)'") }
        let last = min(lines.count, first + count - 1)
        for number in first...last {
            let text = "\(number == mark ? ">" : " ")\(String(number).leftPadded(to: 5)): \(lines[number - 1])"
            output.line(paint(text, number == mark ? .current : .source))
        }
        sourceCursor = (file, last + 1)
    }

    /// A source line spec with the current file put in for `:12` (the file `ls` shows, else
    /// the one of the current instruction).
    func qualifiedSourceSpec(_ spec: String) -> String {
        guard spec.hasPrefix(":") else { return spec }
        let file = sourceCursor?.file ?? (try? currentRegisters()).flatMap { session.sourceLine(at: $0.rip)?.file }
        return (file ?? "") + spec
    }

    /// `.srcpath` and `-srcpath`.
    public func setSourcePath(_ text: String) { sourcePath = SourcePath(text) }

    /// The file's lines, found through the source path, or nil when it cannot be read.
    func sourceLines(_ file: String) -> [Substring]? {
        guard let path = sourcePath.locate(file), let data = readFile(path) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map { $0 }
    }

    /// `l+s`: the source line of a stop, as WinDbg shows it above the disassembly.
    func showSourceLine(at address: UInt64) {
        guard showSourceAtStops, let source = session.sourceLine(at: address), let lines = sourceLines(source.file),
              source.line <= lines.count else { return }
        output.line(paint(">\(String(source.line).leftPadded(to: 5)): \(lines[source.line - 1])", .source))
        sourceCursor = (source.file, source.line + 1)
    }
}
