import Arch
import Glibc

/// A stop reply, parsed: `T05thread:p1.2;swbreak:;`, `S05`, `W00;process:1`, `X09`, `w00;p1.2`.
/// The fields say why (`swbreak`, `hwbreak`, `watch:addr`, lldb's `reason:breakpoint`), which
/// thread, and what else the stub tells (`threads:`, `exec:path`).
public struct RemoteStopReply: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Stopped with this signal (the stub's number).
        case signal(Int32)
        /// The process exited with this code / was killed by this signal.
        case exited(Int32)
        case killed(Int32)
        /// One thread exited (`w`, where a stub reports thread events).
        case threadExited(Int32)
    }
    public let kind: Kind
    /// The thread id as the stub writes it (`p1a2b.1a2c`, `1a2c`).
    public let thread: String?
    public let fields: [String: String]

    public init?(_ text: String) {
        guard let letter = text.first else { return nil }
        let parts = text.dropFirst().split(separator: ";", omittingEmptySubsequences: true)
        guard let code = parts.first.flatMap({ Int32($0.prefix(2), radix: 16) }) else { return nil }
        var fields: [String: String] = [:]
        switch letter {
        case "T":
            // `T05` runs straight into the first field: `T05thread:p1.2;`.
            let first = parts[0].dropFirst(2)
            for field in (first.isEmpty ? [] : [first]) + parts.dropFirst() {
                let pair = field.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                fields[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
            }
            kind = .signal(code)
            thread = fields["thread"]
        case "S": kind = .signal(code); thread = nil
        case "W": kind = .exited(code); thread = nil
        case "X": kind = .killed(code); thread = nil
        case "w": kind = .threadExited(code); thread = parts.count > 1 ? String(parts[1]) : nil
        default: return nil
        }
        self.fields = fields
    }

    /// The data address a watchpoint stop names (gdb's `watch`/`rwatch`/`awatch`, lldb's
    /// `reason:watchpoint` with the address first in its hex-encoded `description`).
    var watchAddress: UInt64? {
        if let value = fields["watch"] ?? fields["rwatch"] ?? fields["awatch"] { return UInt64(value, radix: 16) }
        guard fields["reason"] == "watchpoint", let described = fields["description"],
              let (bytes, _) = RemotePackets.bytes(fromHex: Array(described.utf8)) else { return nil }
        return String(decoding: bytes, as: UTF8.self).split(separator: " ").first.flatMap { UInt64($0) }
    }

    /// A software breakpoint's trap (gdb's `swbreak`, lldb's `reason:breakpoint`).
    var isBreakpoint: Bool { fields["swbreak"] != nil || fields["reason"] == "breakpoint" }
}

/// What run control over a stub keeps between calls. A stub is all-stop: one `vCont` runs
/// every thread and one stop reply stops them all. The engine resumes thread by thread and
/// asks for stops thread by thread; the resumes are gathered into the next `vCont`, and a
/// thread the engine still thinks runs is simply resumed again with it.
struct RemoteRunState {
    /// Resuming works: the stub has `vCont` with c, s, C and S.
    var canRun = false
    /// `QListThreadsInStopReply`: each stop reply lists the threads (`threads:`).
    var threadsInStopReplies = false
    /// Threads the engine resumed and has not seen stop, with what the next `vCont` asks.
    var running: [ThreadID: Action] = [:]
    /// Threads asked to stop (`requestStop`) whose stop is not reported yet.
    var owedStops: Set<ThreadID> = []
    /// Events the stub reported at once (threads that appeared or went, a process's end).
    var queued: [TargetEvent] = []
    /// Software breakpoints in place (`Z0`).
    var softwareBreakpoints: Set<UInt64> = []
    /// Hardware breakpoints and watchpoints in place (`Z1`–`Z4`), by debug-register slot.
    var hardware: [HardwarePoint?] = [nil, nil, nil, nil]
    /// The process has ended (exited, killed): nothing more runs.
    var ended = false
    /// The stub no longer has the process for this session (detached, killed).
    var released = false
    /// Threads detached so far (the stub detaches the process at once, after the last).
    var detached: Set<ThreadID> = []
    /// The threads are fixed (a machine's CPUs): no list to refresh at each stop.
    var fixedThreads = false
    /// Threads the last `vCont` stepped, and those whose last stop ended a step.
    var stepping: Set<ThreadID> = []
    var stepped: Set<ThreadID> = []
    /// A vfork child runs in the memory: breakpoints are out of it until `vforkdone` (those
    /// planted or removed meanwhile are only noted).
    var inVfork = false
    /// How registers are written, once known: `P` one by one, or `G` for all.
    var registerPackets: RegisterPackets?

    enum RegisterPackets { case single, whole }

    struct Action {
        var step: Bool
        /// Delivered with the first `vCont` only.
        var signal: Int32
    }
}

/// One `Z1`–`Z4` point, as x86's DR7 describes a slot.
struct HardwarePoint: Equatable {
    /// 1 execute, 2 write, 3 read, 4 access (the Z packet's type).
    let type: Int
    let address: UInt64
    let length: Int

    /// The slot's point from DR0–DR3 and DR7 (nil where the slot is disabled).
    init?(slot: Int, of registers: DebugRegisters) {
        guard registers.control & (1 << (2 * UInt64(slot))) != 0 else { return nil }
        let access = (registers.control >> (16 + 4 * UInt64(slot))) & 3
        let size = (registers.control >> (18 + 4 * UInt64(slot))) & 3
        type = [1, 2, 0, 4][Int(access)]
        length = [1, 2, 8, 4][Int(size)]
        address = registers.addresses[slot]
        if type == 0 { return nil }  // I/O breakpoints have no Z packet
    }

    func covers(_ data: UInt64) -> Bool { data >= address && data < address &+ UInt64(length) }
}

extension RemoteTarget {
    private func expectOK(_ packet: String, _ what: @autoclosure () -> String) throws(TargetError) {
        let reply = try connection.request(packet)
        guard reply == Array("OK".utf8) else {
            throw TargetError(reply.isEmpty ? "remote: the stub cannot \(what())" : "remote: the stub refused to \(what()): \(String(decoding: reply, as: UTF8.self))")
        }
    }

    private func requireRunControl() throws(TargetError) {
        guard control.canRun else { throw TargetError("remote: the stub cannot resume threads one by one (no vCont with c, s, C and S)") }
    }

    // MARK: memory and registers

    public func writeMemory(_ address: UInt64, _ bytes: [UInt8]) throws(TargetError) {
        guard !bytes.isEmpty else { return }
        memoryPieces.removeAll()
        var offset = 0
        let chunk = 2048
        while offset < bytes.count {
            let piece = Array(bytes[offset..<min(bytes.count, offset + chunk)])
            let at = address &+ UInt64(offset)
            let head = "\(String(at, radix: 16)),\(String(piece.count, radix: 16)):"
            // Binary `X` (the framing escapes it); `M` with hex where a stub has no `X`.
            var reply = try connection.request(Array(("X" + head).utf8) + piece)
            if reply.isEmpty { reply = try connection.request("M" + head + hexDigits(piece)) }
            guard reply == Array("OK".utf8) else {
                throw TargetError("Memory at \(String(at, radix: 16)) could not be written: \(String(decoding: reply, as: UTF8.self))")
            }
            offset += piece.count
        }
    }

    /// Writes only where the program could (a writable mapping): the stub's own writes go
    /// through ptrace, which writes read-only pages too.
    public func writeMemoryAsProgram(_ address: UInt64, _ bytes: [UInt8]) -> Bool {
        let end = address &+ UInt64(bytes.count)
        guard memoryMap().contains(where: { $0.writable && $0.range.lowerBound <= address && end <= $0.range.upperBound }) else { return false }
        return (try? writeMemory(address, bytes)) != nil
    }

    public func setRegisters(_ new: X86Registers, _ thread: ThreadID) throws(TargetError) {
        var bytes = try registerBytes(thread)
        let aliases = ["efl": ["eflags", "rflags"]]
        for name in X86Registers.slotNames {
            guard let value = new.value(named: name),
                  let register = (aliases[name] ?? [name]).lazy.compactMap({ candidate in self.registers.first { $0.name == candidate } }).first else { continue }
            patch(&bytes, register, [UInt8](littleEndian: value, size: min(8, register.bitSize / 8)))
        }
        try store(bytes, thread)
    }

    public func setVectorState(_ state: VectorState, _ thread: ThreadID) throws(TargetError) {
        var bytes = try registerBytes(thread)
        func named(_ name: String) -> RemoteRegister? { registers.first { $0.name == name } }
        if let mxcsr = state.mxcsr, let register = named("mxcsr") { patch(&bytes, register, [UInt8](littleEndian: UInt64(mxcsr), size: 4)) }
        for index in 0..<16 {
            guard let lanes = state.lanes(index, wide: true) ?? state.lanes(index, wide: false) else { continue }
            let laneBytes = lanes.flatMap { [UInt8](littleEndian: UInt64($0), size: 4) }
            if let low = named("xmm\(index)") { patch(&bytes, low, Array(laneBytes.prefix(16))) }
            if lanes.count == 8, let high = named("ymm\(index)h") { patch(&bytes, high, Array(laneBytes.suffix(16))) }
        }
        try store(bytes, thread)
    }

    private func patch(_ bytes: inout [UInt8], _ register: RemoteRegister, _ value: [UInt8]) {
        let size = register.bitSize / 8
        guard register.offset >= 0, register.offset + size <= bytes.count else { return }
        var field = Array(bytes[register.offset..<register.offset + size])
        field.replaceSubrange(0..<min(size, value.count), with: value.prefix(size))
        bytes.replaceSubrange(register.offset..<register.offset + size, with: field)
    }

    /// Sends the registers that changed, one `P` each (lldb-server's way; a sub-register such
    /// as eax goes with rax, not apart), or the whole `G` where the stub has no `P` (gdbserver).
    private func store(_ bytes: [UInt8], _ thread: ThreadID) throws(TargetError) {
        let old = try registerBytes(thread)
        func span(_ register: RemoteRegister) -> Range<Int> { register.offset..<register.offset + register.bitSize / 8 }
        let changed = registers.filter { span($0).upperBound <= bytes.count && bytes[span($0)] != old[span($0)] }
        guard !changed.isEmpty else { return }
        try selectThread(thread)
        let whole = changed.filter { part in
            !changed.contains { $0.bitSize > part.bitSize && span($0).lowerBound <= span(part).lowerBound && span($0).upperBound >= span(part).upperBound }
        }
        var sent = false
        if control.registerPackets != .whole {
            for register in whole {
                let reply = try connection.request("P\(String(register.number, radix: 16))=\(hexDigits(bytes[span(register)]))")
                if reply == Array("OK".utf8) { control.registerPackets = .single; sent = true; continue }
                guard reply.isEmpty, control.registerPackets == nil else {
                    cachedRegisters[thread] = nil  // some may be written: read them again
                    throw TargetError("remote: the stub refused to set \(register.name): \(String(decoding: reply, as: UTF8.self))")
                }
                control.registerPackets = .whole
                break
            }
        }
        if !sent || control.registerPackets == .whole {
            guard let length = generalLength[thread], length <= bytes.count else { throw TargetError("remote: the registers of thread \(thread) cannot be written") }
            try expectOK("G" + hexDigits(bytes.prefix(length)), "write the registers (G)")
        }
        cachedRegisters[thread] = bytes
    }

    // MARK: breakpoints

    /// `Z0`: the stub plants the int3 and hides it from reads; the byte under it is read first.
    public func insertSoftwareBreakpoint(at address: UInt64) throws(TargetError) -> UInt8 {
        guard let original = readMemory(address, count: 1).first else { throw TargetError("Memory at \(String(address, radix: 16)) cannot be read") }
        if control.softwareBreakpoints.contains(address) { return original }
        if !control.inVfork { try expectOK("Z0,\(String(address, radix: 16)),1", "insert a breakpoint at \(String(address, radix: 16))") }
        control.softwareBreakpoints.insert(address)
        return original
    }

    public func removeSoftwareBreakpoint(at address: UInt64, original: UInt8) throws(TargetError) {
        guard control.softwareBreakpoints.remove(address) != nil, !control.ended, !control.inVfork else { return }
        try expectOK("z0,\(String(address, radix: 16)),1", "remove the breakpoint at \(String(address, radix: 16))")
    }

    /// Slot by slot: points that changed come out (`z`), the new ones go in (`Z`); a refused
    /// one leaves the slot empty and is an error.
    public func setHardwareBreakpoints(_ registers: DebugRegisters) throws(TargetError) {
        for slot in 0..<4 {
            let wanted = HardwarePoint(slot: slot, of: registers)
            guard wanted != control.hardware[slot] else { continue }
            if let old = control.hardware[slot], !control.ended {
                try expectOK("z\(old.type),\(String(old.address, radix: 16)),\(old.length)", "remove a hardware breakpoint")
            }
            control.hardware[slot] = nil
            if let wanted {
                try expectOK("Z\(wanted.type),\(String(wanted.address, radix: 16)),\(wanted.length)", "set a hardware breakpoint at \(String(wanted.address, radix: 16))")
                control.hardware[slot] = wanted
            }
        }
    }

    /// From the thread's stop reply: a breakpoint's trap, a watchpoint's or hardware
    /// breakpoint's (which slot, by address), or a finished step.
    public func trapCause(_ thread: ThreadID) -> TrapCause {
        guard let stop = lastStops[thread] else { return .sent }
        let pc = (try? registers(thread))?.rip
        func fired(_ matches: (HardwarePoint) -> Bool) -> UInt8 {
            control.hardware.enumerated().reduce(UInt8(0)) { bits, slot in
                slot.element.map(matches) == true ? bits | UInt8(1 << slot.offset) : bits
            }
        }
        if let data = stop.watchAddress { return .debugException(fired: fired { $0.type != 1 && $0.covers(data) }) }
        let executeHit = pc.map { pc in fired { $0.type == 1 && $0.address == pc } } ?? 0
        // One of ours: said so (gdbserver, lldb-server), or a run (not a step) that stopped on
        // it (QEMU says nothing).
        if let pc, control.softwareBreakpoints.contains(pc), stop.isBreakpoint || !control.stepped.contains(thread) { return .breakpointInstruction }
        if executeHit != 0 { return .debugException(fired: executeHit) }
        return stop.isBreakpoint ? .breakpointInstruction : .debugException(fired: 0)
    }

    // MARK: run control

    public func resume(_ thread: ThreadID, singleStep: Bool, signal: Int32) throws(TargetError) {
        if control.ended { return }
        try requireRunControl()
        guard threadIDs[thread] != nil else { throw TargetError("No thread \(thread) under the stub") }
        control.running[thread] = .init(step: singleStep, signal: signal)
    }

    /// The stub has stopped every thread already; the stop is owed and reported next.
    public func requestStop(_ thread: ThreadID) throws(TargetError) {
        guard control.running[thread] != nil else { return }
        control.owedStops.insert(thread)
    }

    public func hasOutstandingStop(_ thread: ThreadID) -> Bool { control.owedStops.contains(thread) }

    /// Ctrl-C's interrupt byte stops the stub itself: no stop signal to assign.
    public func expectStop(_ thread: ThreadID) {}

    public var kernelProbes: KernelProbes? { nil }

    /// Owed and queued events first; otherwise one `vCont` resumes what the engine resumed
    /// (and what it still thinks runs) and the stop reply is read, with Ctrl-C's interrupt
    /// byte allowed onto the connection meanwhile.
    public func waitForEvent() throws(TargetError) -> TargetEvent {
        if !control.queued.isEmpty {
            let event = control.queued.removeFirst()
            // Stopped already: a resume since it was queued is void.
            if case .stopped(let tid, _) = event { control.running[tid] = nil }
            return event
        }
        control.owedStops = control.owedStops.filter { control.running[$0] != nil }
        if let owed = threadOrder.first(where: control.owedStops.contains) {
            control.owedStops.remove(owed)
            control.running[owed] = nil
            return .stopped(owed, .requested)
        }
        guard !control.ended else { throw TargetError("remote: the process has ended") }
        guard let first = threadOrder.first(where: { control.running[$0] != nil }) else { throw TargetError("remote: no thread was resumed") }
        // A Ctrl-C while the stub stood still (the engine between two stops): a break-in now.
        if BreakIn.peekRequest() == .requested {
            control.running[first] = nil
            return .stopped(first, .signal(SIGINT))
        }
        try sendResume()
        while true {
            // Ctrl-C's byte goes to the stub only while it runs the target.
            BreakIn.armInterruptByte(true)
            let received: [UInt8]
            do { received = try connection.receive(waitingForever: true) } catch {
                BreakIn.armInterruptByte(false)
                throw error
            }
            BreakIn.armInterruptByte(false)
            let text = String(decoding: received, as: UTF8.self)
            // Console output (`O` and hex) comes before the stop: it is the program's.
            if text.hasPrefix("O"), text != "OK", let (bytes, _) = RemotePackets.bytes(fromHex: Array(text.utf8.dropFirst())) {
                _ = bytes.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
                continue
            }
            guard let reply = RemoteStopReply(text) else { throw TargetError("remote: not a stop reply: \(text.prefix(80))") }
            if try passedVfork(reply) { continue }
            if let event = try event(for: reply) { return event }
            try sendResume()
        }
    }

    /// One `vCont` for what the engine resumed: steps and signals by thread, the rest by the
    /// default action where every thread runs (a thread that exited meanwhile is not named:
    /// gdbserver 13 dies of it). A signal goes with the first `vCont` only.
    private func sendResume() throws(TargetError) {
        let everyThreadRuns = threadOrder.allSatisfy { control.running[$0] != nil }
        var actions = threadOrder.compactMap { tid -> String? in
            guard let action = control.running[tid], let id = threadIDs[tid] else { return nil }
            let signal = stubSignal(action.signal)
            if everyThreadRuns && !action.step && signal == 0 { return nil }
            let letter = action.step ? (signal != 0 ? "S" : "s") : (signal != 0 ? "C" : "c")
            return (signal != 0 ? letter + hexDigits([UInt8(truncatingIfNeeded: signal)]) : letter) + ":" + id
        }
        if everyThreadRuns { actions.append("c") }
        for tid in control.running.keys { control.running[tid]?.signal = 0 }
        control.stepping = Set(control.running.filter { $0.value.step }.keys)
        cachedRegisters.removeAll()
        cachedMap = nil
        memoryPieces.removeAll()
        selectedThread = nil
        try connection.send(Array(("vCont;" + actions.joined(separator: ";")).utf8))
    }

    /// A vfork child runs in the parent's memory until it execs or exits: the breakpoints
    /// come out for that time (as gdb does) and the child is let go; at `vforkdone` they go
    /// back. Neither stop is the engine's: the target runs on. True when the reply was one.
    private func passedVfork(_ reply: RemoteStopReply) throws(TargetError) -> Bool {
        if let child = reply.fields["vfork"] {
            for address in control.softwareBreakpoints.sorted() { try expectOK("z0,\(String(address, radix: 16)),1", "lift a breakpoint over a vfork") }
            control.inVfork = true
            try detachChild(child)
        } else if reply.fields["vforkdone"] != nil {
            // Those the engine has now (it may have planted or removed some meanwhile).
            control.inVfork = false
            for address in control.softwareBreakpoints.sorted() { try expectOK("Z0,\(String(address, radix: 16)),1", "put a breakpoint back after a vfork") }
        } else {
            return false
        }
        if let tid = reply.thread.map({ Self.parseThread($0).thread }), control.running[tid] == nil { control.running[tid] = .init(step: false, signal: 0) }
        try sendResume()
        return true
    }

    /// Lets a fork or vfork child go (`D;pid`): the stub takes its breakpoints out of it.
    private func detachChild(_ id: String) throws(TargetError) {
        let (process, thread) = Self.parseThread(id)
        try expectOK("D;\(String(process ?? thread, radix: 16))", "let the child process \(process ?? thread) go")
    }

    /// The engine's event for a stop reply (nil: not the target's, run on); threads it reveals
    /// or loses are queued after it.
    private func event(for reply: RemoteStopReply) throws(TargetError) -> TargetEvent? {
        let thread = reply.thread.map { Self.parseThread($0).thread }
        switch reply.kind {
        case .exited(let code):
            return endProcess(exitCode: code, signal: nil)
        case .killed(let signal):
            return endProcess(exitCode: nil, signal: linuxSignal(signal))
        case .threadExited(let code):
            guard let thread else { throw TargetError("remote: a thread-exit reply without its thread") }
            forget(thread)
            return .threadGone(thread, exitCode: code, signal: nil)
        case .signal(let number):
            let tid = thread ?? threadOrder.first { control.running[$0] != nil } ?? processID
            // Another process of the stub's (a fork child not let go yet): not this target's.
            if let id = reply.thread, let process = Self.parseThread(id).process, process != processID {
                try detachChild(id)
                return nil
            }
            control.running[tid] = nil
            control.owedStops.remove(tid)
            lastStops[tid] = reply
            // QEMU makes the CPU that stopped the one register and memory requests are about.
            if control.fixedThreads, reply.thread != nil { selectedThread = tid }
            if control.stepping.contains(tid) { control.stepped.insert(tid) } else { control.stepped.remove(tid) }
            let isNew = threadIDs[tid] == nil
            if isNew { learn(tid, id: reply.thread ?? String(tid, radix: 16)) }
            if let list = reply.fields["threads"] {
                reconcile(list.split(separator: ",").map(String.init), stopped: tid)
            } else if !control.threadsInStopReplies && !control.fixedThreads {
                reconcile(try Self.threadList(connection), stopped: tid)
            }
            let stop = stopEvent(reply, thread: tid, number: number)
            // A thread seen first at a stop of its own (no thread events): it starts, then stops.
            if isNew {
                control.queued.insert(stop, at: 0)
                return .stopped(tid, .started)
            }
            return stop
        }
    }

    /// What a signal stop of one of the target's threads is: a fork, an exec, or the signal.
    private func stopEvent(_ reply: RemoteStopReply, thread tid: ThreadID, number: Int32) -> TargetEvent {
        if let child = reply.fields["fork"] {
            let (process, thread) = Self.parseThread(child)
            return .stopped(tid, .forked(child: process ?? thread, sharesMemory: false))
        }
        if let path = reply.fields["exec"], let (bytes, _) = RemotePackets.bytes(fromHex: Array(path.utf8)) {
            executablePath = String(decoding: bytes, as: UTF8.self)
            control.softwareBreakpoints.removeAll()
            control.hardware = [nil, nil, nil, nil]
            for other in threadOrder where other != tid { forget(other) }
            return .stopped(tid, .exec)
        }
        // gdbserver answers a vCont that a thread cannot run (a pending status) with 0.
        return .stopped(tid, number == 0 ? .requested : .signal(linuxSignal(number)))
    }

    private func learn(_ thread: ThreadID, id: String) {
        threadIDs[thread] = id
        threadOrder.append(thread)
    }

    private func forget(_ thread: ThreadID) {
        threadIDs[thread] = nil
        threadOrder.removeAll { $0 == thread }
        control.running[thread] = nil
        control.owedStops.remove(thread)
        lastStops[thread] = nil
    }

    /// lldb-server's `threads:` list: the ones not known yet start, the ones missing are gone
    /// (never the one that just stopped: it is there, whatever the list says).
    private func reconcile(_ ids: [String], stopped: ThreadID) {
        // A fork child not let go yet is the stub's other process: not ours.
        let own = ids.filter { Self.parseThread($0).process.map { $0 == processID } ?? true }
        let listed = Dictionary(own.map { (Self.parseThread($0).thread, $0) }, uniquingKeysWith: { first, _ in first })
        for tid in threadOrder where listed[tid] == nil && tid != stopped {
            forget(tid)
            control.queued.append(.threadGone(tid, exitCode: nil, signal: nil))
        }
        for (tid, id) in listed.sorted(by: { $0.key < $1.key }) where threadIDs[tid] == nil {
            learn(tid, id: id)
            control.queued.append(.stopped(tid, .started))
        }
    }

    /// Every thread goes with the process, the main thread last and with the status.
    private func endProcess(exitCode: Int32?, signal: Int32?) -> TargetEvent {
        control.ended = true
        control.released = true
        let order = threadOrder.filter { $0 != processID } + threadOrder.filter { $0 == processID }
        for tid in order { forget(tid) }
        var events: [TargetEvent] = order.dropLast().map { .threadGone($0, exitCode: nil, signal: nil) }
        events.append(.threadGone(order.last ?? processID, exitCode: exitCode, signal: signal))
        control.queued += events.dropFirst()
        return events[0]
    }

    /// The handler state from the process's status file, read through the stub.
    public func disposition(of signal: Int32) -> SignalDisposition {
        signalDisposition(signal, status: remoteFile("/proc/\(processID)/status").map { String(decoding: $0, as: UTF8.self) } ?? "")
    }

    public func isSignalPending(_ signal: Int32) -> Bool {
        let status = remoteFile("/proc/\(processID)/status").map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (signalMask("ShdPnd:", in: status) | signalMask("SigPnd:", in: status)) & signalBit(signal) != 0
    }

    /// The stub detaches the whole process: after the last thread, with what the debugger
    /// planted already out.
    public func detach(_ thread: ThreadID, signal: Int32) throws(TargetError) {
        control.detached.insert(thread)
        guard !control.released, threadOrder.allSatisfy(control.detached.contains) else { return }
        try? setHardwareBreakpoints(DebugRegisters())
        control.released = true
        try expectOK(forProcess("D"), "detach")
    }

    /// `vKill` (extended mode) or `k`; the threads' ends are reported as events.
    public func terminate() {
        guard !control.ended else { return }
        if (try? connection.request(forProcess("vKill"))) != Array("OK".utf8) {
            try? connection.send(Array("k".utf8))
        }
        control.queued.insert(endProcess(exitCode: nil, signal: SIGKILL), at: 0)
    }

    public func handTerminal(toTarget: Bool) {}

    /// A fork child is not debugged: its breakpoints come out, and the stub detaches it.
    public func releaseForkChild(_ child: Int32, restore: [(address: UInt64, byte: UInt8)]) {
        // The child's copy of the memory has the int3s: gdbserver gave the child a copy of its
        // breakpoints, which come out of it as gdb takes them out (`z0` with the child
        // selected); a stub that says no gets the program's byte written back.
        let id = multiprocess ? "p\(String(child, radix: 16)).\(String(child, radix: 16))" : String(child, radix: 16)
        if !restore.isEmpty, (try? connection.request("Hg" + id)) == Array("OK".utf8) {
            selectedThread = nil
            for (address, byte) in restore where (try? connection.request("z0,\(String(address, radix: 16)),1")) != Array("OK".utf8) {
                _ = try? connection.request("M\(String(address, radix: 16)),1:\(hexDigits([byte]))")
            }
        }
        try? detachChild(id)
        // The stub's selected thread was the child's, now gone: memory requests need one of ours.
        selectedThread = nil
        if let parent = threadOrder.first { try? selectThread(parent) }
    }

    /// `D` or `vKill` for this process: with its pid where the stub speaks multiprocess.
    private func forProcess(_ packet: String) -> String {
        multiprocess ? "\(packet);\(String(processID, radix: 16))" : packet
    }

    /// What deinit does for a process the session did not end or detach: a stub's own
    /// program is killed, an attached one detached.
    func releaseProcess() {
        guard !control.released else { return }
        control.released = true
        if launched {
            _ = try? connection.request(forProcess("vKill"))
        } else {
            _ = try? connection.request(forProcess("D"))
        }
    }
}
