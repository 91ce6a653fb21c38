import Arch
import Engine
import Glibc
import Symbols

/// `lm x ln .reload`: modules and their symbols.
extension Interpreter {
    static let moduleCommands: [CommandSpec] = [
        CommandSpec(names: ["lm"], summary: "list modules: lm [v] [m pattern]") { i, inv throws(CommandError) in try i.listModules(inv) },
        CommandSpec(names: ["x"], summary: "examine symbols: x module!pattern") { i, inv throws(CommandError) in try i.examineSymbols(inv) },
        CommandSpec(names: ["ln"], summary: "list nearest symbols to an address") { i, inv throws(CommandError) in try i.nearestSymbols(inv) },
        CommandSpec(names: [".reload"], summary: "re-read the module list") { i, _ throws(CommandError) in
            _ = try i.requireProcess()
            i.session.reloadModules()
            i.output.line("Reloading current modules")
        },
        CommandSpec(names: [".lines"], summary: "source line information: .lines [-e|-d|-t]") { i, inv throws(CommandError) in
            switch inv.arguments.trimmed() {
            case "-e": i.session.lineNumbers = true
            case "-d": i.session.lineNumbers = false
            case "", "-t": i.session.lineNumbers.toggle()
            default: throw CommandError("Usage: .lines [-e|-d|-t]")
            }
            i.output.line("Line number information will \(i.session.lineNumbers ? "" : "not ")be loaded")
        },
        CommandSpec(names: [".sympath"], summary: "show or set the symbol path: .sympath [path;path], .sympath+ path") { i, inv throws(CommandError) in
            let text = inv.arguments.trimmed()
            if text.hasPrefix("+") {
                i.session.symbolSearch.path += text.dropFirst().split(separator: ";").map { String($0.trimmed()) }
            } else if !text.isEmpty {
                i.session.symbolSearch.path = text.split(separator: ";").map { String($0.trimmed()) }
            }
            i.showSymbolPath()
        },
        CommandSpec(names: [".symfix", ".symfix+"], summary: "use the debuginfod servers of DEBUGINFOD_URLS: .symfix[+] [cache folder]") { i, inv throws(CommandError) in
            let cache = inv.arguments.trimmed()
            let server = cache.isEmpty ? "srv*" : "srv*\(cache)*"
            if inv.name == ".symfix+" { i.session.symbolSearch.path.append(server) } else { i.session.symbolSearch.path = [server] }
            if getenv("DEBUGINFOD_URLS") == nil { i.output.line("No symbol server: DEBUGINFOD_URLS is not set") }
            i.showSymbolPath()
        },
        CommandSpec(names: ["!sym"], summary: "!sym noisy | quiet: report every place searched for debug files") { i, inv throws(CommandError) in
            switch inv.arguments.trimmed().lowercased() {
            case "noisy": i.session.symbolSearch.noisy = true
            case "quiet": i.session.symbolSearch.noisy = false
            case "": break
            default: throw CommandError("Usage: !sym noisy | quiet")
            }
            i.output.line(i.session.symbolSearch.noisy ? "noisy mode - symbol prompts on" : "quiet mode - symbol prompts on")
        },
    ]

    /// `lm`, `lm v`, `lm m libc*`, and WinDbg's run-together forms (`lmvm libc`).
    private func listModules(_ invocation: Invocation) throws(CommandError) {
        let process = try requireProcess()
        var verbose = false
        var pattern = "*"
        var scanner = invocation.scanner
        while let word = scanner.word() {
            var flags = Substring(word)
            while let flag = flags.first {
                flags = flags.dropFirst()
                switch flag {
                case "v": verbose = true
                case "m":
                    let rest = flags.isEmpty ? scanner.word().map(String.init) : String(flags)
                    pattern = rest ?? "*"
                    flags = ""
                case "o", "l", "e", "f", "1": continue
                default: throw CommandError("Unknown lm option '\(flag)'")
                }
            }
        }
        output.line("start             end                 module name")
        for module in process.modules.modules where wildcardMatch(pattern, module.name) {
            let line = "\(formatAddress(module.start)) \(formatAddress(module.end))   \(module.name.padding(to: 10)) \(module.symbolState.padding(to: 22)) \(verbose ? "" : module.path)"
            output.line(String(line.trimmed()) + (module.mismatch != nil ? "  (mismatched)" : ""))
            if verbose {
                output.line("    Image path: \(module.path)")
                output.line("    Image name: \(module.path.split(separator: "/").last.map(String.init) ?? module.path)")
                output.line("    Load bias:  \(formatAddress(module.bias))")
                if let mismatch = module.mismatch { output.line("    MISMATCH:   \(mismatch)") }
                if let files = module.symbolFiles {
                    output.line("    Symbols:    \(files.symbols.count) \(files.state)")
                    if let debug = files.debugImage { output.line("    Debug file: \(debug.path)") }
                }
            }
        }
    }

    private func examineSymbols(_ invocation: Invocation) throws(CommandError) {
        let process = try requireProcess()
        var scanner = invocation.scanner
        guard let text = scanner.word() else { throw CommandError("Usage: x module!pattern") }
        let (modulePattern, symbolText) = splitPattern(String(text))
        let symbolPattern = WildcardPattern(symbolText)
        for module in process.modules.modules where wildcardMatch(modulePattern, module.name) {
            for symbol in module.symbols where symbolPattern.matches(symbol.name) || symbolPattern.matches(symbol.linkageName) {
                output.line("\(formatAddress(symbol.address &+ module.bias)) \(module.name)!\(symbol.name) \(symbolTypeText(symbol, in: module))")
            }
        }
    }

    private func nearestSymbols(_ invocation: Invocation) throws(CommandError) {
        let process = try requireProcess()
        var scanner = invocation.scanner
        let address = scanner.isAtEnd ? try currentRegisters().rip : try expression(&scanner)
        guard let module = process.modules.module(containing: address) else { return }
        let table = module.symbols
        let link = address &- module.bias
        guard let index = table.lastIndex(where: { $0.address <= link }) else { return }
        let symbol = table[index]
        let offset = link - symbol.address
        let source = sourceText(address).trimmed()
        var line = "\(source.isEmpty ? "" : source + " ")(\(formatAddress(symbol.address &+ module.bias)))   \(module.name)!\(symbol.name)\(offset > 0 ? "+0x\(String(offset, radix: 16))" : "")"
        if let next = table[(index + 1)...].first(where: { $0.address > symbol.address }) {
            line += "   |  (\(formatAddress(next.address &+ module.bias)))   \(module.name)!\(next.name)"
        }
        output.line(line)
        if offset == 0 {
            output.line("Exact matches:")
            for alias in table where alias.address == symbol.address {
                output.line("    \(module.name)!\(alias.name) \(symbolTypeText(alias, in: module))")
            }
        }
    }

    /// What `x` and `ln` say after a name: a demangled function's parameter list
    /// (`(int)`, `() const`), a C function's from DWARF (`(int, const void *, size_t, int)`),
    /// else WinDbg's words for a symbol without type information.
    private func symbolTypeText(_ symbol: ElfSymbol, in module: Module) -> String {
        if let full = symbol.fullName, let range = full.firstRange(of: symbol.name), range.upperBound < full.endIndex {
            return String(String(full[range.upperBound...]).trimmed())
        }
        // An indirect function's symbol is its resolver, whose prototype is not the function's.
        if symbol.isFunction, !symbol.isIndirect, let prototype = module.symbolFiles?.prototype(at: symbol.address) { return prototype }
        return symbol.isFunction ? "(<no parameter info>)" : "= <no type information>"
    }

    private func showSymbolPath() {
        let path = session.symbolSearch.path
        output.line("Symbol search path is: \(path.isEmpty ? "<empty>" : path.joined(separator: ";"))")
    }
}
