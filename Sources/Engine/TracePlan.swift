import Arch
import Targets

/// A straight run of instructions that ends at the first one that transfers control or may
/// (call, jmp, jcc, ret, system call, interrupt, repeated string instruction), decoded once.
struct TraceBlock {
    /// The instructions' addresses, the terminator last.
    let addresses: [UInt64]
    /// The last instruction; nil where the code could not be decoded (it is single-stepped).
    let terminator: Instruction?

    var end: UInt64 { addresses[addresses.count - 1] }
}

/// Decoded blocks by start address, kept while the code stays the same (cleared when the
/// debugger writes memory, on exec and when a module is unloaded).
final class BlockCache {
    private var blocks: [UInt64: TraceBlock] = [:]
    /// Longest block decoded; a longer straight run is cut and goes on in the next block.
    static let maximumLength = 256

    func block(at start: UInt64, in session: Session) -> TraceBlock {
        if let known = blocks[start] { return known }
        var addresses: [UInt64] = []
        var terminator: Instruction?
        var address = start
        var code: [UInt8] = []
        var codeStart = start
        while addresses.count < BlockCache.maximumLength {
            if address &- codeStart + 16 > UInt64(code.count) {
                codeStart = address
                code = session.readMemory(address, count: 512)
            }
            let offset = Int(address &- codeStart)
            guard let instruction = session.disassembleBytes(Array(code[min(offset, code.count)...]), at: address) else {
                if addresses.isEmpty { addresses.append(address) }
                terminator = nil
                break
            }
            addresses.append(address)
            terminator = instruction
            if instruction.flow != .none || instruction.hasRepPrefix { break }
            address &+= UInt64(instruction.length)
        }
        let block = TraceBlock(addresses: addresses, terminator: terminator)
        if blocks.count > 1 << 16 { blocks.removeAll() }
        blocks[start] = block
        return block
    }

    func removeAll() { blocks.removeAll() }
}

/// `wt`: traces a function call by call, branch to branch. The thread runs alone to the end
/// of each basic block (an int3 there, kept for the whole trace); the debugger executes the
/// branch itself (jcc from the flags, jmp/call/ret direct or indirect) and single-steps
/// only what it cannot (system calls, which run with the other threads, string repeats,
/// undecodable code). A block of N instructions costs one stop instead of N, and the counts
/// are those of single-stepping: every instruction, every repetition of a string
/// instruction. Calls below `-l`, and code in modules `-m`/`-i` leave out, run untraced to
/// their return address.
final class TracePlan: ThreadPlan {
    private let trace: CallTrace
    private let options: TraceOptions
    private var frames: [Frame] = []
    private var pending: Pending = .none
    private var planted: Set<UInt64> = []
    /// A site at a block start that was already dealt with (reported, then `gc`).
    private var handledSite: UInt64?
    private var lastStepInterrupted = false
    /// Branches executed by the debugger since the thread last took a stop.
    private var emulatedInARow = 0
    private let otherEventsAtStart: Int
    private var started = false

    /// One invocation being traced.
    private struct Frame {
        let function: TraceFunction
        let depth: Int
        let callSite: UInt64?
        /// Where the invocation's return address is on the stack (rsp as it was entered).
        let returnSlot: UInt64
        var own: UInt64 = 0
        var callees: UInt64 = 0
        /// Instructions of earlier functions this invocation jumped out of (tail calls).
        var carried: UInt64 = 0

        var total: UInt64 { own + callees + carried }
    }

    /// The primitive step under way, to account for once it completes.
    private enum Pending {
        case none
        case block(TraceBlock)
        case stepped(Instruction?, from: UInt64)
        /// A system call run with the other threads to the instruction after it.
        case systemCall(RunPlan)
        /// An untraced invocation run to its return address; `replacing`: entered by a jump,
        /// so it returns for the invocation that jumped.
        case untraced(TraceFunction, run: RunPlan, callSite: UInt64?, replacing: Bool)
    }

    /// The stub's request count when the trace began (a stub's round trips are its cost).
    private let roundTripsAtStart: Int?
    private let startedAt: UInt64

    init(trace: CallTrace, options: TraceOptions, session: Session) {
        self.trace = trace
        self.options = options
        otherEventsAtStart = session.otherThreadEvents
        roundTripsAtStart = session.process?.control?.roundTrips
        startedAt = monotonicNanoseconds()
    }

    /// `wt` traces from a function's first instruction to its return address, or through the
    /// call the thread stands on; elsewhere (without an end address) it is not a trace.
    static func canStart(_ session: Session, _ thread: ThreadInfo, options: TraceOptions) -> Bool {
        guard options.endAddress == nil, let rip = try? session.registers(thread).rip else { return true }
        return session.function(at: rip).start == rip || session.decode(at: rip)?.flow == .call
    }

    var retriesInterruptedStep: Bool { false }

    func interrupted(by stop: StopEvent) { lastStepInterrupted = true }

    func finish(_ session: Session) {
        for address in planted { try? session.removeSite(address, isInternal: true) }
        planted.removeAll()
        trace.otherThreadEvents = UInt64(session.otherThreadEvents - otherEventsAtStart)
        if let start = roundTripsAtStart, let now = session.process?.control?.roundTrips {
            trace.roundTrips = now - start
            trace.milliseconds = (monotonicNanoseconds() - startedAt) / 1_000_000
        }
    }

    func nextStep(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        if !started { try start(session, thread) }
        if let step = try settle(session, thread) { return step }
        while true {
            let registers = try session.registers(thread)
            let rip = registers.rip
            if frames.isEmpty || rip == options.endAddress {
                while let frame = frames.popLast() { end(frame, returnValue: nil) }
                trace.finished = true
                return nil
            }
            // Reached by an emulated branch or a step: a site here is what a trap here would
            // have been (a breakpoint in a loop the trace goes round, the loader's hook).
            if session.process?.sites[rip] != nil {
                thread.trappedAt = rip  // as if it had trapped: it goes on over the int3
                if handledSite == rip {
                    handledSite = nil
                } else {
                    handledSite = rip
                    if let stop = try session.handle(.breakpointTrap(rip), thread) { return .report(stop) }
                    handledSite = nil
                }
            }
            let block = session.process!.blocks.block(at: rip, in: session)
            if block.addresses.count > 1 {
                if planted.insert(block.end).inserted { try session.insertSite(block.end, isInternal: true) }
                pending = .block(block)
                trace.events += 1
                return .run(RunPlan(sites: [block.end], thread: thread.tid, minimumSP: nil, exclusive: true))
            }
            guard let terminator = block.terminator else {
                pending = .stepped(nil, from: rip)
                trace.events += 1
                return .instruction
            }
            switch terminator.flow {
            case .syscall where (session.process?.threads.count ?? 1) > 1:
                // It may wait for another thread (a futex, a pipe): they all run meanwhile.
                recordSystemCall(registers)
                let run = RunPlan(sites: [rip &+ UInt64(terminator.length)], thread: thread.tid, minimumSP: registers.rsp)
                pending = .systemCall(run)
                trace.events += 1
                return .run(run)
            case .call, .jump, .conditionalJump, .ret:
                // Branches executed by the debugger are not seen by armed data watches; and a
                // loop of branches alone still takes a stop now and then (Ctrl-C is seen there).
                emulatedInARow += 1
                if emulatedInARow < 4096, session.executeBranch(terminator, thread) {
                    count(1)
                    if let step = try executed(terminator, from: rip, session, thread) { return step }
                    continue
                }
                emulatedInARow = 0
                pending = .stepped(terminator, from: rip)
                trace.events += 1
                return .instruction
            default:
                if terminator.flow == .syscall { recordSystemCall(registers) }
                pending = .stepped(terminator, from: rip)
                trace.events += 1
                return .instruction
            }
        }
    }

    /// The first step: the invocation traced, entered through the call the thread stands on
    /// (run into, untraced) or the one it is at the start of.
    private func start(_ session: Session, _ thread: ThreadInfo) throws(EngineError) {
        started = true
        var registers = try session.registers(thread)
        handledSite = registers.rip
        if let call = session.decode(at: registers.rip), call.flow == .call {
            guard let outcome = call.outcome(registers, readWord: session.readWord), session.apply(outcome, to: &registers, thread) else {
                throw EngineError.unsupported("wt cannot follow the call at \(formatAddress(registers.rip))")
            }
            session.stage(registers, thread)
        }
        let function = session.function(at: registers.rip)
        guard let returnAddress = session.readWord(registers.rsp) else { throw EngineError.unsupported("Unable to read the return address at \(formatAddress(registers.rsp))") }
        trace.function = function.name
        trace.endAddress = options.endAddress ?? returnAddress
        frames = [Frame(function: function, depth: 0, callSite: nil, returnSlot: registers.rsp)]
    }

    /// Accounts for the primitive step that just ended (or was interrupted and resumed with `gc`);
    /// a step to take again when an interrupted one must be repeated.
    private func settle(_ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        let interrupted = lastStepInterrupted
        lastStepInterrupted = false
        if case .none = pending {} else { emulatedInARow = 0 }
        let step = pending
        pending = .none
        trace.otherThreadEvents = UInt64(session.otherThreadEvents - otherEventsAtStart)
        let rip = try session.registers(thread).rip
        switch step {
        case .none:
            return nil
        case .block(let block):
            // Stopped early (a breakpoint, a signal): the instructions before where it stands ran.
            count(UInt64(block.addresses.firstIndex(of: rip) ?? block.addresses.count - 1))
            handledSite = rip  // it trapped here: the site was dealt with
            return nil
        case .stepped(let instruction, let from):
            guard !interrupted || rip != from || instruction?.hasRepPrefix == true else { return nil }
            count(1)
            guard let instruction, [.call, .jump, .conditionalJump, .ret].contains(instruction.flow) else { return nil }
            return try executed(instruction, from: from, session, thread)
        case .systemCall(let run):
            if interrupted { pending = step; return .run(run) }
            count(1)
            handledSite = rip
            return nil
        case .untraced(let function, let run, let callSite, let replacing):
            if interrupted { pending = step; return .run(run) }
            handledSite = rip
            guard let depth = frames.last.map({ replacing ? $0.depth : $0.depth + 1 }) else { return nil }
            trace.onLine?(TraceLine(instructions: 0, calleeInstructions: 0, depth: depth, function: function.name,
                                    functionStart: function.start, callSite: callSite, returnValue: nil, untraced: true))
            // Entered by a jump: its return was the jumping invocation's.
            if replacing, let frame = frames.popLast() { returned(frame, returnValue: nil, emitting: false) }
            return nil
        }
    }

    /// The call tree after a branch executed: a call enters a callee (traced or not), a ret
    /// leaves one, a jump into another function replaces the invocation (a tail call).
    private func executed(_ instruction: Instruction, from address: UInt64, _ session: Session, _ thread: ThreadInfo) throws(EngineError) -> PlanStep? {
        let registers = try session.registers(thread)
        let target = registers.rip
        switch instruction.flow {
        case .call:
            guard let caller = frames.last else { return nil }
            let callee = session.function(at: target)
            emit(caller, returnValue: nil)
            if traces(callee, depth: frames.count, session) {
                frames.append(Frame(function: callee, depth: frames.count, callSite: address, returnSlot: registers.rsp))
                return nil
            }
            return try untraced(callee, returnSlot: registers.rsp, session, thread, callSite: address, replacing: false)
        case .ret:
            guard let frame = frames.popLast() else { return nil }
            returned(frame, returnValue: registers.rax)
            if frames.isEmpty, options.endAddress != nil {
                // Past the start's caller on the way to an end address: trace on from here.
                frames.append(Frame(function: session.function(at: target), depth: 0, callSite: nil, returnSlot: registers.rsp))
            }
            return nil
        default:
            guard let current = frames.last else { return nil }
            let destination = session.function(at: target)
            // Code no symbol covers is one function per module (each address has its own name).
            let sameFunction = destination.start == nil && current.function.start == nil ? destination.module == current.function.module
                : destination.start == current.function.start && destination.name == current.function.name
            guard !sameFunction else { return nil }
            guard traces(destination, depth: current.depth, session) else {
                emit(current, returnValue: nil)
                return try untraced(destination, returnSlot: current.returnSlot, session, thread, callSite: current.callSite, replacing: true)
            }
            end(current, returnValue: nil)
            var replacement = Frame(function: destination, depth: current.depth, callSite: current.callSite, returnSlot: current.returnSlot)
            replacement.carried = current.total
            frames[frames.count - 1] = replacement
            return nil
        }
    }

    /// Runs an invocation untraced to its return address, read from `returnSlot` (for one
    /// entered by a jump, the jumping invocation's: a PLT stub has pushed other words since).
    private func untraced(_ function: TraceFunction, returnSlot: UInt64, _ session: Session, _ thread: ThreadInfo, callSite: UInt64?, replacing: Bool) throws(EngineError) -> PlanStep? {
        guard let returnAddress = session.readWord(returnSlot), session.isExecutable(returnAddress) else {
            throw EngineError.unsupported("wt cannot run \(function.name) untraced: no return address at \(formatAddress(returnSlot))")
        }
        let run = RunPlan(sites: [returnAddress], thread: thread.tid, minimumSP: returnSlot &+ 8)
        pending = .untraced(function, run: run, callSite: callSite, replacing: replacing)
        trace.events += 1
        return .run(run)
    }

    /// Whether an invocation entered at `depth` is traced (`-l`, `-m`, `-i`).
    private func traces(_ function: TraceFunction, depth: Int, _ session: Session) -> Bool {
        if let maximum = options.maximumDepth, depth >= maximum { return false }
        if session.isContextSwitch(function.name) { return false }
        let module = function.module?.lowercased() ?? ""
        if !options.modules.isEmpty { return options.modules.contains { $0.lowercased() == module } }
        return !options.ignoredModules.contains { $0.lowercased() == module }
    }

    private func count(_ instructions: UInt64) {
        guard !frames.isEmpty else { return }
        frames[frames.count - 1].own += instructions
        trace.instructions += instructions
    }

    private func recordSystemCall(_ registers: X86Registers) {
        trace.systemCalls[registers.rax, default: 0] += 1
    }

    private func emit(_ frame: Frame, returnValue: UInt64?) {
        trace.onLine?(TraceLine(instructions: frame.own, calleeInstructions: frame.callees, depth: frame.depth, function: frame.function.name,
                                functionStart: frame.function.start, callSite: frame.callSite, returnValue: returnValue, untraced: false))
    }

    /// The invocation's last line (unless it was shown already) and its figures.
    private func end(_ frame: Frame, returnValue: UInt64?, emitting: Bool = true) {
        if emitting { emit(frame, returnValue: returnValue) }
        trace.functions[frame.function.name, default: FunctionStatistics()].add(frame.own)
    }

    /// An invocation returned: its caller's callees ran its instructions.
    private func returned(_ frame: Frame, returnValue: UInt64?, emitting: Bool = true) {
        end(frame, returnValue: returnValue, emitting: emitting)
        if !frames.isEmpty { frames[frames.count - 1].callees += frame.total }
    }
}

/// The function code belongs to, as the call tree names it.
struct TraceFunction {
    /// The symbol's address; nil where no symbol covers the code.
    let start: UInt64?
    /// `module!function`, or `module+0x…`/the address without a symbol.
    let name: String
    let module: String?
}

extension Session {
    func function(at address: UInt64) -> TraceFunction {
        guard let module = process?.modules.module(containing: address) else {
            return TraceFunction(start: nil, name: formatAddress(address), module: nil)
        }
        guard let (symbol, _) = module.symbol(at: address) else {
            return TraceFunction(start: nil, name: symbolize(address) ?? formatAddress(address), module: module.name)
        }
        return TraceFunction(start: symbol.address &+ module.bias, name: "\(module.name)!\(symbol.name)", module: module.name)
    }

    /// Applies a branch's outcome to a thread's registers (writing a call's return address to
    /// the stack); false where the program could not have written it (the branch is
    /// single-stepped then, and faults as it would).
    func apply(_ outcome: BranchOutcome, to registers: inout X86Registers, _ thread: ThreadInfo) -> Bool {
        switch outcome {
        case .jump(let target):
            registers.rip = target
        case .call(let target, let returnAddress):
            let top = registers.rsp &- 8
            guard process?.live.writeMemoryAsProgram(top, [UInt8](littleEndian: returnAddress, size: 8)) == true else { return false }
            registers.rsp = top
            registers.rip = target
        case .ret(let target, let popped):
            registers.rsp &+= popped
            registers.rip = target
        }
        return true
    }

    /// Executes a branch for a stopped thread in its registers (and, for a call, its stack) as
    /// the CPU would; false where it must run instead: armed debug registers watch what the
    /// program does, or the outcome cannot be computed or the stack written.
    func executeBranch(_ instruction: Instruction, _ thread: ThreadInfo) -> Bool {
        guard process?.debugSlots.isEmpty == true, var registers = thread.cachedRegisters ?? (try? self.registers(thread)),
              let outcome = instruction.outcome(registers, readWord: readWord), apply(outcome, to: &registers, thread) else { return false }
        stage(registers, thread)
        return true
    }

    /// Whether an address is in executable memory (where an int3 can go without corrupting data).
    func isExecutable(_ address: UInt64) -> Bool {
        guard let map = process?.target.memoryMap(), !map.isEmpty else {
            return isCode(address)  // a machine has no memory map to ask: a module's code is
        }
        return map.contains { $0.executable && $0.range.contains(address) }
    }

    /// Stages registers for a stopped thread, written back before it runs.
    func stage(_ registers: X86Registers, _ thread: ThreadInfo) {
        thread.cachedRegisters = registers
        thread.registersDirty = true
    }
}
