import FuzzDriver
import Glibc
import Symbols

/// The file the input is written to (libelf and libdw read files).
nonisolated(unsafe) private var path = "/tmp/swdbg-fuzz-\(getpid()).elf"

/// ELF and DWARF loading on any bytes: symbols, PLT stubs, the dynamic segment, build ID,
/// debug link, the DWARF check, line tables, scopes, variables, types, CFI.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSymbols(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    _ = write(fd, data, count)
    close(fd)
    guard let image = try? ElfImage(path: path) else { return 0 }
    let search = SymbolSearch()
    search.path = ["/nonexistent"]
    let symbols = ModuleSymbols(image: image, search: search)
    let table = symbols.symbols
    _ = symbols.state
    _ = image.buildID
    _ = image.debugLink
    for symbol in table.prefix(12) {
        _ = symbols.sourceLine(at: symbol.address)
        _ = symbols.statementStart(at: symbol.address)
        _ = symbols.inlinedCalls(at: symbol.address)
        _ = symbols.prototype(at: symbol.address)
        let frame = FrameContext(registers: [6: 0x7fff0000, 7: 0x7fff0000, 16: symbol.address], cfa: 0x7fff0010, bias: 0, isInnermost: true,
                                 readMemory: { _, size in [UInt8](repeating: 0, count: size) })
        if let (_, values) = symbols.variables(at: symbol.address, frame: frame, includeLocals: true) {
            for value in values.prefix(8) { _ = symbols.expanded(value.type) }
        }
        _ = symbols.callFrameInfo?.unwind(lookupAddress: symbol.address, registers: frame.registers, readMemory: { _ in 0 })
    }
    _ = symbols.typeLayout(named: "node")
    _ = symbols.globalVariable(named: "counter", bias: 0)
    _ = symbols.enumerator(named: "RED")
    _ = symbols.hasSourceFile("loop.c")
    _ = symbols.addresses(file: "loop.c", line: 7)
    return 0
}

runFuzzer { data, count in fuzzSymbols(data, count) }
