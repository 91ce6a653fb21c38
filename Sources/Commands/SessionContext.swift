import Arch
import Engine
import Expressions
import Symbols

/// The expression evaluators' view of the session for one command: the engine's scope of
/// the current thread's `.frame` frame, plus what only the command language knows (`$extret`,
/// `:12` for a line of the current source file).
final class SessionContext: ExpressionContext {
    let interpreter: Interpreter
    let scope: FrameScope

    init(_ interpreter: Interpreter) {
        self.interpreter = interpreter
        let process = interpreter.session.process
        scope = FrameScope(session: interpreter.session, thread: process?.gone == false ? process?.current : nil, frameIndex: interpreter.frameIndex)
    }

    func registerValue(_ name: String) -> UInt64? { scope.registerValue(name) }

    func pseudoRegisterValue(_ name: String) -> UInt64? {
        name == "$extret" ? interpreter.extensionReturn : scope.pseudoRegisterValue(name)
    }

    func symbolAddress(_ name: String) -> UInt64? { scope.symbolAddress(name) }

    /// `file.c:12`, `module!file.c:12`, and `:12`, a line of the current source file.
    func sourceLineAddress(_ spec: String) -> UInt64? { scope.sourceLineAddress(interpreter.qualifiedSourceSpec(spec)) }

    func readMemory(_ address: UInt64, size: Int) -> [UInt8]? { scope.readMemory(address, size: size) }

    func variable(named name: String) -> TypedValue? { scope.variable(named: name) }

    func global(named name: String, in modules: [Module]) -> TypedValue? { scope.global(named: name, in: modules) }

    func type(named name: String) -> (type: TypeLayout, files: ModuleSymbols?)? { scope.type(named: name) }

    func writeMemory(_ address: UInt64, _ bytes: [UInt8]) -> Bool { scope.writeMemory(address, bytes) }

    func setRegister(_ name: String, _ value: UInt64) -> Bool { scope.setRegister(name, value) }
}
