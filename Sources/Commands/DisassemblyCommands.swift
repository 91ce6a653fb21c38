import Arch
import Engine

/// `u ub uf`: disassembly in WinDbg's layout, with a `module!symbol:` label where a function starts.
extension Interpreter {
    static let disassemblyCommands: [CommandSpec] = [
        CommandSpec(names: ["u"], summary: "unassemble: u [addr] [L count]") { i, inv throws(CommandError) in try i.unassemble(inv) },
        CommandSpec(names: ["ub"], summary: "unassemble backwards from an address") { i, inv throws(CommandError) in try i.unassembleBackwards(inv) },
        CommandSpec(names: ["uf"], summary: "unassemble a whole function") { i, inv throws(CommandError) in try i.unassembleFunction(inv) },
    ]

    private func unassemble(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var scanner = invocation.scanner
        var start: UInt64
        if let lastUnassemble { start = lastUnassemble } else { start = try currentRegisters().rip }
        var count = 8
        if !scanner.isAtEnd && !scanner.atLength { start = try expression(&scanner) }
        if scanner.atLength && scanner.accept("L") { count = Int(min(try expression(&scanner), 0x10000)) }
        else if !scanner.isAtEnd {
            let end = try expression(&scanner)
            guard end >= start, end - start < Interpreter.largestCheckedRange else {
                throw CommandError("       ^ Range error in 'u\(invocation.arguments)'")
            }
            lastUnassemble = printInstructions(from: start, count: Int.max, until: end)
            return
        }
        lastUnassemble = printInstructions(from: start, count: count, until: nil)
    }

    /// Prints instructions; returns the address after the last one.
    @discardableResult
    func printInstructions(from start: UInt64, count: Int, until end: UInt64?) -> UInt64 {
        var address = start
        var printed = 0
        while printed < count {
            if let end, address > end { break }
            if let name = session.symbolize(address), printed == 0 || !name.contains("+") {
                output.line(paint(name, .symbol) + paint(sourceText(address), .source) + ":")
            }
            guard let instruction = session.decode(at: address) else {
                output.line("\(paint(formatAddress(address), .address)) ??              ???")
                address &+= 1
                printed += 1
                continue
            }
            output.line(instructionLine(instruction))
            address &+= UInt64(instruction.length)
            printed += 1
        }
        return address
    }

    /// Instruction boundaries are not marked in x86 code: decode forward from the function
    /// start (or from increasing distances) and keep the runs that land exactly on `end`.
    private func unassembleBackwards(_ invocation: Invocation) throws(CommandError) {
        _ = try requireProcess()
        var scanner = invocation.scanner
        let end = scanner.isAtEnd ? try currentRegisters().rip : try expression(&scanner)
        var count = 8
        if scanner.atLength && scanner.accept("L") { count = Int(min(try expression(&scanner), 0x1000)) }
        var starts: [UInt64] = []
        if let module = session.process?.modules.module(containing: end), let (_, offset) = module.symbol(at: end), offset > 0, offset < 0x10000 {
            starts = instructionStarts(from: end - offset, to: end)
        }
        if starts.isEmpty {
            for distance in stride(from: min(UInt64(count * 15), end), through: 1, by: -1) {
                let candidate = instructionStarts(from: end - distance, to: end)
                if candidate.count >= count { starts = candidate; break }
            }
        }
        let chosen = starts.suffix(count)
        guard let first = chosen.first else { throw CommandError("No prior disassembly possible") }
        printInstructions(from: first, count: chosen.count, until: nil)
    }

    private func instructionStarts(from start: UInt64, to end: UInt64) -> [UInt64] {
        var starts: [UInt64] = []
        var address = start
        let bytes = session.readMemory(start, count: Int(end - start) + 16)
        while address < end {
            let offset = Int(address - start)
            guard offset < bytes.count, let instruction = session.disassembleBytes(Array(bytes[offset...]), at: address) else { return [] }
            starts.append(address)
            address &+= UInt64(instruction.length)
        }
        return address == end ? starts : []
    }

    private func unassembleFunction(_ invocation: Invocation) throws(CommandError) {
        let process = try requireProcess()
        var scanner = invocation.scanner
        let address = scanner.isAtEnd ? try currentRegisters().rip : try expression(&scanner)
        guard let module = process.modules.module(containing: address), let (symbol, offset) = module.symbol(at: address), symbol.size > 0 else {
            throw CommandError("No code found, aborting")
        }
        let start = address &- offset
        let (end, overflow) = start.addingReportingOverflow(symbol.size)
        var cursor = start
        output.line(paint("\(module.name)!\(symbol.name)", .symbol) + paint(sourceText(start), .source) + ":")
        while cursor < (overflow ? .max : end) {
            guard let instruction = session.decode(at: cursor) else { break }
            output.line(instructionLine(instruction))
            cursor &+= UInt64(instruction.length)
        }
    }
}
