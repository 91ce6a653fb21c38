import Arch
import Engine

/// The expression evaluator's view of the session: registers of the current thread,
/// pseudo-registers, symbols of loaded modules, and target memory.
struct SessionContext: ExpressionContext {
    let interpreter: Interpreter

    init(_ interpreter: Interpreter) { self.interpreter = interpreter }

    private var session: Session { interpreter.session }

    func registerValue(_ name: String) -> UInt64? {
        guard session.process?.current != nil, let registers = try? session.registers() else { return nil }
        return registers.value(named: name)
    }

    func pseudoRegisterValue(_ name: String) -> UInt64? {
        if name.hasPrefix("$t"), let index = Int(name.dropFirst(2)), (0..<20).contains(index) {
            return interpreter.userRegisters[index]
        }
        if name == "$extret" { return interpreter.extensionReturn }
        guard let process = session.process else { return nil }
        switch name {
        case "$tpid": return UInt64(process.pid)
        case "$exentry": return process.entryPoint
        default: break
        }
        guard let thread = process.current, let registers = try? session.registers() else { return nil }
        switch name {
        case "$ip": return registers.rip
        case "$csp": return registers.rsp
        case "$retreg": return registers.rax
        case "$tid": return UInt64(thread.tid)
        case "$ra":
            let frames = session.unwind(thread, maxFrames: 2)
            return frames.first?.returnAddress
        default: return nil
        }
    }

    func symbolAddress(_ name: String) -> UInt64? { session.resolveSymbol(name) }

    func sourceLineAddress(_ spec: String) -> UInt64? { session.resolveSourceLine(spec) }

    func readMemory(_ address: UInt64, size: Int) -> [UInt8]? {
        let bytes = session.readMemory(address, count: size)
        return bytes.count == size ? bytes : nil
    }
}
