import Arch
import Engine
import Glibc
import Targets

/// Running the target for the client (`vCont`, `c`, `s`, `C`, `S`) and the stop replies.
extension GdbServer {
    /// Resumes as the packet says and waits for the stop; the stop reply (an error for a
    /// dump, which cannot run). Each thread gets the signal the client names for it (gdb's
    /// numbers, as Linux's), the others none: gdb passes signals explicitly.
    func run(_ text: String) -> String {
        guard let process, !process.gone, process.isLive else { return "E01" }
        var stepThread: ThreadInfo?
        var signals: [ThreadID: Int32] = [:]
        func signal(_ digits: Substring, for thread: ThreadInfo?) {
            guard let thread, let number = Int32(digits.prefix { $0 != ";" }, radix: 16), signals[thread.tid] == nil else { return }
            signals[thread.tid] = RemoteTarget.linuxSignal(gdb: number)
        }
        if text.hasPrefix("vCont;") {
            for action in text.dropFirst("vCont;".count).split(separator: ";") {
                let parts = action.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                guard let verb = parts.first, !verb.isEmpty else { return "E01" }
                let target = parts.count > 1 ? thread(named: String(parts[1])) : nil
                switch verb.first {
                case "s", "S":
                    stepThread = stepThread ?? target ?? continueThread
                    if verb.first == "S" { signal(verb.dropFirst(), for: target ?? continueThread) }
                case "C":
                    signal(verb.dropFirst(), for: target ?? continueThread)
                case "c":
                    continue
                default:
                    return "E01"
                }
            }
        } else {
            if text.first == "s" || text.first == "S" { stepThread = continueThread }
            if text.first == "C" || text.first == "S" { signal(text.dropFirst(), for: continueThread) }
        }
        for thread in process.threads { session.setSignal(signals[thread.tid] ?? 0, of: thread) }
        let request: ResumeRequest
        if let stepThread {
            session.setCurrentThread(stepThread)
            request = .stepInto
        } else {
            applyRemovals()
            if let current = continueThread { session.setCurrentThread(current) }
            request = .go(handled: false, until: [])
        }
        let resumed = channel.whileRunning { () -> Result<StopEvent, EngineError> in
            do throws(EngineError) { return .success(try session.resume(request)) } catch { return .failure(error) }
        }
        guard case .success(let stop) = resumed else { return "E01" }
        lastStop = stopReply(kind: stop.kind, thread: stop.thread)
        return lastStop
    }

    /// A stop in the protocol's words: `T` with gdb's signal number, the thread, and why
    /// (`swbreak`, `hwbreak`, `watch:addr`); `W`/`X` when the process ended.
    func stopReply(kind: StopKind, thread: ThreadID) -> String {
        // The stop's thread is the general one until the client selects another.
        if let current = process?.thread(thread) { selected = current.tid }
        continued = nil
        let signal: Int32, reason: String
        switch kind {
        case .processGone(let status):
            done = true
            let pid = String(process?.pid ?? 0, radix: 16)
            switch status {
            case .killed(let number)?: return "X\(hex2(RemoteTarget.gdbSignal(linux: number)));process:\(pid)"
            case .exited(let code)?: return "W\(hex2(Int32(code & 0xff)));process:\(pid)"
            case nil: return "W00;process:\(pid)"
            }
        case .breakpoint(let breakpoint):
            signal = SIGTRAP
            // A point the client removed, still planted, is no reason of the stop.
            let key = points.first { $0.value === breakpoint && !removedPoints.contains($0.key) }?.key
            switch key?.type {
            case 0?: reason = "swbreak:;"
            case 1?: reason = "hwbreak:;"
            case 2?: reason = "watch:\(String(key!.address, radix: 16));"
            case 3?: reason = "rwatch:\(String(key!.address, radix: 16));"
            case 4?: reason = "awatch:\(String(key!.address, radix: 16));"
            default: reason = ""
            }
        case .breakIn:
            (signal, reason) = (SIGINT, "")
        case .signal(let number, _, _, _):
            (signal, reason) = (number, "")
        case .crash(let info):
            (signal, reason) = (info.signal, "")
        default:
            (signal, reason) = (SIGTRAP, "")
        }
        return "T\(hex2(RemoteTarget.gdbSignal(linux: signal)))\(expedited(thread))thread:\(threadID(thread));\(reason)"
    }

    /// rbp, rsp and rip in the stop reply (as gdbserver sends them): the client knows the
    /// frame without asking for the registers first.
    private func expedited(_ tid: ThreadID) -> String {
        guard let thread = process?.thread(tid), let registers = try? session.registers(thread) else { return "" }
        var text = ""
        for (number, entry) in layout.entries.enumerated() where ["rbp", "rsp", "rip"].contains(entry.name) {
            text += "\(String(number, radix: 16).count == 1 ? "0" : "")\(String(number, radix: 16)):\(hexDigits(layout.value(number, general: registers, vector: nil)));"
        }
        return text
    }

    private func hex2(_ value: Int32) -> String {
        let digits = String(UInt8(truncatingIfNeeded: value), radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
