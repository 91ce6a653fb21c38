import CExtension
import Engine
import Glibc

/// An extension library `.load` brought in: its handle, name (the file's, without `lib` and
/// `.so`), path and command functions, checked at load against the C ABI of
/// `swdbg_extension.h`. Used on the tracer thread only.
final class NativeExtension: @unchecked Sendable {
    typealias Command = @convention(c) (UnsafePointer<swdbg_api>?, UnsafePointer<CChar>?) -> Int32

    let name: String
    let path: String
    let commands: [String: Command]
    /// In the order the library lists them (`.extmatch`, `.chain`).
    let commandNames: [String]
    private let handle: UnsafeMutableRawPointer

    /// Opens the library and checks what it exports; nothing of it runs before the version
    /// matched. The error says which requirement it failed.
    init(path: String, api: inout swdbg_api) throws(CommandError) {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw CommandError("Unable to load \(path): \(dlerror().map { String(cString: $0) } ?? "unknown error")")
        }
        func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }
        func refuse(_ why: String) -> CommandError {
            dlclose(handle)
            return CommandError("\(path) is not a swdbg extension: \(why)")
        }
        guard let versionSymbol = symbol("swdbg_extension_version") else { throw refuse("it exports no swdbg_extension_version") }
        let version = unsafeBitCast(versionSymbol, to: (@convention(c) () -> UInt32).self)()
        guard version == SWDBG_EXTENSION_API_VERSION else {
            throw refuse("it was built for extension API \(version); this swdbg has API \(SWDBG_EXTENSION_API_VERSION)")
        }
        guard let listSymbol = symbol("swdbg_extension_commands"),
              let list = unsafeBitCast(listSymbol, to: (@convention(c) () -> UnsafePointer<UnsafePointer<CChar>?>?).self)() else {
            throw refuse("it exports no swdbg_extension_commands list")
        }
        var names: [String] = []
        var commands: [String: Command] = [:]
        var index = 0
        while let entry = list[index], names.count < 4096 {
            let name = String(cString: entry)
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw refuse("'\(name)' is not a command name") }
            guard let function = symbol("swdbg_command_" + name) else { throw refuse("it lists \(name) but exports no swdbg_command_\(name)") }
            names.append(name)
            commands[name] = unsafeBitCast(function, to: Command.self)
            index += 1
        }
        if let initialize = symbol("swdbg_extension_initialize") {
            let result = unsafeBitCast(initialize, to: (@convention(c) (UnsafePointer<swdbg_api>?) -> Int32).self)(&api)
            guard result == 0 else { throw refuse("its swdbg_extension_initialize refused the load (returned \(result))") }
        }
        self.handle = handle
        self.path = path
        self.commands = commands
        commandNames = names
        var base = String(path.split(separator: "/").last ?? Substring(path))
        if base.hasPrefix("lib") { base.removeFirst(3) }
        if let suffix = base.firstRange(of: ".so") { base = String(base[..<suffix.lowerBound]) }
        name = base
    }

    /// `.unload`: its uninitialize, then the library goes.
    func unload() {
        if let uninitialize = dlsym(handle, "swdbg_extension_uninitialize") {
            unsafeBitCast(uninitialize, to: (@convention(c) () -> Void).self)()
        }
        dlclose(handle)
    }
}

extension Interpreter {
    /// The functions an extension calls back, with this interpreter as their host.
    func extensionAPI() -> swdbg_api {
        var api = swdbg_api()
        api.version = SWDBG_EXTENSION_API_VERSION
        api.size = UInt32(MemoryLayout<swdbg_api>.size)
        api.host = OpaquePointer(Unmanaged.passUnretained(self).toOpaque())
        api.print = { host, text in hostInterpreter(host).hostPrint(text) }
        api.read_memory = { host, address, buffer, size, read in hostInterpreter(host).hostRead(address, into: buffer, size: size, read: read) }
        api.write_memory = { host, address, buffer, size in hostInterpreter(host).hostWrite(address, from: buffer, size: size) }
        api.evaluate = { host, text, value in hostInterpreter(host).hostEvaluate(text, into: value) }
        api.read_register = { host, name, value in hostInterpreter(host).hostRegister(name, into: value) }
        api.symbol_name = { host, address, buffer, size in hostInterpreter(host).hostSymbol(address, into: buffer, size: size) }
        api.execute = { host, command in
            guard let command else { return -1 }
            do { try hostInterpreter(host).executeLine(Substring(String(cString: command))) } catch {
                hostInterpreter(host).output.line("\(error)")
                return -1
            }
            return 0
        }
        api.current_thread = { host, tid in
            guard let thread = hostInterpreter(host).session.process?.current else { return -1 }
            tid?.pointee = UInt32(bitPattern: thread.tid)
            return 0
        }
        return api
    }
}

extension Interpreter {
    func hostPrint(_ text: UnsafePointer<CChar>?) {
        if let text { output.write(String(cString: text)) }
    }

    /// Target memory into a C caller's buffer; `read` says how much could be read (-1: none).
    func hostRead(_ address: UInt64, into buffer: UnsafeMutableRawPointer?, size: UInt32, read: UnsafeMutablePointer<UInt32>?) -> Int32 {
        guard let buffer else { return -1 }
        let bytes = session.readMemory(address, count: Int(size))
        bytes.withUnsafeBytes { if let base = $0.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) } }
        read?.pointee = UInt32(bytes.count)
        return bytes.isEmpty && size > 0 ? -1 : 0
    }

    func hostWrite(_ address: UInt64, from buffer: UnsafeRawPointer?, size: UInt32) -> Int32 {
        guard let buffer else { return -1 }
        return (try? session.writeMemory(address, Array(UnsafeRawBufferPointer(start: buffer, count: Int(size))))) != nil ? 0 : -1
    }

    /// A MASM expression's value for a C caller: 0, or -1 when it cannot be evaluated.
    func hostEvaluate(_ text: UnsafePointer<CChar>?, into value: UnsafeMutablePointer<UInt64>?) -> Int32 {
        guard let text, let result = try? evaluate(Substring(String(cString: text))) else { return -1 }
        value?.pointee = result
        return 0
    }

    /// A register of the current thread for a C caller (an extension, a script): 0, or -1.
    func hostRegister(_ name: UnsafePointer<CChar>?, into value: UnsafeMutablePointer<UInt64>?) -> Int32 {
        guard let name, let result = (try? session.registers())?.value(named: String(cString: name).lowercased()) else { return -1 }
        value?.pointee = result
        return 0
    }

    /// An address's `module!symbol+0xoff`, NUL-terminated into a C caller's buffer (cut to fit).
    func hostSymbol(_ address: UInt64, into buffer: UnsafeMutablePointer<CChar>?, size: UInt32) -> Int32 {
        guard let buffer, size > 0, let name = session.symbolize(address) else { return -1 }
        let bytes = Array(name.utf8.prefix(Int(size) - 1)) + [0]
        bytes.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return 0
    }
}

/// The interpreter an extension's callback was given as its host.
private func hostInterpreter(_ host: OpaquePointer?) -> Interpreter {
    Unmanaged<Interpreter>.fromOpaque(UnsafeRawPointer(host!)).takeUnretainedValue()
}
