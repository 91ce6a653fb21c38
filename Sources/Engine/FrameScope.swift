import Arch
import Expressions
import Symbols

/// The evaluators' view of one frame of one thread: its registers, the pseudo-registers, its
/// variables, the symbols of loaded modules, and target memory. The engine evaluates
/// breakpoint conditions in the hit thread's innermost frame; the command layer evaluates
/// expressions in the `.frame` frame of the current thread. The frame's variables are read
/// once per scope, on first use, whatever the expression asks.
public final class FrameScope: ExpressionContext {
    public let session: Session
    public let thread: ThreadInfo?
    public let frameIndex: Int

    /// `thread` nil: no process (constants, symbols and `$t0`… only).
    public init(session: Session, thread: ThreadInfo?, frameIndex: Int = 0) {
        self.session = session
        self.thread = thread
        self.frameIndex = frameIndex
    }

    private lazy var frameVariables = thread.flatMap { try? session.frameVariables(of: $0, frame: frameIndex) }

    public func registerValue(_ name: String) -> UInt64? {
        guard let thread, let registers = try? session.registers(thread) else { return nil }
        return registers.value(named: name)
    }

    public func pseudoRegisterValue(_ name: String) -> UInt64? {
        if name.hasPrefix("$t"), let index = Int(name.dropFirst(2)), session.userRegisters.indices.contains(index) {
            return session.userRegisters[index]
        }
        guard let process = session.process else { return nil }
        switch name {
        case "$tpid": return UInt64(process.pid)
        case "$exentry": return process.entryPoint
        default: break
        }
        guard let thread, let registers = try? session.registers(thread) else { return nil }
        switch name {
        case "$ip": return registers.rip
        case "$csp": return registers.rsp
        case "$retreg": return registers.rax
        case "$tid": return UInt64(thread.tid)
        case "$ra": return session.unwind(thread, maxFrames: 2).first?.returnAddress
        default: return nil
        }
    }

    /// A local variable's name is its address, as in WinDbg's MASM (`dd items`, `dl head`);
    /// then the modules' symbols. A register's name (`rax` in a breakpoint condition) skips
    /// the locals, which would be read from DWARF on every hit.
    public func symbolAddress(_ name: String) -> UInt64? {
        if !name.contains("!"), X86Registers.width(of: name.lowercased()) == nil, let local = frameVariables?.values.last(where: { $0.name == name }),
           case .memory(let address) = local.location {
            return address
        }
        return session.resolveSymbol(name)
    }

    public func sourceLineAddress(_ spec: String) -> UInt64? { session.resolveSourceLine(spec) }

    public func readMemory(_ address: UInt64, size: Int) -> [UInt8]? {
        let bytes = session.readMemory(address, count: size)
        return bytes.count == size ? bytes : nil
    }

    /// The frame's locals, then the statics and globals of its compilation unit, then globals
    /// of every module (main program first), then enumerator constants.
    public func variable(named name: String) -> TypedValue? {
        guard let process = session.process else { return nil }
        if let (values, files) = frameVariables, let files, let local = values.last(where: { $0.name == name }) {
            let type = files.expanded(local.type)
            switch local.location {
            case .memory(let address):
                return TypedValue(type: type, address: address, bytes: [], files: files)
            case .register(let register) where frameIndex == 0:
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

    /// A static of the frame's compilation unit, else the first global of the name in `modules`.
    public func global(named name: String, in modules: [Module]) -> TypedValue? {
        let scope = thread.flatMap { session.framePC(of: $0, frame: frameIndex) }.flatMap { pc in session.process?.modules.module(containing: pc).map { ($0, pc) } }
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

    public func type(named name: String) -> (type: TypeLayout, files: ModuleSymbols?)? {
        guard let process = session.process else { return nil }
        for module in process.modules.searchOrder {
            guard let files = module.symbolFiles, let type = files.typeLayout(named: name) else { continue }
            return (type, files)
        }
        return nil
    }

    public func writeMemory(_ address: UInt64, _ bytes: [UInt8]) -> Bool {
        (try? session.writeMemory(address, bytes)) != nil
    }

    public func setRegister(_ name: String, _ value: UInt64) -> Bool {
        guard let thread, var registers = try? session.registers(thread), registers.setValue(value, named: name) else { return false }
        return (try? session.setRegisters(registers, thread)) != nil
    }
}

extension TypedValue {
    /// A module's variable: at its address, or the constant the compiler folded it into.
    public init(_ global: GlobalVariable, files: ModuleSymbols) {
        self.init(type: global.type, address: global.address, bytes: global.constant ?? [], files: files)
    }
}

extension Session {
    /// The parameters and locals in scope in frame `index` of a thread, and the symbols of
    /// its module.
    public func frameVariables(of thread: ThreadInfo, frame index: Int) throws(EngineError) -> (values: [VariableValue], files: ModuleSymbols?) {
        let frames = stack(thread, maxFrames: index + 1)
        guard index < frames.count else { throw EngineError.frameOutOfRange(frames: frames.count) }
        guard let (_, values) = parameters(of: frames[index], in: thread, includeLocals: true) else {
            throw EngineError.noDebugInformation
        }
        return (values, process?.modules.module(containing: frames[index].lookupAddress)?.symbolFiles)
    }

    /// Where frame `index` of a thread executes (inside the call for a caller's frame), for
    /// names that resolve by scope.
    public func framePC(of thread: ThreadInfo, frame index: Int) -> UInt64? {
        guard let process, !process.gone else { return nil }
        let frames = stack(thread, maxFrames: index + 1)
        return index < frames.count ? frames[index].lookupAddress : nil
    }
}
