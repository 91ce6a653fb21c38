import Arch
import CSystem
import Glibc

/// A live Linux process driven with ptrace. Every call must come from the thread that
/// created the object: Linux accepts ptrace requests only from the tracing thread.
public final class PtraceProcess: LiveTarget {
    public let processID: Int32
    /// The executable the process runs now (it changes on execve).
    public var executablePath: String { (try? readLink("/proc/\(processID)/exe")) ?? launchPath }
    /// The program as it was started (resolved on PATH).
    public let launchPath: String
    public var executableImagePath: String { "/proc/\(processID)/exe" }
    private let tracerThread: pid_t
    /// /proc/pid/mem opened read-write: writes there reach read-only text pages (FOLL_FORCE),
    /// which process_vm_writev cannot.
    private var memoryFile: Int32

    private init(pid: Int32, executablePath: String) {
        processID = pid
        launchPath = executablePath
        tracerThread = cs_gettid()
        memoryFile = open("/proc/\(pid)/mem", O_RDWR | O_CLOEXEC)
    }

    deinit { if memoryFile >= 0 { close(memoryFile) } }

    private var ownsTerminalGroup = false

    public func handTerminal(toTarget: Bool) {
        guard ownsTerminalGroup else { return }
        _ = cs_set_foreground(toTarget ? processID : getpgrp())
    }

    /// The options every traced thread gets: follow clones, report exec and exit, and let the
    /// kernel kill the target if the debugger dies.
    private static func traceOptions(exitKill: Bool) -> UInt64 {
        // Forks are traced only to be let go clean: a child inherits the parent's int3s.
        var options = UInt64(PTRACE_O_TRACECLONE.rawValue | PTRACE_O_TRACEEXEC.rawValue | PTRACE_O_TRACEEXIT.rawValue
                             | PTRACE_O_TRACEFORK.rawValue | PTRACE_O_TRACEVFORK.rawValue | PTRACE_O_TRACEVFORKDONE.rawValue)
        if exitKill { options |= UInt64(PTRACE_O_EXITKILL.rawValue) }
        return options
    }

    /// Starts `path` under ptrace and returns it stopped at the exec. With `ownTerminal`, the
    /// program gets a process group of its own, to which `handTerminal` gives the terminal
    /// while it runs (so it reads the terminal and Ctrl-C reaches it, not the debugger).
    public static func launch(_ request: LaunchRequest) throws(TargetError) -> PtraceProcess {
        let path = try resolveProgram(request.program)
        var error: Int32 = 0
        let stdio = [request.standardInput ?? -1, request.standardOutput ?? -1, request.standardError ?? -1]
        let pid = withCStringArray([path] + request.arguments) { argv in
            withCStringArray(request.environment ?? currentEnvironment()) { envp in
                stdio.withUnsafeBufferPointer { fds in
                    cs_launch(path, argv, envp, request.disableASLR ? 1 : 0, request.ownTerminal ? 1 : 0, request.workingDirectory, fds.baseAddress, &error)
                }
            }
        }
        guard pid > 0 else { throw TargetError("Cannot launch '\(path)': \(errnoText(error))") }
        var status: Int32 = 0
        guard cs_wait(pid, &status, 0) == pid, cs_wifstopped(status) != 0 else {
            throw TargetError("Cannot launch '\(path)': the program did not stop at exec")
        }
        // A file the kernel rejects after the point of no return (a truncated ELF, say)
        // arrives here with a fatal signal instead of the exec trap.
        guard cs_wstopsig(status) == SIGTRAP else {
            let signal = cs_wstopsig(status)
            kill(pid, SIGKILL)
            _ = cs_ptrace(Int32(PTRACE_CONT.rawValue), pid, 0, 0)
            _ = cs_wait(pid, &status, 0)
            throw TargetError("Cannot launch '\(path)': the kernel could not start it (signal \(signal) during exec)")
        }
        guard cs_ptrace(Int32(PTRACE_SETOPTIONS.rawValue), pid, 0, traceOptions(exitKill: true)) == 0 else {
            let message = errnoText(errno)
            kill(pid, SIGKILL)
            throw TargetError("Cannot trace '\(path)': \(message)")
        }
        let process = PtraceProcess(pid: pid, executablePath: path)
        process.knownThreads = [pid]
        process.ownsTerminalGroup = request.ownTerminal
        return process
    }

    /// A program name as a shell finds it: a path as it is, a bare name on PATH.
    private static func resolveProgram(_ program: String) throws(TargetError) -> String {
        if program.contains("/") {
            guard access(program, X_OK) == 0 else { throw TargetError("Cannot launch '\(program)': \(errnoText(errno))") }
            // Absolute, as checked here: the program may start in another directory.
            guard !program.hasPrefix("/") else { return program }
            var directory = [CChar](repeating: 0, count: Int(PATH_MAX))
            guard getcwd(&directory, directory.count) != nil else { return program }
            return String(decoding: directory.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + program
        }
        let search = (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":")
        for directory in search where access("\(directory)/\(program)", X_OK) == 0 {
            return "\(directory)/\(program)"
        }
        throw TargetError("Cannot launch '\(program)': No such file or directory")
    }

    private static func currentEnvironment() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }

    /// Processes whose name (comm) is `name`, for `-pn`.
    public static func processIDs(named name: String) -> [Int32] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var matches: [Int32] = []
        while let entry = readdir(directory) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int32(entryName), pid != getpid(), let comm = readFile("/proc/\(pid)/comm") else { continue }
            if String(decoding: comm, as: UTF8.self).trimmed() == name { matches.append(pid) }
        }
        return matches.sorted()
    }

    /// The process a task belongs to (Tgid in /proc/TID/status).
    /// Whether a child runs in this process's address space (kcmp(2) KCMP_VM).
    private func sameAddressSpace(_ child: pid_t) -> Bool {
        cs_same_address_space(processID, child) == 1
    }

    private func threadGroup(of tid: pid_t) -> pid_t? {
        guard let data = readFile("/proc/\(tid)/status") else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Tgid:") {
            return pid_t(line.dropFirst(5).trimmed())
        }
        return nil
    }

    /// Lets a fork child go, first writing `restore` (the original bytes under the parent's
    /// int3s) into its copy of memory, unless it shares the parent's (vfork).
    public func releaseForkChild(_ child: Int32, restore: [(address: UInt64, byte: UInt8)]) {
        checkThread()
        if !restore.isEmpty {
            let memory = open("/proc/\(child)/mem", O_RDWR | O_CLOEXEC)
            if memory >= 0 {
                for (address, byte) in restore {
                    var value = byte
                    _ = pwrite(memory, &value, 1, off_t(Int64(bitPattern: address)))
                }
                close(memory)
            }
        }
        _ = cs_ptrace(Int32(PTRACE_DETACH.rawValue), child, 0, 0)
    }

    public func threadName(_ thread: ThreadID) -> String? {
        readFile("/proc/\(processID)/task/\(thread)/comm").map { String(String(decoding: $0, as: UTF8.self).trimmed()) }
    }

    /// Attaches to every thread of a running process and waits until each has stopped.
    public static func attach(pid: Int32) throws(TargetError) -> PtraceProcess {
        var attached: Set<Int32> = []
        // Threads may be created while we attach; repeat until the list is stable.
        while true {
            let tids = threadIDs(of: pid)
            if tids.isEmpty { throw TargetError("Cannot attach to process \(pid): no such process") }
            let fresh = tids.filter { !attached.contains($0) }
            if fresh.isEmpty { break }
            for tid in fresh {
                if cs_ptrace(Int32(PTRACE_ATTACH.rawValue), tid, 0, 0) != 0 {
                    let message = errnoText(errno)
                    if tid == pid || attached.isEmpty {
                        throw TargetError("Cannot attach to process \(pid): \(message)")
                    }
                    continue
                }
                var status: Int32 = 0
                _ = cs_wait(tid, &status, 0)
                _ = cs_ptrace(Int32(PTRACE_SETOPTIONS.rawValue), tid, 0, traceOptions(exitKill: false))
                attached.insert(tid)
            }
        }
        let process = PtraceProcess(pid: pid, executablePath: "/proc/\(pid)/exe")
        process.knownThreads = attached
        return process
    }

    private func checkThread() {
        assert(cs_gettid() == tracerThread, "ptrace called from a thread that is not the tracer")
    }

    public func readMemory(_ address: UInt64, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        let done = buffer.withUnsafeMutableBytes { raw in
            cs_read_memory(processID, address, raw.baseAddress, UInt64(count))
        }
        if done == count { return buffer }
        // process_vm_readv stops at the first unreadable page; /proc/pid/mem reads pages
        // the target itself cannot (PROT_NONE, guard pages) and gives the exact readable prefix.
        let start = max(0, done)
        var total = start
        while total < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(memoryFile, raw.baseAddress! + total, count - total, off_t(Int64(bitPattern: address &+ UInt64(total))))
            }
            if n <= 0 { break }
            total += n
        }
        return Array(buffer[0..<total])
    }

    public func writeMemory(_ address: UInt64, _ bytes: [UInt8]) throws(TargetError) {
        let written = bytes.withUnsafeBytes { raw in
            pwrite(memoryFile, raw.baseAddress, bytes.count, off_t(Int64(bitPattern: address)))
        }
        if written != bytes.count {
            throw TargetError("Memory access error at 0x\(zeroPaddedHex(address, digits: 16))")
        }
    }

    public var capabilities: TargetCapabilities {
        TargetCapabilities(hardwareBreakpoints: 4, breakpointsShowInMemory: true, stopsAtBreakpointAddress: false)
    }

    public func insertSoftwareBreakpoint(at address: UInt64) throws(TargetError) -> UInt8 {
        guard let original = readMemory(address, count: 1).first else {
            throw TargetError("Memory access error at 0x\(zeroPaddedHex(address, digits: 16))")
        }
        try writeMemory(address, [0xcc])
        return original
    }

    public func removeSoftwareBreakpoint(at address: UInt64, original: UInt8) throws(TargetError) {
        try writeMemory(address, [original])
    }

    /// From si_code: SI_KERNEL is an int3; TRAP_BRKPT, TRAP_TRACE and TRAP_HWBKPT are debug
    /// exceptions, DR6 saying which address registers fired; the rest were sent.
    public func trapCause(_ thread: ThreadID) -> TrapCause {
        guard let info = signalInfo(thread) else { return .sent }
        switch info.code {
        case 0x80: return .breakpointInstruction
        case 1...4:
            let status = (try? debugRegisters(thread).status) ?? 0
            return .debugException(fired: UInt8(truncatingIfNeeded: status & 0xf))
        default: return .sent
        }
    }

    public func writeMemoryAsProgram(_ address: UInt64, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in cs_write_memory_as_program(processID, address, raw.baseAddress, UInt64(raw.count)) } == bytes.count
    }

    public func registers(_ thread: ThreadID) throws(TargetError) -> X86Registers {
        checkThread()
        var raw = user_regs_struct()
        let result = withUnsafeMutablePointer(to: &raw) { pointer in
            cs_ptrace(Int32(PTRACE_GETREGS.rawValue), thread, 0, UInt64(UInt(bitPattern: pointer)))
        }
        if result != 0 { throw TargetError("Cannot read registers of thread \(thread): \(errnoText(errno))") }
        return withUnsafeBytes(of: &raw) { bytes in
            X86Registers(slots: Array(bytes.bindMemory(to: UInt64.self)))
        }
    }

    public func setRegisters(_ registers: X86Registers, _ thread: ThreadID) throws(TargetError) {
        checkThread()
        var raw = user_regs_struct()
        withUnsafeMutableBytes(of: &raw) { bytes in
            let slots = bytes.bindMemory(to: UInt64.self)
            for (index, value) in registers.slots.enumerated() { slots[index] = value }
        }
        let result = withUnsafeMutablePointer(to: &raw) { pointer in
            cs_ptrace(Int32(PTRACE_SETREGS.rawValue), thread, 0, UInt64(UInt(bitPattern: pointer)))
        }
        if result != 0 { throw TargetError("Cannot write registers of thread \(thread): \(errnoText(errno))") }
    }

    /// `offsetof(struct user, u_debugreg)` on x86-64: DRn is the word at 848 + 8n.
    private static let debugRegisterOffset: UInt64 = 848

    public func debugRegisters(_ thread: ThreadID) throws(TargetError) -> DebugRegisters {
        checkThread()
        var registers = DebugRegisters()
        for index in [0, 1, 2, 3, 6, 7] {
            errno = 0
            let value = UInt64(bitPattern: Int64(cs_ptrace(Int32(PTRACE_PEEKUSER.rawValue), thread, Self.debugRegisterOffset + 8 * UInt64(index), 0)))
            if errno != 0 { throw TargetError("Cannot read debug register \(index) of thread \(thread): \(errnoText(errno))") }
            switch index {
            case 6: registers.status = value
            case 7: registers.control = value
            default: registers.addresses[index] = value
            }
        }
        return registers
    }

    /// The process's debug registers: each thread gets them before it next runs (threads
    /// created later too); children sharing the memory are not the process's and get none.
    public func setHardwareBreakpoints(_ registers: DebugRegisters) throws(TargetError) {
        // The kernel takes user addresses only; refused now rather than at the next resume.
        for (slot, address) in registers.addresses.enumerated() where registers.control & (1 << (2 * UInt64(slot))) != 0 && address >= 0x7fff_ffff_f000 {
            throw TargetError("Cannot set a hardware breakpoint at 0x\(zeroPaddedHex(address, digits: 16)): not a user address")
        }
        hardware = registers
        hardwareEverSet = true
        threadsWithoutHardware = knownThreads.subtracting(sharingChildren)
    }

    /// What `setHardwareBreakpoints` asked for, and the threads that do not have it yet.
    private var hardware = DebugRegisters()
    private var hardwareEverSet = false
    private var threadsWithoutHardware: Set<pid_t> = []
    /// Children running in this address space (vfork, clone(CLONE_VM)) and their threads:
    /// traced to step over the int3s, but not threads of the process.
    private var sharingChildren: Set<pid_t> = []

    /// A thread that is gone: its tid may come back as another's.
    private func forget(_ tid: pid_t) {
        outstandingStops.remove(tid)
        knownThreads.remove(tid)
        sharingChildren.remove(tid)
        threadsWithoutHardware.remove(tid)
    }

    /// A new thread of the process starts without the debug registers armed in the others.
    private func newThread(_ tid: pid_t, createdBy parent: pid_t?) {
        if let parent, sharingChildren.contains(parent) {
            sharingChildren.insert(tid)
        } else if hardware.control != 0 {
            threadsWithoutHardware.insert(tid)
        }
    }

    /// DR7 goes last (the kernel checks each address against the control word it has), after
    /// clearing it so no half-written combination is ever armed.
    private func setDebugRegisters(_ registers: DebugRegisters, _ thread: ThreadID) throws(TargetError) {
        checkThread()
        let writes: [(Int, UInt64)] = [(7, 0)] + registers.addresses.prefix(4).enumerated().map { ($0.offset, $0.element) } + [(6, 0), (7, registers.control)]
        for (index, value) in writes {
            if cs_ptrace(Int32(PTRACE_POKEUSER.rawValue), thread, Self.debugRegisterOffset + 8 * UInt64(index), value) != 0 {
                throw TargetError("Cannot write debug register \(index) of thread \(thread): \(errnoText(errno))")
            }
        }
    }

    /// The XSAVE area (NT_X86_XSTATE), which holds the upper halves of the ymm registers too;
    /// the 512-byte FXSAVE area where the kernel does not offer it.
    public func vectorState(_ thread: ThreadID) throws(TargetError) -> VectorState {
        checkThread()
        var area = [UInt8](repeating: 0, count: 4096)
        let length = area.withUnsafeMutableBytes { raw -> Int in
            var vector = iovec(iov_base: raw.baseAddress, iov_len: raw.count)
            let result = withUnsafeMutablePointer(to: &vector) { pointer in
                cs_ptrace(Int32(PTRACE_GETREGSET.rawValue), thread, 0x202, UInt64(UInt(bitPattern: pointer)))  // NT_X86_XSTATE
            }
            return result == 0 ? vector.iov_len : 0
        }
        if length >= 512 { return VectorState(bytes: Array(area.prefix(length))) }
        let result = area.withUnsafeMutableBytes { raw in
            cs_ptrace(Int32(PTRACE_GETFPREGS.rawValue), thread, 0, UInt64(UInt(bitPattern: raw.baseAddress)))
        }
        if result != 0 { throw TargetError("Cannot read vector registers of thread \(thread): \(errnoText(errno))") }
        return VectorState(bytes: Array(area.prefix(512)))
    }

    /// Writes the XSAVE area back (NT_X86_XSTATE), else its FXSAVE part.
    public func setVectorState(_ state: VectorState, _ thread: ThreadID) throws(TargetError) {
        checkThread()
        var bytes = state.bytes
        let result = bytes.withUnsafeMutableBytes { raw -> Int in
            if raw.count > 512 {
                var vector = iovec(iov_base: raw.baseAddress, iov_len: raw.count)
                return withUnsafeMutablePointer(to: &vector) { pointer in
                    cs_ptrace(Int32(PTRACE_SETREGSET.rawValue), thread, 0x202, UInt64(UInt(bitPattern: pointer)))
                }
            }
            return cs_ptrace(Int32(PTRACE_SETFPREGS.rawValue), thread, 0, UInt64(UInt(bitPattern: raw.baseAddress)))
        }
        if result != 0 { throw TargetError("Cannot write vector registers of thread \(thread): \(errnoText(errno))") }
    }

    public func auxiliaryVector() -> [UInt64: UInt64] {
        readFile("/proc/\(processID)/auxv").map(parseAuxiliaryVector) ?? [:]
    }

    /// `/proc/pid/maps`: `start-end perms offset dev inode path`.
    public func memoryMap() -> [MemoryRegion] {
        guard let data = readFile("/proc/\(processID)/maps") else { return [] }
        return parseMaps(String(decoding: data, as: UTF8.self))
    }

    public func resume(_ thread: ThreadID, singleStep: Bool, signal: Int32) throws(TargetError) {
        checkThread()
        if threadsWithoutHardware.contains(thread) {
            try setDebugRegisters(hardware, thread)
            threadsWithoutHardware.remove(thread)
        }
        let request = singleStep ? PTRACE_SINGLESTEP : PTRACE_CONT
        if cs_ptrace(Int32(request.rawValue), thread, 0, UInt64(signal)) != 0 {
            throw TargetError("Cannot resume thread \(thread): \(errnoText(errno))")
        }
    }

    /// A SIGSTOP to the thread, sent once: pending SIGSTOPs merge into one, so a second
    /// request before the first is taken would never be answered by a stop of its own.
    public func requestStop(_ thread: ThreadID) throws(TargetError) {
        guard !outstandingStops.contains(thread) else { return }
        // A child that shares the address space is a process of its own.
        if cs_tgkill(processID, thread, SIGSTOP) != 0 && cs_tgkill(thread, thread, SIGSTOP) != 0 {
            throw TargetError("Cannot stop thread \(thread): \(errnoText(errno))")
        }
        outstandingStops.insert(thread)
    }

    public func hasOutstandingStop(_ thread: ThreadID) -> Bool { outstandingStops.contains(thread) }

    public func expectStop(_ thread: ThreadID) { outstandingStops.insert(thread) }

    /// Threads whose SIGSTOP the debugger is owed: one it sent, or the kernel's first stop
    /// of a new thread. That SIGSTOP is reported as `.requested`.
    private var outstandingStops: Set<pid_t> = []

    public private(set) lazy var kernelProbes: KernelProbes? = KernelProbes(processID: processID)

    public var breakInRoute: BreakInRoute { .stopSignal(pid: processID) }

    public var roundTrips: Int? { nil }
    /// Whether any probe was ever planted (a SIGSTOP may be a probe's hit only then).
    private var probesMade: Bool { kernelProbes?.mayReportHits == true }

    /// A SIGSTOP: a probe's hit (its record is in the BPF map), the stop the debugger asked
    /// for, or one from outside.
    private func classifyStop(_ tid: pid_t) -> StopReason {
        let requested = outstandingStops.contains(tid)
        if probesMade, let hit = kernelProbes?.takeHit(tid) {
            // The debugger's own SIGSTOP, sent before this one was taken, merged with it.
            if requested, !isSignalPending(SIGSTOP, thread: tid) { outstandingStops.remove(tid) }
            return .probeHit(hit)
        }
        if requested {
            outstandingStops.remove(tid)
            return .requested
        }
        return .signal(SIGSTOP)
    }

    public func waitForEvent() throws(TargetError) -> TargetEvent {
        checkThread()
        if !queuedEvents.isEmpty { return queuedEvents.removeFirst() }
        while true {
            let (tid, status) = try nextStatus()
            if let event = interpret(tid, status) { return event }
        }
    }

    /// Events already taken from the kernel and owed to the engine.
    private var queuedEvents: [TargetEvent] = []

    private func nextStatus() throws(TargetError) -> (pid_t, Int32) {
        var status: Int32 = 0
        var tid = spinWait(&status)
        while tid == 0 || (tid < 0 && errno == EINTR) {
            tid = cs_wait(-1, &status, 0)
        }
        if tid < 0 { throw TargetError("waitpid failed: \(errnoText(errno))") }
        return (tid, status)
    }

    /// Threads of this process seen so far; anything else reporting is a fork child.
    private var knownThreads: Set<pid_t> = []
    /// Fork children whose first stop came before their parent's fork event.
    private var stoppedForkChildren: Set<pid_t> = []

    /// Turns a wait status into an event, or nil for what the backend handles itself
    /// (the first stop of a fork child, before its parent's fork event).
    private func interpret(_ tid: pid_t, _ status: Int32) -> TargetEvent? {
        if !knownThreads.contains(tid) {
            if cs_wifstopped(status) != 0 && threadGroup(of: tid) != processID {
                stoppedForkChildren.insert(tid)
                return nil
            }
            // A new thread's first stop, before its creator's clone event.
            knownThreads.insert(tid)
            outstandingStops.insert(tid)
            newThread(tid, createdBy: nil)
        }
        if cs_wifexited(status) != 0 {
            forget(tid)
            return .threadGone(tid, exitCode: cs_wexitstatus(status), signal: nil)
        }
        if cs_wifsignaled(status) != 0 {
            forget(tid)
            return .threadGone(tid, exitCode: nil, signal: cs_wtermsig(status))
        }
        let signal = cs_wstopsig(status)
        switch cs_ptrace_event(status) {
        case Int32(PTRACE_EVENT_FORK.rawValue), Int32(PTRACE_EVENT_VFORK.rawValue):
            let child = pid_t(truncatingIfNeeded: eventMessage(tid))
            if stoppedForkChildren.remove(child) == nil {
                var childStatus: Int32 = 0
                _ = cs_wait(child, &childStatus, 0)
            }
            // vfork, and clone(CLONE_VM) with SIGCHLD (reported as a fork): the child runs in
            // this address space. Its events are the engine's from now on.
            let sharesMemory = cs_ptrace_event(status) == Int32(PTRACE_EVENT_VFORK.rawValue) || sameAddressSpace(child)
            if sharesMemory {
                knownThreads.insert(child)
                sharingChildren.insert(child)
            }
            return .stopped(tid, .forked(child: child, sharesMemory: sharesMemory))
        case Int32(PTRACE_EVENT_VFORK_DONE.rawValue):
            return .stopped(tid, .vforkDone)
        case Int32(PTRACE_EVENT_CLONE.rawValue):
            // A clone outside the thread group (no CLONE_THREAD, exit signal 0) whose first
            // stop was held back as a fork child's: it is reported as a thread, stop included.
            let child = pid_t(truncatingIfNeeded: eventMessage(tid))
            // Its first stop is owed unless it already came.
            if knownThreads.insert(child).inserted {
                outstandingStops.insert(child)
                newThread(child, createdBy: tid)
            }
            if stoppedForkChildren.remove(child) != nil {
                queuedEvents.append(.stopped(child, .requested))
                outstandingStops.remove(child)
            }
            return .stopped(tid, .threadCreated(child))
        case Int32(PTRACE_EVENT_EXEC.rawValue):
            // An open /proc/pid/mem stays bound to the address space it was opened on.
            if memoryFile >= 0 { close(memoryFile) }
            memoryFile = open("/proc/\(processID)/mem", O_RDWR | O_CLOEXEC)
            // The process's exec ends its other threads, and what was owed to any of them; a
            // child sharing the memory (vfork) that execs owes nothing more.
            if tid == processID {
                outstandingStops.removeAll()
                // The kernel drops a thread's ptrace breakpoints at exec.
                hardware = DebugRegisters()
                threadsWithoutHardware.removeAll()
            } else {
                outstandingStops.remove(tid)
            }
            return .stopped(tid, .exec)
        case Int32(PTRACE_EVENT_EXIT.rawValue):
            // The message is the wait status the thread will exit with.
            let status = Int32(truncatingIfNeeded: eventMessage(tid))
            return .stopped(tid, .exiting(status & 0x7f == 0 ? .exited(code: (status >> 8) & 0xff) : .killed(signal: status & 0x7f)))
        default:
            return .stopped(tid, signal == SIGSTOP ? classifyStop(tid) : .signal(signal))
        }
    }

    /// Polls waitpid for a short while before blocking. A breakpoint-heavy run stops again
    /// within tens of microseconds; catching that stop without sleeping avoids a cross-CPU
    /// wake-up per event (measured here: 3–4× more hits per second), while a long run costs
    /// at most one budget of spinning.
    private func spinWait(_ status: inout Int32) -> pid_t {
        let deadline = monotonicNanoseconds() + Self.spinBudgetNanoseconds
        while true {
            let tid = cs_wait(-1, &status, 1)
            if tid != 0 || monotonicNanoseconds() > deadline { return tid }
        }
    }

    static let spinBudgetNanoseconds: UInt64 = 100_000

    private func eventMessage(_ thread: ThreadID) -> UInt64 {
        var message: UInt = 0
        _ = withUnsafeMutablePointer(to: &message) { pointer in
            cs_ptrace(Int32(PTRACE_GETEVENTMSG.rawValue), thread, 0, UInt64(UInt(bitPattern: pointer)))
        }
        return UInt64(message)
    }

    public func signalInfo(_ thread: ThreadID) -> SignalInfo? {
        checkThread()
        var info = siginfo_t()
        let result = withUnsafeMutablePointer(to: &info) { pointer in
            cs_ptrace(Int32(PTRACE_GETSIGINFO.rawValue), thread, 0, UInt64(UInt(bitPattern: pointer)))
        }
        guard result == 0 else { return nil }
        // si_addr sits at offset 16 of siginfo_t for the fault signals on x86-64.
        let address = withUnsafeBytes(of: &info) { $0.load(fromByteOffset: 16, as: UInt64.self) }
        return SignalInfo(signal: info.si_signo, code: info.si_code, address: SignalInfo.hasFaultAddress(info.si_signo) ? address : nil)
    }

    /// Reads the handler state from /proc/pid/status (SigCgt, SigIgn masks).
    public func disposition(of signal: Int32) -> SignalDisposition {
        signalDisposition(signal, status: statusText("/proc/\(processID)/status"))
    }

    public func isSignalPending(_ signal: Int32) -> Bool {
        if signalMask("ShdPnd:", in: statusText("/proc/\(processID)/status")) & signalBit(signal) != 0 { return true }
        return listThreads().contains { isSignalPending(signal, thread: $0) }
    }

    private func isSignalPending(_ signal: Int32, thread: ThreadID) -> Bool {
        signalMask("SigPnd:", in: statusText("/proc/\(processID)/task/\(thread)/status")) & signalBit(signal) != 0
    }

    private func statusText(_ path: String) -> String {
        readFile(path).flatMap { String(validating: $0, as: UTF8.self) } ?? ""
    }

    public func detach(_ thread: ThreadID, signal: Int32) throws(TargetError) {
        checkThread()
        // Nothing of the debugger's goes with it: no armed debug register.
        if hardwareEverSet, !sharingChildren.contains(thread) { try? setDebugRegisters(DebugRegisters(), thread) }
        if cs_ptrace(Int32(PTRACE_DETACH.rawValue), thread, 0, UInt64(signal)) != 0 {
            throw TargetError("Cannot detach thread \(thread): \(errnoText(errno))")
        }
    }

    public func terminate() {
        kill(processID, SIGKILL)
    }

    public func listThreads() -> [ThreadID] { Self.threadIDs(of: processID) }

    static func threadIDs(of pid: Int32) -> [ThreadID] {
        guard let directory = opendir("/proc/\(pid)/task") else { return [] }
        defer { closedir(directory) }
        var tids: [ThreadID] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let tid = Int32(name) { tids.append(tid) }
        }
        return tids.sorted()
    }
}

/// Nanoseconds of CLOCK_MONOTONIC, for intervals.
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// strerror as a Swift string.
public func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }

/// Reads a whole (small) file such as /proc/pid/status; nil if it cannot be opened.
public func readFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
        if n <= 0 { break }
        data.append(contentsOf: chunk[0..<n])
    }
    return data
}

func readLink(_ path: String) throws(TargetError) -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buffer, buffer.count - 1)
    if n < 0 { throw TargetError("\(path): \(errnoText(errno))") }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Runs `body` with a NULL-terminated C array of C strings.
func withCStringArray<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

/// `/proc/pid/maps`: `start-end perms offset dev inode path`, a mapping per line.
func parseMaps(_ text: String) -> [MemoryRegion] {
    text.split(separator: "\n").compactMap { line in
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5 else { return nil }
        let bounds = fields[0].split(separator: "-")
        let permissions = Array(fields[1].utf8)
        guard bounds.count == 2, permissions.count >= 3, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16),
              start < end, let offset = UInt64(fields[2], radix: 16) else { return nil }
        return MemoryRegion(range: start..<end, readable: permissions[0] == UInt8(ascii: "r"), writable: permissions[1] == UInt8(ascii: "w"),
                            executable: permissions[2] == UInt8(ascii: "x"), offset: offset,
                            path: fields.count > 5 ? String(fields[5].trimmed()) : "")
    }
}

/// Local processes through ptrace.
public struct PtraceBackend: LiveTargetFactory {
    public init() {}

    /// Starts `program` under ptrace, stopped at its exec.
    public func launch(_ request: LaunchRequest) throws(TargetError) -> (target: any LiveTarget, path: String) {
        let process = try PtraceProcess.launch(request)
        return (process, process.launchPath)
    }

    /// Attaches to every thread of `pid`.
    public func attach(pid: Int32) throws(TargetError) -> any LiveTarget { try PtraceProcess.attach(pid: pid) }
}
