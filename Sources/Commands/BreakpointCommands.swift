import Arch
import Engine
import Expressions

/// `bp bu bm ba bl bc bd be br`.
extension Interpreter {
    static let breakpointCommands: [CommandSpec] = [
        CommandSpec(names: ["bp"], summary: "set breakpoint: bp [/1] [addr [passes]] [\"cmds\"]") { i, inv throws(CommandError) in try i.setBreakpoint(inv, kind: .bp) },
        CommandSpec(names: ["bu"], summary: "set unresolved (deferred) breakpoint") { i, inv throws(CommandError) in try i.setBreakpoint(inv, kind: .bu) },
        CommandSpec(names: ["bm"], summary: "set breakpoints on symbols matching a pattern") { i, inv throws(CommandError) in try i.setPatternBreakpoints(inv) },
        CommandSpec(names: ["ba"], summary: "set hardware (data) breakpoint: ba e|r|w size addr") { i, inv throws(CommandError) in try i.setHardwareBreakpoint(inv) },
        CommandSpec(names: ["bl"], summary: "list breakpoints") { i, _ throws(CommandError) in i.listBreakpoints() },
        CommandSpec(names: [".kernelconditions"], summary: "conditions evaluated in the kernel (BPF uprobes) where they can be: .kernelconditions [on|off]") { i, inv throws(CommandError) in
            try i.kernelConditionsCommand(inv.arguments.trimmed())
        },
        CommandSpec(names: ["bc"], summary: "clear breakpoints: ids, ranges, *") { i, inv throws(CommandError) in
            for bp in try i.selectBreakpoints(inv) { try i.engine { () throws(EngineError) in try i.session.removeBreakpoint(bp) } }
        },
        CommandSpec(names: ["bd"], summary: "disable breakpoints") { i, inv throws(CommandError) in
            for bp in try i.selectBreakpoints(inv) { try i.engine { () throws(EngineError) in try i.session.setEnabled(bp, false) } }
        },
        CommandSpec(names: ["be"], summary: "enable breakpoints") { i, inv throws(CommandError) in
            for bp in try i.selectBreakpoints(inv) { try i.engine { () throws(EngineError) in try i.session.setEnabled(bp, true) } }
        },
        CommandSpec(names: ["br"], summary: "renumber a breakpoint: br old new") { i, inv throws(CommandError) in try i.renumberBreakpoint(inv) },
    ]

    /// What precedes a breakpoint's location: the id glued to the command (`bp5`), `/1`, `/w`.
    private struct BreakpointPrefix {
        var id: Int?
        var oneShot = false
        var cppCondition: String?
    }

    private func breakpointPrefix(_ invocation: Invocation, _ scanner: inout ArgumentScanner) throws(CommandError) -> BreakpointPrefix {
        var prefix = BreakpointPrefix()
        // `bp5 addr`: digits glued to the name choose the id.
        let glued = invocation.arguments.prefix { $0.isNumber }
        if !glued.isEmpty {
            guard let id = Int(glued), UInt64(id) <= Interpreter.maximumBreakpointID else { throw CommandError("       ^ Syntax error in '\(invocation.name)\(invocation.arguments)'") }
            prefix.id = id
            scanner = ArgumentScanner(invocation.arguments.dropFirst(glued.count))
        }
        while scanner.rest.first == "/" {
            guard let option = scanner.word() else { break }
            switch option {
            case "/1": prefix.oneShot = true
            case "/w":
                guard let text = scanner.quoted() else { throw CommandError("\(invocation.name) /w takes a C++ condition in quotes: \(invocation.name) /w \"count > 5\" address") }
                prefix.cppCondition = text
            default: throw CommandError("Unknown breakpoint option '\(option)'")
            }
        }
        return prefix
    }

    /// What follows the location — passes, then the command string — and the breakpoint made
    /// of it all.
    @discardableResult
    private func addBreakpoint(_ invocation: Invocation, _ scanner: inout ArgumentScanner, _ prefix: BreakpointPrefix, _ request: BreakpointRequest) throws(CommandError) -> Breakpoint {
        var request = request
        var passes: UInt64 = 1
        if !scanner.isAtEnd && scanner.rest.first != "\"" { passes = try expression(&scanner) }
        let commands = scanner.quoted()
        if !scanner.isAtEnd { throw CommandError("       ^ Syntax error in '\(invocation.name)\(invocation.arguments)'") }
        request.radix = radix
        request.passCount = Int(min(passes, 0xffff))
        request.oneShot = prefix.oneShot
        request.commands = commands
        (request.condition, request.action) = try conditionAndAction(commands, cppCondition: prefix.cppCondition)
        request.id = prefix.id
        if let selector = invocation.threads, !selector.isMulti { request.thread = try selectedThreads(selector, defaultAll: false).first?.tid }
        return try engine { () throws(EngineError) in try session.addBreakpoint(request) }
    }

    private func setBreakpoint(_ invocation: Invocation, kind: Breakpoint.Kind) throws(CommandError) {
        var scanner = invocation.scanner
        let prefix = try breakpointPrefix(invocation, &scanner)
        var expressionText = ""
        var address: UInt64?
        if !scanner.isAtEnd && scanner.rest.first != "\"" {
            // `bp file.c:9` (gdb's form) can only mean a source line: `bp `file.c:9``.
            let word = scanner.rest.prefix { $0 != " " && $0 != "\t" }
            if Interpreter.isSourceLineSpec(word) {
                scanner.rest = Substring("`\(word)`") + scanner.rest.dropFirst(word.count)
            } else if word.hasPrefix("`:"), word.hasSuffix("`") {
                // `` `:58` ``: a line of the current file, kept as `file:58` so it resolves again later.
                let spec = qualifiedSourceSpec(String(word.dropFirst().dropLast()))
                guard !spec.hasPrefix(":") else { throw CommandError("No current source file for '\(word)'") }
                scanner.rest = Substring("`\(spec)`") + scanner.rest.dropFirst(word.count)
            }
            let before = scanner.rest
            if kind == .bu {
                expressionText = String(scanner.word() ?? "")
            } else {
                do {
                    let (value, rest) = try evaluator().evaluatePrefix(before)
                    address = value
                    scanner.rest = rest
                    expressionText = String(before.dropLast(rest.count).trimmed())
                } catch {
                    guard error.message == "Couldn't resolve error" else { throw CommandError(error.description) }
                    expressionText = String(scanner.word() ?? "")
                    output.line("Bp expression '\(expressionText)' could not be resolved, adding deferred bp")
                    if let note = unmatchedNote(expressionText) { output.line("WARNING: \(note)") }
                }
            }
        } else {
            address = try currentRegisters().rip
            expressionText = session.symbolize(address!) ?? formatAddress(address!)
        }
        let request = BreakpointRequest(kind: kind, expression: expressionText, locations: address.map { locations(of: expressionText, first: $0) } ?? [])
        let breakpoint = try addBreakpoint(invocation, &scanner, prefix, request)
        if kind == .bu, breakpoint.locations.isEmpty, let note = unmatchedNote(expressionText) { output.line("WARNING: \(note)") }
        if breakpoint.locations.count > 1 {
            output.line("Breakpoint \(breakpoint.id) has \(breakpoint.locations.count) locations (\(expressionText) has code in several places)")
        }
    }

    /// `ba [/1] Access Size Address [Passes] ["cmds"]` (`ba w4 counter`, `ba e 1 main`): a
    /// debug register on every thread instead of an int3.
    private func setHardwareBreakpoint(_ invocation: Invocation) throws(CommandError) {
        var scanner = invocation.scanner
        let prefix = try breakpointPrefix(invocation, &scanner)
        guard let first = scanner.word(), let letter = first.first else { throw CommandError("Usage: ba [/1] e|r|w Size Address [Passes] [\"CommandString\"]") }
        let access: HardwareWatch.Access
        switch letter.lowercased() {
        case "e": access = .execute
        case "w": access = .write
        case "r": access = .readWrite
        case "i": throw CommandError("I/O breakpoints (ba i) need kernel mode")
        default: throw CommandError("Invalid access type '\(letter)': use e (execute), r (read or write) or w (write)")
        }
        let sizeText = first.count > 1 ? first.dropFirst() : scanner.word() ?? ""
        guard let size = Int(sizeText), [1, 2, 4, 8].contains(size) else {
            throw CommandError("Invalid size '\(sizeText)': a hardware breakpoint watches 1, 2, 4 or 8 bytes")
        }
        if access == .execute && size != 1 { throw CommandError("Execute breakpoints (ba e) have size 1") }
        guard !scanner.isAtEnd, scanner.rest.first != "\"" else { throw CommandError("ba needs an address") }
        let before = scanner.rest
        let address = try expression(&scanner)
        guard address % UInt64(size) == 0 else {
            throw CommandError("Data breakpoint address \(formatAddress(address)) is not aligned to its size (\(size))")
        }
        var request = BreakpointRequest(kind: .ba, expression: String(before.dropLast(scanner.rest.count).trimmed()), locations: [address])
        request.hardware = HardwareWatch(access: access, size: size)
        try addBreakpoint(invocation, &scanner, prefix, request)
    }

    /// Every place a spec resolved at `first` stands for: each inlined copy, template instance
    /// or clone of a source line (as gdb's locations), or just `first`.
    private func locations(of spec: String, first: UInt64) -> [UInt64] {
        guard spec.count > 2, spec.hasPrefix("`"), spec.hasSuffix("`") else { return [first] }
        let all = session.sourceLineLocations(String(spec.dropFirst().dropLast()))
        return all.first == first ? all : [first]
    }

    /// The condition a breakpoint's command string states in one of WinDbg's idioms —
    /// `.if (c) {…} .else {gc}`, `.if (c) {gc} .else {…}`, `j (c) '…' ; 'gc'` — or `/w` states,
    /// parsed now so the engine evaluates it at each hit and a false one never reaches the
    /// interpreter; and the commands left for a stop. Anything else stays commands.
    private func conditionAndAction(_ commands: String?, cppCondition: String?) throws(CommandError) -> (BreakpointCondition?, String?) {
        if let cppCondition {
            do {
                let parsed = try CppExpression.parse(Substring(cppCondition), context: SessionContext(self))
                return (BreakpointCondition(.cpp(parsed), text: cppCondition), commands)
            } catch { throw CommandError(error.description) }
        }
        // Aliases are replaced when commands run, so a string that uses one stays commands.
        guard let commands, expandAliases(Substring(commands)) == commands,
              let program = try? CommandProgram.parse(commands, radix: radix, context: SessionContext(self)), program.statements.count == 1 else {
            return (nil, commands)
        }
        let branches: (condition: MasmExpression, then: CommandProgram, otherwise: CommandProgram?)
        switch program.statements[0] {
        case .conditional(let conditional, let otherwise) where conditional.count == 1:
            branches = (conditional[0].condition, conditional[0].body, otherwise)
        case .jump(let condition, let then, let otherwise):
            branches = (condition, then, otherwise)
        default:
            return (nil, commands)
        }
        func remaining(_ program: CommandProgram?) -> String? { program.flatMap { $0.text.isEmpty ? nil : $0.text } }
        if branches.otherwise?.isGoFromBreakpoint == true {
            return (BreakpointCondition(.masm(branches.condition), text: branches.condition.text, testedAfterPasses: true), remaining(branches.then))
        }
        if branches.then.isGoFromBreakpoint {
            return (BreakpointCondition(.masm(branches.condition), negated: true, text: branches.condition.text, testedAfterPasses: true), remaining(branches.otherwise))
        }
        return (nil, commands)
    }

    private func setPatternBreakpoints(_ invocation: Invocation) throws(CommandError) {
        var scanner = invocation.scanner
        guard let pattern = scanner.word() else { throw CommandError("Usage: bm module!pattern [\"cmds\"]") }
        let commands = scanner.quoted()
        let process = try requireProcess()
        let thread = try invocation.threads.flatMap { selector throws(CommandError) in selector.isMulti ? nil : try selectedThreads(selector, defaultAll: false).first?.tid }
        let (modulePattern, symbolText) = splitPattern(String(pattern))
        let symbolPattern = WildcardPattern(symbolText)
        var count = 0
        for module in process.modules.modules where wildcardMatch(modulePattern, module.name) {
            for symbol in module.symbols where symbol.isFunction && symbolPattern.matches(symbol.name) {
                let address = symbol.address &+ module.bias
                var request = BreakpointRequest(kind: .bm, expression: "\(module.name)!\(symbol.name)", locations: [address])
                request.commands = commands
                (request.condition, request.action) = try conditionAndAction(commands, cppCondition: nil)
                request.thread = thread
                do {
                    let breakpoint = try session.addBreakpoint(request)
                    output.line("\(String(breakpoint.id).leftPadded(to: 3)): \(formatAddress(address)) @!\"\(module.name)!\(symbol.name)\"")
                    count += 1
                } catch { output.line(error.description) }
            }
        }
        if count == 0 { output.line("No matching code symbols found, no breakpoints set.") }
    }

    /// Whether a word is a source line written without backticks (`file.c:9`,
    /// `module!file.c:9`): a file name with an extension, a colon, a line number.
    static func isSourceLineSpec(_ word: Substring) -> Bool {
        guard !word.contains("`"), let colon = word.lastIndex(of: ":"), colon > word.startIndex,
              word[word.index(after: colon)...].allSatisfy(\.isNumber), word.index(after: colon) < word.endIndex else { return false }
        let file = word[..<colon].split(separator: "!").last ?? ""
        guard let dot = file.lastIndex(of: "."), dot > file.startIndex, !file.contains(":") else { return false }
        return file[file.index(after: dot)...].allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" } && file.index(after: dot) < file.endIndex
    }

    /// Why a deferred breakpoint's spec resolves nowhere yet, when nothing loaded could hold
    /// it (a module that is loaded but lacks the symbol, a source file no module has); nil
    /// when it simply waits for its module.
    func unmatchedNote(_ expression: String) -> String? {
        guard let process = session.process, !process.gone else { return nil }
        let spec = expression.hasPrefix("`") && expression.hasSuffix("`") && expression.count > 2 ? String(expression.dropFirst().dropLast()) : expression
        if Interpreter.isSourceLineSpec(Substring(spec)), let colon = spec.lastIndex(of: ":") {
            let qualified = spec[..<colon]
            let file = String(qualified.split(separator: "!").last ?? "")
            let modules = qualified.contains("!") ? process.modules.modules.filter { $0.name.lowercased() == qualified.split(separator: "!")[0].lowercased() } : process.modules.searchOrder
            if qualified.contains("!") && modules.isEmpty { return nil }
            if modules.contains(where: { $0.symbolFiles?.hasSourceFile(file) == true }) { return "no code at line \(spec[spec.index(after: colon)...]) of \(file) in the loaded modules" }
            return "no loaded module has the source file \(file)"
        }
        if let bang = spec.firstIndex(of: "!"), bang > spec.startIndex {
            let moduleName = String(spec[..<bang])
            guard process.modules.module(named: moduleName) != nil else { return nil }
            return "\(moduleName) is loaded and has no symbol \(spec[spec.index(after: bang)...])"
        }
        return "no loaded module has a symbol \(spec)"
    }

    /// `libc!send*` → ("libc", "send*"); a bare pattern matches every module.
    func splitPattern(_ text: String) -> (module: String, symbol: String) {
        guard let bang = text.firstIndex(of: "!") else { return ("*", text) }
        return (String(text[..<bang]), String(text[text.index(after: bang)...]))
    }

    private func kernelConditionsCommand(_ argument: Substring) throws(CommandError) {
        switch argument {
        case "": break
        case "on", "off": try engine { () throws(EngineError) in try session.setKernelConditions(argument == "on") }
        default: throw CommandError("Usage: .kernelconditions [on|off]")
        }
        output.line("Breakpoint conditions are evaluated \(session.kernelConditions ? "in the kernel where they can be" : "by the debugger")")
    }

    private func listBreakpoints() {
        for breakpoint in session.breakpoints {
            var line = String(breakpoint.id).leftPadded(to: 6) + " "
            let state = breakpoint.enabled ? "e" : "d"
            if let address = breakpoint.address, let watch = breakpoint.hardware {
                let access = switch watch.access { case .execute: "e"; case .write: "w"; case .readWrite: "r" }
                line += "\(state) \(breakpoint.enabled ? "Disable" : "Enable") Clear  \(formatAddress(address)) \(access) \(watch.size) "
            } else if let address = breakpoint.address {
                line += "\(state) \(breakpoint.enabled ? "Disable" : "Enable") Clear  \(formatAddress(address)) \(sourceText(address).trimmed())    "
            } else {
                line += "\(state)u                     "
            }
            line += "\(zeroPaddedHex(UInt64(breakpoint.remaining), digits: 4)) (\(zeroPaddedHex(UInt64(breakpoint.passCount), digits: 4)))  "
            if let tid = breakpoint.thread, let thread = session.process?.thread(tid) {
                line += "0:~\(String(thread.index).leftPadded(to: 3, with: "0")) "
            } else {
                line += "0:**** "
            }
            if let address = breakpoint.address {
                line += session.symbolize(address) ?? breakpoint.expression
            } else {
                line += "(\(breakpoint.expression))"
                if let note = unmatchedNote(breakpoint.expression) { line += " - " + note }
            }
            if breakpoint.oneShot { line += " /1" }
            if let condition = breakpoint.condition, case .cpp = condition.expression { line += " /w \"\(condition.text)\"" }
            if let commands = breakpoint.commands { line += " \"\(commands)\"" }
            output.line(line)
            for (number, address) in breakpoint.locations.enumerated().dropFirst() {
                output.line("       location \(number + 1): \(formatAddress(address)) \(sourceText(address).trimmed())    \(session.symbolize(address) ?? "")")
            }
            switch breakpoint.evaluation {
            case .kernel: output.line("       condition evaluated in the kernel (BPF on a uprobe): false hits do not stop")
            case .debugger(let reason?) where breakpoint.condition != nil: output.line("       condition evaluated by the debugger at each hit: \(reason)")
            case .debugger: break
            }
        }
    }

    /// `1 3`, `1-3`, `1,2`, `*`.
    private func selectBreakpoints(_ invocation: Invocation) throws(CommandError) -> [Breakpoint] {
        let text = invocation.arguments.trimmed()
        if text == "*" { return session.breakpoints }
        guard !text.isEmpty else { throw CommandError("       ^ Syntax error in '\(invocation.name)'") }
        var ranges: [ClosedRange<Int>] = []
        let syntaxError = CommandError("       ^ Syntax error in '\(invocation.name) \(text)'")
        for part in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let bounds = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            // Breakpoint ids are decimal, as bl prints them, whatever the radix.
            guard let low = Int(bounds[0]) else { throw syntaxError }
            let high = bounds.count > 1 ? Int(bounds[1]) : low
            guard let high, low <= high else { throw syntaxError }
            ranges.append(low...high)
        }
        return session.breakpoints.filter { breakpoint in ranges.contains { $0.contains(breakpoint.id) } }
    }

    private func renumberBreakpoint(_ invocation: Invocation) throws(CommandError) {
        let ids = invocation.arguments.split(separator: " ", omittingEmptySubsequences: true)
        guard ids.count == 2, let old = UInt64(ids[0]), let new = UInt64(ids[1]) else {
            throw CommandError("       ^ Syntax error in 'br\(invocation.arguments)'")
        }
        guard new <= Interpreter.maximumBreakpointID else { throw CommandError("Breakpoint id \(new) is too large (at most \(Interpreter.maximumBreakpointID))") }
        guard let breakpoint = session.breakpoints.first(where: { UInt64($0.id) == old }) else { throw CommandError("Breakpoint \(old) does not exist") }
        var request = BreakpointRequest(kind: breakpoint.kind, expression: breakpoint.expression, locations: breakpoint.locations)
        request.passCount = breakpoint.passCount
        request.oneShot = breakpoint.oneShot
        request.thread = breakpoint.thread
        request.commands = breakpoint.commands
        request.condition = breakpoint.condition
        request.action = breakpoint.action
        request.hardware = breakpoint.hardware
        request.id = Int(new)
        do {
            try session.removeBreakpoint(breakpoint)
            let renumbered = try session.addBreakpoint(request)
            if !breakpoint.enabled { try session.setEnabled(renumbered, false) }
        } catch { throw CommandError(error.description) }
    }
}

extension Interpreter {
    /// WinDbg numbers breakpoints in a small range; ids above this are refused.
    static let maximumBreakpointID: UInt64 = 0xffff
}
