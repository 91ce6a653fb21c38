import Engine
import Targets

/// `-premote gdb:server=host,port=N [program args]`: a process under a gdb-remote stub, taken
/// over as an attach, or a program the stub starts (`vRun`), run to its initial breakpoint as
/// a launch is.
extension Interpreter {
    /// Connects to the stub and opens its process (or starts `program`); the first stop is returned.
    public func connectRemote(host: String, port: UInt16, program: [String] = []) throws(CommandError) -> StopEvent {
        guard session.process == nil else { throw CommandError("A target is already open; .kill or .detach it first") }
        let target: RemoteTarget
        do { target = try RemoteTarget.connect(host: host, port: port, launching: program.isEmpty ? nil : program) } catch { throw CommandError(error.description) }
        let threads = target.listThreads().count
        output.line("Connected to the gdb-remote stub at \(host):\(port): process 0n\(target.processID), \(threads) thread\(threads == 1 ? "" : "s")"
            + (target.executablePath.isEmpty ? "" : ", \(target.executablePath)"))
        if program.isEmpty {
            return try engine { () throws(EngineError) in try session.attach(target) }
        }
        return try engine { () throws(EngineError) in try session.launch(started: target, commandLine: program) }
    }
}
