import Arch
import Engine
import Expressions
import Symbols

/// An error a command reports; printed as it is and the session goes on. A Ctrl-C that
/// stops a loop is one too, told apart by its kind (it ends every enclosing command).
public struct CommandError: Error, CustomStringConvertible {
    public let description: String
    public let isInterruption: Bool
    public init(_ description: String) { self.init(description, isInterruption: false) }
    private init(_ description: String, isInterruption: Bool) {
        self.description = description
        self.isInterruption = isInterruption
    }

    static let interrupted = CommandError("^C: the loop was interrupted", isInterruption: true)
}

/// One command as dispatched: the name it was found under, its argument text, and the
/// thread prefix it had (`~2 bp ...`, `~* k`).
struct Invocation {
    let name: String
    let arguments: Substring
    let threads: ThreadSelector?
    var scanner: ArgumentScanner { ArgumentScanner(arguments) }
}

/// Which threads a `~` prefix names.
enum ThreadSelector {
    case current, all, lastEvent, index(Int), tid(Int32)
}

typealias CommandHandler = @Sendable (Interpreter, Invocation) throws(CommandError) -> Void

/// A command family registers entries like this; the table, not a switch, dispatches.
struct CommandSpec: Sendable {
    let names: [String]
    let summary: String
    /// False for commands that take nothing (`q`, `gc`): `q1` is an error, not `q`.
    var takesArguments = true
    let handler: CommandHandler
}

/// The WinDbg command language over a session: splitting lines, aliases, dispatch through
/// the command table, expression evaluation, and the loop that runs breakpoint commands.
public final class Interpreter {
    public let session: Session
    /// Where everything the commands and the engine's events print goes.
    public let output: Output
    var radix = 16
    /// `@$extret`: the node `!list` hands to its command.
    var extensionReturn: UInt64 = 0
    var aliases: [(name: String, value: String)] = []
    /// Set by an execution command inside breakpoint commands (`gc`): the loop resumes with it.
    var deferredResume: ResumeRequest?
    /// The return type of the `.call` set up, for its result (nil: void or unknown).
    var pendingCallReturn: TypeLayout?
    /// The `wt` trace under way (or interrupted, for `gc`), and how to show it.
    var activeTrace: (trace: CallTrace, display: TraceDisplay)?
    /// `~N g`: the one thread the command runs.
    var runOnlyThread: ThreadInfo?
    /// True while a breakpoint's or event filter's command string runs.
    var runningEmbedded = false
    public private(set) var quitRequested = false
    var frameIndex = 0
    var lastDisplay: (name: String, next: UInt64)?
    var lastUnassemble: UInt64?
    var lastEdit = "eb"
    /// `.expr /s c++`: command arguments are C++ expressions (breakpoint addresses stay MASM).
    var cppIsDefault = false
    /// `l+t`: `p` and `t` step by source line.
    var sourceStepping = false
    /// `l+s`: stops show their source line.
    var showSourceAtStops = false
    /// `.prompt_allow`: the parts each stop shows.
    var promptShows = Set(PromptPart.allCases)
    /// `.visualizers on`: `dv`, `kp` and `??` show container summaries as `dx` does.
    var useVisualizers = false
    /// Where `ls` continues.
    var sourceCursor: (file: String, line: Int)?
    /// `.srcpath`: where source files are looked for.
    var sourcePath = SourcePath()
    var commands: [String: CommandSpec] = [:]
    var specs: [CommandSpec] = []
    var scriptDepth = 0
    /// Command programs of breakpoint commands by text, parsed on their first run.
    var parsedPrograms: [String: CommandProgram] = [:]
    /// Extension libraries `.load` brought in, newest first (searched before the built-ins).
    var loadedExtensions: [NativeExtension] = []
    /// Python scripts loaded, newest first, and the embedded interpreter's state: started
    /// once, with the host functions it calls back (kept for the session's life).
    var loadedScripts: [LoadedScript] = []
    var pythonStarted = false
    var scriptHostStorage: UnsafeMutableRawPointer?

    public init(session: Session, output: Output) {
        self.session = session
        self.output = output
        for spec in Interpreter.allCommands { register(spec) }
        session.onEvent = { [unowned self] in show($0) }
    }

    private func register(_ spec: CommandSpec) {
        specs.append(spec)
        for name in spec.names { commands[name] = spec }
    }

    /// The prompt: `0:000>` (process:thread), or `0:000>` with no target as cdb shows.
    public var prompt: String {
        let index = session.process?.current?.index ?? 0
        // A kernel's prompt names the CPU, as kd's does.
        if session.process?.kernel != nil { return "\(index): kd> " }
        return "0:\(String(index).leftPadded(to: 3, with: "0"))> "
    }

    public func requestQuit() { quitRequested = true }

    /// Executes one line as typed at the prompt; `origin` (`file:line` of an init file)
    /// prefixes its errors. `echo` shows the prompt and line first (commands that came from
    /// `-c` or a pipe); either way the log has them once.
    public func execute(_ line: String, origin: String? = nil, echo: Bool = false) {
        if echo { output.line(prompt + line) } else if origin == nil { output.logOnly(prompt + line) }
        do { try executeLine(Substring(line)) } catch {
            output.line(paint((origin.map { $0 + ": " } ?? "") + error.description, .error))
        }
        output.flush()
    }

    /// What an empty line at the terminal runs after `line`, as WinDbg repeats: stepping and
    /// running commands again as typed, displays (`d*`, `u`, `ls`) continuing where they ended.
    public func repetition(of line: String) -> String? {
        var text = Substring(line).trimmed()
        var prefix = ""
        if text.first == "~", let (_, rest) = try? parseThreadPrefix(text) {
            prefix = String(text.dropLast(rest.count))
            text = rest
        }
        guard let (_, name, _) = try? lookup(text) else { return nil }
        if Interpreter.runningCommands.contains(name) { return line }
        if Interpreter.continuedCommands.contains(name) { return prefix + name }
        return nil
    }

    static let continuedCommands: Set<String> = ["d", "da", "db", "dc", "dd", "dD", "df", "dp", "dq", "du", "dw", "dW", "dds", "dps", "dqs", "u", "ls"]

    /// Executes a command line: aliases replaced, then parsed into a program and run.
    func executeLine(_ line: Substring) throws(CommandError) {
        let trimmed = line.trimmed()
        switch AliasCommand(trimmed) {
        case .restOfLine: try executeCommand(trimmed)
        case .toSemicolon: try run(try program(String(trimmed)))
        case nil: try run(try program(expandAliases(line)))
        }
    }

    /// The parsed program of a command text; breakpoint commands, which run on every hit, are
    /// parsed once and kept.
    func program(_ text: String) throws(CommandError) -> CommandProgram {
        let key = "\(radix):" + text
        if let known = parsedPrograms[key] { return known }
        let program = try CommandProgram.parse(text, radix: radix, context: SessionContext(self))
        if runningEmbedded {
            if parsedPrograms.count >= 256 { parsedPrograms.removeAll() }
            parsedPrograms[key] = program
        }
        return program
    }

    /// Runs statements until one resumes the target from breakpoint commands (`gc`), or `q`.
    func run(_ program: CommandProgram) throws(CommandError) {
        switch try statements(of: program) {
        case .next: break
        case .breakLoop, .continueLoop: throw CommandError(".break and .continue belong in a .while, .do, .for or .foreach loop")
        case .leave: throw CommandError(".leave belongs in a .catch block")
        }
    }

    /// Runs a program's statements; how it ended (a `.break`, `.continue` or `.leave` ends it
    /// early, for the loop or `.catch` around it).
    private func statements(of program: CommandProgram) throws(CommandError) -> Flow {
        for statement in program.statements {
            if quitRequested || (runningEmbedded && deferredResume != nil) { return .next }
            var flow = Flow.next
            switch statement {
            case .command(let text):
                try executeCommand(text)
            case .conditional(let branches, let otherwise):
                var taken = otherwise
                for branch in branches where try evaluate(branch.condition) != 0 {
                    taken = branch.body
                    break
                }
                if let taken { flow = try statements(of: taken) }
            case .jump(let condition, let then, let otherwise):
                flow = try statements(of: try evaluate(condition) != 0 ? then : otherwise)
            case .repeatWhile(let body, let condition):
                let loop = CommandProgram(statements: body)
                flow = try statements(of: loop)
                var iterations = 0
                while flow == .next, !quitRequested, !(runningEmbedded && deferredResume != nil), try evaluate(condition) != 0 {
                    guard iterations < Interpreter.repeatLimit else {
                        throw CommandError("z: stopped after \(Interpreter.repeatLimit) repetitions")
                    }
                    iterations += 1
                    flow = try statements(of: loop)
                }
            case .loop(let loop):
                flow = try run(loop)
            case .foreach(let foreach):
                flow = try run(foreach)
            case .jumpOut(let out):
                flow = out
            case .block(let text):
                flow = try statements(of: try self.program(expandAliases(Substring(text))))
            case .catchErrors(let body):
                do {
                    let ended = try statements(of: body)
                    if ended != .leave { flow = ended }  // a .break or .continue is the loop's
                } catch {
                    // Ctrl-C stops the loops around the block too.
                    if error.isInterruption { throw error }
                    output.line(paint(error.description, .error))
                }
            }
            if flow != .next { return flow }
        }
        return .next
    }

    /// Whether a loop must stop: the session ends, breakpoint commands resumed the target,
    /// or Ctrl-C was typed (a `.while (1)` is interrupted as a running target is).
    private func loopInterrupted() throws(CommandError) -> Bool {
        if quitRequested || (runningEmbedded && deferredResume != nil) { return true }
        if session.takeInterruptRequest() { throw CommandError.interrupted }
        return false
    }

    private func run(_ loop: Loop) throws(CommandError) -> Flow {
        if let initial = loop.initial {
            let flow = try statements(of: initial)
            if flow != .next { return flow }
        }
        var first = true
        while try !loopInterrupted() {
            if loop.testFirst || !first {
                guard try evaluate(loop.condition) != 0 else { break }
            }
            first = false
            switch try statements(of: loop.body) {
            case .breakLoop: return .next
            case .leave: return .leave
            case .next, .continueLoop: break
            }
            if let step = loop.step, try statements(of: step) != .next { break }
        }
        return .next
    }

    /// Each token of the source, the body run with the variable (as a whole word) replaced by it.
    private func run(_ foreach: Foreach) throws(CommandError) -> Flow {
        let text: String
        switch foreach.source {
        case .commands(let commands):
            output.beginCapture()
            do { try run(commands) } catch {
                _ = output.endCapture()
                throw error
            }
            text = output.endCapture()
        case .text(let string): text = string
        case .file(let path): text = try commandFileLines(path).joined(separator: "\n")
        }
        var tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).dropFirst(foreach.initialSkip)
        while let token = tokens.first, try !loopInterrupted() {
            tokens = tokens.dropFirst(1 + foreach.skip)
            let body = Interpreter.replacingWord(foreach.variable, with: String(token), in: foreach.body)
            switch try statements(of: try program(body)) {
            case .breakLoop: return .next
            case .leave: return .leave
            case .next, .continueLoop: break
            }
        }
        return .next
    }

    /// `text` with every standalone `word` (not part of a longer name) replaced.
    static func replacingWord(_ word: String, with replacement: String, in text: String) -> String {
        let characters = Array(text), wanted = Array(word)
        func isName(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "$" || c == "@" }
        var result = ""
        var index = 0
        while index < characters.count {
            if index + wanted.count <= characters.count, Array(characters[index..<index + wanted.count]) == wanted,
               index == 0 || !isName(characters[index - 1]), index + wanted.count == characters.count || !isName(characters[index + wanted.count]) {
                result += replacement
                index += wanted.count
                continue
            }
            result.append(characters[index])
            index += 1
        }
        return result
    }

    /// Finds one command in the table and runs it.
    func executeCommand(_ text: Substring) throws(CommandError) {
        var text = text.trimmed()
        guard !text.isEmpty else { return }
        if text.hasPrefix("$$") && !text.hasPrefix("$$<") && !text.hasPrefix("$$>") { return }
        var selector: ThreadSelector?
        if text.first == "~" {
            let (parsed, rest) = try parseThreadPrefix(text)
            if rest.isEmpty || ["s", "f", "u", "n", "m"].contains(rest.lowercased()) {
                lastCommandName = "~" + rest
                try threadCommand(selector: parsed, rest: rest)
                return
            }
            selector = parsed
            text = rest
            if text.first == "e" || text.first == "E", text.dropFirst().first == " " {
                try runForThreads(parsed, command: text.dropFirst().trimmed())
                return
            }
        }
        let (spec, name, arguments) = try lookup(text)
        lastCommandName = name
        commandText = String(text)
        guard spec.takesArguments || arguments.trimmed().isEmpty else { throw CommandError("       ^ Extra character error in '\(text)'") }
        let invocation = Invocation(name: name, arguments: arguments, threads: selector)
        // `~1 g`, `~1 p`: that thread alone runs (and becomes the current one), the others frozen.
        if let selector, !selector.isMulti, Interpreter.runningCommands.contains(name), let thread = try selectedThreads(selector, defaultAll: false).first {
            session.setCurrentThread(thread)
            runOnlyThread = thread
            defer { runOnlyThread = nil }
            try spec.handler(self, invocation)
            return
        }
        // `~1 r rip`: a command under a one-thread prefix runs in that thread's context
        // (breakpoint commands read the prefix themselves: `~1 bp` is thread-specific).
        if let selector, !selector.isMulti, !Interpreter.threadSpecificCommands.contains(name),
           let thread = try selectedThreads(selector, defaultAll: false).first, let saved = session.process?.current, thread !== saved {
            session.setCurrentThread(thread)
            defer { session.setCurrentThread(saved) }
            try spec.handler(self, invocation)
            return
        }
        try spec.handler(self, invocation)
    }

    /// Longest name in the table that prefixes the text: `lmvm libc` is `lm` with `vm libc`,
    /// `bc*` is `bc` with `*`. Names are case-sensitive only where WinDbg's are (`dD`, `dW`).
    func lookup(_ text: Substring) throws(CommandError) -> (CommandSpec, String, Substring) {
        let token = text.prefix { !($0 == " " || $0 == "\t") }
        // `!name`, `!module.name`: the extension chain's.
        if token.first == "!", token.count > 1 { return (try extensionCommand(token), String(token), text.dropFirst(token.count)) }
        let candidates = [String(token), token.lowercased()]
        for candidate in candidates {
            if let spec = commands[candidate] { return (spec, candidate, text.dropFirst(token.count)) }
        }
        var length = min(token.count, 12)
        while length > 0 {
            let prefix = String(token.prefix(length))
            let glued = token.dropFirst(length).first
            // Arguments glued to a name (`bc*`, `g=1000`, `lmvm libc`) but not `xyzzy` as `x yzzy`.
            let allowed = glued.map { !$0.isLetter } ?? true || Interpreter.gluedOptionCommands.contains(prefix.lowercased())
            for candidate in [prefix, prefix.lowercased()] where allowed {
                if let spec = commands[candidate] { return (spec, candidate, text.dropFirst(length)) }
            }
            length -= 1
        }
        throw CommandError("       ^ Syntax error in '\(text)'")
    }

    /// Commands for which a `~N` prefix means "only this thread" rather than "in this thread".
    static let threadSpecificCommands: Set<String> = ["bp", "bu", "bm", "ba"]

    /// Commands that resume the target: under `~N` only that thread runs.
    static let runningCommands: Set<String> = ["g", "gc", "gh", "gn", "gu", "p", "t", "pa", "ta", "pc", "tc", "pt", "tt", "ph", "th"]

    /// Commands whose letter options may follow the name directly (`lmvm`, `lmm`), and `?`,
    /// which takes a glued expression (`?rax`).
    static let gluedOptionCommands: Set<String> = ["lm", "?", "k", "kb", "kn", "kv", "kp", "kP"]

    /// Most repetitions of a `z(cond)` loop before it is stopped with a message.
    static let repeatLimit = 100_000

    // MARK: expressions

    func evaluator() -> MasmEvaluator { MasmEvaluator(context: SessionContext(self), radix: radix) }

    func evaluate(_ text: Substring) throws(CommandError) -> UInt64 {
        if cppIsDefault { return try cppArgument(text) }
        do { return try evaluator().evaluate(text) } catch { throw CommandError(error.description) }
    }

    /// A C++ expression's value as a command argument (`.expr /s c++`).
    private func cppArgument(_ text: Substring) throws(CommandError) -> UInt64 {
        let context = SessionContext(self)
        do { return try CppExpression.parse(text, context: context).integerValue(context) } catch { throw CommandError(error.description) }
    }

    func evaluate(_ expression: MasmExpression) throws(CommandError) -> UInt64 {
        do { return try expression.evaluate(SessionContext(self)) } catch { throw CommandError(error.description) }
    }

    /// Evaluates an expression at the front of `scanner` and advances past it.
    func expression(_ scanner: inout ArgumentScanner) throws(CommandError) -> UInt64 {
        if cppIsDefault { return try cppPrefix(&scanner) }
        do {
            let (value, rest) = try evaluator().evaluatePrefix(scanner.rest)
            scanner.rest = rest
            return value
        } catch { throw CommandError(error.description) }
    }

    /// Under the C++ evaluator, the longest run of blank-separated words at the front that is
    /// a C++ expression (`dd items[2] L4` takes `items[2]`).
    private func cppPrefix(_ scanner: inout ArgumentScanner) throws(CommandError) -> UInt64 {
        var ends: [Substring.Index] = []
        var depth = 0
        for index in scanner.rest.indices {
            let character = scanner.rest[index]
            if "([".contains(character) { depth += 1 } else if ")]".contains(character) { depth -= 1 }
            if depth == 0, character == " " || character == "," { ends.append(index) }
        }
        ends.append(scanner.rest.endIndex)
        var firstError: CommandError?
        for end in ends.reversed() {
            do {
                let value = try cppArgument(scanner.rest[..<end])
                scanner.rest = scanner.rest[end...].trimmed()
                return value
            } catch { if firstError == nil || end == ends.first { firstError = error } }
        }
        throw firstError ?? CommandError("Numeric expression missing")
    }

    // MARK: aliases

    /// Replaces `${name}` and alias names standing as whole words, in one pass over the
    /// line (a replacement is not expanded again).
    func expandAliases(_ line: Substring) -> String {
        guard !aliases.isEmpty else { return String(line) }
        let chars = Array(line)
        var result = ""
        var index = 0
        func isIdent(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "!" || c == "$" }
        scan: while index < chars.count {
            for alias in aliases {
                let braced = Array("${\(alias.name)}")
                if chars[index] == "$", index + braced.count <= chars.count, Array(chars[index..<index + braced.count]) == braced {
                    result += alias.value
                    index += braced.count
                    continue scan
                }
                let word = Array(alias.name)
                if index + word.count <= chars.count, Array(chars[index..<index + word.count]) == word,
                   index == 0 || !isIdent(chars[index - 1]),
                   index + word.count == chars.count || !isIdent(chars[index + word.count]) {
                    result += alias.value
                    index += word.count
                    continue scan
                }
            }
            result.append(chars[index])
            index += 1
        }
        return result
    }

    // MARK: targets

    /// The session's process, or WinDbg's error when there is none.
    func requireProcess() throws(CommandError) -> DebuggedProcess {
        guard let process = session.process, !process.gone else {
            throw CommandError("       ^ No runnable debuggees error in '\(lastCommandName)'")
        }
        return process
    }

    var lastCommandName = ""
    /// The command being executed, as typed, for WinDbg's `^ Range error in '...'`.
    var commandText = ""

    /// Runs an engine call, turning its error into a command error in WinDbg's words.
    func engine<T>(_ body: () throws(EngineError) -> T) throws(CommandError) -> T {
        do { return try body() } catch { throw CommandError(wording(error)) }
    }

    /// An engine error as WinDbg says it where it has words of its own.
    func wording(_ error: EngineError) -> String {
        switch error {
        case .noRunnableDebuggees: "       ^ No runnable debuggees error in '\(lastCommandName)'"
        case .breakpointNotInserted(let address): "Unable to insert breakpoint at \(formatAddress(address)), Win32 error 0n998 \"Invalid access to memory location.\""
        default: error.description
        }
    }

    func currentRegisters() throws(CommandError) -> X86Registers {
        _ = try requireProcess()
        do { return try session.registers() } catch { throw CommandError(error.description) }
    }
}

extension ThreadSelector {
    var isMulti: Bool { if case .all = self { return true }; return false }
}

