import Glibc
import Targets

/// Children that run in the debugged process's address space — a vfork or posix_spawn child
/// until it execs, a clone(CLONE_VM) child all its life — meet the same int3s. Lifting them
/// while such a child runs loses the hits of every other thread, and a child let go dies of
/// the first one it meets; instead it stays traced and steps over them as a thread would
/// (out of line), silently, until it execs or exits.
extension Session {
    /// A child the kernel holds stopped at its fork event: it runs on, traced. With
    /// `preparing`, it first makes the out-of-line copies of every breakpoint (mapping scratch
    /// pages by executing mmap itself): its handler cannot wait for that later, and lifting
    /// an int3 for its step instead lets the other threads run past it (a worker's 2,000
    /// calls fit in that window).
    func adoptSharingChild(_ child: Int32, preparing: Bool) throws(EngineError) {
        guard let process else { return }
        let helper = ThreadInfo(tid: child, index: -1)
        process.helpers.append(helper)
        if preparing {
            for (address, site) in process.sites where site.users > 0 && site.emulation == nil && site.branch == nil {
                _ = try outOfLineSlot(for: address, using: helper)
            }
        }
        try resumeThread(helper, singleStep: false, signal: 0)
        helper.running = true
    }

    /// One event of such a child: it goes on at once, without waiting for anything (this
    /// runs inside whatever wait the engine is in).
    func handleSharingChild(_ event: ThreadEvent, _ helper: ThreadInfo) throws(EngineError) {
        guard let process else { return }
        if let lifted = helper.liftedSite {
            helper.liftedSite = nil
            if process.sites[lifted] != nil { _ = try? process.live.insertSoftwareBreakpoint(at: lifted) }
        }
        var signal: Int32 = 0
        switch event {
        case .breakpointTrap(let address):
            guard let site = process.sites[address] else { break }
            helper.signalToDeliver = 0
            if !emulate(site, helper), !emulateBranch(site, helper) {
                if try resumeOutOfLine(helper, site: address, allocating: false) { return }
                // No copy to run (a breakpoint set while it runs, far from every scratch
                // page): one step with the int3 lifted, put back at its trap.
                try? process.live.removeSoftwareBreakpoint(at: address, original: site.originalByte)
                helper.liftedSite = address
                try resumeThread(helper, singleStep: true, signal: 0)
                helper.running = true
                return
            }
        case .requestedStop:
            break
        case .signal(let received) where received != SIGSTOP:
            signal = received
        case .exec:
            // A new address space of its own: nothing of the debugger's is in it.
            try? process.live.detach(helper.tid, signal: 0)
            process.helpers.removeAll { $0 === helper }
            return
        case .gone:
            process.helpers.removeAll { $0 === helper }
            return
        case .forked(let child, let sharesMemory):
            if sharesMemory { try adoptSharingChild(child, preparing: false) } else { releaseForkChild(child) }
        case .created(let child):
            // A thread of the child: it reports its first stop (a SIGSTOP) to be let go.
            process.helpers.append(ThreadInfo(tid: child, index: -1))
        default:
            break
        }
        try resumeThread(helper, singleStep: false, signal: signal)
        helper.running = true
    }

    /// At detach: each such child is stopped and let go (the int3s it could meet are gone
    /// with the detach).
    func releaseSharingChildren() {
        guard let process else { return }
        for helper in process.helpers {
            var gone = false
            if helper.running {
                guard (try? process.live.requestStop(helper.tid)) != nil else { continue }
                helper.singleStepping = true  // its events come to this loop, not to its handler
                // Nothing else runs now: the process's threads are stopped, its int3s gone.
                while let (tid, event) = try? nextEvent(), tid == helper.tid {
                    if consumeExpectedStop(event, helper) { break }
                    if case .gone = event { gone = true; break }
                    try? resumeThread(helper, singleStep: false, signal: 0)
                }
                helper.singleStepping = false
            }
            guard !gone else { continue }
            try? flushRegisters(helper)
            try? process.live.detach(helper.tid, signal: 0)
        }
        process.helpers.removeAll()
    }
}
