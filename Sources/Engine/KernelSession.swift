import Arch
import Symbols
import Targets

/// A Linux kernel debugged through a stub that stops the machine (QEMU's gdbstub): the image
/// it runs (symbols from its kallsyms, ORC for stacks), where KASLR put it, and a user
/// program whose symbols go with the process the kernel is running for.
public final class KernelContext {
    public let image: KernelImage
    /// Runtime address minus link address (0 without KASLR).
    public let slide: UInt64
    /// The user program whose symbols the kernel's stacks reach, and its module while the
    /// current task runs it (`followUserContext`).
    let userProgram: (path: String, image: ElfImage)?
    var userModule: Module?
    /// Loaded modules' ORC tables (from their memory) by the module's start.
    var moduleOrc: [UInt64: OrcTable] = [:]

    init(image: KernelImage, slide: UInt64, userProgram: (path: String, image: ElfImage)?) {
        self.image = image
        self.slide = slide
        self.userProgram = userProgram
    }
}

extension Session {
    /// Opens a kernel under a stub: each CPU is a thread (`~N`), `nt` is the kernel with the
    /// symbols of its kallsyms at the slide found by comparing its text with memory, and
    /// `userProgram` (a static or non-PIE executable) gives the user frames their names.
    public func open(kernel target: any LiveTarget, image: KernelImage, userProgram: String?) throws(EngineError) -> StopEvent {
        guard process == nil else { throw EngineError.alreadyDebugging }
        let process = DebuggedProcess(target: target, control: target, launched: false, entryPoint: 0)
        for cpu in target.listThreads() { process.addThread(cpu) }
        guard let first = process.threads.first else { throw EngineError.unsupported("The stub has no CPUs") }
        self.process = process
        launchSpec = nil
        process.current = process.threads.first { target.signalInfo($0.tid) != nil } ?? first
        let slide: UInt64
        if let found = image.slide(reading: { target.readMemory($0, count: $1) }) {
            slide = found
        } else {
            onEvent(.notice(.kernelSlideUnknown))
            slide = 0
        }
        var program: (path: String, image: ElfImage)?
        if let userProgram {
            guard let image = try? ElfImage(path: userProgram) else { throw EngineError.target("\(userProgram): not an ELF file swdbg can read") }
            program = (userProgram, image)
        }
        process.kernel = KernelContext(image: image, slide: slide, userProgram: program)
        // No system call to map a scratch page with: a breakpoint's instruction is stepped.
        process.scratch.unavailable = true
        let kernel = Module(kernel: image, slide: slide, symbolSearch: symbolSearch)
        process.modules.add(kernel)
        onEvent(.kernelOpened(process.kernel!, symbolCount: image.symbols.count))
        onEvent(.moduleLoaded(kernel, shown: true))
        addKernelModules()
        followUserContext()
        resolveDeferredBreakpoints()
        return recorded(StopEvent(kind: .breakIn, thread: process.current.tid))
    }

    /// WinDbg's `.process` context, kept by the debugger: the user program's module is loaded
    /// while the current CPU's task runs it (its name is the program's, up to the 15
    /// characters of `comm`), at the load bias the task's auxiliary vector gives (AT_ENTRY:
    /// a PIE program anywhere, a static one at 0), and unloaded for other tasks.
    func followUserContext() {
        guard let process, let kernel = process.kernel, let program = kernel.userProgram else { return }
        var bias: UInt64?
        if let task = try? currentTask(process.current), task.mm != 0,
           String((program.path.split(separator: "/").last ?? "").prefix(15)) == task.name,
           let entry = taskEntryPoint(mm: task.mm) {
            bias = entry &- program.image.entry
        }
        if let current = kernel.userModule {
            guard current.bias != bias else { return }
            process.modules.remove(current)
            kernel.userModule = nil
        }
        guard let bias else { return }
        kernel.userModule = addModule(path: program.path, bias: bias, image: program.image, isMain: false)
    }

    /// AT_ENTRY from an address space's saved auxiliary vector (`mm_struct.saved_auxv`).
    private func taskEntryPoint(mm: UInt64) -> UInt64? {
        guard let types = process?.kernel?.image.types, let auxv = types.offset(of: "saved_auxv", in: "mm_struct") else { return nil }
        let words = readMemory(mm &+ UInt64(auxv.offset), count: min(auxv.type.size, 1024))
        return parseAuxiliaryVector(words)[AuxiliaryVectorKey.entry]
    }

    /// QEMU with several CPUs can answer a step with a stop before the step ran: on a machine,
    /// a step that left pc where it was, on an instruction that does not repeat in place (a
    /// `rep` string instruction, a jump to itself), did not run.
    func stepDidNotRun(_ thread: ThreadInfo, from start: UInt64) throws(EngineError) -> Bool {
        guard process?.kernel != nil, try registers(thread).rip == start else { return false }
        let code = readMemory(start, count: 16)
        let prefixes = code.prefix { [0xf2, 0xf3, 0x66, 0x67, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65, 0xf0].contains($0) || (0x40...0x4f).contains($0) }
        if prefixes.contains(0xf2) || prefixes.contains(0xf3) { return false }
        return !code.starts(with: [0xeb, 0xfe])
    }

    /// Whether a thread at `sp` has come back to the frame a run waits for (its stack pointer
    /// at or above the frame's). In a kernel the "thread" is a CPU that switches tasks: the
    /// task is the one whose kernel stack (16 KiB, aligned) holds the frame.
    func reachedFrame(_ sp: UInt64, minimumSP: UInt64) -> Bool {
        guard sp >= minimumSP else { return false }
        guard process?.kernel != nil, minimumSP >= 0xffff_8000_0000_0000 else { return true }
        return sp >> 14 == minimumSP >> 14
    }

    /// A run back to a kernel frame ends on whichever CPU the task has moved to: its kernel
    /// stack (`reachedFrame`) names it, not the CPU it started on.
    func followsTask(_ plan: RunPlan) -> Bool {
        process?.kernel != nil && (plan.minimumSP ?? 0) >= 0xffff_8000_0000_0000
    }

    /// A kernel function a trace does not follow: the context switch, after which the CPU
    /// runs other tasks until this one is switched back in.
    func isContextSwitch(_ name: String) -> Bool {
        process?.kernel != nil && name == "nt!__switch_to_asm"
    }

    /// One step of a kernel stack through ORC: the caller's registers, or nil where the
    /// entry ends the stack or cannot be followed. A pt_regs frame from user mode gives the
    /// user registers whole (the walk goes on in the program's CFI).
    func orcStep(_ orc: OrcTable, slide: UInt64, lookup: UInt64, registers: [Int: UInt64]) -> (caller: [Int: UInt64], exactNext: Bool)? {
        guard let entry = orc.entry(at: lookup &- slide), let sp = registers[DwarfRegister.stackPointer] else { return nil }
        let bp = registers[DwarfRegister.framePointer] ?? 0
        var previous: UInt64
        switch entry.spRegister {
        case .sp: previous = sp &+ UInt64(bitPattern: Int64(entry.spOffset))
        case .bp: previous = bp &+ UInt64(bitPattern: Int64(entry.spOffset))
        case .spIndirect:
            guard let value = readWord(sp) else { return nil }
            previous = value &+ UInt64(bitPattern: Int64(entry.spOffset))
        case .bpIndirect:
            guard let value = readWord(bp &+ UInt64(bitPattern: Int64(entry.spOffset))) else { return nil }
            previous = value
        default:
            return nil  // the end of the stack, or a register only saved pt_regs hold
        }
        var caller = registers
        switch entry.kind {
        case .call:
            guard let ret = readWord(previous &- 8) else { return nil }
            caller[DwarfRegister.returnAddress] = ret
            caller[DwarfRegister.stackPointer] = previous
            switch entry.bpRegister {
            case .previousSP: caller[DwarfRegister.framePointer] = readWord(previous &+ UInt64(bitPattern: Int64(entry.bpOffset)))
            case .bp: caller[DwarfRegister.framePointer] = readWord(bp &+ UInt64(bitPattern: Int64(entry.bpOffset)))
            default: break
            }
            return (caller, false)
        case .regs:
            // struct pt_regs: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss.
            let order = [15, 14, 13, 12, 6, 3, 11, 10, 9, 8, 0, 2, 1, 4, 5]
            let words = readMemory(previous, count: 21 * 8)
            guard words.count == 21 * 8 else { return nil }
            for (index, register) in order.enumerated() { caller[register] = words.littleEndian(at: 8 * index) }
            caller[DwarfRegister.returnAddress] = words.littleEndian(at: 16 * 8)
            caller[DwarfRegister.stackPointer] = words.littleEndian(at: 19 * 8)
            return (caller, true)
        case .regsPartial:
            // An iret frame: ip, cs, flags, sp, ss.
            guard let ip = readWord(previous), let callerSP = readWord(previous &+ 24) else { return nil }
            caller[DwarfRegister.returnAddress] = ip
            caller[DwarfRegister.stackPointer] = callerSP
            return (caller, true)
        case .undefined, .endOfStack:
            return nil
        }
    }
}
