import CExtension
import Engine
import Glibc

/// WinDbg's extension mechanism: `!name` runs the first extension on the chain that exports
/// `name` (loaded libraries, newest first, then the built-in modules), `!module.name` that
/// module's; `.load`, `.loadby`, `.unload`, `.unloadall`, `.chain`, `.extmatch`.
extension Interpreter {
    /// The extensions built into swdbg, as WinDbg's ext and kdexts: each one's commands.
    static let builtinExtensions: [(name: String, commands: [String])] = [
        ("ext", ["analyze", "address", "heap", "list", "sym"]),
        ("kdexts", ["process", "thread", "pcr"]),
        ("py", ["bt", "locals", "threads"]),
        ("swift", ["types", "name2ee", "dumpmt", "dumpobj"]),
    ]

    static let extensionCommands: [CommandSpec] = [
        CommandSpec(names: [".load"], summary: "load an extension library: .load path/libname.so | name") { i, inv throws(CommandError) in
            try i.loadExtension(named: String(inv.arguments.trimmed()))
        },
        CommandSpec(names: [".loadby"], summary: "load an extension from a loaded module's folder: .loadby name module") { i, inv throws(CommandError) in
            try i.loadExtension(inv.arguments.trimmed())
        },
        CommandSpec(names: [".unload"], summary: "unload an extension: .unload name") { i, inv throws(CommandError) in
            try i.unloadExtension(String(inv.arguments.trimmed()))
        },
        CommandSpec(names: [".unloadall"], summary: "unload every loaded extension", takesArguments: false) { i, _ throws(CommandError) in
            for loaded in i.loadedExtensions { loaded.unload() }
            i.loadedExtensions.removeAll()
        },
        CommandSpec(names: [".chain"], summary: "list the extension chain, searched in order", takesArguments: false) { i, _ throws(CommandError) in
            i.showChain()
        },
        CommandSpec(names: [".extmatch"], summary: "list extension commands matching a pattern: .extmatch [/e module] pattern") { i, inv throws(CommandError) in
            try i.matchExtensionCommands(inv.arguments.trimmed())
        },
    ]

    /// `.load name`: a path, or a bare name looked up as `libname.so` / `name.so` in
    /// `$SWDBG_EXTENSION_PATH` (colon-separated folders). A built-in module is always loaded.
    private func loadExtension(named argument: String) throws(CommandError) {
        guard !argument.isEmpty else { throw CommandError("Usage: .load path | name") }
        if Interpreter.builtinExtensions.contains(where: { $0.name == argument }) { throw CommandError("\(argument) is built into swdbg: always loaded") }
        var path = argument
        if !argument.contains("/") {
            let folders = (getenv("SWDBG_EXTENSION_PATH").map { String(cString: $0) } ?? "").split(separator: ":").map(String.init)
            let candidates: [String] = folders.flatMap { folder in ["\(folder)/lib\(argument).so", "\(folder)/\(argument).so"] }
            guard let found = candidates.first(where: { access($0, R_OK) == 0 }) else {
                throw CommandError("The extension \(argument) was not found: give its path, or its folder in SWDBG_EXTENSION_PATH")
            }
            path = found
        }
        try load(path: path)
    }

    /// `.loadby name module`: the extension `libname.so` (or `name.so`) beside a loaded
    /// module's file, as WinDbg's `.loadby sos clr` finds sos beside clr.
    private func loadExtension(_ arguments: Substring) throws(CommandError) {
        let words = arguments.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count == 2 else { throw CommandError("Usage: .loadby name module") }
        let process = try requireProcess()
        guard let module = process.modules.module(named: String(words[1])) else { throw CommandError("No module named \(words[1]) is loaded") }
        let folder = module.path.split(separator: "/").dropLast().joined(separator: "/")
        let candidates = ["/\(folder)/lib\(words[0]).so", "/\(folder)/\(words[0]).so"]
        guard let path = candidates.first(where: { access($0, R_OK) == 0 }) else {
            throw CommandError("No extension \(words[0]) beside \(module.path) (looked for \(candidates.joined(separator: ", ")))")
        }
        try load(path: path)
    }

    private func load(path: String) throws(CommandError) {
        if let loaded = loadedExtensions.first(where: { $0.path == path }) { throw CommandError("\(path) is already loaded as \(loaded.name)") }
        var api = extensionAPI()
        let loaded = try NativeExtension(path: path, api: &api)
        if loadedExtensions.contains(where: { $0.name == loaded.name }) || Interpreter.builtinExtensions.contains(where: { $0.name == loaded.name }) {
            loaded.unload()
            throw CommandError("An extension named \(loaded.name) is already on the chain")
        }
        loadedExtensions.insert(loaded, at: 0)
    }

    private func unloadExtension(_ name: String) throws(CommandError) {
        guard !name.isEmpty else { throw CommandError("Usage: .unload name") }
        if Interpreter.builtinExtensions.contains(where: { $0.name == name }) { throw CommandError("\(name) is built into swdbg and cannot be unloaded") }
        let base = name.split(separator: "/").last.map(String.init) ?? name
        guard let index = loadedExtensions.firstIndex(where: { $0.name == name || $0.path == name || $0.name == base }) else {
            throw CommandError("No extension \(name) is loaded")
        }
        loadedExtensions.remove(at: index).unload()
    }

    private func showChain() {
        output.line("Extension chain (searched in this order):")
        for loaded in loadedExtensions {
            output.line("  \(loaded.name): API \(SWDBG_EXTENSION_API_VERSION), \(loaded.commandNames.count) command\(loaded.commandNames.count == 1 ? "" : "s"), \(loaded.path)")
        }
        for script in loadedScripts {
            output.line("  \(script.name): Python script, \(script.commands.count) command\(script.commands.count == 1 ? "" : "s"), \(script.path)")
        }
        for builtin in Interpreter.builtinExtensions {
            output.line("  \(builtin.name): built in, \(builtin.commands.count) commands")
        }
    }

    private func matchExtensionCommands(_ arguments: Substring) throws(CommandError) {
        var words = arguments.split(separator: " ").map(String.init)
        var only: String?
        if words.first == "/e" {
            guard words.count >= 2 else { throw CommandError("Usage: .extmatch [/e module] pattern") }
            only = words[1]
            words.removeFirst(2)
        }
        let pattern = words.first ?? "*"
        let chain = loadedExtensions.map { ($0.name, $0.commandNames) } + loadedScripts.map { ($0.name, $0.commands.keys.sorted()) }
            + Interpreter.builtinExtensions.map { ($0.name, $0.commands) }
        if let only, !chain.contains(where: { $0.0 == only }) { throw CommandError("No extension \(only) is on the chain") }
        for (module, names) in chain where only == nil || only == module {
            for name in names where wildcardMatch(pattern.lowercased(), name.lowercased()) { output.line("!\(module).\(name)") }
        }
    }

    /// The command a `!` token names, as the table's entry to run: `!name` (first on the
    /// chain) or `!module.name`.
    func extensionCommand(_ token: Substring) throws(CommandError) -> CommandSpec {
        let name = String(token.dropFirst())
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            if let script = loadedScripts.first(where: { $0.name == parts[0] }) {
                guard let callback = script.commands[parts[1]] else { throw CommandError("No export \(parts[1]) found in \(script.name)") }
                return scriptSpec(script.name, parts[1], callback: callback)
            }
            if let loaded = loadedExtensions.first(where: { $0.name == parts[0] }) {
                guard loaded.commands[parts[1]] != nil else { throw CommandError("No export \(parts[1]) found in \(loaded.name)") }
                return nativeSpec(loaded, parts[1])
            }
            guard let builtin = Interpreter.builtinExtensions.first(where: { $0.name == parts[0] }) else {
                throw CommandError("No extension \(parts[0]) is on the chain (.chain lists them)")
            }
            guard builtin.commands.contains(parts[1]), let spec = builtinSpec(builtin.name, parts[1]) else { throw CommandError("No export \(parts[1]) found in \(builtin.name)") }
            return spec
        }
        if let loaded = loadedExtensions.first(where: { $0.commands[name] != nil }) { return nativeSpec(loaded, name) }
        if let script = loadedScripts.first(where: { $0.commands[name] != nil }) { return scriptSpec(script.name, name, callback: script.commands[name]!) }
        guard let builtin = Interpreter.builtinExtensions.first(where: { $0.commands.contains(name) }), let spec = builtinSpec(builtin.name, name) else {
            throw CommandError("No export \(name) found")
        }
        return spec
    }

    /// A built-in module's command: in the table as `!module.name` (`!py.bt`) or, for ext's and
    /// kdexts' older ones, as `!name`.
    private func builtinSpec(_ module: String, _ name: String) -> CommandSpec? {
        commands["!\(module).\(name)"] ?? commands["!" + name]
    }

    private func nativeSpec(_ loaded: NativeExtension, _ name: String) -> CommandSpec {
        CommandSpec(names: ["!\(loaded.name).\(name)"], summary: "") { i, inv throws(CommandError) in
            var api = i.extensionAPI()
            let result = String(inv.arguments.trimmed()).withCString { arguments in loaded.commands[name]!(&api, arguments) }
            i.output.flush()
            guard result == 0 else { throw CommandError("!\(loaded.name).\(name) failed (it returned \(result))") }
        }
    }
}
