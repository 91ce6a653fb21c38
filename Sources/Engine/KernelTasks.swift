import Arch
import Symbols
import Targets

/// A Linux task (a process's thread group leader or one of its threads) read from a
/// `task_struct` in the target's memory through the kernel's BTF layout.
public struct KernelTask: Sendable {
    public let address: UInt64
    public let pid: Int32
    /// The thread group (process) id.
    public let tgid: Int32
    public let parentTgid: Int32?
    public let name: String
    /// `__state`: 0 running, 1 interruptible sleep, 2 uninterruptible, ...
    public let state: UInt32
    /// The address space (`mm`), 0 for a kernel thread.
    public let mm: UInt64
}

extension Session {
    private func kernelTypes() throws(EngineError) -> BTFTypes {
        guard let kernel = process?.kernel else { throw EngineError.unsupported("Not a kernel target (swdbg -k)") }
        guard let types = kernel.image.types else { throw EngineError.unsupported("The kernel image has no BTF (.BTF) to lay task_struct out with") }
        return types
    }

    private func taskOffset(_ path: String, _ types: BTFTypes) throws(EngineError) -> Int {
        guard let found = types.offset(of: path, in: "task_struct") else { throw EngineError.unsupported("task_struct has no \(path) in this kernel's BTF") }
        return found.offset
    }

    /// The task_struct at `address`.
    public func kernelTask(at address: UInt64) throws(EngineError) -> KernelTask {
        let types = try kernelTypes()
        let pid = try taskOffset("pid", types), tgid = try taskOffset("tgid", types), comm = try taskOffset("comm", types)
        let state = try taskOffset("__state", types), mm = try taskOffset("mm", types), parent = try taskOffset("real_parent", types)
        let span = max(pid, tgid, comm, state, mm, parent) + 16
        let bytes = readMemory(address, count: span)
        guard bytes.count == span else { throw EngineError.unsupported("Cannot read the task_struct at \(formatAddress(address))") }
        let parentTask = bytes.littleEndian(at: parent)
        var parentTgid: Int32?
        if parentTask != 0, parentTask != address {
            let raw = readMemory(parentTask &+ UInt64(tgid), count: 4)
            if raw.count == 4 { parentTgid = Int32(truncatingIfNeeded: raw.littleEndian(at: 0, size: 4)) }
        }
        return KernelTask(address: address, pid: Int32(truncatingIfNeeded: bytes.littleEndian(at: pid, size: 4)),
                          tgid: Int32(truncatingIfNeeded: bytes.littleEndian(at: tgid, size: 4)), parentTgid: parentTgid,
                          name: String(decoding: bytes[comm..<comm + 16].prefix { $0 != 0 }, as: UTF8.self),
                          state: UInt32(truncatingIfNeeded: bytes.littleEndian(at: state, size: 4)), mm: bytes.littleEndian(at: mm))
    }

    /// Every process: the task list from `init_task` (thread group leaders), `init_task` first.
    public func kernelProcesses() throws(EngineError) -> [KernelTask] {
        let types = try kernelTypes()
        guard let module = process?.modules.module(named: "nt"), let initTask = module.address(of: "init_task") else {
            throw EngineError.unsupported("No init_task among the kernel's symbols")
        }
        let tasks = UInt64(try taskOffset("tasks", types))
        var result = [try kernelTask(at: initTask)]
        var link = readWord(initTask &+ tasks)
        while let next = link, next != initTask &+ tasks, result.count < 1 << 16 {
            result.append(try kernelTask(at: next &- tasks))
            link = readWord(next)
        }
        return result
    }

    /// A CPU's per-CPU area: gs_base while it runs kernel code, the swapped-out kernel one
    /// (k_gs_base) while it is in user mode.
    public func perCPUBase(_ cpu: ThreadInfo) throws(EngineError) -> UInt64 {
        guard let process else { throw EngineError.noTarget }
        let registers = try self.registers(cpu)
        let inKernel = (registers.value(named: "cs") ?? 0) & 3 == 0
        guard let base = inKernel ? registers.value(named: "gs_base") : process.target.machineRegister("k_gs_base", cpu.tid), base != 0 else {
            throw EngineError.unsupported("CPU \(cpu.index): no per-CPU base (gs_base)")
        }
        return base
    }

    /// The task a CPU runs (`current`): the per-CPU `current_task`.
    public func currentTask(_ cpu: ThreadInfo) throws(EngineError) -> KernelTask {
        guard let kernel = process?.kernel, let offset = kernel.image.perCPUOffsets["current_task"] else {
            throw EngineError.unsupported("No per-CPU current_task among the kernel's symbols")
        }
        guard let task = readWord(try perCPUBase(cpu) &+ offset), task != 0 else { throw EngineError.unsupported("CPU \(cpu.index): current_task cannot be read") }
        return try kernelTask(at: task)
    }
}

extension Session {
    /// The loaded kernel modules (`modules` list: name and core layout from BTF; 6.1's
    /// `core_layout`, 6.4's `mem[MOD_TEXT]`), as modules without symbols of their own yet.
    func addKernelModules() {
        guard let process, let types = process.kernel?.image.types, let nt = process.modules.module(named: "nt"),
              let head = nt.address(of: "modules"), let list = types.offset(of: "list", in: "module")?.offset,
              let name = types.offset(of: "name", in: "module")?.offset else { return }
        let base = types.offset(of: "core_layout.base", in: "module")?.offset ?? types.offset(of: "mem", in: "module")?.offset
        let size = types.offset(of: "core_layout.size", in: "module")?.offset ?? base.map { $0 + 8 }
        guard let base, let size else { return }
        var link = readWord(head), count = 0
        while let next = link, next != head, next != 0, count < 4096 {
            let module = next &- UInt64(list)
            let title = String(decoding: readMemory(module &+ UInt64(name), count: 56).prefix { $0 != 0 }, as: UTF8.self)
            let sizeBytes = readMemory(module &+ UInt64(size), count: 4)
            if let start = readWord(module &+ UInt64(base)), start != 0, sizeBytes.count == 4, !title.isEmpty,
               case let length = sizeBytes.littleEndian(at: 0, size: 4), length > 0, start <= UInt64.max - length {
                let symbols = moduleSymbols(module, types)
                let loaded = symbols.isEmpty
                    ? Module(path: title, name: title, bias: 0, image: nil, symbolSearch: symbolSearch, isMainProgram: false, fallbackRange: start..<start &+ length)
                    : Module(kernelModule: title, range: start..<start &+ length, symbols: symbols, kernel: process.kernel!.image, symbolSearch: symbolSearch)
                process.modules.add(loaded)
                if let orc = moduleOrc(module, types) { process.kernel?.moduleOrc[start] = orc }
                onEvent(.moduleLoaded(loaded, shown: true))
            }
            link = readWord(next)
            count += 1
        }
    }
}

extension Session {
    /// A module's own symbols: its `kallsyms` (Elf64_Sym entries, relocated to where the
    /// module is, and their string table), 64 Ki at most.
    fileprivate func moduleSymbols(_ module: UInt64, _ types: BTFTypes) -> [ElfSymbol] {
        guard let table = types.offset(of: "kallsyms", in: "module")?.offset, let kallsyms = readWord(module &+ UInt64(table)), kallsyms != 0,
              let symtab = readWord(kallsyms), let strtab = readWord(kallsyms &+ 16) else { return [] }
        let count = readMemory(kallsyms &+ 8, count: 4)
        guard count.count == 4 else { return [] }
        let entries = min(Int(count.littleEndian(at: 0, size: 4)), 1 << 16)
        let raw = readMemory(symtab, count: 24 * entries)
        var symbols: [(name: String, address: UInt64, size: UInt64, function: Bool, global: Bool)] = []
        for index in 0..<raw.count / 24 {
            let entry = raw[(24 * index)..<(24 * index + 24)].map { $0 }
            let nameOffset = entry.littleEndian(at: 0, size: 4), info = entry[4], value = entry.littleEndian(at: 8), size = entry.littleEndian(at: 16)
            guard nameOffset != 0, value != 0, info & 0xf <= 2 else { continue }  // NOTYPE, OBJECT, FUNC
            let name = String(decoding: readMemory(strtab &+ nameOffset, count: 128).prefix { $0 != 0 }, as: UTF8.self)
            guard !name.isEmpty, !name.hasPrefix("__UNIQUE_ID") else { continue }
            symbols.append((name, value, size, info & 0xf == 2, info >> 4 != 0))
        }
        return ElfSymbol.sortedTable(symbols)
    }

    /// A module's ORC tables (`arch.orc_unwind_ip`, `arch.orc_unwind`), as vmlinux lays
    /// them out, from its memory.
    fileprivate func moduleOrc(_ module: UInt64, _ types: BTFTypes) -> OrcTable? {
        guard let kernel = process?.kernel, let arch = types.offset(of: "arch", in: "module")?.offset,
              let count = types.offset(of: "num_orcs", in: "mod_arch_specific")?.offset,
              let ips = types.offset(of: "orc_unwind_ip", in: "mod_arch_specific")?.offset,
              let entries = types.offset(of: "orc_unwind", in: "mod_arch_specific")?.offset else { return nil }
        let base = module &+ UInt64(arch)
        let number = readMemory(base &+ UInt64(count), count: 4)
        guard number.count == 4, let ipTable = readWord(base &+ UInt64(ips)), let entryTable = readWord(base &+ UInt64(entries)) else { return nil }
        let orcs = min(Int(number.littleEndian(at: 0, size: 4)), 1 << 20)
        let ipBytes = readMemory(ipTable, count: 4 * orcs), entryBytes = readMemory(entryTable, count: 6 * orcs)
        guard orcs > 0, ipBytes.count == 4 * orcs, entryBytes.count == 6 * orcs else { return nil }
        return OrcTable(ipSection: (ipTable, ipBytes), entries: entryBytes, layoutFrom64: kernel.image.version >= (6, 4))
    }
}
