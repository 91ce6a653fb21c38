import Symbols
import Targets

/// What the engine tells its front end as it happens, as values: the command line words them
/// as WinDbg does (`ModLoad:`, event lines), a DAP server turns them into protocol events.
/// Stops are not here: `resume` and the start calls return them.
public enum SessionEvent {
    /// The debugger started a program (WinDbg's `CommandLine:`).
    case processStarted(commandLine: [String])
    /// A module was mapped and its symbols are available (lazily). `shown`: the `ld` filter
    /// does not ignore it.
    case moduleLoaded(Module, shown: Bool)
    case moduleUnloaded(Module, shown: Bool)
    /// A thread began (its clone was seen) or is exiting, whatever the `ct`/`et` filters say.
    case threadStarted(ThreadID)
    case threadExited(ThreadID)
    /// An event a filter says to show without stopping (`sxn`), or the first chance of one that
    /// stops only at its second (`sxd`).
    case reported(StopEvent)
    /// The process replaced its image (execve); its modules are read again.
    case exec(path: String, thread: ThreadID)
    /// A breakpoint request at the place of an existing one took its number.
    case breakpointRedefined(id: Int)
    /// A kernel under a stub was opened: its image, its symbols and where it runs.
    case kernelOpened(KernelContext, symbolCount: Int)
    /// Something the user should know that is not an error.
    case notice(SessionNotice)
    /// The target is about to run (a front end flushes what it buffered).
    case willResume
}

/// Conditions worth telling the user about, as values; the front end words them.
public enum SessionNotice {
    /// A dump's module was read from the file with the dump's build id instead of `path`.
    case dumpModuleFound(path: String, using: String)
    /// The file at `path` is not the one the dump ran.
    case dumpModuleMismatch(path: String, reason: String)
    /// A module's ELF image could not be read: it has no symbols.
    case unreadableImage(path: String)
    /// The kernel's text was not found in memory: symbols stay at their link addresses.
    case kernelSlideUnknown
    /// Breakpoint conditions cannot go to the kernel on this machine (said once).
    case conditionsInDebugger(reason: String)
    /// The symbol search's own account of what it looked for (`!sym noisy`).
    case symbolSearch(String)
}
