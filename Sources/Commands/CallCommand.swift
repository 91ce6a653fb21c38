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
            case .record?, .array?, .complex?:
                throw CommandError(".call cannot pass \(type!.cName) by value (argument \(index + 1))")
            case .float?:
                arguments.append(.floatingPoint(Double(Int64(bitPattern: value)), single: type!.size == 4))
            default:
                arguments.append(.integer(value))
            }
        }
        try engine { () throws(EngineError) in try session.prepareCall(address, arguments: arguments) }
        pendingCallReturn = (files.returnType(ofFunctionAt: address &- module.bias), files)
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
        guard let (type, files) = pendingCallReturn, let type = type.map({ files.expanded($0) }) else {
            output.line("void")
            return
        }
        switch type.kind {
        case .float:
            output.line("\(type.cName) \(values.valueText(type, bytes: [UInt8](littleEndian: result.xmm0, size: min(type.size, 8))))")
        case .pointer:
            output.line("\(type.cName) 0x\(formatAddress(result.rax))")
        case .record, .array, .complex:
            output.line("\(type.cName) (returned in registers: rax=\(formatAddress(result.rax)))")
        default:
            output.line("\(type.cName) \(values.valueText(type, bytes: [UInt8](littleEndian: result.rax, size: max(1, min(type.size, 8)))))")
        }
    }
}
