import Arch
import Engine

/// kd's views of a Linux kernel: `!process 0 0` (the task list), `!thread` (the current task
/// or one by address) and `!pcr` (a CPU's per-CPU area and the task it runs), read through
/// the kernel's BTF.
extension Interpreter {
    static let kernelCommands: [CommandSpec] = [
        CommandSpec(names: ["!process"], summary: "kernel: list processes (!process 0 0) or show one (!process addr)") { i, inv throws(CommandError) in
            try i.showProcesses(String(inv.arguments.trimmed()))
        },
        CommandSpec(names: ["!thread"], summary: "kernel: the current task, or the task_struct at an address") { i, inv throws(CommandError) in
            var scanner = inv.scanner
            let address = scanner.isAtEnd ? nil : try i.expression(&scanner)
            try i.showThread(address)
        },
        CommandSpec(names: ["!pcr"], summary: "kernel: a CPU's per-CPU area and current task: !pcr [cpu]") { i, inv throws(CommandError) in
            var scanner = inv.scanner
            let cpu = scanner.isAtEnd ? nil : try i.expression(&scanner)
            try i.showProcessorRegion(cpu)
        },
    ]

    /// `!process 0 0`: every process; `!process addr`: one task_struct's.
    private func showProcesses(_ arguments: String) throws(CommandError) {
        let words = arguments.split(separator: " ")
        let tasks: [KernelTask]
        if words.isEmpty || words.first == "0" {
            tasks = try engine { () throws(EngineError) in try session.kernelProcesses() }
            output.line("**** NT ACTIVE PROCESS DUMP ****")
        } else {
            var scanner = ArgumentScanner(words[0])
            let address = try expression(&scanner)
            tasks = [try engine { () throws(EngineError) in try session.kernelTask(at: address) }]
        }
        for task in tasks {
            output.line("PROCESS \(formatAddress(task.address))")
            output.line("    SessionId: none  Cid: \(hex4(task.tgid))    Peb: 00000000  ParentCid: \(task.parentTgid.map(hex4) ?? "0000")")
            output.line("    Mm: \(task.mm == 0 ? "none (a kernel thread)" : formatAddress(task.mm))  State: \(stateName(task.state))")
            output.line("    Image: \(task.name)")
            output.line()
        }
    }

    /// `!thread`: the current CPU's task, or the one at `address`.
    private func showThread(_ address: UInt64?) throws(CommandError) {
        let process = try requireProcess()
        let task = try engine { () throws(EngineError) in
            if let address { return try session.kernelTask(at: address) }
            return try session.currentTask(process.current)
        }
        output.line("THREAD \(formatAddress(task.address))  Cid \(hex4(task.tgid)).\(hex4(task.pid))  \(stateName(task.state))")
        output.line("Owning Process  \(task.name)  Mm: \(task.mm == 0 ? "none" : formatAddress(task.mm))")
    }

    /// `!pcr [cpu]`: where the CPU's per-CPU variables live and what it runs.
    private func showProcessorRegion(_ cpu: UInt64?) throws(CommandError) {
        let process = try requireProcess()
        let thread: ThreadInfo
        if let cpu {
            guard let found = process.threads.first(where: { UInt64($0.index) == cpu }) else { throw CommandError("No processor \(cpu)") }
            thread = found
        } else {
            thread = process.current
        }
        let (base, task) = try engine { () throws(EngineError) in (try session.perCPUBase(thread), try session.currentTask(thread)) }
        output.line("KPCR for Processor \(thread.index) at \(formatAddress(base)):")
        output.line("    CurrentThread: \(formatAddress(task.address))  \(task.name) (Cid \(hex4(task.tgid)).\(hex4(task.pid)))")
    }

    private func hex4(_ value: Int32) -> String { String(UInt32(bitPattern: value), radix: 16).leftPadded(to: 4, with: "0") }

    /// `__state` as its flags read (`INTERRUPTIBLE|FREEZABLE`); 0 is running, 0x402 idle.
    private func stateName(_ state: UInt32) -> String {
        if state == 0 { return "RUNNING" }
        if state == 0x402 { return "IDLE" }
        let names: [(UInt32, String)] = [(1, "INTERRUPTIBLE"), (2, "UNINTERRUPTIBLE"), (4, "STOPPED"), (8, "TRACED"), (0x80, "DEAD"), (0x100, "WAKEKILL"),
                                         (0x200, "WAKING"), (0x400, "NOLOAD"), (0x800, "NEW"), (0x2000, "FREEZABLE")]
        var parts = names.filter { state & $0.0 != 0 }.map(\.1)
        let unknown = names.reduce(state) { $0 & ~$1.0 }
        if unknown != 0 { parts.append("0x" + String(unknown, radix: 16)) }
        return parts.joined(separator: "|")
    }
}
