import CPython
import Engine
import Glibc
import Symbols

/// Python scripts through an embedded CPython (3.11): `.scriptload file.py` runs a script's
/// top level, `.scriptrun` also calls its `invoke_script()`, `.scriptunload`, `.scriptlist`.
/// Scripts `import swdbg` for memory, registers, symbols, types, commands (`swdbg.execute`),
/// breakpoints with Python callbacks (`swdbg.breakpoint(expr, fn)`: `fn(id)` true stops) and
/// commands of their own (`swdbg.command("name", fn)`: `!script.name args`), as pykd and gdb's
/// and lldb's Python APIs give. A script that raises prints its traceback and is an error;
/// the session goes on.
extension Interpreter {
    static let scriptCommands: [CommandSpec] = [
        CommandSpec(names: [".scriptload"], summary: "run a Python script's top level: .scriptload file.py") { i, inv throws(CommandError) in
            try i.loadScript(String(inv.arguments.trimmed()), invoke: false)
        },
        CommandSpec(names: [".scriptrun"], summary: "load a Python script and call its invoke_script(): .scriptrun file.py") { i, inv throws(CommandError) in
            try i.loadScript(String(inv.arguments.trimmed()), invoke: true)
        },
        CommandSpec(names: [".scriptunload"], summary: "forget a loaded script and its commands: .scriptunload name") { i, inv throws(CommandError) in
            let name = String(inv.arguments.trimmed())
            guard let index = i.loadedScripts.firstIndex(where: { $0.name == name || $0.path == name }) else { throw CommandError("No script \(name) is loaded") }
            cp_unload(i.loadedScripts[index].name)
            i.loadedScripts.remove(at: index)
        },
        CommandSpec(names: [".scriptlist"], summary: "list the loaded Python scripts", takesArguments: false) { i, _ throws(CommandError) in
            if i.loadedScripts.isEmpty { i.output.line("No scripts loaded") }
            for script in i.loadedScripts {
                let commands = script.commands.keys.sorted().map { "!\(script.name).\($0)" }
                i.output.line("    \(script.name): \(script.path)" + (commands.isEmpty ? "" : " (\(commands.joined(separator: ", ")))"))
            }
        },
        // What a script's breakpoint runs at a hit: its callback; a false answer goes on.
        CommandSpec(names: [".scriptcallback"], summary: "run a script breakpoint's callback (set by swdbg.breakpoint): .scriptcallback callback id") { i, inv throws(CommandError) in
            let numbers = inv.arguments.split(separator: " ").compactMap { Int($0) }
            guard numbers.count == 2, let callback = Int32(exactly: numbers[0]) else { throw CommandError("Usage: .scriptcallback callback id") }
            var truthy: Int32 = 0
            guard cp_call_with_number(callback, numbers[1], &truthy) == 0 else {
                throw CommandError("The breakpoint's Python callback raised an exception (traceback above); stopped")
            }
            if truthy == 0, i.runningEmbedded { i.deferredResume = .resumeInterrupted }
        },
    ]

    private func loadScript(_ path: String, invoke: Bool) throws(CommandError) {
        guard !path.isEmpty else { throw CommandError("Usage: .scriptload file.py") }
        guard access(path, R_OK) == 0 else { throw CommandError("Unable to read the script \(path): \(String(cString: strerror(errno)))") }
        try startPython()
        var name = String(path.split(separator: "/").last ?? Substring(path))
        if name.hasSuffix(".py") { name.removeLast(3) }
        name = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
        if let index = loadedScripts.firstIndex(where: { $0.name == name }) {
            // Loaded again: its new top level replaces the old one's commands.
            cp_unload(name)
            loadedScripts.remove(at: index)
        }
        loadedScripts.insert(LoadedScript(name: name, path: path), at: 0)
        switch cp_load(path, name) {
        case 0: break
        case -2: throw CommandError("Unable to read the script \(path)")
        default:
            output.flush()
            throw CommandError("The script \(path) raised an exception (traceback above)")
        }
        guard invoke else { return }
        switch cp_call_function(name, "invoke_script") {
        case 1: break
        case 0: throw CommandError("\(path) has no invoke_script() for .scriptrun (.scriptload runs its top level)")
        default:
            output.flush()
            throw CommandError("invoke_script() of \(path) raised an exception (traceback above)")
        }
    }

    /// `!script.name args`: a script's command, found by `extensionCommand`.
    func scriptSpec(_ script: String, _ name: String, callback: Int32) -> CommandSpec {
        CommandSpec(names: ["!\(script).\(name)"], summary: "") { i, inv throws(CommandError) in
            var truthy: Int32 = 0
            let result = String(inv.arguments.trimmed()).withCString { cp_call_with_text(callback, $0, &truthy) }
            i.output.flush()
            guard result == 0 else { throw CommandError("!\(script).\(name) raised an exception (traceback above)") }
        }
    }

    /// The interpreter and its `swdbg` module, once per session.
    private func startPython() throws(CommandError) {
        guard !pythonStarted else { return }
        var host = cp_host()
        host.context = Unmanaged.passUnretained(self).toOpaque()
        host.print = { context, text in scriptHost(context).hostPrint(text) }
        host.read_memory = { context, address, buffer, size, read in scriptHost(context).hostRead(address, into: buffer, size: size, read: read) }
        host.write_memory = { context, address, buffer, size in scriptHost(context).hostWrite(address, from: buffer, size: size) }
        host.evaluate = { context, text, value in scriptHost(context).hostEvaluate(text, into: value) }
        host.read_register = { context, name, value in scriptHost(context).hostRegister(name, into: value) }
        host.symbol_name = { context, address, buffer, size in scriptHost(context).hostSymbol(address, into: buffer, size: size) }
        host.execute = { context, command, failed in
            let interpreter = scriptHost(context)
            interpreter.output.beginCapture()
            var failure = false
            if let command {
                do { try interpreter.executeLine(Substring(String(cString: command))) } catch {
                    interpreter.output.line("\(error)")
                    failure = true
                }
            }
            let text = interpreter.output.endCapture()
            failed?.pointee = failure ? 1 : 0
            return strdup(text)
        }
        host.add_breakpoint = { context, expression, callback in
            guard let expression else { return -1 }
            return scriptHost(context).addScriptBreakpoint(String(cString: expression), callback: callback)
        }
        host.add_command = { context, module, name, callback in
            guard let module, let name else { return -1 }
            let command = String(cString: name)
            guard !command.isEmpty, command.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return -1 }
            let interpreter = scriptHost(context)
            guard let index = interpreter.loadedScripts.firstIndex(where: { $0.name == String(cString: module) }) else { return -1 }
            interpreter.loadedScripts[index].commands[command] = callback
            return 0
        }
        host.type_size = { context, type, size in
            guard let type, let found = scriptHost(context).scriptType(String(cString: type)) else { return -1 }
            size?.pointee = UInt64(found.size)
            return 0
        }
        host.member_offset = { context, type, member, offset in
            guard let type, let member, let found = scriptHost(context).scriptType(String(cString: type)),
                  let field = found.members.first(where: { $0.name == String(cString: member) }) else { return -1 }
            offset?.pointee = UInt64(field.offset)
            return 0
        }
        host.threads = { context, tids, capacity in
            let threads = scriptHost(context).session.process?.threads ?? []
            for (index, thread) in threads.prefix(Int(capacity)).enumerated() { tids?[index] = UInt32(bitPattern: thread.tid) }
            return Int32(threads.count)
        }
        // The host lives as long as the interpreter: CPython keeps the pointer.
        let storage = UnsafeMutablePointer<cp_host>.allocate(capacity: 1)
        storage.initialize(to: host)
        scriptHostStorage = UnsafeMutableRawPointer(storage)
        guard cp_initialize(storage) == 0 else { throw CommandError("The embedded Python (3.11) could not start") }
        pythonStarted = true
    }

    /// A breakpoint whose hits call a script's callback (`.scriptcallback`); its id, or -1.
    private func addScriptBreakpoint(_ expression: String, callback: Int32) -> Int32 {
        var request = BreakpointRequest(kind: .bu, expression: expression, locations: [])
        request.radix = radix
        let id = (0...).first { id in !session.breakpoints.contains { $0.id == id } }!
        request.id = id
        request.commands = ".scriptcallback \(callback) \(id)"
        request.action = request.commands
        guard let breakpoint = try? session.addBreakpoint(request) else { return -1 }
        return Int32(breakpoint.id)
    }

    /// A record type by name (`struct node` or `node`), its members read.
    private func scriptType(_ name: String) -> TypeLayout? {
        let bare = ["struct ", "union ", "class ", "enum "].reduce(name) { $0.hasPrefix($1) ? String($0.dropFirst($1.count)) : $0 }
        let scope = FrameScope(session: session, thread: session.process?.current)
        guard let (type, files) = scope.type(named: bare) else { return nil }
        return files?.expanded(type) ?? type
    }
}

/// A loaded script: its module name (the file's, as an identifier), path and commands.
struct LoadedScript {
    let name: String
    let path: String
    var commands: [String: Int32] = [:]
}

/// The interpreter a script's call came through.
private func scriptHost(_ context: UnsafeMutableRawPointer?) -> Interpreter {
    Unmanaged<Interpreter>.fromOpaque(context!).takeUnretainedValue()
}
