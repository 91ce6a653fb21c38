import Glibc

/// What the debugger does when an event happens (`sxe`, `sxd`, `sxn`, `sxi`).
public enum FilterAction: Sendable {
    /// Break at the first chance (`sxe`).
    case breakFirst
    /// Break only at the second chance, print a line at the first (`sxd`).
    case breakSecond
    /// Print a line and go on (`sxn`).
    case output
    /// Say nothing (`sxi`); a signal that would kill the program still kills it.
    case ignore
}

/// One row of WinDbg's event filter table; signals other than the four with WinDbg codes
/// are named by their lower-case signal name (`sigusr1`).
public struct EventFilter {
    public let code: String
    public let description: String
    public var action: FilterAction
    /// Commands run when the event breaks in (`sxe -c "cmds" av`).
    public var commands: String?
    /// For `ld`/`ud`: only modules matching this pattern (`sxe ld:libfoo`).
    public var argument: String?
    /// The signal behind the event, for exception-like events.
    public let signal: Int32?
}

/// The event filter table with WinDbg's defaults, mapped onto Linux signals.
public struct EventFilters {
    public private(set) var filters: [EventFilter]

    public init() {
        var filters = [
            EventFilter(code: "ct", description: "Create thread", action: .ignore, signal: nil),
            EventFilter(code: "et", description: "Exit thread", action: .ignore, signal: nil),
            EventFilter(code: "cpr", description: "Create process", action: .ignore, signal: nil),
            EventFilter(code: "epr", description: "Exit process", action: .breakFirst, signal: nil),
            EventFilter(code: "ld", description: "Load module", action: .output, signal: nil),
            EventFilter(code: "ud", description: "Unload module", action: .output, signal: nil),
            EventFilter(code: "av", description: "Access violation", action: .breakFirst, signal: SIGSEGV),
            EventFilter(code: "ii", description: "Illegal instruction", action: .breakFirst, signal: SIGILL),
            EventFilter(code: "dz", description: "Integer divide-by-zero", action: .breakFirst, signal: SIGFPE),
            EventFilter(code: "bpe", description: "Break instruction exception", action: .breakFirst, signal: SIGTRAP),
        ]
        let quiet: Set<Int32> = [SIGCHLD, SIGWINCH, SIGURG, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGCONT]
        for signal in 1...Int32(31) where ![SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGKILL, SIGSTOP].contains(signal) {
            let name = signalName(signal)
            let action: FilterAction = quiet.contains(signal) ? .ignore : .breakSecond
            filters.append(EventFilter(code: name.lowercased(), description: "Signal \(name)", action: action, signal: signal))
        }
        self.filters = filters
    }

    public func filter(_ code: String) -> EventFilter? {
        let key = code.lowercased()
        return filters.first { $0.code == key }
    }

    /// The filter for a signal: SIGBUS counts as an access violation, as the issue asks.
    public func filter(forSignal signal: Int32) -> EventFilter? {
        if signal == SIGBUS { return filter("av") }
        return filters.first { $0.signal == signal }
    }

    /// Sets a filter's action; returns false for an unknown code.
    public mutating func set(_ code: String, action: FilterAction, commands: String?, argument: String?) -> Bool {
        let key = code.lowercased()
        let resolved = key == "sigbus" ? "av" : key
        guard let index = filters.firstIndex(where: { $0.code == resolved }) else { return false }
        filters[index].action = action
        if let commands { filters[index].commands = commands }
        filters[index].argument = argument
        return true
    }
}

/// `SIGSEGV` for 11.
public func signalName(_ signal: Int32) -> String {
    let names = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
                 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
                 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP",
                 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
                 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS"]
    return names[Int(signal)] ?? "SIG\(signal)"
}

/// Whether a signal's default action ends the process (everything but CHLD, CONT, URG, WINCH and the stops).
func defaultActionKills(_ signal: Int32) -> Bool {
    ![SIGCHLD, SIGCONT, SIGURG, SIGWINCH, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU].contains(signal)
}
