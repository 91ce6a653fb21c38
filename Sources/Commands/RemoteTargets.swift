import Engine
import Targets

/// `-premote gdb:server=host,port=N`: a process under a gdb-remote stub, opened for
/// inspection (the stub's run control comes later), reported as WinDbg reports an attach.
extension Interpreter {
    /// Connects to the stub and opens its process; the stop is reported as a first event.
    public func connectRemote(host: String, port: UInt16) throws(CommandError) -> StopEvent {
        guard session.process == nil else { throw CommandError("A target is already open; .kill or .detach it first") }
        let target: RemoteTarget
        do { target = try RemoteTarget.connect(host: host, port: port) } catch { throw CommandError(error.description) }
        let threads = target.listThreads().count
        output.line("Connected to the gdb-remote stub at \(host):\(port): process 0n\(target.processID), \(threads) thread\(threads == 1 ? "" : "s")"
            + (target.executablePath.isEmpty ? "" : ", \(target.executablePath)"))
        output.line("Inspection only: commands that run or change the target are not available through a stub yet.")
        return try engine { () throws(EngineError) in try session.open(inspectingLive: target) }
    }
}
