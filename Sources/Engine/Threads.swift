import Arch
import Targets

/// The debugger's record of one thread: WinDbg's thread number, whether it runs, and what
/// the event loop still owes it (an event seen while stopping everyone).
public final class ThreadInfo {
    public let tid: ThreadID
    /// WinDbg's thread number (`~2s`); never reused within a session.
    public let index: Int
    var running = false
    /// Where the thread sat on a breakpoint it already reported when it was resumed with a
    /// signal to deliver (the int3 left in place): the handler returns there, and that trap
    /// is the same hit, not a new one.
    var resumedOnSite: (address: UInt64, stackPointer: UInt64)?
    /// The breakpoint the thread trapped on and stands at (rip rewound to it): resuming
    /// executes the instruction under it first. A thread that merely stopped with rip at a
    /// site (say, inside a system call that will restart) has none.
    var trappedAt: UInt64?
    /// Where the thread stood when its stop was last reported: resumed from there (not moved
    /// by `r rip=` or `.call`), it goes on over an int3 there rather than hitting it.
    var reportedAt: UInt64?
    /// A child sharing the address space steps over this site with its int3 lifted; it goes
    /// back when the step ends.
    var liftedSite: UInt64?
    /// An event that arrived while all threads were being stopped; reported on the next resume.
    var pending: ThreadEvent?
    /// The signal the thread receives when it next runs (0: none).
    var signalToDeliver: Int32 = 0
    /// The current signal was already reported as a second chance.
    var secondChanceReported = false
    /// `signalToDeliver` is the SIGTRAP of the program's own int3: handled by the debugger
    /// unless `gn` passes it to the program.
    var signalIsBreakpoint = false
    /// `~N f`: stays stopped while the others run.
    public var frozen = false
    /// `~N n` / `~N m`: a suspend count above zero keeps the thread stopped.
    public var suspendCount = 0
    var cachedRegisters: X86Registers?
    /// `cachedRegisters` holds changes not yet written to the thread (written before it runs).
    var registersDirty = false
    var singleStepping = false
    /// Where a kernel probe's hit left the thread (its address and stack pointer): resumed
    /// there, it runs the instruction again without the probe taking it as a new hit.
    var kernelHitAt: (address: UInt64, stackPointer: UInt64)?
    /// The thread's plan stack, the plan asked first last; kept when a breakpoint or event
    /// interrupts it, for `gc`.
    var plans: [ThreadPlan] = []
    /// The step the top plan was taking when it was interrupted, taken again by `gc` (nil:
    /// the plan is asked anew).
    var interruptedStep: PlanStep?
    /// Reported PTRACE_EVENT_EXIT: once resumed it only ever reports its end (a zombie leader
    /// may wait for the other threads), so it is never asked to stop.
    var exiting = false

    init(tid: ThreadID, index: Int) {
        self.tid = tid
        self.index = index
    }

    /// Whether a resume lets this thread run: not frozen or suspended, and the one thread a
    /// `~N g` runs (`only`) when there is one. The others' events wait.
    public func runsOnResume(only: ThreadID?) -> Bool {
        !frozen && suspendCount == 0 && (only == nil || only == tid)
    }
}

/// What happened to a thread, after the event loop has interpreted the raw target event
/// (a SIGTRAP on one of our int3s becomes `breakpointTrap` with rip already rewound).
enum ThreadEvent {
    case breakpointTrap(UInt64)
    /// A debug exception from armed debug registers: these `ba` breakpoints fired (a data
    /// access just done, or an instruction about to run).
    case hardwareTrap([Breakpoint])
    /// A kernel probe found the breakpoint's condition true and sent the thread SIGSTOP.
    case kernelHit(KernelHit)
    /// The stop the engine asked for (or a new thread's first): nothing to report.
    case requestedStop
    case trap
    case signal(Int32)
    case created(ThreadID)
    case forked(child: Int32, sharesMemory: Bool)
    case vforkDone
    case exec
    case exiting(ExitStatus)
    case gone(exitCode: Int32?, signal: Int32?)
}
