import Arch
import CSystem

/// An auxiliary vector as the kernel lays it out (`/proc/pid/auxv`, NT_AUXV, `qXfer:auxv`):
/// key and value words up to AT_NULL.
public func parseAuxiliaryVector(_ data: [UInt8]) -> [UInt64: UInt64] {
    var vector: [UInt64: UInt64] = [:]
    var index = 0
    while index + 16 <= data.count {
        let key = data.littleEndian(at: index), value = data.littleEndian(at: index + 8)
        if key == 0 { break }
        vector[key] = value
        index += 16
    }
    return vector
}

/// A signal set from a /proc status file (`SigCgt:\t0000000000004002`); empty where absent.
func signalMask(_ key: String, in status: String) -> UInt64 {
    for line in status.split(separator: "\n") where line.hasPrefix(key) {
        return UInt64(line.dropFirst(key.count).trimmed(), radix: 16) ?? 0
    }
    return 0
}

/// A signal's bit in those sets.
func signalBit(_ signal: Int32) -> UInt64 { (1...64).contains(signal) ? UInt64(1) << UInt64(signal - 1) : 0 }

/// What a signal does, from the process's status text (SigCgt, SigIgn).
func signalDisposition(_ signal: Int32, status: String) -> SignalDisposition {
    if signalMask("SigCgt:", in: status) & signalBit(signal) != 0 { return .caught }
    if signalMask("SigIgn:", in: status) & signalBit(signal) != 0 { return .ignored }
    return .byDefault
}

/// Keys of the ELF auxiliary vector that the debugger reads.
public enum AuxiliaryVectorKey {
    /// AT_ENTRY: the program's entry point.
    public static let entry: UInt64 = 9
}

/// A kernel thread id (Linux tid), the unit every backend reports events for.
public typealias ThreadID = Int32

/// Why a thread stopped, in backend-neutral terms the engine maps onto WinDbg events.
public enum StopReason: Sendable, Equatable {
    /// The thread is about to receive `signal` (for ptrace: a signal-delivery-stop).
    /// SIGTRAP covers int3 hits, finished single steps and hardware breakpoints.
    case signal(Int32)
    /// The thread created `newThread` (clone).
    case threadCreated(ThreadID)
    /// The process called execve; its address space is new.
    case exec
    /// The thread forked `child`, which is stopped and must be let go (`sharesMemory`: vfork).
    case forked(child: Int32, sharesMemory: Bool)
    /// A vfork child has exec'd or exited: the parent has its memory to itself again.
    case vforkDone
    /// The thread is about to exit, with this status.
    case exiting(ExitStatus)
    /// The stop the debugger asked for (`requestStop`), or a new thread's first stop: not a
    /// signal of the program's.
    case requested
    /// A thread the debugger had not seen, stopped as it starts (a stub reports it without
    /// the thread that created it).
    case started
    /// A kernel probe found its breakpoint's condition true and stopped the thread.
    case probeHit(KernelHit)
}

/// How a process or thread ends: its exit code, or the signal that killed it.
public enum ExitStatus: Sendable, Equatable {
    case exited(code: Int32)
    case killed(signal: Int32)
}

/// One thing a target reports from `waitForEvent`.
public enum TargetEvent: Sendable, Equatable {
    case stopped(ThreadID, StopReason)
    /// The thread is gone: `exitCode` when it exited, `signal` when a signal killed it.
    case threadGone(ThreadID, exitCode: Int32?, signal: Int32?)
}

/// The signal a thread stopped with or died of (siginfo_t's first fields).
public struct SignalInfo: Sendable, Equatable {
    /// The signal's number (Linux's).
    public let signal: Int32
    /// si_code: who sent it (SI_USER, SI_KERNEL) or why (SEGV_MAPERR, FPE_INTDIV, TRAP_BRKPT).
    public let code: Int32
    /// si_addr, for the signals that carry one.
    public let address: UInt64?

    public init(signal: Int32, code: Int32, address: UInt64?) {
        self.signal = signal
        self.code = code
        self.address = address
    }

    /// The signals whose si_addr is a fault address (the others have a sender's pid there).
    public static func hasFaultAddress(_ signal: Int32) -> Bool {
        [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP].contains(signal)
    }
}

/// Why a thread took a SIGTRAP the CPU raised, as the backend tells (ptrace: si_code and the
/// debug status register; a gdb stub: `swbreak`/`hwbreak`/`watch` in its stop reply).
public enum TrapCause: Sendable, Equatable {
    /// An int3 executed (the debugger's or the program's own): the thread stands just past it.
    case breakpointInstruction
    /// A debug exception: a finished single step and/or debug registers that fired;
    /// `fired` has bit n set for address register n.
    case debugException(fired: UInt8)
    /// Not a trap of the CPU: SIGTRAP sent like any signal (kill, tkill, raise).
    case sent
}

/// What a signal does to the process if the debugger lets it through.
public enum SignalDisposition: Sendable, Equatable {
    case caught, ignored, byDefault
}

/// Errors a backend reports; the messages are shown to the user as they are.
public struct TargetError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The read side of a debug target: memory, registers, threads, the memory map and the signal
/// each thread stands at. A live process, a core file and a remote stub all provide it, so
/// every inspection command works on each (as in DbgEng, where a dump is just another target);
/// changing and running the target is `LiveTarget`'s.
public protocol Target: AnyObject {
    var processID: Int32 { get }
    /// Path of the main executable.
    var executablePath: String { get }
    /// A path that opens the running executable's file even when it was deleted or replaced.
    var executableImagePath: String { get }
    /// Reads up to `count` bytes; the result is shorter when the memory after it is unreadable.
    func readMemory(_ address: UInt64, count: Int) -> [UInt8]
    func registers(_ thread: ThreadID) throws(TargetError) -> X86Registers
    /// The x87/SSE/AVX registers (the XSAVE area).
    func vectorState(_ thread: ThreadID) throws(TargetError) -> VectorState
    /// The thread's name (`pthread_setname_np`, or the program's name).
    func threadName(_ thread: ThreadID) -> String?
    /// The ELF auxiliary vector (AT_ENTRY, AT_BASE, ...).
    func auxiliaryVector() -> [UInt64: UInt64]
    /// The mappings of the address space, in address order, with the files they map (for a
    /// live process, `/proc/pid/maps`).
    func memoryMap() -> [MemoryRegion]
    /// DR0–DR3, DR6 and DR7 of a thread.
    func debugRegisters(_ thread: ThreadID) throws(TargetError) -> DebugRegisters
    /// The target's threads, the main one first where the system says which it is.
    func listThreads() -> [ThreadID]
    /// The signal a thread is stopped with (or, in a core, died of), with si_code and the fault address.
    func signalInfo(_ thread: ThreadID) -> SignalInfo?
    /// A dump's memory that lives in a mapped file (code the kernel did not dump) is read from
    /// `replacement` instead of `mappedPath` (the right build, found by build id).
    func useFile(_ replacement: String, for mappedPath: String)
    /// A register beyond the user-mode set (`k_gs_base`, `cr3`), where the target has it (a
    /// machine's stub).
    func machineRegister(_ name: String, _ thread: ThreadID) -> UInt64?
    /// The dynamic linker's list as the target itself reports it (a stub's
    /// `qXfer:libraries-svr4:read`: one request instead of a walk of the list in memory):
    /// each library's name as the loader has it and its load bias; nil where it cannot.
    func libraryList() -> [(name: String, bias: UInt64)]?
}

/// What a live target offers: the engine asks rather than assuming ptrace.
public struct TargetCapabilities: Sendable {
    /// Debug address registers for `ba` (x86: DR0–DR3).
    public var hardwareBreakpoints: Int
    /// Reads of memory show the int3s of software breakpoints (ptrace does; a stub that
    /// plants them with Z0 hides them itself).
    public var breakpointsShowInMemory: Bool
    /// After a software breakpoint's hit, pc is the breakpoint's address (a stub backs it up,
    /// gdb's `swbreak`), not the byte after the int3 (ptrace).
    public var stopsAtBreakpointAddress: Bool

    public init(hardwareBreakpoints: Int, breakpointsShowInMemory: Bool, stopsAtBreakpointAddress: Bool) {
        self.hardwareBreakpoints = hardwareBreakpoints
        self.breakpointsShowInMemory = breakpointsShowInMemory
        self.stopsAtBreakpointAddress = stopsAtBreakpointAddress
    }
}

/// The x86 debug registers of a thread: four breakpoint addresses, the status of the last
/// debug exception (which of them fired) and the control word that arms them.
public struct DebugRegisters: Sendable, Equatable {
    public var addresses: [UInt64] = [0, 0, 0, 0]
    /// DR6: bits 0–3 say which address fired.
    public var status: UInt64 = 0
    /// DR7: per slot an enable bit (2n), the access (bits 16+4n) and the length (18+4n).
    public var control: UInt64 = 0

    public init() {}
}

/// One mapping of a target's address space.
public struct MemoryRegion: Sendable, Equatable {
    public let range: Range<UInt64>
    public let readable, writable, executable: Bool
    /// Offset in the mapped file.
    public let offset: UInt64
    /// The mapped file, `[stack]`, `[vdso]`, `[heap]`, or empty for anonymous memory.
    public let path: String

    public init(range: Range<UInt64>, readable: Bool, writable: Bool, executable: Bool, offset: UInt64, path: String) {
        self.range = range
        self.readable = readable
        self.writable = writable
        self.executable = executable
        self.offset = offset
        self.path = path
    }
}

extension Target {
    /// Nothing to do for a target whose memory is all its own.
    public func useFile(_ replacement: String, for mappedPath: String) {}

    /// A process has only the user-mode registers.
    public func machineRegister(_ name: String, _ thread: ThreadID) -> UInt64? { nil }

    /// The engine walks the list in memory itself.
    public func libraryList() -> [(name: String, bias: UInt64)]? { nil }

    /// The address range a file is mapped at, for a module whose ELF file cannot be read.
    public func mappedRange(of path: String) -> Range<UInt64>? {
        let ranges = memoryMap().filter { $0.path == path }.map(\.range)
        guard let low = ranges.map(\.lowerBound).min(), let high = ranges.map(\.upperBound).max() else { return nil }
        return low..<high
    }
}

/// Execution control on top of `Target`, for targets that run (a live process, a remote stub).
public protocol LiveTarget: Target {
    /// What the target can do, for the engine to choose how it runs and plants.
    var capabilities: TargetCapabilities { get }
    func writeMemory(_ address: UInt64, _ bytes: [UInt8]) throws(TargetError)
    /// Plants a software breakpoint (int3) and returns the byte it covers.
    func insertSoftwareBreakpoint(at address: UInt64) throws(TargetError) -> UInt8
    /// Takes a software breakpoint out, putting back the byte it covered.
    func removeSoftwareBreakpoint(at address: UInt64, original: UInt8) throws(TargetError)
    /// Why a thread that stopped with SIGTRAP took it. Asked only where the engine cannot
    /// tell from its own breakpoints (it costs the backend a request).
    func trapCause(_ thread: ThreadID) -> TrapCause
    func setRegisters(_ registers: X86Registers, _ thread: ThreadID) throws(TargetError)
    /// Writes an area `vectorState` returned, changed (`r xmm0=…`).
    func setVectorState(_ state: VectorState, _ thread: ThreadID) throws(TargetError)
    /// Writes memory only where the program itself could (no write to read-only or guard
    /// pages); false when it could not. For executing an instruction on the program's behalf.
    func writeMemoryAsProgram(_ address: UInt64, _ bytes: [UInt8]) -> Bool
    /// Resumes one thread, single-stepping if asked, delivering `signal` (0 for none).
    func resume(_ thread: ThreadID, singleStep: Bool, signal: Int32) throws(TargetError)
    /// Asks a running thread to stop; the stop is reported later by `waitForEvent` as
    /// `.requested`. Asking again before it came does nothing more.
    func requestStop(_ thread: ThreadID) throws(TargetError)
    /// A stop the debugger asked for has not been reported yet (at detach it must be taken
    /// first, or it would stop the program after the debugger is gone).
    func hasOutstandingStop(_ thread: ThreadID) -> Bool
    /// A stop already sent the process (by the Ctrl-C handler) that will reach this thread:
    /// taken as one the debugger asked for.
    func expectStop(_ thread: ThreadID)
    /// Where Ctrl-C goes while the target runs.
    var breakInRoute: BreakInRoute { get }
    /// Requests made to a remote stub so far (nil for a local process): what a stub's
    /// operations cost.
    var roundTrips: Int? { get }
    /// Conditions evaluated in the kernel, where the target has them (a local process).
    var kernelProbes: KernelProbes? { get }
    /// Blocks until some thread reports an event.
    func waitForEvent() throws(TargetError) -> TargetEvent
    func disposition(of signal: Int32) -> SignalDisposition
    /// Whether `signal` waits to be delivered to the process or any of its threads.
    func isSignalPending(_ signal: Int32) -> Bool
    /// Lets a stopped thread go without the debugger, delivering `signal` (0 for none).
    func detach(_ thread: ThreadID, signal: Int32) throws(TargetError)
    /// Ends the process.
    func terminate()
    /// Gives the terminal to the program while it runs, and takes it back (a no-op for
    /// targets that do not share the debugger's terminal).
    func handTerminal(toTarget: Bool)
    /// Lets a stopped fork child run free, with `restore` written into its memory first.
    func releaseForkChild(_ child: Int32, restore: [(address: UInt64, byte: UInt8)])
    /// The hardware breakpoints of the whole process (DR0–DR3 and DR7 as x86 encodes them):
    /// every thread has them before it next runs, new threads too; all zero disarms them. A
    /// stub turns them into Z1–Z4; the ptrace backend writes each thread's registers.
    func setHardwareBreakpoints(_ registers: DebugRegisters) throws(TargetError)
}

/// What to start and how: the program and its arguments, its environment and directory
/// (the debugger's own when nil), and where its standard streams go.
public struct LaunchRequest: Sendable {
    public var program: String
    public var arguments: [String]
    /// `NAME=value` entries; nil: the debugger's environment.
    public var environment: [String]?
    public var workingDirectory: String?
    public var disableASLR = true
    /// The program gets a process group of its own and the terminal while it runs.
    public var ownTerminal = false
    /// Descriptors to give it as standard input, output and error (nil: the debugger's).
    public var standardInput: Int32?
    public var standardOutput: Int32?
    public var standardError: Int32?

    public init(program: String, arguments: [String]) {
        self.program = program
        self.arguments = arguments
    }
}

/// Starts and attaches live targets. A session is given one by its front end (the ptrace
/// backend, a gdb-remote connection) and never names a backend itself.
public protocol LiveTargetFactory {
    /// Starts a program stopped before its first instruction; returns the path it resolved to
    /// (a bare name is looked up as a shell would).
    func launch(_ request: LaunchRequest) throws(TargetError) -> (target: any LiveTarget, path: String)
    /// Takes control of a running process, every thread stopped.
    func attach(pid: Int32) throws(TargetError) -> any LiveTarget
}

/// How Ctrl-C reaches a running target: a local process is sent SIGSTOP; a gdb-remote stub
/// is sent the interrupt byte on its connection.
public enum BreakInRoute: Sendable, Equatable {
    case none
    case stopSignal(pid: Int32)
    case interruptByte(fileDescriptor: Int32)
}

/// Ctrl-C while the target runs: the handler stops the target (`BreakInRoute`) and leaves a
/// flag that the event loop takes, so the stop is reported as a break-in rather than a signal.
public enum BreakIn {
    /// Installs the SIGINT handler (once, from the CLI).
    public static func installHandler() { cs_install_break_handler() }
    /// Where Ctrl-C goes while the target runs (`.none` between runs).
    public static func setRoute(_ route: BreakInRoute) {
        switch route {
        case .none:
            cs_set_break_socket(-1)
            cs_set_break_target(0)
        case .stopSignal(let pid):
            cs_set_break_socket(-1)
            cs_set_break_target(pid)
        case .interruptByte(let fd):
            cs_set_break_target(0)
            cs_set_break_socket(fd)
        }
    }
    /// Whether the stub is running the target, so the interrupt byte stops it (a stopped
    /// gdbserver would keep it as a SIGINT for the program).
    static func armInterruptByte(_ armed: Bool) { cs_arm_break_socket(armed ? 1 : 0) }
    /// What a Ctrl-C since the last call asked.
    public enum Request { case none, requested, stoppedTarget, interruptSent }

    /// Once per Ctrl-C: whether one came, and whether the target was sent a SIGSTOP (or a
    /// stub the interrupt byte) for it.
    public static func takeRequest() -> Request { request(cs_take_break_request()) }
    /// The request `takeRequest` would return, left for the event loop to take.
    static func peekRequest() -> Request { request(cs_peek_break_request()) }

    private static func request(_ code: Int32) -> Request {
        switch code {
        case 0: .none
        case 3: .stoppedTarget
        case 4: .interruptSent
        default: .requested
        }
    }
    /// Breaks in as Ctrl-C would, from any thread (a front end's `pause`).
    public static func request() { cs_request_break() }
    /// Installs the SIGHUP handler (the terminal went away), which breaks in the same way.
    public static func installHangupHandler() { cs_install_hangup_handler() }
    /// Whether the terminal has hung up.
    public static var hungUp: Bool { cs_hangup_seen() != 0 }
}
