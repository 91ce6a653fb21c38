import Arch
import Engine
import Targets

/// `~` and its forms: list, switch (`~1s`), freeze/unfreeze (`~1f`, `~1u`), suspend/resume
/// counts (`~1n`, `~1m`), and a thread prefix on other commands (`~*k`, `~2 bp ...`, `~*e r rip`).
extension Interpreter {
    /// Parses `~`, `~.`, `~#`, `~*`, `~N`, `~~[tid]` and returns what follows.
    func parseThreadPrefix(_ text: Substring) throws(CommandError) -> (ThreadSelector, Substring) {
        var rest = text.dropFirst()
        let selector: ThreadSelector
        switch rest.first {
        case ".": selector = .current; rest = rest.dropFirst()
        case "#": selector = .lastEvent; rest = rest.dropFirst()
        case "*": selector = .all; rest = rest.dropFirst()
        case "~":
            guard let close = rest.firstIndex(of: "]"), rest.dropFirst().first == "[" else { throw CommandError("       ^ Syntax error in '\(text)'") }
            let inner = rest[rest.index(rest.startIndex, offsetBy: 2)..<close]
            selector = .tid(Int32(truncatingIfNeeded: try evaluate(inner)))
            rest = rest[rest.index(after: close)...]
        case let c? where c.isNumber:
            // Thread numbers are decimal in WinDbg, whatever the radix.
            let digits = rest.prefix { $0.isNumber }
            guard let number = Int(digits) else { throw CommandError("       ^ Syntax error in '\(text)'") }
            selector = .index(number)
            rest = rest.dropFirst(digits.count)
        default:
            selector = .all
            return (selector, rest.trimmed())
        }
        return (selector, rest.trimmed())
    }

    /// The threads a selector names; nil selector means the current thread (or all, if asked).
    func selectedThreads(_ selector: ThreadSelector?, defaultAll: Bool) throws(CommandError) -> [ThreadInfo] {
        guard let selector else {
            guard let process = session.process, !process.gone else { return [] }
            return defaultAll ? process.threads : [process.current].compactMap { $0 }
        }
        let process = try requireProcess()
        switch selector {
        case .all: return process.threads
        case .current: return [process.current].compactMap { $0 }
        case .lastEvent: return [session.lastEventThread.flatMap(process.thread) ?? process.current].compactMap { $0 }
        case .index(let index):
            guard let thread = process.thread(index: index) else { throw CommandError("Illegal thread error in '~\(index)'") }
            return [thread]
        case .tid(let tid):
            guard let thread = process.thread(tid) else { throw CommandError("Illegal thread error in '~~[\(String(tid, radix: 16))]'") }
            return [thread]
        }
    }

    /// `~` forms without another command.
    func threadCommand(selector: ThreadSelector, rest: Substring) throws(CommandError) {
        let bare = rest.isEmpty
        let threads = try selectedThreads(selector, defaultAll: true)
        guard let action = rest.first?.lowercased() else {
            if bare { listThreads(threads) }
            return
        }
        switch action {
        case "s":
            guard threads.count == 1 else { throw CommandError("       ^ Syntax error: ~s needs one thread") }
            session.setCurrentThread(threads[0])
            frameIndex = 0
            lastUnassemble = nil
            showCurrentState()
        case "f": threads.forEach { $0.frozen = true }
        case "u": threads.forEach { $0.frozen = false }
        case "n": threads.forEach { $0.suspendCount += 1 }
        case "m":
            for thread in threads {
                guard thread.suspendCount > 0 else { throw CommandError("Thread \(thread.index) is not suspended") }
                thread.suspendCount -= 1
            }
        default:
            throw CommandError("       ^ Syntax error in '~\(rest)'")
        }
    }

    private func listThreads(_ threads: [ThreadInfo]) {
        for thread in threads { output.line(threadLine(thread)) }
    }

    /// One `~` line: `.  0  Id: 4d2.4d2 Suspend: 1 Teb: 00007fff`f7dd2740 Unfrozen "name"`. As
    /// in WinDbg, the debugger's own suspension of a stopped thread counts one; `Teb` is the
    /// thread pointer (fs_base), Linux's counterpart of the thread environment block.
    func threadLine(_ thread: ThreadInfo) -> String {
        guard let process = session.process else { return "" }
        let marker = thread === process.current ? "." : (thread.tid == session.lastEventThread ? "#" : " ")
        let teb = (try? session.registers(thread))?.value(named: "fs_base") ?? 0
        let name = process.target.threadName(thread.tid) ?? ""
        return "\(marker)\(String(thread.index).leftPadded(to: 3))  Id: \(session.eventPrefix(thread.tid)) Suspend: \(thread.suspendCount + 1) Teb: \(formatAddress(teb)) \(thread.frozen ? "Frozen" : "Unfrozen") \"\(name)\""
    }

    /// `~*e cmd`: runs a command with each thread current in turn.
    func runForThreads(_ selector: ThreadSelector, command: Substring) throws(CommandError) {
        let threads = try selectedThreads(selector, defaultAll: true)
        let saved = session.process?.current
        defer { if let saved { session.setCurrentThread(saved) } }
        for thread in threads {
            session.setCurrentThread(thread)
            try executeLine(command)
        }
    }
}
