import Engine
import Glibc
import Targets

/// Running the target for the client (`vCont`, `c`, `s`, `C`, `S`) and the stop replies.
extension GdbServer {
    /// Resumes as the packet says and waits for the stop; the stop reply (an error for a
    /// dump, which cannot run). The signal the client names is delivered; none, none is.
    func run(_ text: String) -> String {
        guard let process, !process.gone else { return "E01" }
        guard process.isLive else { return "E01" }
        var stepThread: ThreadInfo?
        var signal: Int32 = 0
        if text.hasPrefix("vCont;") {
            for action in text.dropFirst("vCont;".count).split(separator: ";") {
                let parts = action.split(separator: ":", maxSplits: 1)
                let verb = parts[0]
                let target = parts.count > 1 ? thread(named: String(parts[1])) : nil
                switch verb.first {
                case "s", "S":
                    stepThread = stepThread ?? target ?? selectedThread
                    if verb.first == "S", let number = Int32(verb.dropFirst(), radix: 16) { signal = number }
                case "C":
                    if signal == 0, let number = Int32(verb.dropFirst(), radix: 16) { signal = number }
                default:
                    continue
                }
            }
        } else {
            if text.first == "s" || text.first == "S" { stepThread = selectedThread }
            if text.first == "C" || text.first == "S", let number = Int32(text.dropFirst().prefix { $0 != ";" }, radix: 16) { signal = number }
        }
        let request: ResumeRequest
        if let stepThread {
            session.setCurrentThread(stepThread)
            if signal == 0 { session.discardSignal(of: stepThread) }
            request = .stepInto
        } else {
            if let current = selectedThread { session.setCurrentThread(current) }
            request = .go(handled: signal == 0, until: [])
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
        if let current = process?.thread(thread) { selected = current.tid }
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
            let key = points.first { $0.value === breakpoint }?.key
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
        return "T\(hex2(RemoteTarget.gdbSignal(linux: signal)))thread:\(threadID(thread));\(reason)"
    }

    private func hex2(_ value: Int32) -> String {
        let digits = String(UInt8(truncatingIfNeeded: value), radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
