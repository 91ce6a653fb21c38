import Arch
import Targets

/// Scratch code pages in the program for executing displaced instructions out of line (as
/// the kernel's uprobes and gdb's displaced stepping do): a thread that hit a breakpoint
/// resumes at a copy of the instruction under the int3 followed by a jump back, so resuming
/// costs no extra stop, the int3 stays in place for the other threads, and none of them is
/// ever held while one is stepped. Each page lies within ±2 GiB of the sites it serves, so
/// rip-relative operands reach the same data and the jump back is a rel32.
struct ScratchPages {
    /// Bytes per slot: the longest instruction (15) plus the jump back (5), rounded up.
    static let slotSize: UInt64 = 32
    static let pageSize: UInt64 = 4096

    /// The slot of each site that has one.
    private(set) var slots: [UInt64: Slot] = [:]
    /// Where each allocated page's next free slot is.
    private(set) var pages: [(base: UInt64, used: UInt64)] = []
    /// Allocation keeps failing (mmap refused, no gap in reach): sites are single-stepped instead.
    var unavailable = false
    var failures = 0
    /// A thread was resumed into a slot with a signal to deliver: its handler's frame may
    /// return into the page, so the pages stay mapped after a detach.
    var signalFramesMayReturnHere = false

    struct Slot {
        let site: UInt64
        let address: UInt64
        let length: UInt64
    }

    /// The site and what of it ran, for a thread stopped inside a slot (a signal, a fault
    /// of the displaced instruction): at the copy nothing ran yet; at the jump back it did.
    func translate(_ rip: UInt64) -> (address: UInt64, executed: Bool)? {
        guard pages.contains(where: { rip >= $0.base && rip < $0.base + Self.pageSize }) else { return nil }
        for slot in slots.values where rip >= slot.address && rip < slot.address + Self.slotSize {
            return rip == slot.address ? (slot.site, false) : (slot.site &+ slot.length, true)
        }
        return nil
    }

    func slot(for site: UInt64) -> Slot? { slots[site] }

    /// A free slot address in a page that reaches `site`, if there is one.
    mutating func freeSlot(near site: UInt64) -> UInt64? {
        for index in pages.indices where pages[index].used + Self.slotSize <= Self.pageSize && Self.reaches(pages[index].base, site) {
            let address = pages[index].base + pages[index].used
            pages[index].used += Self.slotSize
            return address
        }
        return nil
    }

    mutating func add(page base: UInt64) { pages.append((base, 0)) }

    mutating func record(_ slot: Slot) { slots[slot.site] = slot }

    /// A site's int3 was removed (or its module unloaded): its slot is not used again.
    mutating func forget(site: UInt64) { slots[site] = nil }

    var pageBases: [UInt64] { pages.map(\.base) }

    /// No page mapped yet (checked at every stop: no array built for it).
    var isEmpty: Bool { pages.isEmpty }

    /// Whether a rel32 from a page reaches a site and back.
    static func reaches(_ page: UInt64, _ site: UInt64) -> Bool {
        let distance = page > site ? page - site : site - page
        return distance < 0x7000_0000
    }
}

extension Session {
    /// Resumes a thread that stands on a breakpoint at its out-of-line copy, with whatever
    /// signal it has to take (the handler returns into the copy); false where the instruction
    /// cannot move or no scratch page could be made. Without `allocating`, no page is mapped
    /// for it (mapping one makes the thread execute a system call, which cannot be done while
    /// the engine waits for another thread's step): the copy goes in a page there is.
    func resumeOutOfLine(_ thread: ThreadInfo, site: UInt64, allocating: Bool = true) throws(EngineError) -> Bool {
        guard let process, var registers = thread.cachedRegisters,
              let slot = try outOfLineSlot(for: site, using: allocating ? thread : nil) else { return false }
        registers.rip = slot.address
        stage(registers, thread)
        let signal = thread.signalToDeliver
        if signal != 0 { process.scratch.signalFramesMayReturnHere = true }
        thread.signalToDeliver = 0
        thread.secondChanceReported = false
        try resumeThread(thread, singleStep: false, signal: signal)
        thread.running = true
        return true
    }

    /// The copy of a site's instruction that runs out of line, made on first need; a page
    /// is mapped for it, by `thread` executing mmap, only with a thread to do it.
    func outOfLineSlot(for site: UInt64, using thread: ThreadInfo?) throws(EngineError) -> ScratchPages.Slot? {
        guard let process else { return nil }
        if let known = process.scratch.slot(for: site) { return known }
        guard !process.scratch.unavailable else { return nil }
        let code = readMemory(site, count: 16)
        guard let instruction = disassembler.decode(code, at: site) else { return nil }
        // An instruction that cannot run elsewhere takes no slot (nor maps a page).
        guard disassembler.relocate(code, from: site, to: site) != nil else { return nil }
        var address = process.scratch.freeSlot(near: site)
        if address == nil {
            guard let thread, let page = try allocateScratchPage(near: site, using: thread) else { return nil }
            process.scratch.add(page: page)
            address = process.scratch.freeSlot(near: site)
        }
        guard let address, var copy = disassembler.relocate(code, from: site, to: address) else { return nil }
        let back = site &+ UInt64(instruction.length)
        let jump = Int64(bitPattern: back &- (address &+ UInt64(copy.count) &+ 5))
        guard let rel32 = Int32(exactly: jump) else { return nil }
        copy += [0xe9] + [UInt8](littleEndian: UInt64(UInt32(bitPattern: rel32)), size: 4)
        do { try process.live.writeMemory(address, copy) } catch { return nil }
        let slot = ScratchPages.Slot(site: site, address: address, length: UInt64(instruction.length))
        process.scratch.record(slot)
        return slot
    }

    /// Maps one read+execute page within reach of `site` by making the thread execute an
    /// mmap system call, in a gap of the address space nearest the site; nil when none can be
    /// made (after a few such failures the process is not asked again).
    private func allocateScratchPage(near site: UInt64, using thread: ThreadInfo) throws(EngineError) -> UInt64? {
        guard let process else { return nil }
        let page = ScratchPages.pageSize
        var candidates: [UInt64] = []
        var previousEnd: UInt64 = 0x10_0000
        for range in process.target.memoryMap().map(\.range).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > previousEnd &+ page {
                candidates.append((range.lowerBound &- page) & ~(page - 1))   // just below the next mapping
                candidates.append((previousEnd &+ page - 1) & ~(page - 1))    // just above the last
            }
            previousEnd = max(previousEnd, range.upperBound)
        }
        let distance = { (address: UInt64) in address > site ? address - site : site - address }
        for hint in candidates.filter({ ScratchPages.reaches($0, site) }).sorted(by: { distance($0) < distance($1) }).prefix(8) {
            // PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE.
            guard let result = try systemCall(9, [hint, page, 5, 0x02 | 0x20 | 0x10_0000, UInt64.max, 0], in: thread) else { break }
            if result == hint { return hint }
            if result < UInt64.max - 4095 { _ = try systemCall(11, [result, page], in: thread) }
        }
        process.scratch.failures += 1
        if process.scratch.failures >= 8 { process.scratch.unavailable = true }
        return nil
    }

    /// Makes a stopped thread execute one system call and puts its registers back; nil when
    /// the program has no `syscall` instruction to borrow or the step did not complete. A
    /// signal that arrives first is kept for the thread, as is what it stood on.
    func systemCall(_ number: UInt64, _ arguments: [UInt64], in thread: ThreadInfo) throws(EngineError) -> UInt64? {
        guard let process, let instruction = systemCallInstruction() else { return nil }
        let saved = try registers(thread)
        let (signal, trappedAt) = (thread.signalToDeliver, thread.trappedAt)
        thread.signalToDeliver = 0
        var arrived: Int32 = 0
        defer {
            thread.signalToDeliver = signal != 0 ? signal : arrived
            thread.trappedAt = trappedAt
        }
        var call = saved
        call.rip = instruction
        call.rax = number
        _ = call.setValue(UInt64.max, named: "orig_rax")  // not a system call to restart
        for (name, value) in zip(["rdi", "rsi", "rdx", "r10", "r8", "r9"], arguments) { _ = call.setValue(value, named: name) }
        stage(call, thread)
        var result: UInt64?
        for _ in 0..<4 {
            let event = try singleStep(thread)
            guard let rip = (try? registers(thread))?.rip else { break }
            if rip == instruction &+ 2 {
                result = try registers(thread).rax
                if case .signal(let received) = event { arrived = received }
                break
            }
            // Stopped before the system call ran: by the stop the debugger asked for, or a
            // signal that waits to be delivered (the program gets it afterwards).
            if rip == instruction, consumeExpectedStop(event, thread) { continue }
            guard rip == instruction, case .signal(let received) = event else {
                if !process.gone { thread.pending = event }
                break
            }
            if arrived == 0 { arrived = received }
        }
        try setRegisters(saved, thread)
        return result
    }

    /// A `syscall` (0f 05) in the vDSO's code, where the debugger can make a thread execute a
    /// system call without writing any code.
    private func systemCallInstruction() -> UInt64? {
        guard let process else { return nil }
        if let known = process.systemCallInstruction { return known }
        for region in process.target.memoryMap() where region.path == "[vdso]" && region.executable {
            let code = process.target.readMemory(region.range.lowerBound, count: Int(region.range.count))
            guard code.count > 1, let index = (0..<code.count - 1).first(where: { code[$0] == 0x0f && code[$0 + 1] == 0x05 }) else { continue }
            process.systemCallInstruction = region.range.lowerBound + UInt64(index)
            return process.systemCallInstruction
        }
        return nil
    }

    /// A thread stopped inside a slot stands, as the program sees it, on the site (the copy
    /// did not run: it will run out of line again) or after it.
    func translateOutOfLine(_ thread: ThreadInfo) {
        guard let process, !process.scratch.isEmpty, var registers = thread.cachedRegisters ?? (try? registers(thread)),
              let (address, executed) = process.scratch.translate(registers.rip) else { return }
        // Inside a system call run from the copy that the kernel will restart by backing rip
        // up to it: rip stays in the copy, or the restart would land on the int3.
        guard !isRestartingSystemCall(registers) else { return }
        registers.rip = address
        stage(registers, thread)
        if !executed { thread.trappedAt = address }
    }

    /// Unmaps the scratch pages at detach, unless a signal handler may still return into one.
    func removeScratchPages() {
        guard let process, let thread = process.threads.first(where: { !$0.running && !$0.exiting }) else { return }
        guard !process.scratch.signalFramesMayReturnHere else { return }
        for base in process.scratch.pageBases { _ = try? systemCall(11, [base, ScratchPages.pageSize], in: thread) }
    }
}
