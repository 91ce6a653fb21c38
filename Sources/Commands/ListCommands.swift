import Arch
import Engine
import Symbols

/// `dl`, `dlb`, `!list`: walking linked lists in the target.
extension Interpreter {
    static let listCommands: [CommandSpec] = [
        CommandSpec(names: ["dl", "dlb"], summary: "display a linked list whose links come first: dl[b] address [maxcount [size]]") { i, inv throws(CommandError) in
            try i.displayLinkedList(inv)
        },
        CommandSpec(names: ["!list"], summary: "walk a list: !list -t [module!]type.field [-x \"command\"] [-m max] address") { i, inv throws(CommandError) in
            try i.walkList(inv)
        },
    ]

    /// Each entry starts with its forward link (its backward link second, `dlb`); a line
    /// per entry: its address and `size` pointers from it. Stops at a null link, back at the
    /// start, or after `maxcount` entries.
    private func displayLinkedList(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var scanner = invocation.scanner
        guard !scanner.isAtEnd else { throw CommandError("Usage: dl[b] address [maxcount [size]]") }
        let start = try expression(&scanner)
        let maxCount = scanner.isAtEnd ? 0x20 : min(try expression(&scanner), 0x10000)
        let size = scanner.isAtEnd ? 2 : Int(min(max(try expression(&scanner), 1), 32))
        let linkOffset: UInt64 = invocation.name == "dlb" ? 8 : 0
        var entry = start
        var count: UInt64 = 0
        repeat {
            let words = session.readMemory(entry, count: size * 8)
            guard words.count == size * 8 else { throw CommandError("Memory access error at \(formatAddress(entry))") }
            output.line("\(formatAddress(entry))  " + (0..<size).map { formatAddress(words.littleEndian(at: $0 * 8)) }.joined(separator: " "))
            entry = words.count >= Int(linkOffset) + 8 ? words.littleEndian(at: Int(linkOffset)) : try readPointer(entry &+ linkOffset)
            count += 1
        } while entry != 0 && entry != start && count < maxCount
    }

    /// `!list -t type.field address`: from `address`, each node's next node is the pointer
    /// in its `field`; `-x` runs a command for each node with `@$extret` set to it (default:
    /// the node's members, as `dt` shows them).
    private func walkList(_ invocation: Invocation) throws(CommandError) {
        let process = try requireProcess()
        var scanner = invocation.scanner
        var typeField: String?
        var command: String?
        var maxCount: UInt64 = 0x1000
        while scanner.rest.trimmed().hasPrefix("-") {
            guard let option = scanner.word() else { break }
            switch option {
            case "-t": typeField = scanner.word().map(String.init)
            case "-x":
                let rest = scanner.rest.trimmed()
                guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else { throw CommandError("!list: -x needs a quoted command") }
                command = String(rest[rest.index(after: rest.startIndex)..<close])
                scanner.rest = rest[rest.index(after: close)...]
            case "-m":
                guard let word = scanner.word() else { throw CommandError("!list: -m needs a count") }
                maxCount = try evaluate(word)
            default: throw CommandError("!list: unknown option \(option)")
            }
        }
        guard let typeField, let dot = typeField.firstIndex(of: ".") else {
            throw CommandError("Usage: !list -t [module!]type.field [-x \"command\"] [-m max] address")
        }
        guard !scanner.isAtEnd else { throw CommandError("!list: no start address") }
        let start = try expression(&scanner)
        let (moduleName, typeName) = splitPattern(String(typeField[..<dot]))
        let fieldPath = typeField[typeField.index(after: dot)...].split(separator: ".").map(String.init)
        let modules = moduleName == "*" ? process.modules.searchOrder : process.modules.searchOrder.filter { $0.name.lowercased() == moduleName.lowercased() }
        guard let (files, type) = modules.lazy.compactMap({ m in m.symbolFiles.flatMap { f in f.typeLayout(named: typeName).map { (f, $0) } } }).first else {
            throw CommandError("!list: type \(typeName) not found")
        }
        let offset = try fieldOffset(type, path: fieldPath, files: files)
        var node = start
        var count: UInt64 = 0
        while node != 0 && count < maxCount {
            extensionReturn = node
            if let command {
                try executeLine(Substring(command))
            } else {
                output.line(formatAddress(node))
                printMembers(type, at: .memory(node), indent: 3, recursive: false)
            }
            node = try readPointer(node &+ offset)
            count += 1
            if node == start { break }
        }
    }

    /// The byte offset of `a.b.c` inside a record.
    private func fieldOffset(_ type: TypeLayout, path: [String], files: ModuleSymbols) throws(CommandError) -> UInt64 {
        var record = type
        var offset = 0
        for name in path {
            guard let member = files.expanded(record).members.first(where: { $0.name == name }) else {
                throw CommandError("!list: \(record.name) has no member \(name)")
            }
            let sum = offset.addingReportingOverflow(member.offset)
            guard !sum.overflow else { throw CommandError("!list: bad offset for \(name)") }
            offset = sum.partialValue
            record = member.type
        }
        return UInt64(offset)
    }

    private func readPointer(_ address: UInt64) throws(CommandError) -> UInt64 {
        let bytes = session.readMemory(address, count: 8)
        guard bytes.count == 8 else { throw CommandError("Memory access error at \(formatAddress(address))") }
        return bytes.littleEndian(at: 0)
    }
}
