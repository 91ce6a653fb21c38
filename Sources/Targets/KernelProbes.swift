import Arch
import CSystem
import Glibc

/// Why a breakpoint cannot be evaluated in the kernel here (the one-line note, `bl`'s reason).
public struct KernelProbeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A uprobe on one address with a condition program attached: its perf event and program.
public struct KernelProbe: Sendable {
    public let address: UInt64
    let event: Int32
    let program: Int32
}

/// A hit the kernel reported: the registers at the probed instruction (rip at it) and
/// whether the program could evaluate the condition (an unreadable address: the debugger
/// evaluates it and says why).
public struct KernelHit: Sendable, Equatable {
    public let address: UInt64
    public let evaluated: Bool
    /// `user_regs_struct` slots 0–20 as the kernel saved them; the rest unknown.
    public let registerSlots: [UInt64]
}

/// Breakpoint conditions evaluated in the kernel: each location a uprobe (the `uprobe` PMU
/// of perf_event_open, for this process's address space only) running a BPF program compiled
/// from the condition, so a false condition costs no stop; a true one sends the thread
/// SIGSTOP with its registers recorded. Linux-only, like ptrace.
public final class KernelProbes {
    let processID: Int32
    private var maps: BpfMaps?
    private var freePassSlots = Set(0..<UInt32(64))
    private var probes: [KernelProbe] = []

    public init(processID: Int32) { self.processID = processID }

    deinit { removeAll() }

    /// Whether a thread's SIGSTOP may be a probe's hit: maps exist (a hit can still be on its
    /// way from a probe removed since).
    public var mayReportHits: Bool { maps != nil }

    /// The `uprobe` PMU's type number, nil where the kernel has none.
    private static let uprobeType: Int32? = {
        guard let data = readFile("/sys/bus/event_source/devices/uprobe/type") else { return nil }
        return Int32(String(decoding: data, as: UTF8.self).trimmed())
    }()

    private func sharedMaps() throws(KernelProbeError) -> BpfMaps {
        if let maps { return maps }
        let records = cs_bpf_map_create(0, 4, UInt32(ProbeRecord.size), 4096)
        guard records >= 0 else { throw KernelProbeError("BPF is not available (\(String(cString: strerror(errno))))") }
        let skips = cs_bpf_map_create(0, 16, 8, 4096)
        let passes = cs_bpf_map_create(1, 4, 8, 64)
        guard skips >= 0, passes >= 0 else {
            for fd in [records, skips, passes] where fd >= 0 { close(fd) }
            throw KernelProbeError("BPF maps cannot be made (\(String(cString: strerror(errno))))")
        }
        let made = BpfMaps(records: records, skips: skips, passes: passes)
        maps = made
        return made
    }

    /// A pass-count slot for a breakpoint's locations, holding `passes` (the hits still to
    /// let go, plus one); nil when all are taken.
    public func allocatePassSlot(_ passes: Int64) throws(KernelProbeError) -> UInt32? {
        let maps = try sharedMaps()
        guard let slot = freePassSlots.min() else { return nil }
        freePassSlots.remove(slot)
        setPasses(slot, passes, maps)
        return slot
    }

    public func releasePassSlot(_ slot: UInt32) { freePassSlots.insert(slot) }

    /// What is left of a slot's pass count (the program counts down, below 1 once spent).
    public func passes(_ slot: UInt32) -> Int64? {
        guard let maps else { return nil }
        var key = slot
        var value: Int64 = 0
        return cs_bpf_map_lookup(maps.passes, &key, &value) == 0 ? value : nil
    }

    /// Sets what is left of a slot's pass count (the debugger counted a hit itself).
    public func setPasses(_ slot: UInt32, _ value: Int64) {
        guard let maps else { return }
        setPasses(slot, value, maps)
    }

    private func setPasses(_ slot: UInt32, _ value: Int64, _ maps: BpfMaps) {
        var key = slot
        var stored = value
        _ = cs_bpf_map_update(maps.passes, &key, &stored)
    }

    /// Attaches a probe at `address`, which lies at `fileOffset` in the mapped file `path`.
    public func attach(address: UInt64, path: String, fileOffset: UInt64, condition: MachineCondition, negated: Bool,
                       thread: Int32?, passSlot: UInt32?) throws(KernelProbeError) -> KernelProbe {
        guard let type = Self.uprobeType else { throw KernelProbeError("the kernel has no uprobe PMU") }
        let maps = try sharedMaps()
        let spec = ProbeProgramSpec(address: address, processID: processID, condition: condition, negated: negated, thread: thread, passSlot: passSlot)
        guard let instructions = BpfConditionCompiler.compile(spec, maps: maps) else {
            throw KernelProbeError("the condition nests deeper than a BPF stack holds")
        }
        var log = [UInt8](repeating: 0, count: 1 << 16)
        let program = log.withUnsafeMutableBufferPointer { buffer in
            cs_bpf_load_probe_program(instructions, UInt32(instructions.count), UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), UInt32(buffer.count))
        }
        guard program >= 0 else {
            let verifier = String(decoding: log.prefix { $0 != 0 }, as: UTF8.self).split(separator: "\n").suffix(2).joined(separator: "; ")
            throw KernelProbeError("the kernel refused the condition's program (\(String(cString: strerror(errno)))\(verifier.isEmpty ? "" : ": " + verifier))")
        }
        let event = cs_uprobe_open(type, path, fileOffset, processID)
        guard event >= 0 else {
            let reason = String(cString: strerror(errno))
            close(program)
            throw KernelProbeError("no uprobe at \(path)+0x\(String(fileOffset, radix: 16)) (\(reason))")
        }
        guard cs_perf_attach_bpf(event, program) == 0 else {
            let reason = String(cString: strerror(errno))
            close(event)
            close(program)
            throw KernelProbeError("the condition's program cannot be attached (\(reason))")
        }
        let probe = KernelProbe(address: address, event: event, program: program)
        probes.append(probe)
        return probe
    }

    /// Removes a probe: closing its event takes the kernel's int3 out of the program's text.
    public func detach(_ probe: KernelProbe) {
        close(probe.event)
        close(probe.program)
        probes.removeAll { $0.event == probe.event }
    }

    /// Removes every probe and the maps (detach, quit, the end of the process).
    public func removeAll() {
        for probe in probes { detach(probe) }
        if let maps { for fd in [maps.records, maps.skips, maps.passes] { close(fd) } }
        maps = nil
        freePassSlots = Set(0..<UInt32(64))
    }

    /// The hit a thread's SIGSTOP reports, taken out of the map; nil when it is not one.
    public func takeHit(_ tid: Int32) -> KernelHit? {
        guard let maps else { return nil }
        var key = UInt32(bitPattern: tid)
        var record = [UInt64](repeating: 0, count: ProbeRecord.words)
        guard cs_bpf_map_lookup(maps.records, &key, &record) == 0 else { return nil }
        _ = cs_bpf_map_delete(maps.records, &key)
        return KernelHit(address: record[0], evaluated: record[1] == 0, registerSlots: Array(record[2...]))
    }

    /// The thread, put back at a hit's address, runs the instruction again: its probe lets
    /// that one execution go (same address, same stack pointer), once.
    public func skipNextHit(_ tid: Int32, address: UInt64, stackPointer: UInt64) {
        guard let maps else { return }
        var key: [UInt64] = [UInt64(UInt32(bitPattern: tid)), stackPointer]
        var value = address
        _ = cs_bpf_map_update(maps.skips, &key, &value)
    }
}
