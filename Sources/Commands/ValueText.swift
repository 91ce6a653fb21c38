import Engine
import Symbols
import Values

extension Interpreter {
    /// The value formatter over the session's memory.
    var values: ValueFormatter { ValueFormatter { [session] address, count in session.readMemory(address, count: count) } }

    /// A variable's value for `kp` and `dv`.
    func formatValue(_ value: VariableValue) -> String { values.variableText(value) }
}
