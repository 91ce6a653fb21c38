import Arch
import Engine
import Expressions
import Symbols
import Values

/// `dx`: WinDbg's data model display, a C++ expression's value through the visualizers
/// (libstdc++ containers, Swift collections) with its children to a depth; `.visualizers`
/// turns the same summaries on for `dv`, `kp` and `??`.
extension Interpreter {
    static let displayCommands: [CommandSpec] = [
        CommandSpec(names: ["dx"], summary: "display a value with visualizers: dx [-r DEPTH] expression") { i, inv throws(CommandError) in try i.displayExpression(inv) },
        CommandSpec(names: [".visualizers"], summary: "visualizer summaries in dv, kp and ??: .visualizers [on|off]") { i, inv throws(CommandError) in
            switch inv.arguments.trimmed().lowercased() {
            case "on": i.useVisualizers = true
            case "off": i.useVisualizers = false
            case "": break
            default: throw CommandError("Usage: .visualizers [on|off]")
            }
            i.output.line("Visualizers in dv, kp and ?? are \(i.useVisualizers ? "on" : "off") (dx always uses them)")
        },
    ]

    var visualizer: Visualizer { Visualizer(formatter: values) }

    private func displayExpression(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var text = invocation.arguments.trimmed()
        var depth = 1
        if text.hasPrefix("-r") {
            let digits = text.dropFirst(2).prefix { $0.isNumber }
            guard let value = Int(digits.isEmpty ? "1" : String(digits)), value <= 16 else { throw CommandError("dx: -r takes a depth from 0 to 16") }
            depth = value
            text = text.dropFirst(2 + digits.count).trimmed()
        }
        guard !text.isEmpty else { throw CommandError("Usage: dx [-r DEPTH] expression") }
        let value = try cppValue(text)
        guard let place = value.place else {
            throw CommandError("\(text) : <value unavailable>")
        }
        let node = visualizer.node(value.type, at: place, files: value.files)
        printNode(String(text), node, indent: 0, depth: depth)
    }

    /// `name : summary [Type: type]`, then the children four spaces in, `depth` levels down.
    private func printNode(_ name: String, _ node: DisplayNode, indent: Int, depth: Int) {
        let label = String(repeating: " ", count: indent) + name
        output.line(label.padding(to: max(indent + 16, label.count)) + " : " + node.summary + " " + paint("[Type: \(node.typeName)]", .source))
        guard depth > 0 else { return }
        for child in node.children() { printNode(child.name, child.node, indent: indent + 4, depth: depth - 1) }
    }

    /// The one-line visualized text of a variable for `dv`/`kp` (`.visualizers on`), or nil
    /// where no visualizer has more to say than the plain value.
    func visualizedText(_ value: VariableValue, files: ModuleSymbols?) -> String? {
        guard useVisualizers, let bytes = value.bytes, !bytes.isEmpty, [.record, .array].contains(value.type.kind) else { return nil }
        let place: ValuePlace = if case .memory(let address) = value.location { .memory(address) } else { .held(bytes) }
        return visualizer.node(value.type, at: place, files: files).inlineText()
    }
}
