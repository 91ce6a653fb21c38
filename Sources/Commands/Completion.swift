import Arch
import Engine
import Glibc

/// What Tab adds at the cursor, and the candidates to list when there is more than one.
public struct Completion {
    public let insertion: String
    public let candidates: [String]
}

/// Tab completion at the prompt: command names (`.`- and `!`-commands included) for the first
/// word, file names for the commands that take one, registers after `@` (and for `r`),
/// `module!symbol` (a wildcard lists the matches), and module names otherwise.
extension Interpreter {
    public func complete(_ line: String) -> Completion {
        let command = currentCommand(of: line)
        let word = String(command.split(separator: " ", omittingEmptySubsequences: false).last ?? "")
        let beforeWord = command.dropLast(word.count).trimmed()
        let commandName = beforeWord.split(separator: " ").first.map(String.init) ?? ""
        var candidates: [String]
        var finished = true
        if beforeWord.isEmpty || (beforeWord.first == "~" && !beforeWord.contains(" ") && word.first != "~") {
            candidates = commandNames.filter { $0.hasPrefix(word) }
        } else if Interpreter.fileCommands.contains(commandName) {
            (candidates, finished) = fileNames(startingWith: word)
        } else if word.hasPrefix("@") {
            candidates = X86Registers.names.map { "@" + $0 }.filter { $0.hasPrefix(word.lowercased()) }
        } else if commandName == "r" {
            candidates = (X86Registers.names + Interpreter.vectorRegisterNames).filter { $0.hasPrefix(word.lowercased()) }
        } else if let bang = word.firstIndex(of: "!") {
            let modulePart = String(word[..<bang]), symbolPart = String(word[word.index(after: bang)...])
            candidates = symbols(in: modulePart, matching: symbolPart)
            if symbolPart.contains("*") || symbolPart.contains("?") {
                return Completion(insertion: "", candidates: candidates)
            }
        } else {
            candidates = (session.process?.modules.modules ?? []).map { $0.name + "!" }.filter { $0.lowercased().hasPrefix(word.lowercased()) }
            finished = false
        }
        candidates = Array(Set(candidates)).sorted()
        guard let common = commonPrefix(candidates), common.count >= word.count else { return Completion(insertion: "", candidates: []) }
        var insertion = String(common.dropFirst(word.count))
        if candidates.count == 1, finished, !insertion.hasSuffix("/"), !insertion.hasSuffix("!") { insertion += " " }
        let shown = candidates.count > Interpreter.mostCompletionsShown
            ? Array(candidates.prefix(Interpreter.mostCompletionsShown)) + ["(\(candidates.count - Interpreter.mostCompletionsShown) more)"]
            : candidates
        return Completion(insertion: insertion, candidates: shown)
    }

    static let fileCommands: Set<String> = ["$$<", "$<", "$$><", "$><", ".logopen", ".logappend", "lsf", ".srcpath", ".srcpath+"]
    static let vectorRegisterNames = (0..<16).flatMap { ["xmm\($0)", "ymm\($0)"] } + ["mxcsr"]
    static let mostCompletionsShown = 200

    /// The command the cursor is in: after the last `;` outside quotes.
    private func currentCommand(of line: String) -> Substring {
        var start = line.startIndex
        var quote: Character?
        for index in line.indices {
            let c = line[index]
            if let open = quote { if c == open { quote = nil } } else if c == "\"" || c == "'" { quote = c } else if c == ";" { start = line.index(after: index) }
        }
        return Substring(String(line[start...].drop { $0 == " " || $0 == "\t" }))
    }

    private var commandNames: [String] {
        specs.flatMap(\.names)
    }

    /// `module!prefix` completions, or the matches of a wildcard pattern.
    private func symbols(in modulePattern: String, matching symbolPattern: String) -> [String] {
        guard let process = session.process else { return [] }
        let pattern = symbolPattern.contains("*") || symbolPattern.contains("?") ? WildcardPattern(symbolPattern) : nil
        var result: [String] = []
        for module in process.modules.modules where module.name.lowercased() == modulePattern.lowercased() || (modulePattern.contains("*") && wildcardMatch(modulePattern, module.name)) {
            for symbol in module.symbols {
                let matches = pattern.map { $0.matches(symbol.name) } ?? symbol.name.hasPrefix(symbolPattern)
                if matches { result.append("\(module.name)!\(symbol.name)") }
                if result.count > 10 * Interpreter.mostCompletionsShown { return result }
            }
        }
        return result
    }

    /// Entries of the word's folder that start with its last component; folders end in `/`.
    /// `finished` is false when the one candidate is a folder (there is more to type).
    private func fileNames(startingWith word: String) -> ([String], Bool) {
        let slash = word.lastIndex(of: "/")
        let folder = slash.map { String(word[...$0]) } ?? ""
        let prefix = slash.map { String(word[word.index(after: $0)...]) } ?? word
        guard let directory = opendir(folder.isEmpty ? "." : folder) else { return ([], true) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != "..", name.hasPrefix(prefix), !name.hasPrefix(".") || prefix.hasPrefix(".") else { continue }
            var status = stat()
            let isFolder = stat(folder + name, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
            names.append(folder + name + (isFolder ? "/" : ""))
        }
        return (names, !(names.count == 1 && names[0].hasSuffix("/")))
    }

    private func commonPrefix(_ words: [String]) -> String? {
        guard var prefix = words.first else { return nil }
        for word in words.dropFirst() {
            while !word.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }
}
