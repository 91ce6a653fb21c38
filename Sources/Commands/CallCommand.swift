import Arch
import Engine
import Symbols

/// `.call module!function(arguments)`: calls a function in the program, arguments typed from
/// its DWARF prototype; `g` runs it and `.call returns:` shows the typed result, with the
/// thread put back as it was (WinDbg's `.call`).
extension Interpreter {
    static let callCommands: [CommandSpec] = [
        CommandSpec(names: [".call"], summary: "call a function in the program: .call module!function(arguments), then g") { i, inv throws(CommandError) in
            try i.setUpCall(inv.arguments.trimmed())
        },
    ]

    private func setUpCall(_ text: Substring) throws(CommandError) {
        let process = try requireProcess()
        guard let open = text.firstIndex(of: "("), text.last == ")" else { throw CommandError("Usage: .call module!function(argument, ...)") }
        let name = text[..<open].trimmed()
        let address = try evaluate(name)
        guard let module = process.modules.module(containing: address), let files = module.symbolFiles,
              let signature = files.signature(ofFunctionAt: address &- module.bias) else {
            throw CommandError(".call needs the prototype of \(name) from DWARF (its parameter types); none found")
        }
        let inside = text[text.index(after: open)..<text.index(before: text.endIndex)]
        let texts = Interpreter.topLevelArguments(inside)
        guard texts.count == signature.parameters.count || (signature.variadic && texts.count > signature.parameters.count) else {
            throw CommandError(".call: \(name) takes \(signature.parameters.count) argument\(signature.parameters.count == 1 ? "" : "s"), \(texts.count) given")
        }
        var arguments: [CallArgument] = []
        for (index, argument) in texts.enumerated() {
            let value = try evaluate(argument)
            let type = index < signature.parameters.count ? files.expanded(signature.parameters[index]) : nil
            switch type?.kind {
            case .record?, .complex?:
                // By value: the argument is the address of the object to pass (a MASM symbol is
                // its address), copied as the convention copies it.
                let type = type!
                let bytes = session.readMemory(value, count: type.size)
                guard bytes.count == type.size else {
                    throw CommandError(".call: argument \(index + 1) is passed by value: the \(type.cName) at \(formatAddress(value)) cannot be read")
                }
                arguments.append(.aggregate(bytes, classes: type.systemVClasses))
            case .float? where type!.size == 16:
                throw CommandError(".call cannot pass \(type!.cName) (x87) by value (argument \(index + 1))")
            case .float?:
                arguments.append(.floatingPoint(Double(Int64(bitPattern: value)), single: type!.size == 4))
            default:
                arguments.append(.integer(value))
            }
        }
        let returnType = files.returnType(ofFunctionAt: address &- module.bias).map { files.expanded($0) }
        if let returnType, returnType.kind == .float, returnType.size == 16 {
            throw CommandError(".call cannot return \(returnType.cName) (x87)")
        }
        let inMemory = returnType.flatMap { [.record, .complex].contains($0.kind) && $0.systemVClasses == nil ? $0.size : nil }
        try engine { () throws(EngineError) in try session.prepareCall(address, arguments: arguments, returnsInMemory: inMemory) }
        pendingCallReturn = returnType
        output.line("Thread is set up for call, 'g' will execute.")
        output.line("WARNING: This can have serious side-effects, including deadlocks and corruption of the debuggee.")
    }

    /// The arguments between a call's parentheses, split at commas outside nested ones.
    static func topLevelArguments(_ text: Substring) -> [Substring] {
        guard !text.trimmed().isEmpty else { return [] }
        var parts: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for index in text.indices {
            switch text[index] {
            case "(", "[": depth += 1
            case ")", "]": depth -= 1
            case "," where depth == 0:
                parts.append(text[start..<index].trimmed())
                start = text.index(after: index)
            default: break
            }
        }
        parts.append(text[start...].trimmed())
        return parts
    }

    /// `.call returns:` and the value as the return type shows it.
    func reportCallResult(_ result: CallResult) {
        output.line(".call returns:")
        defer { pendingCallReturn = nil }
        guard let type = pendingCallReturn, type.kind != .void else {
            output.line("void")
            return
        }
        switch type.kind {
        case .float:
            output.line("\(type.cName) \(values.valueText(type, bytes: [UInt8](littleEndian: result.xmm0, size: min(type.size, 8))))")
        case .pointer:
            output.line("\(type.cName) 0x\(formatAddress(result.rax))")
        case .record, .complex:
            let bytes = Interpreter.returnedBytes(type, result)
            guard type.kind == .record else {
                output.line("\(type.cName) \(values.valueText(type, bytes: bytes))")
                return
            }
            output.line(type.cName)
            printMembers(type, at: .held(bytes), indent: 3, recursive: false)
        default:
            output.line("\(type.cName) \(values.valueText(type, bytes: [UInt8](littleEndian: result.rax, size: max(1, min(type.size, 8)))))")
        }
    }

    /// A struct or complex value as returned: from memory, or its eightbytes from rax, rdx
    /// (INTEGER) and xmm0, xmm1 (SSE), each class's registers taken in order.
    static func returnedBytes(_ type: TypeLayout, _ result: CallResult) -> [UInt8] {
        if let memory = result.memory { return memory }
        var integers = [result.rax, result.rdx][...]
        var vectors = [result.xmm0, result.xmm1][...]
        var bytes: [UInt8] = []
        for kind in type.systemVClasses ?? [] {
            let word = (kind == .integer ? integers.popFirst() : vectors.popFirst()) ?? 0
            bytes += [UInt8](littleEndian: word, size: 8)
        }
        return Array(bytes.prefix(type.size))
    }
}
