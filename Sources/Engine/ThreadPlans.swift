import Arch
import Symbols

/// One primitive way of running a thread that a plan asks for.
enum PlanStep {
    /// One instruction of the plan's thread, the others stopped.
    case instruction
    /// Every runnable thread runs until one of the run's internal stops (or an event).
    case run(RunPlan)
    /// The plan found something to report where the thread stands (a breakpoint it reached
    /// without trapping); the plan is interrupted by it.
    case report(StopEvent)
}

/// A kind of stepping, as LLDB's thread plans: asked, each time its last step completed,
/// how to run the thread next, until it says it has arrived. A breakpoint or event that
/// interrupts a step interrupts the plan; `gc` runs that step again and the plan goes on.
protocol ThreadPlan: AnyObject {
    /// The next step, or nil when the plan's thread stands where the plan was going.
    func nextStep(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep?
    /// Whether `gc` after an interruption runs the interrupted step again (most plans), or
    /// asks the plan, which then looks where the thread stands.
    var retriesInterruptedStep: Bool { get }
    /// A breakpoint or event interrupted the step under way.
    func interrupted(by stop: StopEvent)
    /// The plan arrived, or was dropped: what it planted goes.
    func finish(_ session: Session)
}

extension ThreadPlan {
    var retriesInterruptedStep: Bool { true }
    func interrupted(by stop: StopEvent) {}
    func finish(_ session: Session) {}
}

/// `p`/`t`: one instruction; `p` runs over a call or a repeated string instruction by
/// running to the instruction after it (recursion cannot end it early: the stack must be
/// back where it was).
final class InstructionPlan: ThreadPlan {
    let over: Bool
    private var issued = false

    init(over: Bool) { self.over = over }

    func nextStep(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        guard !issued else { return nil }
        issued = true
        let registers = try session.registers(thread)
        let instruction = session.decode(at: registers.rip)
        let overCall = over && (instruction?.flow == .call || instruction?.hasRepPrefix == true)
        // A system call may block on another thread (a futex, a pipe): let them all run
        // while it completes rather than single-stepping it with the others held.
        let overSyscall = instruction?.flow == .syscall && (session.process?.threads.count ?? 1) > 1
        if let instruction, overCall || overSyscall {
            return .run(RunPlan(sites: [registers.rip &+ UInt64(instruction.length)], thread: thread.tid, minimumSP: registers.rsp))
        }
        return .instruction
    }
}

/// One run of every thread to a set of addresses: `g addr…` (any thread, any depth) and
/// `gu` (the thread's return address, with the stack back above its frame).
final class RunToSitesPlan: ThreadPlan {
    private var target: RunPlan?

    init(_ addresses: [UInt64]) { target = RunPlan(sites: Set(addresses), thread: nil, minimumSP: nil) }

    init(returnOf thread: ThreadInfo, in session: Session) throws(EngineError) {
        let frames = session.unwind(thread, maxFrames: 2)
        guard frames.count > 1 else { throw EngineError("Unable to determine the return address of the current frame") }
        target = RunPlan(sites: [frames[1].pc], thread: thread.tid, minimumSP: frames[1].sp)
    }

    func nextStep(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        defer { target = nil }
        return target.map(PlanStep.run)
    }
}

/// The instruction steps a stepping plan is made of, one at a time: a step over a call is
/// several primitive steps, finished before the plan looks where the thread stands.
struct InstructionSteps {
    let over: Bool
    private var current: InstructionPlan?

    init(over: Bool) { self.over = over }

    /// Whether an instruction step was taken yet.
    var started: Bool { current != nil }

    /// What remains of the instruction step under way; nil once it is complete.
    func remaining(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        try current?.nextStep(session, thread)
    }

    /// The first primitive step of a new instruction step.
    mutating func next(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        let step = InstructionPlan(over: over)
        current = step
        return try step.nextStep(session, thread)
    }
}

/// `pc tc pt tt ph th`: runs (over or into calls) until the thread stands on the next call,
/// return, or (`ph`/`th`) branch instruction — branch to branch, as `wt` traces: the thread runs alone to the end of
/// each basic block (calls and returns end blocks, so it can stop nowhere else), and the
/// engine executes the branch there; a call is run over as a whole for `pc`/`pt`.
final class StepUntilPlan: ThreadPlan {
    let flows: Set<ControlFlow>
    let over: Bool
    private var started = false
    /// The instruction step under way where the engine does not take a branch itself (a call
    /// run over, a system call, a string repeat).
    private var steps: InstructionSteps

    init(flows: Set<ControlFlow>, over: Bool) {
        self.flows = flows
        self.over = over
        steps = InstructionSteps(over: over)
    }

    func nextStep(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        if let step = try steps.remaining(session, thread) { return step }
        // A loop of branches alone still takes a stop now and then, where Ctrl-C is seen.
        for _ in 0..<4096 {
            let rip = try session.registers(thread).rip
            guard let process = session.process else { return nil }
            let block = process.blocks.block(at: rip, in: session)
            if block.addresses.count > 1 {
                started = true
                return .run(RunPlan(sites: [block.end], thread: thread.tid, minimumSP: nil, exclusive: true))
            }
            // At a block's last instruction: the one looked for, or a branch to take.
            if started, let flow = block.terminator?.flow, flows.contains(flow) { return nil }
            started = true
            guard let terminator = block.terminator, !(over && terminator.flow == .call),
                  [.jump, .conditionalJump, .call, .ret].contains(terminator.flow), session.executeBranch(terminator, thread) else {
                return try steps.next(session, thread)  // a call run over, a system call, a repeat: one instruction step
            }
        }
        return try steps.next(session, thread)
    }
}

/// Source-mode `p`/`t`, as gdb's `next`/`step`: instruction steps (over or into calls) until
/// the start of a statement (an `is_stmt` line-table row) on another line. `p` also steps
/// over inlined calls (a statement deeper in inlined code is no stop); `t` does not stop in
/// the dynamic loader's lazy-binding resolver. A return lands in the caller: at the start of
/// a statement there it stops (the call ended a line), in the middle of one it finishes that
/// line first. Where there is no line information it is one instruction, as in WinDbg.
final class SourceLinePlan: ThreadPlan {
    let over: Bool
    private var origin: SourceLine?
    private var frameSP: UInt64 = 0
    private var originDepth = 0
    private var steps: InstructionSteps

    init(over: Bool) {
        self.over = over
        steps = InstructionSteps(over: over)
    }

    func nextStep(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        if let step = try steps.remaining(session, thread) { return step }
        let registers = try session.registers(thread)
        if !steps.started {
            origin = session.sourceLine(at: registers.rip)
            frameSP = registers.rsp
            originDepth = over ? session.inlineDepth(at: registers.rip) : 0
        } else {
            guard let line = origin else { return nil }
            if registers.rsp > frameSP {
                // Back in the caller. The call's own line is the caller's line.
                guard let caller = session.sourceLine(at: registers.rip &- 1) else { return nil }
                if let statement = session.statementStart(at: registers.rip), !statement.sameLine(as: caller) { return nil }
                origin = caller
                frameSP = registers.rsp
                originDepth = over ? session.inlineDepth(at: registers.rip) : 0
            } else if let statement = session.statementStart(at: registers.rip), !statement.sameLine(as: line),
                      !(over && session.inlineDepth(at: registers.rip) > originDepth),
                      !(!over && session.isInDynamicLoader(registers.rip)) {
                return nil
            }
        }
        return try steps.next(session, thread)
    }
}
