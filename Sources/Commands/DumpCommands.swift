import Arch
import Engine
import Glibc
import Targets

/// `.opendump .dump .exr .ecxr`: core files as targets, writing them, and the exception that
/// ended a process.
extension Interpreter {
    static let dumpCommands: [CommandSpec] = [
        CommandSpec(names: [".opendump"], summary: "open a core file: .opendump core [program]") { i, inv throws(CommandError) in
            var scanner = inv.scanner
            guard let path = scanner.quoted() ?? scanner.word().map(String.init) else { throw CommandError("Usage: .opendump core-file [program]") }
            let program = scanner.quoted() ?? scanner.word().map(String.init)
            let stop = try i.openDump(path, program: program)
            i.reportStop(stop)
        },
        CommandSpec(names: [".dump"], summary: "write an ELF core: .dump [/ma | /m] [/o] file") { i, inv throws(CommandError) in
            try i.writeDump(inv)
        },
        CommandSpec(names: [".exr"], summary: "show the exception record: .exr -1 (the last one)") { i, inv throws(CommandError) in
            guard inv.arguments.trimmed() == "-1" else { throw CommandError("Usage: .exr -1 (the last exception; Linux keeps no exception records in memory)") }
            try i.showExceptionRecord()
        },
        CommandSpec(names: [".ecxr"], summary: "switch to the thread and context of the last exception", takesArguments: false) { i, _ throws(CommandError) in
            _ = try i.requireProcess()
            guard let (tid, _) = i.session.lastException, let thread = i.session.process?.thread(tid) else {
                throw CommandError("Unable to get exception context, HRESULT 0x8000FFFF")
            }
            i.session.setCurrentThread(thread)
            i.frameIndex = 0
            i.showCurrentState(everything: true)
        },
    ]

    /// Opens a core file (compressed ones too) as the session's target and says what it is.
    public func openDump(_ path: String, program: String?) throws(CommandError) -> StopEvent {
        guard session.process == nil else { throw CommandError("A target is already open; .kill or .detach it first") }
        output.line("")
        output.line("Loading Dump File [\(path)]")
        let core: CoreFile
        do { core = try CoreFile(path: path) } catch { throw CommandError(error.description) }
        if let program, access(program, R_OK) != 0 { throw CommandError("\(program): \(errnoText(errno))") }
        let threads = core.threads.count
        let name = core.programName.isEmpty ? "" : " (\(core.programName))"
        output.line("ELF core file of process 0n\(core.processID)\(name), \(threads) thread\(threads == 1 ? "" : "s")"
            + (core.commandLine.isEmpty ? "" : ": \(core.commandLine)"))
        for warning in core.warnings { output.line("WARNING: \(warning)") }
        let target = CoreTarget(core: core, program: program)
        return try engine { () throws(EngineError) in try session.open(dump: target) }
    }

    /// `.dump /ma file` (all memory), `.dump /m file` (the default: stacks, registers,
    /// modules), `/o` to replace an existing file.
    private func writeDump(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var scanner = invocation.scanner
        var kind = DumpKind.minimal, overwrite = false
        // Options are letters after a slash (`/ma`); a path has another slash or other characters.
        while let option = scanner.rest.split(separator: " ").first, option.hasPrefix("/"), option.count > 1, option.dropFirst().allSatisfy(\.isLetter) {
            _ = scanner.word()
            for letter in option.dropFirst().lowercased() {
                switch letter {
                case "m": break
                case "a", "f": kind = .full
                case "o": overwrite = true
                default: throw CommandError("       ^ Syntax error in '.dump\(invocation.arguments)': unknown option /\(letter)")
                }
            }
        }
        guard let path = scanner.quoted() ?? scanner.word().map(String.init), scanner.isAtEnd else {
            throw CommandError("Usage: .dump [/ma | /m] [/o] file")
        }
        output.line("Creating \(path) - ELF core file (\(kind == .full ? "all memory" : "stacks, registers, modules"))")
        let written = try engine { () throws(EngineError) in try session.writeDump(to: path, kind: kind, overwrite: overwrite) }
        output.line("Dump successfully written (\(written) bytes of memory)")
    }

    /// `.exr -1`: the last exception in the layout of WinDbg's exception record, with the
    /// signal and si_code it came from.
    func showExceptionRecord() throws(CommandError) {
        _ = try requireProcess()
        guard let (tid, info) = session.lastException, let thread = session.process?.thread(tid) else {
            throw CommandError("No exception has been recorded")
        }
        let rip = (try? session.registers(thread))?.rip ?? 0
        let exception = Session.exception(info.signal, code: info.code)
        output.line("ExceptionAddress: \(formatAddress(rip))" + (session.symbolize(rip).map { " (\($0))" } ?? ""))
        output.line("   ExceptionCode: \(zeroPaddedHex(UInt64(exception.code), digits: 8)) (\(exception.name))")
        output.line("  ExceptionFlags: 00000000")
        if exception.code == 0xc000_0005, let address = session.faultAddress(info.signal, info) {
            let access = session.faultAccess(rip: rip, fault: address, instruction: session.decode(at: rip))
            output.line("NumberParameters: 2")
            output.line("   Parameter[0]: \(zeroPaddedHex(access.parameter, digits: 16))")
            output.line("   Parameter[1]: \(zeroPaddedHex(address, digits: 16))")
            output.line("Attempt to \(access == .execute ? "execute" : access == .write ? "write to" : "read from") address \(zeroPaddedHex(address, digits: 16))")
        } else {
            output.line("NumberParameters: 0")
        }
        output.line("Signal: \(signalName(info.signal)) (0n\(info.signal)), si_code \(info.code)" + (faultCodeName(info.signal, info.code).map { " (\($0))" } ?? ""))
    }
}
