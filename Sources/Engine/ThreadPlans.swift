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
    /// A plan of its own goes on the thread's plan stack above this one (a step over a call
    /// inside a source-line step); this plan is asked again once that one has arrived.
    case push(ThreadPlan)
}

/// A kind of stepping, as LLDB's thread plans: asked, each time its last step completed,
/// how to run the thread next, until it says it has arrived. Plans sit on their thread's
/// plan stack (`ThreadInfo.plans`), the one asked on top. A breakpoint or event that
/// interrupts a step interrupts the stack; `gc` runs that step again and the plans go on.
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
        guard frames.count > 1 else { throw EngineError.noReturnAddress }
        target = RunPlan(sites: [frames[1].pc], thread: thread.tid, minimumSP: frames[1].sp)
    }

    func nextStep(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        defer { target = nil }
        return target.map(PlanStep.run)
    }
}

/// `pc tc pt tt ph th`: runs (over or into calls) until the thread stands on the next call,
/// return, or (`ph`/`th`) branch instruction — branch to branch, as `wt` traces: the thread
/// runs alone to the end of each basic block (calls and returns end blocks, so it can stop
/// nowhere else), and the engine executes the branch there; a call is run over as a whole
/// for `pc`/`pt`.
final class StepUntilPlan: ThreadPlan {
    let flows: Set<ControlFlow>
    let over: Bool
    private var started = false

    init(flows: Set<ControlFlow>, over: Bool) {
        self.flows = flows
        self.over = over
    }

    func nextStep(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        // A loop of branches alone still takes a stop now and then, where Ctrl-C is seen.
        for _ in 0..<BlockWalk.branchesPerStop {
            guard let block = try BlockWalk.block(session, thread) else { return nil }
            if block.addresses.count > 1 {
                started = true
                return BlockWalk.run(to: block.end, thread)
            }
            // At a block's last instruction: the one looked for, or a branch to take.
            if started, let flow = block.terminator?.flow, flows.contains(flow) { return nil }
            started = true
            if let step = BlockWalk.branch(block, session, thread, over: over) { return step }
        }
        return .push(InstructionPlan(over: over))
    }
}

/// Source-mode `p`/`t`, as gdb's `next`/`step`: the thread moves block to block (a block cut
/// where a statement starts, an `is_stmt` line-table row) until it stands at the start of a
/// statement on another line. `p` steps over calls and inlined calls (a statement deeper in
/// inlined code is no stop); `t` does not stop in the dynamic loader's lazy-binding resolver.
/// A return lands in the caller: at the start of a statement there it stops (the call ended a
/// line), in the middle of one it finishes that line first. Where there is no line
/// information it is one instruction, as in WinDbg.
final class SourceLinePlan: ThreadPlan {
    let over: Bool
    private var origin: SourceLine?
    private var frameSP: UInt64 = 0
    private var originDepth = 0
    private var started = false

    init(over: Bool) { self.over = over }

    func nextStep(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        for _ in 0..<BlockWalk.branchesPerStop {
            let registers = try session.registers(thread)
            if !started {
                started = true
                origin = session.sourceLine(at: registers.rip)
                frameSP = registers.rsp
                originDepth = over ? session.inlineDepth(at: registers.rip) : 0
                guard origin != nil else { return .push(InstructionPlan(over: over)) }
            } else if arrived(registers, session) {
                return nil
            }
            guard let block = try BlockWalk.block(session, thread), let line = origin else { return nil }
            // Where the step can end next: a statement of another line further in the
            // block, or the block's end (-O0 code starts a statement at every column).
            let next = block.addresses.dropFirst().first { session.statementStart(at: $0).map { !$0.sameLine(as: line) } ?? false } ?? block.end
            if next != registers.rip { return BlockWalk.run(to: next, thread) }
            if let step = BlockWalk.branch(block, session, thread, over: over) { return step }
        }
        return .push(InstructionPlan(over: over))
    }

    /// Whether the thread, moved since the step began, stands where the step ends; a return
    /// into the middle of the caller's line makes that line the one to finish.
    private func arrived(_ registers: X86Registers, _ session: Session) -> Bool {
        guard let line = origin else { return true }
        if registers.rsp > frameSP {
            // Back in the caller. The call's own line is the caller's line.
            guard let caller = session.sourceLine(at: registers.rip &- 1) else { return true }
            if let statement = session.statementStart(at: registers.rip), !statement.sameLine(as: caller) { return true }
            origin = caller
            frameSP = registers.rsp
            originDepth = over ? session.inlineDepth(at: registers.rip) : 0
            return false
        }
        guard let statement = session.statementStart(at: registers.rip), !statement.sameLine(as: line) else { return false }
        return !(over && session.inlineDepth(at: registers.rip) > originDepth) && !(!over && session.isInDynamicLoader(registers.rip))
    }
}

/// `p N`, `t N`, `pa addr`, `ta addr`: instruction or source-line steps, each shown to the
/// front end as it completes, until the count is done or the thread stands at the address.
final class RepeatedStepPlan: ThreadPlan {
    let request: StepRequest
    private var done: UInt64 = 0

    init(_ request: StepRequest) { self.request = request }

    func nextStep(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        if done > 0 {
            if let until = request.until {
                if try session.registers(thread).rip == until { return nil }
            } else if done >= max(1, request.count) {
                return nil
            }
            session.reportIntermediateStep(thread)
        }
        done += 1
        return .push(request.byLine ? SourceLinePlan(over: request.over) : InstructionPlan(over: request.over))
    }
}

/// Moving a thread a basic block at a time, as the stepping plans do.
enum BlockWalk {
    /// Branches the engine executes in a row before the thread takes a stop (where Ctrl-C is seen).
    static let branchesPerStop = 4096

    /// The block the thread stands at the start of.
    static func block(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> TraceBlock? {
        let rip = try session.registers(thread).rip
        return session.process?.blocks.block(at: rip, in: session)
    }

    /// The thread runs alone to an instruction further in its block.
    static func run(to address: UInt64, _ thread: ThreadInfo) -> PlanStep {
        .run(RunPlan(sites: [address], thread: thread.tid, minimumSP: nil, exclusive: true))
    }

    /// At a block's last instruction: the engine executes a jump, conditional jump, return or
    /// (stepping into) call itself and returns nil; what it does not execute (a call stepped
    /// over, a system call, a string repeat, undecodable code) is an instruction step.
    static func branch(_ block: TraceBlock, _ session: Session, _ thread: ThreadInfo, over: Bool) -> PlanStep? {
        guard let terminator = block.terminator, !(over && terminator.flow == .call),
              [.jump, .conditionalJump, .call, .ret].contains(terminator.flow), session.executeBranch(terminator, thread) else {
            return .push(InstructionPlan(over: over))
        }
        return nil
    }
}
