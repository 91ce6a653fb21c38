import Arch
import Engine
import Expressions
import Symbols

/// The expression evaluators' view of the session: registers of the current thread,
/// pseudo-registers, the selected frame's variables, symbols of loaded modules, and target
/// memory. One context serves one command (or one breakpoint hit): the selected frame's
/// variables are read once for it, whatever the expression asks.
final class SessionContext: ExpressionContext {
    let interpreter: Interpreter

    init(_ interpreter: Interpreter) { self.interpreter = interpreter }

    private var session: Session { interpreter.session }

    /// The `.frame` frame's parameters and locals, read on first use.
    private lazy var frameVariables = try? interpreter.selectedFrameVariables()

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

    /// A local variable's name is its address, as in WinDbg's MASM (`dd items`, `dl head`);
    /// then the modules' symbols. A register's name (`rax` in a breakpoint condition) skips
    /// the locals, which would be read from DWARF on every hit.
    func symbolAddress(_ name: String) -> UInt64? {
        if !name.contains("!"), X86Registers.width(of: name.lowercased()) == nil, let local = frameVariables?.values.last(where: { $0.name == name }), case .memory(let address) = local.location {
            return address
        }
        return session.resolveSymbol(name)
    }

    /// `file.c:12`, `module!file.c:12`, and `:12`, a line of the current source file.
    func sourceLineAddress(_ spec: String) -> UInt64? { session.resolveSourceLine(interpreter.qualifiedSourceSpec(spec)) }

    func readMemory(_ address: UInt64, size: Int) -> [UInt8]? {
        let bytes = session.readMemory(address, count: size)
        return bytes.count == size ? bytes : nil
    }

    /// The `.frame` frame's locals, then the statics and globals of its compilation unit, then
    /// globals of every module (main program first), then enumerator constants.
    func variable(named name: String) -> TypedValue? {
        guard let process = session.process else { return nil }
        if let (values, files) = frameVariables, let files, let local = values.last(where: { $0.name == name }) {
            let type = files.expanded(local.type)
            switch local.location {
            case .memory(let address):
                return TypedValue(type: type, address: address, bytes: [], files: files)
            case .register(let register) where interpreter.frameIndex == 0:
                return TypedValue(type: type, address: nil, bytes: local.bytes ?? [], files: files, register: String(register.dropFirst()))
            default:
                return TypedValue(type: type, address: nil, bytes: local.bytes ?? [], files: files)
            }
        }
        if let global = global(named: name, in: process.modules.searchOrder) { return global }
        for module in process.modules.searchOrder {
            guard let files = module.symbolFiles, let constant = files.enumerator(named: name) else { continue }
            let bytes = [UInt8](littleEndian: UInt64(bitPattern: constant.value), size: max(1, min(constant.type.size, 8)))
            return TypedValue(type: constant.type, address: nil, bytes: bytes, files: files)
        }
        return nil
    }

    /// A static of the selected frame's compilation unit, else the first global of the name
    /// in `modules`.
    func global(named name: String, in modules: [Module]) -> TypedValue? {
        let scope = interpreter.selectedFramePC().flatMap { pc in session.process?.modules.module(containing: pc).map { ($0, pc) } }
        if let (module, pc) = scope, modules.contains(where: { $0 === module }), let files = module.symbolFiles,
           let global = files.globalVariable(named: name, bias: module.bias, preferringUnitAt: pc &- module.bias) {
            return TypedValue(global, files: files)
        }
        for module in modules {
            guard let files = module.symbolFiles, let global = files.globalVariable(named: name, bias: module.bias) else { continue }
            return TypedValue(global, files: files)
        }
        return nil
    }

    func type(named name: String) -> (type: TypeLayout, files: ModuleSymbols?)? {
        guard let process = session.process else { return nil }
        for module in process.modules.searchOrder {
            guard let files = module.symbolFiles, let type = files.typeLayout(named: name) else { continue }
            return (type, files)
        }
        return nil
    }

    func writeMemory(_ address: UInt64, _ bytes: [UInt8]) -> Bool {
        (try? session.writeMemory(address, bytes)) != nil
    }

    func setRegister(_ name: String, _ value: UInt64) -> Bool {
        guard var registers = try? session.registers(), registers.setValue(value, named: name) else { return false }
        return (try? session.setRegisters(registers)) != nil
    }
}

extension TypedValue {
    /// A module's variable: at its address, or the constant the compiler folded it into.
    init(_ global: GlobalVariable, files: ModuleSymbols) {
        self.init(type: global.type, address: global.address, bytes: global.constant ?? [], files: files)
    }
}
