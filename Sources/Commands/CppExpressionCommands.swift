import Arch
import Engine
import Expressions
import Symbols
import Values

/// `??`: C++ expressions over DWARF-typed variables, printed with their types as WinDbg
/// prints them (`int 0n20`, `struct node * 0x…` followed by the target's members).
extension Interpreter {
    static let cppExpressionCommands: [CommandSpec] = [
        CommandSpec(names: ["??"], summary: "evaluate a C++ expression: ?? local.count, ?? nodes[1].next->value, ?? (char)65") { i, inv throws(CommandError) in
            try i.evaluateTyped(inv.arguments.trimmed())
        },
    ]

    /// A C++ expression's value against the session (`??`, `dx`).
    func cppValue(_ text: Substring) throws(CommandError) -> TypedValue {
        let context = SessionContext(self)
        do { return try CppExpression.parse(text, context: context).evaluate(context) } catch { throw CommandError(error.description) }
    }

    private func evaluateTyped(_ text: Substring) throws(CommandError) {
        _ = try requireProcess()
        guard !text.isEmpty else { throw CommandError("Usage: ?? expression") }
        let value = try cppValue(text)
        let type = value.type
        if useVisualizers, [.record, .array].contains(type.kind), let place = value.place {
            let node = visualizer.node(type, at: place, files: value.files)
            output.line("\(node.typeName) " + node.inlineText())
            return
        }
        switch type.kind {
        case .record, .array:
            // In memory, assembled from registers, or not at all.
            if type.kind == .record, value.address == nil, !value.bytes.isEmpty {
                output.line(type.cName)
                printMembers(type, at: .held(value.bytes), indent: 3, recursive: false)
                return
            }
            guard let base = value.address else {
                output.line("\(type.cName) <value unavailable>")
                return
            }
            guard type.kind == .array else {
                output.line(type.cName)
                printMembers(type, at: .memory(base), indent: 3, recursive: false)
                return
            }
            guard let element = type.elementType, element.size > 0 else {
                output.line("\(type.cName) 0x\(formatAddress(base))")
                return
            }
            if let unit = element.text, element.size == unit.size, type.size <= 1 << 20 {
                output.line("\(type.cName)  " + values.quotedText(session.readMemory(base, count: type.size), unit: unit, name: element.cName).text)
                return
            }
            output.line("\(type.cName) 0x\(formatAddress(base))")
            let count = type.size / element.size
            for index in 0..<min(count, Interpreter.mostArrayElementsShown) {
                let text = [.record, .array].contains(element.kind) ? element.cName
                    : values.valueText(element, bytes: session.readMemory(base &+ UInt64(index * element.size), count: min(element.size, 32)))
                output.line("   [\(index)] \(text)")
            }
            if count > Interpreter.mostArrayElementsShown { output.line("   ... (\(count - Interpreter.mostArrayElementsShown) more elements)") }
        case .pointer:
            guard let bytes = valueBytes(value) else { return }
            let address = bytes.littleEndian(at: 0)
            if let element = type.elementType, let unit = element.text, address != 0 {
                output.line("\(type.cName) 0x\(formatAddress(address))  " + values.pointedText(address, unit: unit, name: element.cName))
                return
            }
            output.line("\(type.cName) 0x\(formatAddress(address))")
            if address != 0, let pointee = type.elementType, let files = value.files, files.expanded(pointee).kind == .record {
                printMembers(files.expanded(pointee), at: .memory(address), indent: 3, recursive: false)
            }
        case .void:
            output.line("void")
        default:
            guard let bytes = valueBytes(value) else { return }
            output.line("\(type.cName) \(values.valueText(type, bytes: bytes))")
        }
    }

    /// A scalar result's bytes: computed, or read from its address; prints why when neither
    /// is possible (an optimized-out variable, unreadable memory).
    private func valueBytes(_ value: TypedValue) -> [UInt8]? {
        if !value.bytes.isEmpty { return value.bytes }
        guard let address = value.address else {
            output.line("\(value.type.cName) <value unavailable>")
            return nil
        }
        let bytes = session.readMemory(address, count: min(value.type.size, 32))
        guard bytes.count == value.type.size, bytes.count > 0 else {
            output.line("Memory access error at \(formatAddress(address))")
            return nil
        }
        return bytes
    }
}

extension Interpreter {
    /// Most elements `??` lists of an array.
    static let mostArrayElementsShown = 256
}

extension TypedValue {
    /// Where a visualizer reads the value: its memory, or the bytes it was assembled from;
    /// nil for a value that is neither (optimized out).
    public var place: ValuePlace? { address.map(ValuePlace.memory) ?? (bytes.isEmpty ? nil : .held(bytes)) }
}
