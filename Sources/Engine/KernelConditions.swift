import Arch
import Expressions
import Symbols
import Targets

/// Conditions evaluated in the kernel: a conditional breakpoint whose condition reads only
/// registers, constants and memory, on instructions that can run twice, is a uprobe with a
/// BPF program instead of an int3. A false hit costs no stop; a true one records the
/// registers and sends the thread SIGSTOP, which is taken here as the breakpoint's hit:
/// the registers are put back as they were at the instruction (which the kernel ran
/// already), and the thread runs it again, the probe letting that one execution go.
extension Session {
    /// `.kernelconditions on|off`: whether conditions go to the kernel; the conditional
    /// breakpoints planted now move to the new side.
    public func setKernelConditions(_ enabled: Bool) throws(EngineError) {
        kernelConditions = enabled
        for breakpoint in breakpoints where breakpoint.condition != nil && breakpoint.enabled && breakpoint.hardware == nil {
            try setEnabled(breakpoint, false)
            try setEnabled(breakpoint, true)
        }
    }

    /// Tries the kernel for a breakpoint about to be planted; false (with the reason kept for
    /// `bl`) where its int3s must be planted instead.
    func plantInKernel(_ breakpoint: Breakpoint) -> Bool {
        guard let process, let condition = breakpoint.condition, breakpoint.hardware == nil else {
            breakpoint.evaluation = .debugger(reason: nil)
            return false
        }
        if let reason = kernelObstacle(breakpoint, condition, process) {
            breakpoint.evaluation = .debugger(reason: reason)
            return false
        }
        guard let probes = process.kernelProbes else {
            breakpoint.evaluation = .debugger(reason: "the target is not a local process the kernel can probe")
            return false
        }
        do {
            // Symbols resolve to globals (no frame): a word that names a local where the
            // breakpoint is stays with the debugger, which reads it in the hit frame.
            let words: [String]
            switch condition.expression {
            case .masm(let masm): words = masm.words
            case .cpp(let cpp): words = cpp.words
            }
            let locals = words.isEmpty ? [] : breakpoint.locations.reduce(into: Set<String>()) { $0.formUnion(localNames(at: $1)) }
            if let local = words.first(where: locals.contains) { throw NotLowerable("it names \(local), a local variable where the breakpoint is") }
            let machine = try condition.lowered(FrameScope(session: self, thread: nil))
            if breakpoint.remaining > 1 {
                guard let slot = try probes.allocatePassSlot(Int64(breakpoint.remaining)) else {
                    breakpoint.evaluation = .debugger(reason: "every kernel pass counter is in use")
                    return false
                }
                breakpoint.passSlot = slot
            }
            for address in breakpoint.locations {
                guard let region = process.target.memoryMap().first(where: { $0.range.contains(address) }), region.path.hasPrefix("/") else {
                    throw KernelProbeError("\(formatAddress(address)) is not in a mapped file")
                }
                let original = readMemory(address, count: 1)
                let probe = try probes.attach(address: address, path: region.path, fileOffset: address - region.range.lowerBound + region.offset,
                                              condition: machine, negated: condition.negated, thread: breakpoint.thread, passSlot: breakpoint.passSlot)
                breakpoint.probes.append(probe)
                process.probedBytes[address] = original.first
            }
            breakpoint.evaluation = .kernel
            return true
        } catch let error as NotLowerable {
            breakpoint.evaluation = .debugger(reason: "the condition is for the debugger: \(error.description)")
        } catch {
            // The machine cannot (no BPF, no uprobes, not allowed): said once, not an error.
            let reason = "\(error)"
            if !kernelNoteShown {
                kernelNoteShown = true
                onEvent(.notice(.conditionsInDebugger(reason: reason)))
            }
            breakpoint.evaluation = .debugger(reason: reason)
        }
        unplantFromKernel(breakpoint)
        return false
    }

    /// The names of the parameters and locals in scope at an address.
    private func localNames(at address: UInt64) -> Set<String> {
        guard let module = process?.modules.module(containing: address), let files = module.symbolFiles else { return [] }
        let frame = FrameContext(registers: [:], cfa: nil, bias: module.bias, isInnermost: true, readMemory: { _, _ in nil })
        return Set(files.variables(at: address &- module.bias, frame: frame, includeLocals: true)?.parameters.map(\.name) ?? [])
    }

    /// Why this breakpoint cannot go to the kernel, before trying; nil when it can.
    private func kernelObstacle(_ breakpoint: Breakpoint, _ condition: BreakpointCondition, _ process: DebuggedProcess) -> String? {
        guard kernelConditions else { return "kernel conditions are off (.kernelconditions)" }
        if condition.testedAfterPasses && breakpoint.remaining > 1 { return "its passes are counted before the condition" }
        if condition.testedAfterPasses && breakpoint.oneShot { return "a one-shot command string is used up by its first hit" }
        for address in breakpoint.locations {
            if process.sites[address] != nil { return "another breakpoint or a step uses \(formatAddress(address))" }
            if process.probedBytes[address] != nil { return "another breakpoint's probe is at \(formatAddress(address))" }
            if let hazard = disassembler.reexecutionHazard(readMemory(address, count: 16), at: address) {
                return "the instruction at \(formatAddress(address)) cannot run twice: \(hazard)"
            }
        }
        return nil
    }

    /// Every probe out, with the passes left read back (exec, detach, the end of the process).
    func removeKernelProbes() {
        guard let process else { return }
        for breakpoint in breakpoints where !breakpoint.probes.isEmpty || breakpoint.passSlot != nil {
            unplantFromKernel(breakpoint)
            breakpoint.evaluation = .debugger(reason: nil)  // decided again where it is planted next
        }
        process.kernelProbes?.removeAll()
        process.probedBytes.removeAll()
    }

    /// Takes a breakpoint's probes out (its passes left kept).
    func unplantFromKernel(_ breakpoint: Breakpoint) {
        guard let process else { return }
        if let slot = breakpoint.passSlot {
            if let left = process.kernelProbes?.passes(slot) { breakpoint.remaining = max(1, Int(left)) }
            process.kernelProbes?.releasePassSlot(slot)
            breakpoint.passSlot = nil
        }
        for probe in breakpoint.probes {
            process.kernelProbes?.detach(probe)
            process.probedBytes[probe.address] = nil
        }
        breakpoint.probes = []
    }

    /// An int3 is wanted where a probe is (a step's, a trace's, another breakpoint's): the
    /// kernel would take its trap as the probe's, so the probed breakpoints go back to int3s.
    func yieldProbes(at address: UInt64) throws(EngineError) {
        guard let process, process.probedBytes[address] != nil else { return }
        for breakpoint in breakpoints where breakpoint.probes.contains(where: { $0.address == address }) {
            // The kernel's int3 may linger a moment in the text: the saved bytes are the originals.
            let originals = process.probedBytes
            unplantFromKernel(breakpoint)
            breakpoint.evaluation = .debugger(reason: "another breakpoint or a step uses \(formatAddress(address))")
            breakpoint.yieldedProbes = true
            for location in breakpoint.locations {
                try insertSite(location, isInternal: false)
                if let original = originals[location] { process.sites[location]?.originalByte = original }
                // A thread whose probe hit was reported there goes on over the int3, as from a trap.
                for thread in process.threads where thread.kernelHitAt?.address == location {
                    thread.kernelHitAt = nil
                    thread.trappedAt = location
                }
            }
        }
    }

    /// Before a resume: breakpoints whose probes gave way get them back where their int3s
    /// are theirs alone again. A thread standing on one (it hit the int3) runs the
    /// instruction once without the probe taking it as a new hit.
    func regainProbes() {
        guard let process else { return }
        for breakpoint in breakpoints where breakpoint.yieldedProbes && breakpoint.enabled {
            guard breakpoint.locations.allSatisfy({ process.sites[$0].map { $0.internalUsers == 0 && $0.users == 1 } ?? false }) else { continue }
            breakpoint.yieldedProbes = false
            for location in breakpoint.locations { try? removeSite(location, isInternal: false) }
            guard plantInKernel(breakpoint) else {
                for location in breakpoint.locations { try? insertSite(location, isInternal: false) }
                continue
            }
            for thread in process.threads {
                guard let registers = try? self.registers(thread), breakpoint.locations.contains(registers.rip),
                      thread.trappedAt == registers.rip || thread.reportedAt == registers.rip else { continue }
                thread.trappedAt = nil
                thread.kernelHitAt = (registers.rip, registers.rsp)
            }
        }
    }

    /// A thread's SIGSTOP that was a probe's hit: the thread stands at the breakpoint with the
    /// registers it had there, and the hit is reported as an int3's would be (or, where the
    /// probe could not evaluate the condition, the debugger evaluates it and says why).
    func kernelHit(_ hit: KernelHit, _ thread: ThreadInfo) throws(EngineError) -> StopEvent? {
        var registers = try self.registers(thread)
        for (slot, value) in hit.registerSlots.enumerated() { registers.slots[slot] = value }
        registers.rip = hit.address
        stage(registers, thread)
        thread.signalToDeliver = 0
        thread.kernelHitAt = (hit.address, registers.rsp)
        let candidates = breakpoints.filter { $0.enabled && $0.probes.contains { $0.address == hit.address } }
        guard hit.evaluated, let breakpoint = candidates.first else {
            // The probe could not read the memory: the debugger evaluates, and counts the pass.
            for candidate in candidates { if let slot = candidate.passSlot, let left = process?.kernelProbes?.passes(slot) { candidate.remaining = max(1, Int(left)) } }
            let stop = try userBreakpointStop(candidates, thread)
            for candidate in candidates { if let slot = candidate.passSlot { process?.kernelProbes?.setPasses(slot, Int64(candidate.remaining)) } }
            return stop
        }
        if let slot = breakpoint.passSlot, let left = process?.kernelProbes?.passes(slot) { breakpoint.remaining = max(1, Int(left)) }
        breakpoint.conditionError = nil
        if breakpoint.oneShot { try removeBreakpoint(breakpoint) }
        process?.current = thread
        return StopEvent(kind: .breakpoint(breakpoint), thread: thread.tid)
    }

    /// A thread resumed where its probe hit was reported runs the instruction again: the probe
    /// lets that execution go. Moved elsewhere (`r rip=`), it owes nothing.
    func settleKernelHit(_ thread: ThreadInfo, _ registers: X86Registers) {
        guard let (address, stackPointer) = thread.kernelHitAt else { return }
        thread.kernelHitAt = nil
        guard registers.rip == address, registers.rsp == stackPointer, let process, process.probedBytes[address] != nil else { return }
        process.kernelProbes?.skipNextHit(thread.tid, address: address, stackPointer: stackPointer)
    }
}
