import Engine
import Glibc
import Symbols
import Targets

/// `-premote gdb:server=host,port=N [program args]` (or `gdb:pipe=command`, a stub swdbg
/// starts on a pipe): a process under a gdb-remote stub, taken
/// over as an attach, or a program the stub starts (`vRun`), run to its initial breakpoint as
/// a launch is.
extension Interpreter {
    /// Connects to the stub and opens its process (or starts `program`); the first stop is returned.
    public func connectRemote(_ address: RemoteConnection.Address, program: [String] = []) throws(CommandError) -> StopEvent {
        guard session.process == nil else { throw CommandError("A target is already open; .kill or .detach it first") }
        let target: RemoteTarget
        do { target = try RemoteTarget.connect(address, launching: program.isEmpty ? nil : program) } catch { throw CommandError(error.description) }
        let threads = target.listThreads().count
        output.line("Connected to the gdb-remote stub at \(address): process 0n\(target.processID), \(threads) thread\(threads == 1 ? "" : "s")"
            + (target.executablePath.isEmpty ? "" : ", \(target.executablePath)"))
        if program.isEmpty {
            return try engine { () throws(EngineError) in try session.attach(target) }
        }
        return try engine { () throws(EngineError) in try session.launch(started: target, commandLine: program) }
    }
}

/// `-k gdb:server=host,port=N[,image=PATH]`: a Linux kernel under QEMU's gdbstub, WinDbg's
/// `kd>` session: CPUs as threads, the kernel's symbols from the image's kallsyms.
extension Interpreter {
    public func connectKernel(_ address: RemoteConnection.Address, image path: String?, userProgram: String?) throws(CommandError) -> StopEvent {
        guard session.process == nil else { throw CommandError("A target is already open; .kill or .detach it first") }
        guard let path = path ?? Self.newestBootKernel() else { throw CommandError("No kernel image: name it with image=PATH (no /boot/vmlinuz-* here)") }
        let image: KernelImage
        do { image = try KernelImage(path: path) } catch { throw CommandError(error.description) }
        let target: RemoteTarget
        do { target = try RemoteTarget.connectMachine(address) } catch { throw CommandError(error.description) }
        let cpus = target.listThreads().count
        output.line("Connected to the kernel stub at \(address): \(cpus) CPU\(cpus == 1 ? "" : "s")")
        return try engine { () throws(EngineError) in try session.open(kernel: target, image: image, userProgram: userProgram) }
    }

    /// The newest `/boot/vmlinuz-*`, as a machine boots it.
    private static func newestBootKernel() -> String? {
        guard let folder = opendir("/boot") else { return nil }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix("vmlinuz-") { names.append(name) }
        }
        return names.sorted().last.map { "/boot/" + $0 }
    }
}
