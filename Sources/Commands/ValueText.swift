import Engine
import Symbols
import Values

extension Interpreter {
    /// Target memory as the program sees it, for the value formatting.
    var memoryReader: (UInt64, Int) -> [UInt8] { { [session] address, count in session.readMemory(address, count: count) } }

    /// The value formatter over the session's memory.
    var values: ValueFormatter { ValueFormatter(read: memoryReader) }

    /// A variable's value for `kp` and `dv` (through the visualizers with `.visualizers on`).
    func formatValue(_ value: VariableValue, files: ModuleSymbols?) -> String {
        visualizedText(value, files: files) ?? values.variableText(value)
    }
}
